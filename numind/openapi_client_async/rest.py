"""The asyncio HTTP transport: one aiohttp session that sends one attempt of a request.

It knows HTTP, not the API. Retries are the pipeline's (``api_client``); here an attempt
is bounded by the deadline of its call: the wait for a pooled connection, connecting, TLS,
sending, and reading the headers and the body. The session is made inside the running
event loop, on first use, and belongs to that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import socket
import ssl
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode

import aiohttp
import yarl
from urllib3.exceptions import (
    ConnectTimeoutError,
    InsecureRequestWarning,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from numind.openapi_client._aio import Watch, Watchdog, timeout_at
from numind.openapi_client._deadline import Deadline, TimeoutSetting, parse_timeout
from numind.openapi_client._headers import find_header
from numind.openapi_client._redact import SecretBytes
from numind.openapi_client._transport import (
    DEFAULT_MAX_RESPONSE_SIZE,
    LEAST_WAIT,
    connection_error,
    encode_body,
    proxy_settings,
    too_large,
)
from numind.openapi_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiValueError,
)

if TYPE_CHECKING:
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace

    from numind.openapi_client._transport import FailureKind
    from numind.openapi_client._types import RequestTimeout
    from numind.openapi_client.configuration import Configuration

# ``from numind.openapi_client_async.rest import ApiException`` works, as in the sync twin.
__all__ = ["RESTClientObject", "RESTResponse", "ApiException"]

#: The statuses whose ``Location`` a ``urllib3.Retry`` reads as a redirect.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: aiohttp rounds timeouts above this up to whole seconds; a deadline is never rounded.
_NO_ROUNDING = float("inf")
#: How long before the deadline aiohttp gives up waiting for a connection.
_BEFORE_DEADLINE = 0.01
#: The deadline of a response made without one.
_NEVER = Deadline(float("inf"))
#: Connections per host when ``Configuration.connection_pool_maxsize`` is not set: tasks
#: are cheap, so many calls are in flight at once (aiohttp's own default limit, too).
DEFAULT_POOL_MAXSIZE = 100

#: How many parsed URLs a client keeps.
_URLS_KEPT = 256
#: The watch of the attempt the running task is sending, for the connector to start its
#: read timeout once the attempt has a connection.
_SENDING: contextvars.ContextVar[Optional[Watch]] = contextvars.ContextVar(
    "numind_sending", default=None
)


class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, which tells a watched attempt when it has its connection: the
    wait for the answer begins there (the wait for a pooled or new connection is bounded by
    aiohttp's connect timeouts)."""

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: List[Trace],
        timeout: aiohttp.ClientTimeout,
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        watch = _SENDING.get()
        if watch is not None:
            watch.wait_for_data()
        return connection


class RESTResponse:
    """A response whose body has been, or can be, read with ``await read()``."""

    def __init__(
        self,
        resp: aiohttp.ClientResponse,
        method: str = "",
        url: str = "",
        deadline: Optional[Deadline] = None,
        max_size: Optional[int] = None,
        watch: Optional[Watch] = None,
    ) -> None:
        self.response = resp
        self._watch = watch
        self.deadline = deadline
        self.max_size = DEFAULT_MAX_RESPONSE_SIZE if max_size is None else max_size
        self.status = resp.status
        self.reason = resp.reason
        self.headers: Mapping[str, str] = resp.headers
        self.method = method
        self.url = url
        self.data: Optional[bytes] = None
        #: Why the call stopped retrying with this answer (see ``ApiException.retry_note``).
        self.retry_note: Optional[str] = None

    async def read(self, *, scoped: bool = True) -> bytes:
        """Read the whole body (once) and release the connection to the pool.

        A body cut short (reset, closed early, timed out) raises ``ApiConnectionError``
        (``ApiTimeoutError`` for a timeout) whose ``body`` holds what was received. A body
        larger than ``max_size`` once decoded raises ``ApiException``, and the rest of it is
        not read. The read ends by the call's deadline (``scoped``: in a scope of its own;
        the pipeline's call has one around it already, or watches its waits).
        """
        data = self.read_if_received()
        if data is not None:
            return data
        response = self.response
        received: List[bytes] = []
        watch = self._watch
        reading = self._read_all(response, received, watch)
        try:
            if watch is not None:
                try:
                    data = await reading
                except asyncio.CancelledError:
                    if not watch.took_back():
                        raise
                    raise _timed_out(watch) from None
                finally:
                    watch.disarm()
            elif scoped:
                async with timeout_at(self.deadline):
                    data = await reading
            else:  # no scope of its own: even an empty one costs a timer's bookkeeping
                data = await reading
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            partial = SecretBytes(b"".join(received))
            received.clear()  # no token left in the locals of a captured traceback
            response.close()
            error = _transport_error(exc, self.method, self.url, self.deadline or _NEVER)
            error.add_answer(self.status, response.headers, partial)
            raise error from exc
        except BaseException:  # cancelled: the connection's state is unknown
            response.close()
            raise
        response.release()
        self.data = data
        return data

    def read_if_received(self) -> Optional[bytes]:
        """The body, if all of it came with the headers (read without a wait, and the
        connection released); None if some of it is still to come: ``await read()``."""
        if self.data is not None:
            return self.data
        response = self.response
        content = response.content
        if not content.is_eof():
            return None
        data = content.read_nowait()
        if len(data) > self.max_size:
            response.release()  # all of it was received: reusable
            raise too_large(self, self.max_size)
        self.data = SecretBytes(data)
        response.release()
        return self.data

    async def _read_all(
        self, response: aiohttp.ClientResponse, received: List[bytes], watch: Optional[Watch]
    ) -> bytes:
        """The body, each piece kept in ``received`` as it arrives (for an error to hold);
        each wait for a piece bounded by ``watch``, if any."""
        length = response.content_length
        encoded = response.headers.get("Content-Encoding")
        if length is not None and length > self.max_size and not encoded:
            response.close()  # its size, told beforehand: not read at all, nor reused
            raise too_large(self, self.max_size)
        content = response.content
        size = 0
        if watch is not None:
            watch.wait_for_data()
        while chunk := await content.readany():
            if watch is not None:
                watch.wait_for_data()
            received.append(chunk)
            size += len(chunk)
            if size > self.max_size:
                received.clear()
                chunk = b""
                if content.is_eof():
                    response.release()  # all of it was received: reusable
                else:
                    response.close()  # not read to its end: not reused
                raise too_large(self, self.max_size)
        data = SecretBytes(received[0] if len(received) == 1 else b"".join(received))
        received.clear()
        return data

    async def discard(self) -> None:
        """Read an answer that is to be retried, so that its connection can be reused (a
        failed read drops it; the retry opens another)."""
        with contextlib.suppress(ApiConnectionError):
            await self.read()

    def getheaders(self) -> Mapping[str, str]:
        """All response headers."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)

    def get_redirect_location(self) -> Union[str, bool, None]:
        """The ``Location`` of a redirect, else False (what a ``urllib3.Retry`` asks)."""
        if self.status in _REDIRECTS:
            return self.response.headers.get("Location")
        return False


class RESTClientObject:
    """Sends requests through one ``aiohttp.ClientSession``, made in the running loop on
    first use; ``await close()`` closes it."""

    def __init__(self, configuration: Configuration) -> None:
        if configuration.verify_ssl:
            self._ssl: Union[ssl.SSLContext, bool] = _ssl_context(configuration)
        else:
            self._ssl = False
        self._server_hostname = configuration.tls_server_name or (
            configuration.assert_hostname
            if isinstance(configuration.assert_hostname, str)
            else None
        )
        self._proxy: Optional[str] = None
        self._proxy_headers: Optional[Dict[str, str]] = None
        if configuration.proxy:
            self._proxy, self._proxy_headers = proxy_settings(
                configuration.proxy, configuration.proxy_headers
            )
        self._maxsize = configuration._pool_maxsize_for(DEFAULT_POOL_MAXSIZE)  # pyright: ignore[reportPrivateUsage]
        self._socket_options = configuration.socket_options
        self.max_response_size = configuration.max_response_size
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        #: The aiohttp timeouts of each timeout setting, when the deadline does not cut them.
        self._timeout_of: Dict[Tuple[TimeoutSetting, bool], aiohttp.ClientTimeout] = {}
        self._watchdog: Optional[Watchdog] = None  # made with the session, in its loop
        self._urls: Dict[str, yarl.URL] = {}

    def __repr__(self) -> str:
        state = "open" if self._session is not None else "not yet opened"
        return f"<RESTClientObject aiohttp session {state}>"

    def session(self) -> aiohttp.ClientSession:
        """The session of the running event loop: made on first use, in that loop."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed:
            connector = _Connector(
                limit=0,  # per host only, as the sync client's pools
                limit_per_host=self._maxsize,
                ssl=self._ssl,
                timeout_ceil_threshold=_NO_ROUNDING,
                socket_factory=_socket_factory(self._socket_options),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Every request says its own timeouts; none is left to a session default.
                timeout=aiohttp.ClientTimeout(total=None, ceil_threshold=_NO_ROUNDING),
            )
            # aiohttp sends an idempotent request once more on its own when the connection
            # fails; the SDK's retry loop decides on retries, as the sync client does.
            self._session._retry_connection = False  # pyright: ignore[reportPrivateUsage]
            self._loop = loop
            if self._watchdog is not None:
                self._watchdog.close()
            self._watchdog = Watchdog(loop)
        elif self._loop is not loop:
            raise ApiValueError(
                "This ApiClient belongs to the event loop it was first used in; make one "
                "ApiClient per event loop (e.g. inside the coroutine that asyncio.run runs), "
                "or close it (await api_client.close()) before using it in another loop"
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: Union[RequestTimeout, TimeoutSetting] = None,
        *,
        deadline: Optional[Deadline] = None,
        scoped: bool = True,
        watched: bool = False,
    ) -> RESTResponse:
        """Send one attempt; the body is left unread in the returned ``RESTResponse``.

        ``body`` is sent as is when it is ``bytes``, UTF-8 encoded when it is ``str``, and
        JSON encoded otherwise. ``_request_timeout`` bounds the attempt and ``deadline``
        the call it belongs to (``scoped``: in a scope of its own, that cancels the attempt
        at the deadline; the pipeline's call has one around it already). ``watched``: the
        waits of the attempt and of reading its body (which is to be read at once) are
        bounded by the client's ``Watchdog`` instead of aiohttp's read timer and a scope:
        each wait for data by the read timeout, all of them by the deadline. Transport
        failures raise ``ApiConnectionError`` or ``ApiTimeoutError``.
        """
        method = method.upper()
        headers = headers or {}
        encoded: Optional[bytes] = None
        if post_params:
            if body is not None:
                raise ApiValueError("body and post_params are exclusive: give one of them")
            encoded = SecretBytes(urlencode(post_params).encode("ascii"))
        elif body is not None:
            encoded = encode_body(body, find_header(headers, "Content-Type") or "")
            if encoded is not None:
                encoded = SecretBytes(encoded)  # a token request: masked in tracebacks
        if isinstance(_request_timeout, TimeoutSetting):
            setting = _request_timeout
        else:
            setting = parse_timeout(_request_timeout)
        if deadline is None:
            deadline = setting.deadline(None)
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop() or session.closed:
            session = self.session()
        proxy_headers = self._proxy_headers
        if proxy_headers is not None or self._ssl is False:
            headers, proxy_headers = self._proxy_and_tls_checks(url, headers, proxy_headers)
        # Redirects are not followed: an API call that redirects is an error, and following
        # it could send the Authorization header to another host.
        remaining = deadline.remaining()
        sending = session.request(
            method,
            self._urls.get(url) or self._url(url),
            headers=headers,
            data=encoded,
            allow_redirects=False,
            timeout=self._timeouts(setting, remaining, watched),
            proxy=self._proxy,
            proxy_headers=proxy_headers,
            server_hostname=self._server_hostname,
        )
        watch: Optional[Watch] = None
        try:
            if watched:
                dog = self._watchdog
                assert dog is not None  # made with the session
                watch = Watch(dog, dog.loop.time() + remaining, setting.longest_read)
                # Until the deadline for a connection, then the read timeout for the
                # answer's headers, which ``_Connector`` starts.
                sending_watch = _SENDING.set(watch)
                try:
                    response = await sending
                except asyncio.CancelledError:
                    if not watch.took_back():
                        raise
                    raise _timed_out(watch) from None
                finally:
                    _SENDING.reset(sending_watch)
                    watch.disarm()
            elif scoped:
                async with timeout_at(deadline):
                    response = await sending
            else:
                response = await sending
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise _transport_error(exc, method, url, deadline) from exc
        return RESTResponse(response, method, url, deadline, self.max_response_size, watch)

    def _proxy_and_tls_checks(
        self, url: str, headers: Mapping[str, str], proxy_headers: Optional[Dict[str, str]]
    ) -> Tuple[Mapping[str, str], Optional[Dict[str, str]]]:
        """The headers for the proxy, and the warning of an unverified HTTPS request."""
        if proxy_headers and not url.startswith("https:"):
            # No tunnel: the proxy reads the request itself, and these go with it, as the
            # sync client's urllib3 sends them.
            headers = {**headers, **proxy_headers}
            proxy_headers = None
        if self._ssl is False and url.startswith("https:"):
            warnings.warn(
                f"Unverified HTTPS request to {url.split('/')[2]}: verify_ssl is off, so "
                "anyone on the path can read and change the traffic",
                InsecureRequestWarning,
                stacklevel=3,
            )
        return headers, proxy_headers

    def _url(self, url: str) -> yarl.URL:
        """``url`` as built, percent-encoding kept: yarl would resolve a "%2E%2E" of a path
        parameter into "..", and the request would reach another path. The URLs of the
        last calls are kept (in ``_urls``): a client calls few."""
        if len(self._urls) >= _URLS_KEPT:
            self._urls.clear()
        parsed = self._urls[url] = yarl.URL(url, encoded=True)
        return parsed

    def _timeouts(
        self, setting: TimeoutSetting, remaining: float, watched: bool = False
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts of one attempt: the attempt's own, whose wait for a connection
        (pooled, or new) aiohttp bounds, ends just before the deadline, so that a call that
        found the pool full says so. The deadline cuts them all otherwise: the scope around
        the request (or the watch) ends whatever is waiting when it passes; after the call,
        an unread answer's reads keep the read timeout of their attempt. A watched attempt
        has no aiohttp read timeout: its watch bounds each wait for data."""
        wait = remaining - _BEFORE_DEADLINE  # the seconds left to the deadline, but a little
        key = (setting, watched)
        if wait >= setting.longest_attempt:  # the usual case: made once per setting
            cached = self._timeout_of.get(key)
            if cached is not None:
                return cached
        connect = setting.attempt.connect_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=max(min(setting.longest_attempt, wait), LEAST_WAIT),
            sock_connect=connect if isinstance(connect, (int, float)) else None,
            sock_read=None if watched else setting.longest_read,
            ceil_threshold=_NO_ROUNDING,
        )
        if wait >= setting.longest_attempt and len(self._timeout_of) < 64:
            self._timeout_of[key] = timeout
        return timeout

    async def close(self) -> None:
        """Close the session and every pooled connection (it reopens on the next call)."""
        session, self._session, self._loop = self._session, None, None
        dog, self._watchdog = self._watchdog, None
        if dog is not None:
            dog.close()
        if session is not None:
            await session.close()


def _timed_out(watch: Watch) -> asyncio.TimeoutError:
    """The timeout of a wait that ``watch`` ended."""
    if watch.what_passed() == "deadline":
        return asyncio.TimeoutError("the call's deadline")  # named by ``connection_error``
    return asyncio.TimeoutError(f"no data within the read timeout ({watch.read_timeout:g} s)")


def _ssl_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS settings of ``configuration``, as urllib3 reads them for the sync client."""
    cadata = configuration.ca_cert_data
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert, cadata=cadata)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    if configuration.assert_hostname is False:
        context.check_hostname = False  # the certificate is still verified
    return context


def _socket_factory(options: Optional[List[Tuple[int, int, Union[int, bytes]]]]) -> Any:
    if options is None:
        return None

    def make(addr_info: Any) -> socket.socket:
        family, kind, proto, _, _ = addr_info
        sock = socket.socket(family=family, type=kind, proto=proto)
        for level, name, value in options:
            sock.setsockopt(level, name, value)
        return sock

    return make


def _transport_error(
    exc: BaseException, method: str, url: str, deadline: Deadline
) -> ApiConnectionError:
    """aiohttp's (or asyncio's) error of an attempt, as the SDK's typed error; its
    ``retry_as`` is the urllib3 error it stands for, which the retry policy classifies as
    it does for the sync client (nothing was sent; sent, maybe processed; anything else)."""
    kind: FailureKind
    detail = str(exc) or type(exc).__name__
    retry_as: Exception
    if isinstance(exc, aiohttp.ConnectionTimeoutError) and deadline.remaining() > LEAST_WAIT:
        # aiohttp bounds the wait for a pooled connection and a new connection together
        kind, retry_as = "pool_or_connect", ConnectTimeoutError(detail)
    elif isinstance(exc, asyncio.TimeoutError):  # a read timeout, or the deadline's
        kind, retry_as = "timeout", ReadTimeoutError(None, url, detail)  # type: ignore[arg-type]
    elif isinstance(exc, (aiohttp.ClientSSLError, ssl.SSLError)):
        kind, retry_as = "tls", SSLError(detail)
    elif isinstance(exc, aiohttp.ClientProxyConnectionError):
        # the proxy could not be reached: nothing was sent
        kind, retry_as = "proxy", ProxyError(detail, NewConnectionError(None, detail))  # type: ignore[arg-type]
    elif isinstance(exc, aiohttp.ClientHttpProxyError):
        kind, retry_as = "proxy", ProxyError(detail, exc)  # the proxy refused the tunnel
    elif isinstance(exc, aiohttp.ClientConnectorError):
        kind, retry_as = "connect", NewConnectionError(None, detail)  # type: ignore[arg-type]
    else:  # reset, closed, or cut short once the request was on its way
        kind, retry_as = "connection", ProtocolError(detail)
    error = connection_error(kind, method, url, detail, deadline)
    error.retry_as = retry_as
    return error
