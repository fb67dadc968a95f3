"""pytest fixtures for code that uses the SDK: a local server and a signed-in user.

Enable them in your ``conftest.py``::

    pytest_plugins = ["numind.openapi_client.testing.pytest_plugin"]

    def test_my_code(numind_server, numind_tokens):
        configuration = Configuration(host=numind_server.url,
                                      access_token=numind_tokens["token"])
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, Iterator

import pytest

from numind.openapi_client.testing._server import LocalServer

__all__ = ["numind_server", "numind_tokens"]

_users = itertools.count(1)


@pytest.fixture(scope="session")
def numind_server() -> Iterator[LocalServer]:
    """A local NuExtract server for the test session; ``numind_server.url`` is the host."""
    with LocalServer() as server:
        yield server


@pytest.fixture
def numind_tokens(numind_server: LocalServer) -> Dict[str, Any]:
    """The token response of a user of its own, signed in on ``numind_server``:
    ``token`` (the access token), ``refreshToken``, ``expiresIn``, ``refreshExpiresIn``."""
    return numind_server.sign_in(f"pytest-user-{next(_users)}@example.com")
