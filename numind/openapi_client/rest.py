"""The HTTP transport: one urllib3 pool manager that sends one attempt of a request.

``RESTClientObject.send(request)`` sends a ``PreparedRequest`` as it is. It knows HTTP, not
the API. Retries are the driver's (``api_client``); here an attempt is bounded by the
deadline that travels in its request: waiting for a pooled connection, connecting, TLS,
sending, and every read of the headers and body (``_DeadlineReader``).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union

import urllib3
from urllib3 import HTTPConnectionPool as _Urllib3HTTPConnectionPool
from urllib3 import HTTPSConnectionPool as _Urllib3HTTPSConnectionPool
from urllib3.connection import HTTPConnection as _Urllib3HTTPConnection
from urllib3.connection import HTTPSConnection as _Urllib3HTTPSConnection
from urllib3.exceptions import (
    EmptyPoolError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3TimeoutError,
)
from urllib3.util import parse_url

from ._deadline import DEFAULT_TIMEOUT, Deadline, TimeoutSetting
from ._redact import SecretBytes
from ._transport import (
    DECODED,
    DEFAULT_MAX_RESPONSE_SIZE,
    LEAST_WAIT,
    connection_error,
    proxy_routes_of,
    refused_encoding,
    request_from_parts,
    too_large,
)
from .exceptions import ApiConnectionError, ApiException

if TYPE_CHECKING:
    from ._proxy import Proxy, ProxyRoutes
    from ._request import PreparedRequest
    from ._transport import FailureKind
    from ._types import RequestTimeout
    from .configuration import Configuration

# ``from numind.openapi_client.rest import ApiException`` is how the generated docs import it.
__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "RESTClientObject",
    "RESTResponse",
    "ApiException",
]

_CHUNK = 64 * 1024
#: What urllib3 is told to do about retries: nothing (an error is raised as it is, every
#: answer is returned); made once, as urllib3 would make one per request from ``False``.
_ONE_ATTEMPT = urllib3.Retry(total=False, redirect=False, raise_on_redirect=False)


class RESTResponse:
    """A response whose body has been, or can be, read with ``read()``."""

    def __init__(
        self,
        resp: urllib3.BaseHTTPResponse,
        method: str = "",
        url: str = "",
        deadline: Optional[Deadline] = None,
        max_size: Optional[int] = None,
    ) -> None:
        self.response = resp
        self.deadline = deadline
        self.max_size = DEFAULT_MAX_RESPONSE_SIZE if max_size is None else max_size
        self.status = resp.status
        self.reason = resp.reason
        self.method = method
        self.url = url
        self.data: Optional[bytes] = None
        #: Why the call stopped retrying with this answer (see ``ApiException.retry_note``).
        self.retry_note: Optional[str] = None

    def read(self) -> bytes:
        """Read the whole body (once) and release the connection to the pool.

        A body cut short (reset, closed early, timed out) raises ``ApiConnectionError``
        (``ApiTimeoutError`` for a timeout) whose ``body`` holds what was received. A body
        larger than ``max_size`` once decoded raises ``ApiException``, and the rest of it is
        not read.
        """
        if self.data is None:
            received: List[bytes] = []
            size = 0
            response = self.response
            # read1 hands over each piece as it arrives, so a failure loses nothing.
            read = getattr(response, "read1", None) or response.read
            try:
                while chunk := read(_CHUNK):
                    received.append(chunk)
                    size += len(chunk)
                    if size > self.max_size:
                        received.clear()
                        chunk = b""
                        raise self._too_large()
                    # The whole body is in and nothing is left to decode: skip the read
                    # that would only say so.
                    if (
                        getattr(response, "length_remaining", None) == 0
                        and getattr(response, "_decoder", True) is None
                    ):
                        break
            except HTTPError as exc:
                partial = SecretBytes(b"".join(received))
                received.clear()  # no token left in the locals of a captured traceback
                chunk = b""
                response.release_conn()
                error = _transport_error(exc, self.method, self.url, self.deadline)
                error.add_answer(self.status, response.headers, partial)
                raise error from exc
            self.data = SecretBytes(received[0] if len(received) == 1 else b"".join(received))
            received.clear()
            response.release_conn()
        return self.data

    def discard(self) -> None:
        """Read an answer that is to be retried, so that its connection can be reused (a
        failed read drops it; the retry opens another)."""
        with contextlib.suppress(ApiConnectionError):
            self.read()

    def _too_large(self) -> ApiException:
        # Stop here: the rest is never read, and the connection is closed, not reused.
        self.response.close()
        self.response.release_conn()
        return too_large(self, self.max_size)

    @property
    def headers(self) -> urllib3.HTTPHeaderDict:
        return self.response.headers

    def getheaders(self) -> urllib3.HTTPHeaderDict:
        """All response headers."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)

    def get_redirect_location(self) -> Union[str, bool, None]:
        """The ``Location`` of a redirect, else False (what a ``urllib3.Retry`` asks)."""
        return self.response.get_redirect_location()


class RESTClientObject:
    """Sends requests through one urllib3 ``PoolManager`` (or ``ProxyManager``)."""

    def __init__(self, configuration: Configuration) -> None:
        pool_args: Dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
            "ca_certs": configuration.ssl_ca_cert,
            "ca_cert_data": configuration.ca_cert_data,
            "cert_file": configuration.cert_file,
            "key_file": configuration.key_file,
            "maxsize": configuration.connection_pool_maxsize,
            # Wait for a free connection rather than open more than ``maxsize`` per host
            # (extra connections would be closed after one use); the wait is bounded.
            "block": True,
            "timeout": DEFAULT_TIMEOUT,
            # One attempt per urlopen: the pipeline retries, within the call's deadline.
            "retries": _ONE_ATTEMPT,
        }
        if configuration.assert_hostname is not None:
            pool_args["assert_hostname"] = configuration.assert_hostname
        if configuration.tls_server_name:
            pool_args["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            pool_args["socket_options"] = configuration.socket_options

        self.pool_manager: urllib3.PoolManager
        routes = proxy_routes_of(configuration)  # the environment is read here, once
        if routes.fixed is not None:
            self.pool_manager = _proxy_manager(routes.fixed, pool_args)
        elif routes.from_environment:
            self.pool_manager = _RoutingPoolManager(routes, **pool_args)
        else:
            self.pool_manager = _PoolManager(**pool_args)
        # Connections whose responses read within the deadline of their call.
        self.pool_manager.pool_classes_by_scheme = _BOUNDED_POOLS
        self.max_response_size = configuration.max_response_size

    def __repr__(self) -> str:
        return f"<RESTClientObject pools={type(self.pool_manager).__name__}>"

    def send(self, request: PreparedRequest) -> RESTResponse:
        """Send one attempt of ``request``; the body is left unread in the returned
        ``RESTResponse``.

        The waits for a pooled connection, to connect and for every read of the answer end
        by the earlier of the attempt's timeouts and the call's deadline. Transport failures
        raise ``ApiConnectionError`` or ``ApiTimeoutError``.
        """
        timeout, deadline = request.timeout, request.deadline
        pool_timeout = max(min(timeout.longest_attempt, deadline.remaining()), LEAST_WAIT)
        try:
            # Redirects are not followed: an API call that redirects is an error, and
            # following it could send the Authorization header to another host.
            response = self.pool_manager.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers,
                preload_content=False,
                redirect=False,
                retries=_ONE_ATTEMPT,
                timeout=_AttemptTimeout(timeout, deadline),
                pool_timeout=pool_timeout,
            )
        except HTTPError as exc:
            raise _transport_error(exc, request.method, request.url, deadline) from exc
        answer = RESTResponse(
            response, request.method, request.url, deadline, self.max_response_size
        )
        encoding = response.headers.get("Content-Encoding")
        if encoding is not None and encoding.lower() not in DECODED:
            # urllib3 would decode br and zstd (if their modules are installed) and nested
            # codings: only what was asked for is read.
            response.close()
            response.release_conn()
            raise refused_encoding(answer, encoding)
        return answer

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: Union[RequestTimeout, TimeoutSetting] = None,
        *,
        deadline: Optional[Deadline] = None,
    ) -> RESTResponse:
        """Send one attempt of a request given by its parts (generated-style); the body is
        left unread in the returned ``RESTResponse``.

        ``body`` is sent as is when it is ``bytes``, UTF-8 encoded when it is ``str``, and
        JSON encoded otherwise. ``_request_timeout`` bounds the attempt (a number: in all;
        a pair or a ``urllib3.Timeout``: connect and each read) and ``deadline`` the call it
        belongs to. Transport failures raise ``ApiConnectionError`` or ``ApiTimeoutError``.
        """
        request = request_from_parts(
            method, url, headers, body, post_params, _request_timeout, deadline
        )
        return self.send(request)

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool_manager.clear()


_PoolKey = Tuple[Optional[str], Optional[str], Optional[int]]  # scheme, host, port


class _PoolManager(urllib3.PoolManager):
    """A ``PoolManager`` that remembers the pool of each origin, and the route of each URL.

    urllib3 parses the URL and builds a normalised pool key of some twenty settings, under
    a lock, on every request; a client of one API talks to one or two origins and a few
    URLs, so dict lookups do. The manager's own store decides which pools live: once it is
    full (``num_pools``) it may drop one, so every new pool then empties both caches.
    """

    #: Routes remembered at most; URLs with path parameters (token ids) are many.
    MAX_ROUTES = 256

    def __init__(self, num_pools: int = 10, **kwargs: Any) -> None:
        super().__init__(num_pools, **kwargs)
        self._num_pools = num_pools
        self._known: Dict[_PoolKey, _Urllib3HTTPConnectionPool] = {}
        self._routes: Dict[str, Tuple[_Urllib3HTTPConnectionPool, str]] = {}

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: Any
    ) -> urllib3.BaseHTTPResponse:
        """``PoolManager.urlopen``; without redirects, straight to the pool of the origin.

        Without a redirect to follow, urllib3's ``PoolManager.urlopen`` parses ``url``, picks
        the pool of its origin and calls its ``urlopen`` with the request target,
        ``assert_same_host=False`` and ``redirect=False``: the same call is made here from
        the route remembered for ``url``, with the retries, timeouts and TLS settings of
        that pool as before.
        """
        route = None if redirect else self._routes.get(url) or self._route(url)
        if route is None:
            return super().urlopen(method, url, redirect, **kw)
        pool, target = route
        if "headers" not in kw:
            kw["headers"] = self.headers
        return pool.urlopen(method, target, assert_same_host=False, redirect=False, **kw)

    def _route(self, url: str) -> Optional[Tuple[_Urllib3HTTPConnectionPool, str]]:
        parsed = parse_url(url)
        if not parsed.scheme or not parsed.host:
            return None  # urllib3 warns about (or rejects) this URL: let it, every time
        pool = self.connection_from_host(parsed.host, port=parsed.port, scheme=parsed.scheme)
        if len(self._routes) >= self.MAX_ROUTES:
            self._routes.clear()
        route = self._routes[url] = (pool, parsed.request_uri)
        return route

    def connection_from_host(
        self,
        host: Optional[str],
        port: Optional[int] = None,
        scheme: Optional[str] = "http",
        pool_kwargs: Optional[Dict[str, Any]] = None,
    ) -> _Urllib3HTTPConnectionPool:
        if pool_kwargs:
            return super().connection_from_host(host, port, scheme, pool_kwargs)
        key = (scheme, host, port)
        pool = self._known.get(key)
        if pool is None:
            pool = super().connection_from_host(host, port, scheme)
            if len(self.pools) >= self._num_pools:
                # The manager may have dropped a pool remembered here.
                self._known.clear()
                self._routes.clear()
            self._known[key] = pool
        return pool

    def clear(self) -> None:
        self._known.clear()
        self._routes.clear()
        super().clear()


class _RoutingPoolManager(_PoolManager):
    """The pools of a client whose proxies come from the environment: each URL goes
    through the proxy that its scheme and host pick (``ProxyRoutes``), or directly, to
    the pools of this manager. One ``ProxyManager`` per proxy."""

    def __init__(self, routes: ProxyRoutes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._proxy_routes = routes
        self._pool_args = kwargs
        self._through: Dict[str, urllib3.ProxyManager] = {}

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: Any
    ) -> urllib3.BaseHTTPResponse:
        # Raises ApiValueError, before anything is sent, for an invalid or refused proxy.
        proxy = self._proxy_routes.proxy_for(url)
        if proxy is None:
            return super().urlopen(method, url, redirect, **kw)
        manager = self._through.get(proxy.url)
        if manager is None:  # (a manager made twice by two threads holds no connection)
            manager = self._through.setdefault(proxy.url, _proxy_manager(proxy, self._pool_args))
        return manager.urlopen(method, url, redirect=redirect, **kw)

    def clear(self) -> None:
        for manager in self._through.values():
            manager.clear()
        super().clear()


def _proxy_manager(proxy: Proxy, pool_args: Dict[str, Any]) -> urllib3.ProxyManager:
    manager = urllib3.ProxyManager(proxy_url=proxy.url, proxy_headers=proxy.headers, **pool_args)
    manager.pool_classes_by_scheme = _BOUNDED_POOLS
    return manager


def _transport_error(
    exc: BaseException, method: str, url: str, deadline: Optional[Deadline] = None
) -> ApiConnectionError:
    """urllib3's error of an attempt, as the SDK's typed error."""
    kind: FailureKind = "connect"
    if isinstance(exc, EmptyPoolError):
        kind = "pool"
    # NewConnectionError subclasses ConnectTimeoutError for backward compatibility: a refused
    # connection or a failed DNS lookup is not a timeout.
    elif isinstance(exc, Urllib3TimeoutError) and not isinstance(exc, NewConnectionError):
        kind = "timeout"
    elif isinstance(exc, SSLError):
        kind = "tls"
    elif isinstance(exc, ProxyError):
        kind = "proxy"
    elif isinstance(exc, ProtocolError):
        kind = "connection"
    return connection_error(kind, method, url, str(exc), deadline)


class _AttemptTimeout(urllib3.Timeout):
    """An attempt's ``urllib3.Timeout`` that carries its call's deadline to the connection:
    its connect part (connect, TLS handshake, proxy tunnel, sending), read when urllib3
    applies it, never reaches past the deadline, and the connection bounds every read of
    the answer by it (``_DeadlineReader``)."""

    def __init__(self, setting: TimeoutSetting, deadline: Deadline) -> None:
        attempt = setting.attempt
        super().__init__(connect=attempt._connect, read=attempt._read, total=attempt.total)
        self.deadline = deadline
        #: The longest wait for data of one read.
        self.per_read = setting.longest_read
        part = super().connect_timeout
        self._connect_part = part if isinstance(part, (int, float)) else float("inf")

    def clone(self) -> _AttemptTimeout:
        # urllib3 clones a timeout for each request to time it; this one is made for one
        # attempt, and is that copy.
        return self

    @property
    def connect_timeout(self) -> float:
        left = self.deadline.at - time.monotonic()
        if self._connect_part < left:
            return self._connect_part
        return left if left > LEAST_WAIT else LEAST_WAIT


class _DeadlineReader(socket.SocketIO):
    """A socket's reader whose every read ends by the call's deadline.

    The socket timeout bounds one wait for data; a server that trickles bytes can stretch
    a whole answer (its headers too) far past it. Cutting each wait to what is left of the
    call's deadline bounds the answer as a whole. Once the call hands an unread answer to
    its caller, the driver lifts the deadline (``Deadline.lift``): the caller's own reads
    are bounded by the read timeout alone.
    """

    def __init__(self, sock: socket.socket, attempt: _AttemptTimeout) -> None:
        super().__init__(sock, "rb")
        # Counted as ``sock.makefile`` counts the readers it makes, so that the socket
        # outlives them (urllib3's TLS-in-TLS wrapper counts on the socket it wraps).
        owner: Any = sock
        if not isinstance(owner, socket.socket):  # urllib3.util.ssltransport.SSLTransport
            owner = owner.socket
        owner._io_refs += 1
        self._deadline = attempt.deadline
        self._per_read = attempt.per_read
        self._set = sock.gettimeout()

    def readinto(self, b: Any) -> Optional[int]:
        left = self._deadline.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline of the call passed")
        wait = left if left < self._per_read else self._per_read
        if wait != self._set:  # only while the deadline is nearer than a whole wait
            self._sock.settimeout(wait)  # type: ignore[attr-defined]
            self._set = wait
        return super().readinto(b)


class _ReaderSource:
    """What ``http.client.HTTPResponse`` asks of its socket: ``makefile("rb")``, here a
    reader bounded by the deadline."""

    __slots__ = ("attempt", "sock")

    def __init__(self, sock: socket.socket, attempt: _AttemptTimeout) -> None:
        self.sock = sock
        self.attempt = attempt

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self.sock, self.attempt))


class _BoundedConnection:
    """A connection that reads each answer within the deadline of its attempt, and that
    connects before the request is written.

    Connecting first, not lazily inside http.client's ``send()``, whose frame holds the
    request's bytes (``Authorization`` header included): a refused connection then fails
    in a frame whose locals show no token.
    """

    sock: Optional[socket.socket]
    #: The timeout of the attempt being sent (its pool sets it for each request).
    attempt: Optional[_AttemptTimeout] = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is None:
            self.connect()  # type: ignore[attr-defined]
        super().request(*args, **kwargs)  # type: ignore[misc]

    def response_class(self, sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        """http.client's response, read through a ``_DeadlineReader`` during a call."""
        attempt = self.attempt
        source: Any = sock if attempt is None else _ReaderSource(sock, attempt)
        return http.client.HTTPResponse(source, *args, **kwargs)


# Named as urllib3's own: urllib3 puts the class name in its error messages.
class HTTPConnection(_BoundedConnection, _Urllib3HTTPConnection):  # type: ignore[misc]
    pass


class HTTPSConnection(_BoundedConnection, _Urllib3HTTPSConnection):  # type: ignore[misc]
    pass


class _BoundedPool:
    """A pool that hands each attempt's timeout, and with it the call's deadline, to the
    connection that sends it."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        conn.attempt = timeout if isinstance(timeout, _AttemptTimeout) else None
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


# urllib3's own connection classes fail its pool's protocol for pyright in the same way.
class HTTPConnectionPool(_BoundedPool, _Urllib3HTTPConnectionPool):
    ConnectionCls = HTTPConnection  # pyright: ignore[reportAssignmentType]


class HTTPSConnectionPool(_BoundedPool, _Urllib3HTTPSConnectionPool):
    ConnectionCls = HTTPSConnection  # pyright: ignore[reportAssignmentType]


_BOUNDED_POOLS: Dict[str, Any] = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}
