"""Which hosts a Configuration takes: https, or http to this machine only (finding 6), and a
rejected host is never echoed (finding 7: an API key given as the host)."""

from __future__ import annotations

import re

import pytest
from recording_server import Canned, RecordingServer

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
