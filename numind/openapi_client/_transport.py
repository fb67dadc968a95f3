"""What both transports (urllib3 and aiohttp) share, written once: how a request body is
encoded, what a failed attempt is called, and the limits of an answer.

Each transport classifies its own library's errors; the messages and the exception types
are made here, so that both clients fail alike.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Tuple
from urllib.parse import unquote

from urllib3 import make_headers
from urllib3.util import parse_url

from ._headers import check_headers, find_header
from .exceptions import ApiConnectionError, ApiException, ApiTimeoutError

if TYPE_CHECKING:
    from typing_extensions import Literal

    from ._deadline import Deadline

    #: What failed: the wait for a pooled connection (or, as aiohttp bounds both at once,
    #: for a pooled or a new one), a timeout, TLS, the proxy, the connection once open,
    #: or opening it.
    FailureKind = Literal[
        "pool", "pool_or_connect", "timeout", "tls", "proxy", "connection", "connect"
    ]

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "LEAST_WAIT",
    "connection_error",
    "encode_body",
    "proxy_settings",
    "too_large",
]

#: The largest answer read, once decoded, when ``Configuration.max_response_size`` is not
#: set: far above any real answer of this API (a list of 1,000 API keys is 250 kB), far
#: below what would exhaust a worker's memory.
DEFAULT_MAX_RESPONSE_SIZE = 32 * 1024 * 1024
#: The shortest wait an attempt is given: a zero timeout would make a socket non-blocking.
LEAST_WAIT = 0.001

_WHAT_FAILED = {
    "tls": "TLS failed",
    "proxy": "proxy failed",
    "connection": "connection failed",
    "connect": "could not connect",
}


def encode_body(body: Any, content_type: str) -> Optional[bytes]:
    """``body`` as sent: bytes as they are, text as UTF-8, anything else as JSON."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str) and "json" not in content_type:
        return body.encode("utf-8")
    # A str under a JSON media type is a JSON string (the logout body is one).
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def connection_error(
    kind: FailureKind, method: str, url: str, detail: str, deadline: Optional[Deadline]
) -> ApiConnectionError:
    """The typed error of an attempt that got no whole answer."""
    where = f"{method} {url}"
    if kind == "pool":
        return ApiTimeoutError(
            f"{where}: no free connection in the pool in time; raise "
            "Configuration.connection_pool_maxsize or read/release streamed responses",
            method=method,
            url=url,
        )
    if kind == "pool_or_connect":
        return ApiTimeoutError(
            f"{where}: no free connection in the pool, nor a new one, in time ({detail}); "
            "raise Configuration.connection_pool_maxsize or read/release streamed "
            "responses, or check that the host answers",
            method=method,
            url=url,
        )
    if kind == "timeout":
        if deadline is not None and deadline.remaining() < LEAST_WAIT:
            detail = f"{deadline.describe()} of the call passed"
        return ApiTimeoutError(f"{where} timed out: {detail}", method=method, url=url)
    message = f"{where}: {_WHAT_FAILED[kind]}: {detail}"
    if kind == "tls" and "wrong version number" in detail.lower() and url.startswith("https://"):
        # What OpenSSL says when the other end answers TLS with plain HTTP.
        origin = "http://" + url[len("https://") :].split("/", 1)[0]
        message += (
            f"; the server may not speak https: if it serves plain http (as a local server "
            f"does), use {origin} instead"
        )
    return ApiConnectionError(message, method=method, url=url)


def proxy_settings(
    proxy: str, headers: Optional[Mapping[str, str]]
) -> Tuple[str, Optional[Dict[str, str]]]:
    """The proxy URL without ``user:password@`` and the headers to send to the proxy.

    Like requests and curl, credentials in the URL become a ``Proxy-Authorization`` header
    (unless one is given), and stay out of any URL that a library may put in a message.
    """
    parsed = parse_url(proxy)
    merged = dict(headers or {})
    if parsed.auth is not None and find_header(merged, "Proxy-Authorization") is None:
        merged.update(make_headers(proxy_basic_auth=unquote(parsed.auth)))
    check_headers(merged, "Proxy header")
    return parsed._replace(auth=None).url, merged or None


def too_large(response: Any, limit: int) -> ApiException:
    """The error of an answer larger than ``limit`` bytes (``response``: the transport's
    ``RESTResponse``, whose body is not read to its end)."""
    return ApiException(
        status=response.status,
        reason=(
            f"The answer is larger than {_size(limit)} (Configuration.max_response_size): "
            "it was not read to its end; raise that limit if so large an answer is expected"
        ),
        http_resp=response,
    )


def _size(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size:,} bytes"
