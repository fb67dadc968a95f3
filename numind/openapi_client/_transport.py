"""What both transports (urllib3 and aiohttp) share, written once: how a request body is
encoded, what a failed attempt is called, and the limits of an answer.

Each transport classifies its own library's errors; the messages and the exception types
are made here, so that both clients fail alike.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode

from urllib3 import encode_multipart_formdata

from ._deadline import TimeoutSetting, parse_timeout
from ._headers import ACCEPT_ENCODING, find_header, set_header
from ._proxy import ProxyRoutes, proxy_routes
from ._redact import SecretBytes
from ._request import PreparedRequest, encode_body
from .exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiValueError,
    base_url_of,
)

if TYPE_CHECKING:
    from typing_extensions import Literal

    from ._deadline import Deadline
    from ._types import RequestTimeout
    from .configuration import Configuration

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
    "proxy_routes_of",
    "request_from_parts",
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


def request_from_parts(
    method: str,
    url: str,
    headers: Optional[Mapping[str, str]],
    body: Any,
    post_params: Optional[List[Tuple[str, Any]]],
    timeout: Union[RequestTimeout, TimeoutSetting],
    deadline: Optional[Deadline] = None,
) -> PreparedRequest:
    """The request of the generated-style ``call_api`` and ``RESTClientObject.request``,
    whose parts were built by hand: the body is encoded by its ``Content-Type`` (form
    parameters as a form, or multipart). ``timeout``: a checked setting, or a timeout value
    (None: the default); ``deadline``: the call's, else one of that timeout's."""
    if not isinstance(timeout, TimeoutSetting):
        timeout = parse_timeout(timeout)
    if deadline is None:
        deadline = timeout.deadline(None)
    headers = dict(headers or {})
    # Only a body is encoded by its Content-Type.
    has_body = body is not None or bool(post_params)
    content_type = (find_header(headers, "Content-Type") or "") if has_body else ""
    encoded: Optional[bytes]
    if post_params:
        if body is not None:
            raise ApiValueError("body and post_params are exclusive: give one of them")
        if content_type.startswith("multipart/"):
            encoded, content_type = encode_multipart_formdata(post_params)
            set_header(headers, "Content-Type", content_type)
        else:
            encoded = urlencode(post_params).encode("ascii")
    else:
        encoded = encode_body(body, content_type)
    if encoded is not None:
        encoded = SecretBytes(encoded)  # a token request: masked in captured tracebacks
    return PreparedRequest(method.upper(), url, headers, encoded, "", timeout, deadline)


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
        # What OpenSSL says when the other end answers TLS with plain HTTP: the base URL
        # to use, its path (/v1) kept.
        plain = "http://" + base_url_of(url)[len("https://") :]
        message += (
            f"; the server may not speak https: if it serves plain http (as a local server "
            f"does), use {plain} instead"
        )
    return ApiConnectionError(message, method=method, url=url)


def proxy_routes_of(configuration: Configuration) -> ProxyRoutes:
    """The proxies of a client made now with ``configuration``: its ``proxy``, else (with
    ``trust_env``) those of the environment, read here, once per client. The client's own
    host is checked (an invalid proxy, or plain http through a proxy on another machine,
    raises ``ApiValueError``) before anything is sent."""
    routes = proxy_routes(
        configuration.proxy,
        configuration.proxy_headers,
        configuration.trust_env,
        os.environ,
        configuration.allow_insecure_http,
    )
    routes.check(configuration.host)
    return routes


#: The ``Content-Encoding`` values decoded (``_headers.ACCEPT_ENCODING``, lower case, one
#: coding: urllib3 would decode "gzip, gzip" twice, aiohttp not at all).
DECODED = frozenset({"gzip", "deflate", "identity"})


def refused_encoding(response: Any, encoding: str, method: str = "", url: str = "") -> ApiException:
    """The error of an answer in a content coding the client did not ask for (``response``:
    the transport's ``RESTResponse``, whose body is not read; None when the transport
    refused the answer before its headers were handed over)."""
    error = ApiException(
        status=None if response is None else response.status,
        reason=(
            f"The answer is encoded as {encoding!r} (Content-Encoding), which the client "
            f"did not ask for (it sends Accept-Encoding: {ACCEPT_ENCODING}): it was not read "
            "nor decoded"
        ),
        http_resp=response,
    )
    if response is None:
        error.method, error.url = method or None, url or None
    return error


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
