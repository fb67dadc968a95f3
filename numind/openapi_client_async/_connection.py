"""How the async transport's session connects, and what a failed attempt is called: the
TLS context and socket options of a configuration, and aiohttp's (or asyncio's) errors as
the SDK's typed errors. Used when a session is made and when an attempt fails, not on the
way of a call that succeeds."""

from __future__ import annotations

import asyncio
import socket
import ssl
from typing import TYPE_CHECKING, Any, List, Optional, Tuple, Union

import aiohttp
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from numind.openapi_client._transport import LEAST_WAIT, connection_error

if TYPE_CHECKING:
    from numind.openapi_client._deadline import Deadline
    from numind.openapi_client._transport import FailureKind
    from numind.openapi_client.configuration import Configuration
    from numind.openapi_client.exceptions import ApiConnectionError

__all__ = ["socket_factory", "ssl_context", "transport_error"]


def ssl_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS settings of ``configuration``, as urllib3 reads them for the sync client."""
    cadata = configuration.ca_cert_data
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert, cadata=cadata)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    if configuration.assert_hostname is False:
        context.check_hostname = False  # the certificate is still verified
    return context


def socket_factory(options: Optional[List[Tuple[int, int, Union[int, bytes]]]]) -> Any:
    if options is None:
        return None

    def make(addr_info: Any) -> socket.socket:
        family, kind, proto, _, _ = addr_info
        sock = socket.socket(family=family, type=kind, proto=proto)
        for level, name, value in options:
            sock.setsockopt(level, name, value)
        return sock

    return make


def transport_error(
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
