"""The HTTP transport: one urllib3 pool manager. It knows HTTP, not the API."""

from __future__ import annotations

import json
import ssl
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, cast
from urllib.parse import unquote, urlencode

import urllib3
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import (
    EmptyPoolError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3TimeoutError,
)
from urllib3.util import parse_url

from ._retry import to_retry
from .exceptions import ApiConnectionError, ApiException, ApiTimeoutError, ApiValueError

if TYPE_CHECKING:
    from ._types import RequestTimeout
    from .configuration import Configuration

# ``from numind.openapi_client.rest import ApiException`` is how the generated docs import it.
__all__ = ["RESTClientObject", "RESTResponse", "ApiException", "to_urllib3_timeout"]

#: Used when neither the call nor the configuration sets a timeout: a dead host is detected
#: within 10 s, and an answer may take up to 60 s (no endpoint of this API is slow).
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=60.0)
_CHUNK = 64 * 1024


class RESTResponse:
    """A response whose body has been, or can be, read with ``read()``."""

    def __init__(self, resp: urllib3.BaseHTTPResponse, method: str = "", url: str = "") -> None:
        self.response = resp
        self.status = resp.status
        self.reason = resp.reason
        self.method = method
        self.url = url
        self.data: Optional[bytes] = None

    def read(self) -> bytes:
        """Read the whole body (once) and release the connection to the pool.

        A body cut short (reset, closed early, timed out) raises ``ApiConnectionError``
        (``ApiTimeoutError`` for a timeout) whose ``body`` holds what was received.
        """
        if self.data is None:
            received: List[bytes] = []
            response = self.response
            # read1 hands over each piece as it arrives, so a failure loses nothing.
            read = getattr(response, "read1", None) or response.read
            try:
                while chunk := read(_CHUNK):
                    received.append(chunk)
                    # The whole body is in and nothing is left to decode: skip the read
                    # that would only say so.
                    if (
                        getattr(response, "length_remaining", None) == 0
                        and getattr(response, "_decoder", True) is None
                    ):
                        break
            except HTTPError as exc:
                partial = b"".join(received)
                response.release_conn()
                error = _transport_error(exc, self.method, self.url)
                error.add_answer(self.status, response.headers, partial)
                raise error from exc
            self.data = b"".join(received)
            response.release_conn()
        return self.data

    @property
    def headers(self) -> urllib3.HTTPHeaderDict:
        return self.response.headers

    def getheaders(self) -> urllib3.HTTPHeaderDict:
        """All response headers."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)


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
            "timeout": configuration.timeout or DEFAULT_TIMEOUT,
            "retries": to_retry(configuration.retries),
        }
        if configuration.assert_hostname is not None:
            pool_args["assert_hostname"] = configuration.assert_hostname
        if configuration.tls_server_name:
            pool_args["server_hostname"] = configuration.tls_server_name
        if configuration.socket_options is not None:
            pool_args["socket_options"] = configuration.socket_options

        self.pool_manager: urllib3.PoolManager
        if configuration.proxy:
            proxy_url, proxy_headers = _proxy_settings(
                configuration.proxy, configuration.proxy_headers
            )
            self.pool_manager = urllib3.ProxyManager(
                proxy_url=proxy_url, proxy_headers=proxy_headers, **pool_args
            )
        else:
            self.pool_manager = _PoolManager(**pool_args)
        self.timeout: urllib3.Timeout = pool_args["timeout"]
        self._default_pool_timeout = _longest_wait(self.timeout)

    def __repr__(self) -> str:
        return f"<RESTClientObject timeout={self.timeout!r}>"

    def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: RequestTimeout = None,
    ) -> RESTResponse:
        """Send one request; the body is left unread in the returned ``RESTResponse``.

        ``body`` is sent as is when it is ``bytes``, UTF-8 encoded when it is ``str``, and
        JSON encoded otherwise. Transport failures raise ``ApiConnectionError`` or
        ``ApiTimeoutError``.
        """
        method = method.upper()
        # Sent as given, not copied: only the multipart branch changes them, on a copy.
        headers = headers or {}
        # Only a body is encoded by its Content-Type.
        has_body = body is not None or bool(post_params)
        content_type = (_find_header(headers, "Content-Type") or "") if has_body else ""
        encoded: Optional[bytes]
        if post_params:
            if body is not None:
                raise ApiValueError("body and post_params are exclusive: give one of them")
            if content_type.startswith("multipart/"):
                headers = urllib3.HTTPHeaderDict(headers)
                encoded, headers["Content-Type"] = urllib3.encode_multipart_formdata(post_params)
            else:
                encoded = urlencode(post_params).encode("ascii")
        else:
            encoded = _encode_body(body, content_type)
        response = self._send(method, url, headers, encoded, _request_timeout)
        return RESTResponse(response, method, url)

    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Optional[bytes],
        timeout: RequestTimeout,
    ) -> urllib3.BaseHTTPResponse:
        if timeout is None:
            urllib3_timeout, pool_timeout = self.timeout, self._default_pool_timeout
        else:
            urllib3_timeout = to_urllib3_timeout(timeout) or self.timeout
            pool_timeout = _longest_wait(urllib3_timeout)
        try:
            # Redirects are not followed: an API call that redirects is an error, and
            # following it could send the Authorization header to another host.
            return self.pool_manager.urlopen(
                method,
                url,
                body=body,
                headers=headers,
                preload_content=False,
                redirect=False,
                timeout=urllib3_timeout,
                pool_timeout=pool_timeout,
            )
        except MaxRetryError as exc:
            raise _transport_error(exc.reason or exc, method, url) from exc
        except HTTPError as exc:
            raise _transport_error(exc, method, url) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool_manager.clear()


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
        self._known: Dict[Tuple[Optional[str], Optional[str], Optional[int]], HTTPConnectionPool]
        self._known = {}
        self._routes: Dict[str, Tuple[HTTPConnectionPool, str]] = {}

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

    def _route(self, url: str) -> Optional[Tuple[HTTPConnectionPool, str]]:
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
    ) -> HTTPConnectionPool:
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


def _proxy_settings(
    proxy: str, headers: Optional[Mapping[str, str]]
) -> Tuple[str, Optional[Dict[str, str]]]:
    """The proxy URL without ``user:password@`` and the headers to send to the proxy.

    urllib3 ignores credentials in a proxy URL; like requests and curl, they become a
    ``Proxy-Authorization`` header (unless one is given), and stay out of any URL that
    urllib3 may put in a message.
    """
    parsed = parse_url(proxy)
    if parsed.auth is None:
        return proxy, dict(headers) if headers else None
    merged = dict(headers or {})
    if _find_header(merged, "Proxy-Authorization") is None:
        merged.update(urllib3.make_headers(proxy_basic_auth=unquote(parsed.auth)))
    return parsed._replace(auth=None).url, merged


def _find_header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """The value of header ``name`` in any spelling, or None (exact spelling checked first)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lower), None)


def _encode_body(body: Any, content_type: str) -> Optional[bytes]:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str) and "json" not in content_type:
        return body.encode("utf-8")
    # A str under a JSON media type is a JSON string (the logout body is one).
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _transport_error(exc: BaseException, method: str, url: str) -> ApiConnectionError:
    where = f"{method} {url}"
    if isinstance(exc, EmptyPoolError):
        return ApiTimeoutError(
            f"{where}: no free connection in the pool in time; raise "
            "Configuration.connection_pool_maxsize or read/release streamed responses",
            method=method,
            url=url,
        )
    # NewConnectionError subclasses ConnectTimeoutError for backward compatibility: a refused
    # connection or a failed DNS lookup is not a timeout.
    if isinstance(exc, Urllib3TimeoutError) and not isinstance(exc, NewConnectionError):
        return ApiTimeoutError(f"{where} timed out: {exc}", method=method, url=url)
    if isinstance(exc, SSLError):
        return ApiConnectionError(f"{where}: TLS failed: {exc}", method=method, url=url)
    if isinstance(exc, ProxyError):
        return ApiConnectionError(f"{where}: proxy failed: {exc}", method=method, url=url)
    if isinstance(exc, ProtocolError):
        return ApiConnectionError(f"{where}: connection failed: {exc}", method=method, url=url)
    return ApiConnectionError(f"{where}: could not connect: {exc}", method=method, url=url)


def _longest_wait(timeout: urllib3.Timeout) -> float:
    """How long a call may wait for a pooled connection: as long as one call may hold one."""
    if isinstance(timeout.total, (int, float)):
        return float(timeout.total)
    # to_urllib3_timeout gives every part a number.
    return float(cast(float, timeout.connect_timeout) + cast(float, timeout.read_timeout))


def to_urllib3_timeout(
    value: RequestTimeout, name: str = "_request_timeout"
) -> Optional[urllib3.Timeout]:
    """Turn a ``_request_timeout`` into a urllib3 ``Timeout``; None keeps the pool's default.

    A ``urllib3.Timeout`` without ``total`` gets the part it leaves unset (or None) from
    ``DEFAULT_TIMEOUT``, so that no wait is unbounded. Raises ``ApiValueError`` for
    anything but positive seconds, ``(connect, read)`` or a ``urllib3.Timeout``.
    """
    if value is None:
        return None
    if isinstance(value, urllib3.Timeout):
        return _bounded(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return urllib3.Timeout(total=value)
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)  # pyright: ignore[reportUnnecessaryIsInstance]
    ):
        return urllib3.Timeout(connect=value[0], read=value[1])
    raise ApiValueError(
        f"Invalid {name} {value!r}: give seconds > 0 (e.g. 5), "
        "a (connect, read) pair such as (3.05, 27), or a urllib3.Timeout"
    )


def _bounded(timeout: urllib3.Timeout) -> urllib3.Timeout:
    if _is_seconds(timeout.total):
        return timeout  # bounds connect and read
    connect, read = timeout.connect_timeout, timeout.read_timeout
    if _is_seconds(connect) and _is_seconds(read):
        return timeout
    return urllib3.Timeout(
        connect=connect if _is_seconds(connect) else DEFAULT_TIMEOUT.connect_timeout,
        read=read if _is_seconds(read) else DEFAULT_TIMEOUT.read_timeout,
    )


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
