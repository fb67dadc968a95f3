"""Which proxy a request goes through (``_proxy``), from plain values: the environment is a
dict here, no socket is opened."""

from __future__ import annotations

from typing import Dict, Optional

import pytest

from numind.openapi_client import _proxy
from numind.openapi_client._proxy import NoProxy, environment_proxies, parse_proxy, proxy_routes
from numind.openapi_client.exceptions import ApiValueError


def route(environ: Dict[str, str], url: str, **settings: object) -> Optional[str]:
    """The proxy URL and source that ``url`` goes through, or None."""
    routes = proxy_routes(
        settings.get("proxy"),  # type: ignore[arg-type]
        None,
        bool(settings.get("trust_env", True)),
        environ,
        bool(settings.get("allow_insecure_http", False)),
    )
    proxy = routes.check(url)
    return None if proxy is None else f"{proxy.url} {proxy.source}"


# -- the variables -----------------------------------------------------------------------


def test_the_scheme_of_the_target_picks_the_variable_and_all_proxy_is_the_fallback() -> None:
    environ = {
        "HTTPS_PROXY": "http://s:1",
        "HTTP_PROXY": "http://localhost:2",
        "ALL_PROXY": "http://a:3",
    }
    assert route(environ, "https://api.example.com/v1") == "http://s:1 HTTPS_PROXY"
    assert route(environ, "http://127.0.0.1:8000/v1") == "http://localhost:2 HTTP_PROXY"
    del environ["HTTPS_PROXY"]
    assert route(environ, "https://api.example.com/v1") == "http://a:3 ALL_PROXY"
    assert route({}, "https://api.example.com/v1") is None


def test_lower_case_wins_and_an_empty_lower_case_value_hides_the_upper_case_one() -> None:
    # urllib.request.getproxies_environment's rules, which requests and httpx use.
    both = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2"}
    assert environment_proxies(both) == {"https": ("https_proxy", "http://lower:2")}
    reversed_order = dict(reversed(list(both.items())))
    assert environment_proxies(reversed_order) == {"https": ("https_proxy", "http://lower:2")}
    assert environment_proxies({"HTTPS_PROXY": "http://upper:1", "https_proxy": ""}) == {}
    assert environment_proxies({"Https_Proxy": "http://mixed:1"}) == {
        "https": ("Https_Proxy", "http://mixed:1")
    }
    assert environment_proxies({"FTP_PROXY": "http://f:1", "no_proxy": ""}) == {}


def test_a_cgi_script_ignores_http_proxy_in_upper_case() -> None:
    # httpoxy: a request's "Proxy:" header becomes HTTP_PROXY in a CGI environment.
    environ = {"REQUEST_METHOD": "GET", "HTTP_PROXY": "http://attacker:1"}
    assert environment_proxies(environ) == {}
    environ["http_proxy"] = "http://mine:2"
    assert environment_proxies(environ) == {"http": ("http_proxy", "http://mine:2")}


def test_trust_env_false_and_configuration_proxy_ignore_the_environment() -> None:
    environ = {"HTTPS_PROXY": "http://env:1", "NO_PROXY": "*"}
    url = "https://api.example.com/v1"
    assert route(environ, url, trust_env=False) is None
    assert route(environ, url, proxy="http://conf:2") == "http://conf:2 Configuration.proxy"
    routes = proxy_routes("http://conf:2", None, True, environ)
    assert not routes.from_environment and routes.fixed is not None
    assert proxy_routes(None, None, True, environ).from_environment


# -- NO_PROXY ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypassed"),
    [
        ("example.com", "example.com", 443, True),
        ("example.com", "api.example.com", 443, True),
        (".example.com", "api.example.com", 443, True),
        (".example.com", "example.com", 443, True),
        ("example.com", "badexample.com", 443, False),
        ("EXAMPLE.com ,other.org", "api.example.com", 443, True),
        ("*", "anything.test", 80, True),
        ("a.test, *", "anything.test", 80, True),
        ("127.0.0.1", "127.0.0.1", 8000, True),
        ("127.0.0.1", "127.0.0.2", 8000, False),
        ("127.0.0.0/8", "127.1.2.3", 8000, True),
        ("10.0.0.0/8", "127.0.0.1", 8000, False),
        ("::1", "[::1]", 8000, True),
        ("[::1]", "[::1]", 8000, True),
        ("fd00::/8", "[fd12::1]", 443, True),
        ("example.com:8443", "api.example.com", 8443, True),
        ("example.com:8443", "api.example.com", 443, False),
        ("127.0.0.1:8000", "127.0.0.1", 8000, True),
        ("127.0.0.1:8000", "127.0.0.1", 9000, False),
        ("http://example.com", "example.com", 80, True),
        ("", "example.com", 80, False),
        (" , ,", "example.com", 80, False),
    ],
)
def test_no_proxy_entries(no_proxy: str, host: str, port: int, bypassed: bool) -> None:
    assert NoProxy(no_proxy).matches(host, port) is bypassed


def test_no_proxy_is_matched_against_the_host_and_port_of_the_target() -> None:
    environ = {"HTTPS_PROXY": "http://p:1", "no_proxy": "api.example.com:443"}
    assert route(environ, "https://api.example.com/v1") is None  # the scheme's default port
    assert route(environ, "https://api.example.com:8443/v1") == "http://p:1 HTTPS_PROXY"
    routes = proxy_routes(None, None, True, environ)
    assert routes.choose("https://api.example.com/v1") == (None, "no_proxy")
    assert routes.choose("https://[::1]:443/v1")[1] == "HTTPS_PROXY"


def test_loopback_is_proxied_unless_no_proxy_names_it() -> None:
    # As requests, httpx and curl: 127.0.0.1 goes through the proxy (here a loopback one).
    environ = {"HTTP_PROXY": "http://127.0.0.1:3128"}
    assert route(environ, "http://127.0.0.1:8000/v1") == "http://127.0.0.1:3128 HTTP_PROXY"
    environ["NO_PROXY"] = "localhost,127.0.0.1"
    assert route(environ, "http://127.0.0.1:8000/v1") is None


# -- proxy URLs --------------------------------------------------------------------------


def test_a_proxy_url_without_a_scheme_is_http_and_its_credentials_become_a_header() -> None:
    proxy = parse_proxy("me:p%40ss@proxy.example.com:3128", "HTTPS_PROXY")
    assert proxy.url == "http://proxy.example.com:3128"
    assert proxy.headers == {"Proxy-Authorization": "Basic bWU6cEBzcw=="}  # me:p@ss
    assert proxy.host == "proxy.example.com" and proxy.source == "HTTPS_PROXY"
    assert "p@ss" not in repr(proxy) and "bWU6" not in repr(proxy)
    assert parse_proxy(" HTTPS://[::1]:3128/ ", "https_proxy").url == "https://[::1]:3128"
    assert parse_proxy("http://é:x@p:1", "ALL_PROXY").headers == {
        "Proxy-Authorization": "Basic 6Tp4"  # Latin-1, as urllib3 and requests
    }
    assert parse_proxy("http://€:x@p:1", "ALL_PROXY").headers == {
        "Proxy-Authorization": "Basic 4oKsOng="  # UTF-8 when Latin-1 cannot
    }
    given = {"Proxy-Authorization": "Bearer given"}
    assert parse_proxy("http://me:pw@p:1", "x", given).headers == given  # a given one wins
    assert parse_proxy("p:1", "x", {"X-Team": "a"}).headers == {"X-Team": "a"}
    assert parse_proxy("p:1", "x") == parse_proxy("http://p:1", "x")
    assert parse_proxy("p:1", "x") != parse_proxy("p:1", "y")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("socks5://me:secret@127.0.0.1:1080", "SOCKS proxies are not supported"),
        ("socks5h://127.0.0.1:1080", "SOCKS proxies are not supported"),
        ("ftp://me:secret@proxy:21", "it is not an http:// or https:// URL with a host"),
        ("http://", "it is not an http:// or https:// URL with a host"),
        ("http://me:secret@proxy:99999", "it is not a URL"),
        ("http://[::1", "it is not a URL"),
    ],
)
def test_an_invalid_proxy_names_the_variable_its_value_without_password_and_the_fix(
    value: str, why: str
) -> None:
    with pytest.raises(ApiValueError) as caught:
        parse_proxy(value, "HTTPS_PROXY")
    message = str(caught.value)
    assert message.startswith("Invalid proxy HTTPS_PROXY=") and why in message
    assert "secret" not in message
    assert "unset it" in message and "trust_env=False" in message
    with pytest.raises(ApiValueError, match=r"give Configuration\(proxy=\.\.\.\)"):
        parse_proxy(value, "Configuration.proxy")


def test_an_invalid_proxy_variable_is_an_error_only_for_the_targets_that_use_it() -> None:
    environ = {"HTTPS_PROXY": "socks5://me:secret@h:1080", "NO_PROXY": "internal.test"}
    routes = proxy_routes(None, None, True, environ)
    assert "invalid" in repr(routes) and "secret" not in repr(routes)
    with pytest.raises(ApiValueError, match="Invalid proxy HTTPS_PROXY="):
        routes.proxy_for("https://api.example.com/v1")
    assert routes.proxy_for("https://internal.test/v1") is None
    assert routes.proxy_for("http://127.0.0.1:1/v1") is None  # no HTTP_PROXY
    with pytest.raises(ApiValueError, match=r"Invalid proxy Configuration\.proxy="):
        proxy_routes("socks5://h:1", None, True, {})


# -- plain http through a proxy ----------------------------------------------------------


def test_plain_http_through_a_remote_environment_proxy_is_refused() -> None:
    environ = {"HTTP_PROXY": "http://me:secret@proxy.example.test:3128"}
    with pytest.raises(ApiValueError) as caught:
        route(environ, "http://127.0.0.1:8000/v1")
    message = str(caught.value)
    assert message.startswith("Refusing plain http:// to '127.0.0.1' through the proxy ")
    assert "the proxy comes from HTTP_PROXY" in message and "secret" not in message
    assert route(environ, "http://127.0.0.1:8000/v1", allow_insecure_http=True)
    # https is tunnelled, and a proxy on this machine reads nothing that leaves it.
    assert route({"HTTPS_PROXY": environ["HTTP_PROXY"]}, "https://api.example.com/v1")
    assert route({"HTTP_PROXY": "http://localhost:3128"}, "http://127.0.0.1:8000/v1")
    # Configuration.proxy: the message of before, without the environment's advice.
    with pytest.raises(ApiValueError) as caught:
        route({}, "http://127.0.0.1:8000/v1", proxy=environ["HTTP_PROXY"])
    assert "comes from" not in str(caught.value)


def test_the_route_of_a_url_is_remembered_but_a_refusal_is_not() -> None:
    routes = proxy_routes(None, None, True, {"HTTP_PROXY": "http://proxy.example.test:1"})
    for _ in range(2):
        with pytest.raises(ApiValueError):
            routes.proxy_for("http://127.0.0.1:1/v1")
    routes = proxy_routes(None, None, True, {"HTTPS_PROXY": "http://p:1"})
    first = routes.proxy_for("https://a.test/v1")
    assert routes.proxy_for("https://a.test/v1") is first
    assert routes.settings_for("https://a.test/v1") == ("http://p:1", None)
    for number in range(_proxy._URLS_KEPT + 1):  # pyright: ignore[reportPrivateUsage]
        routes.proxy_for(f"https://a.test/v1/{number}")
    assert len(routes._of_url) <= _proxy._URLS_KEPT  # pyright: ignore[reportPrivateUsage]
    assert routes.settings_for("http://127.0.0.1:1/v1") == (None, None)
    assert repr(routes) == "<ProxyRoutes {'https': 'http://p:1'}>"
    fixed = proxy_routes("http://me:secret@p:1", None, True, {})
    assert repr(fixed) == "<ProxyRoutes <Proxy http://p:1 from Configuration.proxy>>"
