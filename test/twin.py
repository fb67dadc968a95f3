"""One test, both clients: the sync ``numind.openapi_client`` and its asyncio twin.

A test takes the ``twin`` fixture (conftest), which runs it once per client, and makes its
clients with ``twin.client(configuration)``. For the async client, the test still reads
as a sync one: ``Blocking`` runs each coroutine of the client, its API class and what they
return to its end on an event loop of the client's own, and turns aiohttp's unread response
into the urllib3-like one that the sync client returns. So an assertion is written once and
holds for both.

The loop of an async client ends with it, and fails the test if anything was left
unclosed (an aiohttp session or connector, a ``ResourceWarning``) or if asyncio reported
an error. What was still in use then is frozen out of later collections, and collected at
the end of the session (conftest), where anything it left unclosed fails the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import re
import sys
import warnings
from typing import Any, Iterator, List, Optional

import aiohttp
import urllib3

import numind.openapi_client as sync_sdk
import numind.openapi_client_async as async_sdk

KINDS = ["sync", "async"]

#: Before 3.11, asyncio's TLS transport warns that it was left unclosed when the server
#: ended the connection after the handshake (a server that refuses a client without a
#: certificate, say), although its socket is closed: the old ``sslproto`` marks it closed
#: only when the handshake itself failed. Ignored there alone; 3.11 rewrote ``sslproto``,
#: and there the check stays strict.
OLD_SSL_TRANSPORT_WARNING = (
    re.escape("unclosed transport <asyncio.sslproto._SSLProtocolTransport")
    if sys.version_info < (3, 11)
    else None
)


class Twin:
    """The client kind a test runs with (``twin.name``: ``"sync"`` or ``"async"``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_async = name == "async"
        #: the package of this kind: ``ApiClient`` and ``AuthenticationApi`` are its own
        self.sdk: Any = async_sdk if self.is_async else sync_sdk

    def __repr__(self) -> str:
        return self.name

    @contextlib.contextmanager
    def client(
        self, configuration: Optional[sync_sdk.Configuration] = None, *args: Any, **kwargs: Any
    ) -> Iterator[Any]:
        """An ``ApiClient`` of this kind (the arguments are ``ApiClient``'s), closed at the
        end (its loop too, for async)."""
        if not self.is_async:
            with sync_sdk.ApiClient(configuration, *args, **kwargs) as client:
                yield client
            return
        with event_loop() as loop:
            client = async_sdk.ApiClient(configuration, *args, **kwargs)
            try:
                yield Blocking(client, loop)
            finally:
                loop.run_until_complete(client.close())

    def api(self, client: Any) -> Any:
        """The ``AuthenticationApi`` of ``client`` (a client made by ``client()``)."""
        if isinstance(client, Blocking):
            return Blocking(async_sdk.AuthenticationApi(client.target), client.loop)
        return sync_sdk.AuthenticationApi(client)

    @property
    def unread_type(self) -> type:
        """What ``*_without_preload_content`` returns, seen through ``Blocking``."""
        return UnreadResponse if self.is_async else urllib3.BaseHTTPResponse


class Blocking:
    """An async object seen through sync calls: each of its coroutine methods runs to its
    end on ``loop``; what it returns is seen the same way."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.target = target
        self.loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.target, name)
        if inspect.ismethod(value) and not inspect.iscoroutinefunction(value):
            # what a plain method returns is seen too: ``with_options`` makes a client
            return lambda *args, **kwargs: seen(value(*args, **kwargs), self.loop)
        if not inspect.iscoroutinefunction(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return seen(self.loop.run_until_complete(value(*args, **kwargs)), self.loop)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("target", "loop"):
            object.__setattr__(self, name, value)
        else:  # a setting of the client (``default_headers``, ``cookie``, ...) is its own
            setattr(self.target, name, value)

    def __repr__(self) -> str:
        return repr(self.target)


class UnreadResponse:
    """aiohttp's unread response, with the urllib3 names that the tests read it by."""

    def __init__(self, response: aiohttp.ClientResponse, loop: asyncio.AbstractEventLoop) -> None:
        self.response = response
        self.loop = loop
        self._data: Optional[bytes] = None

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def headers(self) -> Any:
        return self.response.headers

    def read(self) -> bytes:
        if self._data is None:
            self._data = self.loop.run_until_complete(self.response.read())
        return self._data

    @property
    def data(self) -> bytes:
        return self.read()

    def release_conn(self) -> None:
        self.response.release()

    def close(self) -> None:
        self.response.close()  # the connection with it, as urllib3's close() does


def seen(value: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """``value`` as a sync test sees it."""
    if isinstance(value, aiohttp.ClientResponse):
        return UnreadResponse(value, loop)
    if type(value).__module__.startswith("numind.openapi_client_async"):
        return Blocking(value, loop)
    return value


@contextlib.contextmanager
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop; at the end, closed, and anything left unclosed fails the test."""
    loop = asyncio.new_event_loop()
    reported: List[str] = []
    loop.set_exception_handler(lambda _, context: reported.append(str(context.get("message"))))
    try:
        yield loop
    finally:
        try:
            loop.run_until_complete(asyncio.sleep(0))  # let closed transports finish
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                loop.close()
                collect_and_freeze()
        left = reported + unclosed(caught)
        assert not left, f"left unclosed or failed in the event loop: {left}"


def collect_and_freeze() -> None:
    """A full collection, so that an unclosed session or connector (or transport) that is
    garbage says so now; then what is left alive is frozen, out of the way of the next
    collection. Without the freeze, each collection went over everything the session had
    made so far (0.1 to 0.2 s each, 48 s of CPU over the suite); with it, over what was made
    since the last one. What is frozen and becomes garbage later is collected by
    ``collect_the_frozen()`` at the end of the session."""
    gc.collect()  # an unclosed session or connector says so when collected
    gc.freeze()


def collect_the_frozen() -> List[str]:
    """Unfreeze and collect everything: the ResourceWarnings of what was left unclosed by
    objects that ``collect_and_freeze()`` froze while they were still in use."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.unfreeze()
        gc.collect()
    return unclosed(caught)


def unclosed(caught: List[warnings.WarningMessage]) -> List[str]:
    """The ResourceWarnings among ``caught`` (but for a false alarm of old Pythons)."""
    return [
        str(w.message)
        for w in caught
        if w.category is ResourceWarning
        and not (OLD_SSL_TRANSPORT_WARNING and re.match(OLD_SSL_TRANSPORT_WARNING, str(w.message)))
    ]
