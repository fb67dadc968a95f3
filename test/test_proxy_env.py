"""Proxies of the environment (issue 21, item 2): ``HTTPS_PROXY``, ``HTTP_PROXY``,
``ALL_PROXY`` and ``NO_PROXY``, read by both clients and the command line, through a real
forwarding proxy on loopback. The rules themselves are tested with plain values in
test/unit/test_proxy_rules.py."""

from __future__ import annotations

import base64
import json
import logging
import os
import ssl

import pytest
import trustme
from forward_proxy import ForwardProxy
from recording_server import Canned, RecordingServer
from signing_in import new_email
from test_cli import numind
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

REMOTE_PROXY = "http://me:pw-SECRET@proxy.example.test:3128"


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
def test_a_call_goes_through_the_proxy_of_the_environment(
    variable: str, server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    token = server.sign_in(new_email())["token"]
    with ForwardProxy() as proxy:
        monkeypatch.setenv(variable, proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # for https targets only
        configuration = sdk.Configuration(host=server.url, access_token=token)
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email.endswith("@example.com")
    assert proxy.seen == [f"GET {server.url}/api/auth/me"]


@pytest.mark.parametrize(
    "no_proxy", ["127.0.0.1", "*", "127.0.0.0/8", "example.com, .127.0.0.1", "{port}"]
)
def test_no_proxy_hosts_are_reached_directly(
    no_proxy: str, server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    token = server.sign_in(new_email())["token"]
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        for bypass in (None, no_proxy.format(port=f"127.0.0.1:{server.port}")):
            if bypass is not None:
                monkeypatch.setenv("no_proxy", bypass)
            configuration = sdk.Configuration(host=server.url, access_token=token)
            with twin.client(configuration) as client:
                assert twin.api(client).get_api_auth_me().email
    # Through the proxy, then (with NO_PROXY) no more.
    assert proxy.seen == [f"GET {server.url}/api/auth/me"]


def test_trust_env_false_ignores_the_environment_and_configuration_proxy_wins_over_it(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    token = server.sign_in(new_email())["token"]
    with ForwardProxy() as from_env, ForwardProxy() as configured:
        monkeypatch.setenv("HTTP_PROXY", from_env.url)
        for settings in ({}, {"trust_env": False}, {"proxy": configured.url}):
            configuration = sdk.Configuration(host=server.url, access_token=token, **settings)
            with twin.client(configuration) as client:
                assert twin.api(client).get_api_auth_me().email
        # The environment's NO_PROXY does not apply to Configuration.proxy either.
        monkeypatch.setenv("NO_PROXY", "*")
        configuration = sdk.Configuration(host=server.url, access_token=token, proxy=configured.url)
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email
    assert from_env.seen == [f"GET {server.url}/api/auth/me"]  # the first client only
    assert configured.seen == [f"GET {server.url}/api/auth/me"] * 2


def test_the_environment_is_read_when_the_client_is_made(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    token = server.sign_in(new_email())["token"]
    with ForwardProxy() as proxy:
        configuration = sdk.Configuration(host=server.url, access_token=token)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with twin.client(configuration) as client:
            monkeypatch.delenv("HTTP_PROXY")
            assert twin.api(client).get_api_auth_me().email
    assert proxy.seen == [f"GET {server.url}/api/auth/me"]


def test_credentials_of_an_environment_proxy_go_as_proxy_authorization_only(
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    twin: Twin,
) -> None:
    token = server.sign_in(new_email())["token"]
    caplog.set_level(logging.DEBUG)
    with ForwardProxy() as proxy:
        port = proxy.url.rsplit(":", 1)[1]
        monkeypatch.setenv("http_proxy", f"me:p%40ss-SECRET@127.0.0.1:{port}")  # no scheme
        configuration = sdk.Configuration(host=server.url, access_token=token, debug=True)
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email
            shown = repr(client.rest_client) + configuration.to_debug_report()
        configuration.debug = False
    (headers,) = proxy.headers
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"me:p@ss-SECRET").decode()
    assert "SECRET" not in caplog.text + shown + "".join(capfd.readouterr())


def test_each_host_takes_its_own_route(monkeypatch: pytest.MonkeyPatch, twin: Twin) -> None:
    # The client's host through the proxy; a URL built for another host, named in
    # NO_PROXY, directly: one client, two routes.
    with RecordingServer() as proxied, RecordingServer() as direct, ForwardProxy() as proxy:
        proxied.default = direct.default = Canned(200, b"[]")
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        direct_url = direct.url.replace("127.0.0.1", "localhost")
        configuration = sdk.Configuration(host=proxied.url, access_token="t")
        with twin.client(configuration) as client:
            for _ in range(2):
                assert twin.api(client).get_api_auth_user_tokens() == []
                serialized = client.param_serialize(
                    "GET", "/api/auth/user-tokens", auth_settings=["bearerAuth"], _host=direct_url
                )
                answer = client.call_api(*serialized)
                assert answer.status == 200 and answer.read() == b"[]"
    assert proxy.seen == [f"GET {proxied.url}/api/auth/user-tokens"] * 2
    assert [r.path for r in direct.requests] == ["/v1/api/auth/user-tokens"] * 2


def test_the_scheme_of_each_target_picks_its_proxy(
    monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    # https through HTTPS_PROXY (a CONNECT tunnel: the proxy never sees the token), plain
    # http through HTTP_PROXY: two proxies for one client.
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with LocalServer(ssl_context=context) as https_server, RecordingServer() as plain:
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        token = https_server.sign_in(new_email(), client_ssl_context=client_context)["token"]
        plain.default = Canned(200, b"[]")
        with ForwardProxy() as tunnel, ForwardProxy() as forward:
            port = tunnel.url.rsplit(":", 1)[1]
            monkeypatch.setenv("HTTPS_PROXY", f"http://me:pw@127.0.0.1:{port}")
            monkeypatch.setenv("HTTP_PROXY", forward.url)
            configuration = sdk.Configuration(
                host=https_server.url, access_token=token, ca_cert_data=ca.cert_pem.bytes().decode()
            )
            with twin.client(configuration) as client:
                assert twin.api(client).get_api_auth_me().email
                serialized = client.param_serialize(
                    "GET", "/api/auth/user-tokens", auth_settings=["bearerAuth"], _host=plain.url
                )
                assert client.call_api(*serialized).read() == b"[]"
    assert tunnel.seen == [f"CONNECT 127.0.0.1:{https_server.port}"]
    (headers,) = tunnel.headers
    assert headers["proxy-authorization"] == "Basic bWU6cHc=" and "authorization" not in headers
    assert forward.seen == [f"GET {plain.url}/api/auth/user-tokens"]


def _refused(caught: pytest.ExceptionInfo[sdk.ApiValueError], variable: str) -> None:
    message = str(caught.value)
    assert message.startswith("Refusing plain http:// to '127.0.0.1' through the proxy ")
    assert "'proxy.example.test'" in message and f"comes from {variable}" in message
    assert "NO_PROXY" in message and "SECRET" not in message


def test_plain_http_through_a_remote_environment_proxy_is_refused(
    monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    monkeypatch.setenv("HTTP_PROXY", REMOTE_PROXY)
    configuration = sdk.Configuration(host="http://127.0.0.1:1/v1", access_token="t")
    with pytest.raises(sdk.ApiValueError) as caught, twin.client(configuration):
        pass  # refused when the client is made
    _refused(caught, "HTTP_PROXY")
    # A client of an https host: its tunnel is fine, a plain http URL built by hand is not.
    with RecordingServer() as local:
        with twin.client(sdk.Configuration(access_token="t")) as client:
            serialized = client.param_serialize(
                "GET", "/api/auth/user-tokens", auth_settings=["bearerAuth"], _host=local.url
            )
            with pytest.raises(sdk.ApiValueError) as caught:
                client.call_api(*serialized)
        assert local.requests == []
    _refused(caught, "HTTP_PROXY")
    # allow_insecure_http opts in; NO_PROXY and trust_env=False go around the proxy.
    for settings in ({"allow_insecure_http": True}, {"trust_env": False}):
        with twin.client(sdk.Configuration(host="http://127.0.0.1:1/v1", **settings)):
            pass
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with twin.client(sdk.Configuration(host="http://127.0.0.1:1/v1")):
        pass


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("socks5h://me:pw-SECRET@127.0.0.1:1080", "SOCKS proxies are not supported"),
        ("ftp://127.0.0.1:21", "not an http:// or https:// URL"),
        ("http://127.0.0.1:99999999", "it is not a URL"),
    ],
)
def test_an_invalid_environment_proxy_is_refused_before_anything_is_sent(
    value: str, why: str, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", value)
    with (
        pytest.raises(sdk.ApiValueError) as caught,
        twin.client(sdk.Configuration(access_token="t")),
    ):
        pass
    message = str(caught.value)
    assert message.startswith("Invalid proxy HTTPS_PROXY=")
    assert why in message and "trust_env=False" in message and "SECRET" not in message
    # Not used for a plain http (loopback) host: no error.
    with twin.client(sdk.Configuration(host="http://127.0.0.1:1/v1")):
        pass


# -- the command line -------------------------------------------------------------------


def test_the_command_line_uses_and_shows_the_proxy_of_the_environment(
    server: LocalServer,
) -> None:
    token = server.sign_in(new_email())["token"]
    env = {**os.environ, "NUMIND_BASE_URL": server.url, "NUMIND_API_KEY": token}
    with ForwardProxy() as proxy:
        port = proxy.url.rsplit(":", 1)[1]
        env["HTTP_PROXY"] = f"http://me:pw-SECRET@127.0.0.1:{port}"
        status = numind("auth", "status", env=env)
        as_json = json.loads(numind("--json", "auth", "status", env=env).stdout)
        assert proxy.seen == [f"GET {server.url}/api/auth/me"] * 2
        assert all(h["proxy-authorization"] for h in proxy.headers)
        env["NO_PROXY"] = "127.0.0.1"
        bypassed = numind("auth", "status", env=env)
        bypassed_json = json.loads(numind("--json", "auth", "status", env=env).stdout)
        assert len(proxy.seen) == 2
    assert status.returncode == 0, status.stderr
    assert f"  Proxy: {proxy.url} (from HTTP_PROXY)\n" in status.stdout
    assert as_json["proxy"] == {"url": proxy.url, "source": "HTTP_PROXY", "error": None}
    assert "SECRET" not in status.stdout + status.stderr + json.dumps(as_json)
    assert bypassed.returncode == 0, bypassed.stderr
    assert "  Proxy: none (NO_PROXY)\n" in bypassed.stdout
    assert bypassed_json["proxy"] == {"url": None, "source": "NO_PROXY", "error": None}


def test_the_command_line_refuses_plain_http_through_a_remote_environment_proxy(
    server: LocalServer,
) -> None:
    env = {
        **os.environ,
        "NUMIND_BASE_URL": server.url,
        "NUMIND_API_KEY": "t",
        "HTTP_PROXY": REMOTE_PROXY,
    }
    status = numind("auth", "status", env=env)
    assert status.returncode == 1
    assert "  Proxy: http://proxy.example.test:3128 (from HTTP_PROXY)\n" in status.stdout
    assert "Refusing plain http:// to '127.0.0.1' through the proxy" in status.stdout
    assert "SECRET" not in status.stdout + status.stderr


def test_the_command_line_signs_in_through_the_proxy_of_the_environment(
    server: LocalServer,
) -> None:
    # Loopback is proxied unless NO_PROXY names it, as requests, httpx and curl do; the
    # browser's redirect to the sign-in listener is no request of the client's.
    from test_cli import login

    email = new_email()
    env = {**os.environ, "NUMIND_BASE_URL": server.url}
    with ForwardProxy() as proxy:
        env["HTTP_PROXY"] = proxy.url
        code, out, err = login(env, email)
        assert (code, err) == (0, "")
        assert f"Signed in as {email}" in out
        whoami = numind("auth", "whoami", env=env)
    assert whoami.stdout == email + "\n"
    assert f"POST {server.url}/api/auth/token" in proxy.seen
    assert proxy.seen[-1] == f"GET {server.url}/api/auth/me"
    assert all(seen.split()[1].startswith(server.url) for seen in proxy.seen)
