"""Which hosts a Configuration takes: https, or http to this machine only (finding 6), and a
rejected host is never echoed (finding 7: an API key given as the host). The same rule
holds for plain http through a proxy on another machine, and for a URL built by hand for
``call_api`` (issue 20, item 4)."""

from __future__ import annotations

import re

import pytest
from forward_proxy import ForwardProxy
from recording_server import Canned, RecordingServer
from twin import Twin

import numind.openapi_client as sdk

REMOTE_HTTP = [
    "http://api.nuextract.ai/v1",
    "http://10.0.0.5:8080/v1",
    "http://[2001:db8::1]/v1",
    "http://0.0.0.0:8080/v1",
    "http://127.0.0.1.evil.example/v1",
    "http://localhost.evil.example/v1",
]
LOOPBACK_OR_HTTPS = [
    "http://127.0.0.1:1/v1",
    "http://127.8.9.10:1/v1",
    "http://localhost:1/v1",
    "http://LOCALHOST:1/v1",
    "http://[::1]:1/v1",
    "http://[::ffff:127.0.0.1]:1/v1",
    "https://api.nuextract.ai/v1",
    "https://10.0.0.5:8443/v1",
]


def configure(how: str, host: str, monkeypatch: pytest.MonkeyPatch) -> sdk.Configuration:
    if how == "argument":
        return sdk.Configuration(host=host)
    if how == "setter":
        configuration = sdk.Configuration()
        configuration.host = host
        return configuration
    monkeypatch.setenv("NUMIND_BASE_URL", host)
    return sdk.Configuration()


@pytest.mark.parametrize("how", ["argument", "setter", "environment"])
@pytest.mark.parametrize("host", REMOTE_HTTP)
def test_plain_http_to_another_machine_is_refused_with_the_fix(
    host: str, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(sdk.ApiValueError) as caught:
        configure(how, host, monkeypatch)
    message = str(caught.value)
    assert message.startswith("Refusing plain http:// to ")
    assert "Configuration(allow_insecure_http=True)" in message and "https://" in message


def test_an_upper_case_scheme_is_no_way_around_it() -> None:
    with pytest.raises(sdk.ApiValueError):
        sdk.Configuration(host="HTTP://api.nuextract.ai/v1")


@pytest.mark.parametrize("how", ["argument", "setter", "environment"])
@pytest.mark.parametrize("host", LOOPBACK_OR_HTTPS)
def test_https_and_http_to_this_machine_are_accepted(
    host: str, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert configure(how, host, monkeypatch).host == host


def test_allow_insecure_http_lets_plain_http_through(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = "http://api.example.test:8080/v1"
    assert sdk.Configuration(host=remote, allow_insecure_http=True).host == remote
    configuration = sdk.Configuration()
    configuration.allow_insecure_http = True
    configuration.host = remote
    assert configuration.host == remote


def test_server_settings_are_held_to_the_same_rule() -> None:
    configuration = sdk.Configuration()
    servers = [{"url": "http://api.example.test/v1", "variables": {}}]
    with pytest.raises(sdk.ApiValueError, match="allow_insecure_http"):
        configuration.get_host_from_settings(0, servers=servers)
    configuration.allow_insecure_http = True
    assert configuration.get_host_from_settings(0, servers=servers) == servers[0]["url"]


def test_a_call_to_a_loopback_server_is_unchanged() -> None:
    with RecordingServer() as local:
        local.default = Canned(200, b"[]")
        configuration = sdk.Configuration(host=local.url, access_token="t")
        with sdk.ApiClient(configuration) as client:
            sdk.AuthenticationApi(client).get_api_auth_user_tokens()
    assert [r.path for r in local.requests] == ["/v1/api/auth/user-tokens"]


@pytest.mark.parametrize("how", ["argument", "setter", "environment"])
def test_an_api_key_given_as_the_host_is_not_echoed(
    how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "nm_" + "S3CRET" * 6
    with pytest.raises(sdk.ApiValueError) as caught:
        configure(how, key, monkeypatch)
    message = str(caught.value)
    assert "S3CRET" not in message and "nm_" not in message.replace("NUMIND_", "")
    assert re.search(r"Invalid host \(the value is not shown\)", message)
    assert "access_token" in message and "https://api.nuextract.ai/v1" in message


# -- plain http through a proxy, and to a URL built by hand (issue 20, item 4) ----------

REMOTE_PROXY = "http://me:pw@proxy.example.test:3128"


def _refused_through_a_proxy(caught: pytest.ExceptionInfo[sdk.ApiValueError]) -> None:
    message = str(caught.value)
    assert message.startswith("Refusing plain http:// to '127.0.0.1' through the proxy ")
    assert "'proxy.example.test'" in message and "pw" not in message
    assert "Configuration(allow_insecure_http=True)" in message


def test_plain_http_to_loopback_through_a_remote_proxy_is_refused(twin: Twin) -> None:
    # "127.0.0.1" would be the proxy's own machine, and the token would cross to it in clear.
    with pytest.raises(sdk.ApiValueError) as caught:
        sdk.Configuration(host="http://127.0.0.1:1/v1", proxy=REMOTE_PROXY)
    _refused_through_a_proxy(caught)
    # A proxy set after the Configuration is made: refused when the client is made.
    configuration = sdk.Configuration(host="http://127.0.0.1:1/v1", access_token="t")
    configuration.proxy = REMOTE_PROXY
    with pytest.raises(sdk.ApiValueError) as caught, twin.client(configuration):
        pass
    _refused_through_a_proxy(caught)
    # A host moved to plain http once the proxy is set.
    configuration = sdk.Configuration(proxy=REMOTE_PROXY)
    with pytest.raises(sdk.ApiValueError) as caught:
        configuration.host = "http://127.0.0.1:1/v1"
    _refused_through_a_proxy(caught)


def test_https_through_a_remote_proxy_is_accepted(twin: Twin) -> None:
    configuration = sdk.Configuration(proxy=REMOTE_PROXY, access_token="t")
    with twin.client(configuration):
        pass


@pytest.mark.parametrize("url", REMOTE_HTTP)
def test_call_api_to_a_hand_built_plain_http_url_is_refused(twin: Twin, url: str) -> None:
    with RecordingServer() as local:
        configuration = sdk.Configuration(host=local.url, access_token="t", retries=0)
        with twin.client(configuration) as client:
            serialized = client.param_serialize(
                "GET", "/api/auth/me", auth_settings=["bearerAuth"], _host=url
            )
            with pytest.raises(sdk.ApiValueError) as caught:
                client.call_api(*serialized)
    assert str(caught.value).startswith("Refusing plain http:// to ")
    assert "allow_insecure_http=True" in str(caught.value)
    assert local.requests == []


def test_a_loopback_proxy_is_allowed(twin: Twin) -> None:
    with RecordingServer() as local, ForwardProxy() as proxy:
        local.default = Canned(200, b"[]")
        configuration = sdk.Configuration(host=local.url, access_token="t", proxy=proxy.url)
        with twin.client(configuration) as client:
            twin.api(client).get_api_auth_user_tokens()
            serialized = client.param_serialize(
                "GET", "/api/auth/user-tokens", auth_settings=["bearerAuth"], _host=local.url
            )
            answer = client.call_api(*serialized)
            assert answer.status == 200 and answer.read() == b"[]"
    assert proxy.seen == [f"GET {local.url}/api/auth/user-tokens"] * 2


def test_allow_insecure_http_allows_a_remote_proxy_and_a_hand_built_url(twin: Twin) -> None:
    configuration = sdk.Configuration(
        host="http://127.0.0.1:1/v1", proxy=REMOTE_PROXY, allow_insecure_http=True
    )
    with twin.client(configuration):
        pass
    # A loopback server stands in for the proxy: it is sent the remote URL whole.
    with RecordingServer() as stand_in:
        stand_in.default = Canned(200, b"[]")
        configuration = sdk.Configuration(
            access_token="t", proxy=stand_in.url, allow_insecure_http=True
        )
        with twin.client(configuration) as client:
            serialized = client.param_serialize(
                "GET",
                "/api/auth/user-tokens",
                auth_settings=["bearerAuth"],
                _host="http://api.example.test/v1",
            )
            answer = client.call_api(*serialized)
            assert answer.status == 200 and answer.read() == b"[]"
    assert [r.path for r in stand_in.requests] == [
        "http://api.example.test/v1/api/auth/user-tokens"
    ]
