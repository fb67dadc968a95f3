"""Where a request may go: the check of a base URL, and the plain-http rule (no token in
clear to another machine, directly or through a proxy)."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from urllib3.util import parse_url

from ._net import is_loopback
from ._redact import REDACTED
from .exceptions import ApiValueError

__all__ = ["DEFAULT_HOST", "checked_host", "refuse_insecure_route"]

DEFAULT_HOST = "https://api.nuextract.ai/v1"


def checked_host(host: str, allow_insecure_http: bool = False) -> str:
    """``host`` without its trailing slash, once it is a base URL to send a token to;
    ``ApiValueError`` otherwise (the value is never shown)."""
    if not isinstance(host, str) or not host.startswith(("http://", "https://")):  # pyright: ignore[reportUnnecessaryIsInstance]
        # The value is not shown: a secret given as the host by mistake (an API key in the
        # first positional argument) would end up in logs and tracebacks.
        raise ApiValueError(
            "Invalid host (the value is not shown): give the full base URL with its scheme "
            f"and base path, such as {DEFAULT_HOST!r}. An API key goes in "
            "Configuration(access_token=...) or NUMIND_API_KEY, not in host"
        )
    parts = urlsplit(host)
    if "@" in parts.netloc:
        # urllib3 never sends it as credentials, but logs, error messages and a proxy
        # would see it.
        shown = parts._replace(netloc=f"{REDACTED}@{parts.netloc.rpartition('@')[2]}").geturl()
        raise ApiValueError(
            f"Invalid host {shown!r}: a user or password in the URL is not sent as "
            "credentials and would show in logs and error messages; remove it and give "
            "the token as access_token (or NUMIND_API_KEY)"
        )
    hostname = parts.hostname or ""
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(hostname):
        raise _plain_http_refused(hostname)
    return host.rstrip("/")


def refuse_insecure_route(url: str, proxy: Optional[str], allow_insecure_http: bool) -> None:
    """Refuse a plain ``http://`` request that would leave this machine: to ``url`` itself
    when it was built by hand (``param_serialize(_host=...)``, never checked as a host), or
    to ``proxy``, a proxy on another machine, which reads a plain http request whole
    ("127.0.0.1" in the URL is then the proxy's own machine). ``allow_insecure_http``
    allows both; https (tunnelled through any proxy) is never refused here."""
    if allow_insecure_http or url.startswith("https://"):
        return
    parts = urlsplit(url)
    if parts.scheme != "http":
        return
    hostname = parts.hostname or ""
    if not is_loopback(hostname):
        raise _plain_http_refused(hostname)
    if proxy:
        proxy_host = parse_url(proxy).host or ""
        if not is_loopback(proxy_host):
            # Only the proxy's host is shown: its URL may carry a user and password.
            raise ApiValueError(
                f"Refusing plain http:// to {hostname!r} through the proxy {proxy_host!r}, "
                "which is not this machine: the proxy reads a plain http request whole, "
                "token included, and crosses the network with it unencrypted; "
                f"{hostname!r} then names the proxy's own machine. Use an https:// host, "
                "a proxy on this machine, or, only for a proxy you trust on a network you "
                "trust, Configuration(allow_insecure_http=True)"
            )


def _plain_http_refused(hostname: str) -> ApiValueError:
    return ApiValueError(
        f"Refusing plain http:// to {hostname!r}, which is not this machine: the token "
        "and every answer would cross the network unencrypted, for anyone on the path "
        f"to read and change. Use https://{hostname}..., or, only for a server you "
        "trust on a network you trust, Configuration(allow_insecure_http=True)"
    )
