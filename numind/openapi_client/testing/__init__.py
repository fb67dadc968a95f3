"""A local, in-memory NuExtract authentication API, for tests and examples.

It speaks the real wire format over HTTP/1.1 on loopback, with no network and no
account; opening its authorization URL signs a local user in at once::

    import numind.openapi_client
    from numind.openapi_client.testing import LocalServer

    with LocalServer() as server:
        configuration = numind.openapi_client.Configuration(host=server.url)
        ...
        server.advance_clock(301)  # the access token has now expired

From a shell: ``python -m numind.openapi_client.testing --port 8080``.
"""

from numind.openapi_client.testing._server import Exchange, LocalServer

__all__ = ["Exchange", "LocalServer"]
