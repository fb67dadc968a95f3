"""Which proxy a request goes through: ``Configuration.proxy``, else the environment's
``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY``, as requests, httpx, pip
and curl read them. Pure: the environment is a mapping given here, read once when a client
is made (``proxy_routes``), as httpx reads it when a client is made.

The rules, those of ``urllib.request.getproxies`` (which requests and httpx use):

- the names are read in lower and upper case; the lower-case one wins when both are set,
  and a lower-case one set empty hides the upper-case one. In a CGI script
  (``REQUEST_METHOD`` set), ``HTTP_PROXY`` is ignored: a client's ``Proxy:`` header sets it
  there (httpoxy, CVE-2016-5385); ``http_proxy`` is still read.
- the scheme of the target picks ``HTTPS_PROXY`` or ``HTTP_PROXY``, else ``ALL_PROXY``;
  a proxy URL without a scheme is ``http://``; ``user:password@`` in it is sent as
  ``Proxy-Authorization`` and shown nowhere.
- ``NO_PROXY``: comma-separated host names, each also matching its subdomains
  (``example.com`` and ``.example.com`` both match ``api.example.com``), ``host:port``
  entries (the port of the target, or its scheme's default), IP addresses and networks
  (``10.0.0.0/8``, as requests), and ``*`` for every host. Loopback is proxied unless
  ``NO_PROXY`` names it, as requests, httpx and curl do.

``Configuration.proxy`` wins over the environment (``NO_PROXY`` included), and
``Configuration(trust_env=False)`` ignores the environment.
"""

from __future__ import annotations

import base64
import ipaddress
from typing import Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit

from ._headers import check_headers, find_header
from ._hosts import refuse_insecure_route
from ._redact import REDACTED
from .exceptions import ApiValueError

__all__ = [
    "NoProxy",
    "Proxy",
    "ProxyRoutes",
    "environment_proxies",
    "parse_proxy",
    "proxy_routes",
    "settings_of",
]

#: The variables read, lower case: the scheme (or "all", "no") they are for.
_NAMES = {"http_proxy": "http", "https_proxy": "https", "all_proxy": "all", "no_proxy": "no"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SOCKS = ("socks4", "socks4a", "socks5", "socks5h")
#: URLs whose route is remembered, at most (URLs with path parameters are many).
_URLS_KEPT = 256


class Proxy:
    """A proxy: its URL without credentials, the headers sent to it (``Proxy-Authorization``
    of the URL's credentials included), and where it was set (``source``)."""

    __slots__ = ("headers", "host", "source", "url")

    def __init__(self, url: str, headers: Optional[Dict[str, str]], source: str) -> None:
        self.url = url
        self.headers = headers
        self.source = source
        self.host: str = urlsplit(url).hostname or ""

    def __repr__(self) -> str:  # never the headers: they may hold the password
        return f"<Proxy {self.url} from {self.source}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Proxy) and (self.url, self.headers, self.source) == (
            other.url,
            other.headers,
            other.source,
        )

    __hash__ = None  # type: ignore[assignment]


def parse_proxy(value: str, source: str, headers: Optional[Mapping[str, str]] = None) -> Proxy:
    """The proxy of ``value`` (from ``source``: "Configuration.proxy" or a variable name);
    ``ApiValueError`` naming ``source``, the value without its password, and the fix."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text  # as requests, httpx and curl read "proxy:3128"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not one)
    except ValueError:
        raise _invalid(value, source, "it is not a URL") from None
    scheme = parts.scheme.lower()
    if scheme in _SOCKS:
        raise _invalid(value, source, "SOCKS proxies are not supported (an HTTP proxy is)")
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise _invalid(value, source, "it is not an http:// or https:// URL with a host")
    merged = dict(headers or {})
    user, at, address = parts.netloc.rpartition("@")
    if at and find_header(merged, "Proxy-Authorization") is None:
        # As requests and urllib3 send them: percent-decoded, in Latin-1 if they fit.
        credentials = unquote(user)
        try:
            raw = credentials.encode("latin-1")
        except UnicodeEncodeError:
            raw = credentials.encode("utf-8")
        merged["Proxy-Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
    check_headers(merged, "Proxy header")
    return Proxy(f"{scheme}://{address}", merged or None, source)


def _invalid(value: str, source: str, why: str) -> ApiValueError:
    if source == "Configuration.proxy":
        fix = "give Configuration(proxy=...) an URL such as 'http://proxy.example.com:3128'"
    else:
        fix = (
            f"set {source} to a URL such as 'http://proxy.example.com:3128', unset it, add "
            "the API's host to NO_PROXY, or make the client with "
            "Configuration(trust_env=False) to ignore the environment's proxies"
        )
    return ApiValueError(f"Invalid proxy {source}={_shown(value)!r}: {why}; {fix}")


def _shown(value: str) -> str:
    """``value`` without the user and password of its URL."""
    scheme, sep, rest = value.strip().rpartition("://")
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    return f"{scheme}{sep}{netloc}{slash}{path}"


def environment_proxies(environ: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """The proxy variables set in ``environ``: "http", "https", "all" and "no" to the
    (name, value) that wins (``urllib.request.getproxies_environment``'s rules)."""
    found: Dict[str, Tuple[str, str]] = {}
    for name, value in environ.items():  # any case first: the lower case then wins
        key = _NAMES.get(name.lower())
        if key is not None and value:
            found[key] = (name, value)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)  # httpoxy: a CGI request's "Proxy:" header set HTTP_PROXY
    for name, value in environ.items():
        key = _NAMES.get(name)
        if key is not None:
            if value:
                found[key] = (name, value)
            else:
                found.pop(key, None)
    return found


class NoProxy:
    """The hosts of a ``NO_PROXY`` value: reached directly, not through the proxy."""

    __slots__ = ("everything", "names", "networks")

    def __init__(self, value: str) -> None:
        self.everything = False
        names: List[str] = []
        networks: List[Union[ipaddress.IPv4Network, ipaddress.IPv6Network]] = []
        for entry in value.replace(" ", ",").split(","):
            entry = entry.strip().lower()
            if "://" in entry:
                entry = entry.split("://", 1)[1]  # httpx reads "http://host" too
            if not entry:
                continue
            if entry == "*":
                self.everything = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.append(entry.lstrip("."))
        self.names = tuple(names)
        self.networks = tuple(networks)

    def matches(self, host: str, port: int) -> bool:
        """Whether ``host`` (a name or an address, lower case) on ``port`` is bypassed."""
        if self.everything:
            return True
        bare = host.strip("[]")
        if self.networks:
            try:
                address = ipaddress.ip_address(bare)
            except ValueError:
                pass
            else:
                if any(address in network for network in self.networks):
                    return True
        with_port = f"{host}:{port}"
        for name in self.names:
            if name in (bare, host, with_port):
                return True
            if host.endswith("." + name) or with_port.endswith("." + name):
                return True
        return False


_NO_NO_PROXY = NoProxy("")


class ProxyRoutes:
    """The proxies of one client: ``fixed`` (``Configuration.proxy``) for every request,
    else the environment's by the target's scheme, unless ``NO_PROXY`` names the host.

    A proxy variable that is not a valid proxy URL is an error when a request would go
    through it (``check``, ``proxy_for``), before anything is sent; so is plain http
    through a proxy on another machine, unless ``allow_insecure_http``.
    """

    def __init__(
        self,
        fixed: Optional[Proxy] = None,
        by_scheme: Optional[Mapping[str, Union[Proxy, str]]] = None,
        no_proxy: NoProxy = _NO_NO_PROXY,
        no_proxy_source: str = "NO_PROXY",
        allow_insecure_http: bool = False,
    ) -> None:
        self.fixed = fixed
        self.by_scheme: Dict[str, Union[Proxy, str]] = dict(by_scheme or {})
        self.no_proxy = no_proxy
        self.no_proxy_source = no_proxy_source
        self.allow_insecure_http = allow_insecure_http
        self._of_url: Dict[str, Optional[Proxy]] = {}

    @property
    def from_environment(self) -> bool:
        """Whether the route depends on the target (proxies of the environment)."""
        return self.fixed is None and bool(self.by_scheme)

    def __repr__(self) -> str:
        if self.fixed is not None:
            return f"<ProxyRoutes {self.fixed!r}>"
        shown = {
            scheme: proxy.url if isinstance(proxy, Proxy) else "invalid"
            for scheme, proxy in self.by_scheme.items()
        }
        return f"<ProxyRoutes {shown}>"

    def choose(self, url: str) -> Tuple[Optional[Proxy], str]:
        """The proxy of ``url`` and why: its source, "NO_PROXY" (or its lower-case name)
        when bypassed, "" when no proxy is set. Raises ``ApiValueError`` when the proxy
        to use is invalid; does not check the plain-http rule."""
        if self.fixed is not None:
            return self.fixed, self.fixed.source
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        proxy = self.by_scheme.get(scheme)
        if proxy is None:
            return None, ""
        host = (parts.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"
        if self.no_proxy.matches(host, parts.port or _DEFAULT_PORTS.get(scheme, 0)):
            return None, self.no_proxy_source
        if isinstance(proxy, str):
            raise ApiValueError(proxy)
        return proxy, proxy.source

    def check(self, url: str) -> Optional[Proxy]:
        """The proxy that a request to ``url`` goes through, once allowed: an invalid
        proxy, or plain http through a proxy on another machine, raises ``ApiValueError``."""
        proxy, _ = self.choose(url)
        if proxy is not None and not url.startswith("https://"):
            try:
                refuse_insecure_route(url, proxy.url, self.allow_insecure_http)
            except ApiValueError as refused:
                if proxy.source == "Configuration.proxy":
                    raise
                raise ApiValueError(
                    f"{refused}; the proxy comes from {proxy.source}: add the host to "
                    "NO_PROXY, or make the client with Configuration(trust_env=False), to "
                    "reach it directly"
                ) from None
        return proxy

    def proxy_for(self, url: str) -> Optional[Proxy]:
        """``check(url)``, remembered for the last URLs (a client calls few)."""
        try:
            return self._of_url[url]
        except KeyError:
            pass
        proxy = self.check(url)  # a refusal is not remembered: it is raised every time
        if len(self._of_url) >= _URLS_KEPT:
            self._of_url.clear()
        self._of_url[url] = proxy
        return proxy

    def settings_for(self, url: str) -> Tuple[Optional[str], Optional[Dict[str, str]]]:
        """``proxy_for(url)`` as aiohttp's ``proxy`` and ``proxy_headers`` arguments."""
        return settings_of(self.proxy_for(url))


def settings_of(proxy: Optional[Proxy]) -> Tuple[Optional[str], Optional[Dict[str, str]]]:
    """The URL and headers of ``proxy`` (None, None for no proxy), as aiohttp takes them."""
    return (None, None) if proxy is None else (proxy.url, proxy.headers)


def proxy_routes(
    proxy: Optional[str],
    proxy_headers: Optional[Mapping[str, str]],
    trust_env: bool,
    environ: Mapping[str, str],
    allow_insecure_http: bool = False,
) -> ProxyRoutes:
    """The routes of a client whose ``Configuration`` has ``proxy``, ``proxy_headers``,
    ``trust_env`` and ``allow_insecure_http``, in the environment ``environ``.
    ``Configuration.proxy`` is checked here (``ApiValueError``); a proxy variable is
    checked when a request would go through it."""
    if proxy:
        fixed = parse_proxy(proxy, "Configuration.proxy", proxy_headers)
        return ProxyRoutes(fixed, allow_insecure_http=allow_insecure_http)
    if not trust_env:
        return ProxyRoutes(allow_insecure_http=allow_insecure_http)
    found = environment_proxies(environ)
    by_scheme: Dict[str, Union[Proxy, str]] = {}
    for scheme in _DEFAULT_PORTS:
        setting = found.get(scheme) or found.get("all")
        if setting is not None:
            name, value = setting
            try:
                by_scheme[scheme] = parse_proxy(value, name, proxy_headers)
            except ApiValueError as invalid:
                by_scheme[scheme] = str(invalid)  # raised if a request would use it
    no_proxy, no_proxy_source = _NO_NO_PROXY, "NO_PROXY"
    if "no" in found:
        no_proxy_source, value = found["no"]
        no_proxy = NoProxy(value)
    return ProxyRoutes(None, by_scheme, no_proxy, no_proxy_source, allow_insecure_http)
