"""No secret (access token, refresh token, API key, sign-in code) appears in any output:
logs of every logger at DEBUG, stdout/stderr, repr/str/pprint, exception messages, the
debug report, or the log file. Attribute access and to_dict/to_json keep the real values."""

from __future__ import annotations

import logging
import pprint
from pathlib import Path

import pytest
from recording_server import Canned, RecordingServer
from signing_in import REDIRECT_URI, authorization_code, bearer, new_email
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


def test_a_whole_session_with_debug_on_leaks_no_secret(
    server: LocalServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    twin: Twin,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every logger of the process
    secrets: list[str] = []
    shown: list[object] = []  # everything a user might print

    log_file = tmp_path / "numind.log"
    configuration = sdk.Configuration(host=server.url, debug=True, logger_file=str(log_file))
    try:
        with twin.client(configuration) as client:
            api = twin.api(client)
            email = new_email()
            code = authorization_code(api, email)
            signed_in = api.post_api_auth_token(
                {
                    "type": sdk.TokenCodeRequest(code="c", redirect_uri="r").type,
                    "code": code,
                    "redirectUri": REDIRECT_URI,
                }
            )
            assert signed_in.refresh_token is not None
            refresh_request = sdk.TokenRefreshRequest(token=signed_in.refresh_token)
            refreshed = api.post_api_auth_token_with_http_info(refresh_request)
            tokens = refreshed.data
            assert tokens.refresh_token is not None
            secrets += [code, signed_in.token, signed_in.refresh_token]
            secrets += [tokens.token, tokens.refresh_token]

            configuration.access_token = tokens.token
            created = api.post_api_auth_user_tokens({"name": "ci"})
            listed = api.get_api_auth_user_tokens_with_http_info()
            secrets.append(created.token)
            assert api.get_api_auth_me(_request_auth=bearer(created.token)).email == email

            bad = "SECRET-NOT-A-TOKEN-" + created.token[::-1]
            secrets.append(bad)
            with pytest.raises(sdk.UnauthorizedException) as unauthorized:
                api.get_api_auth_me(_request_auth=bearer(bad))
            with pytest.raises(sdk.BadRequestException) as reused:
                api.post_api_auth_token(sdk.TokenRefreshRequest(token=signed_in.refresh_token))
            with pytest.raises(sdk.ApiValueError) as invalid:
                api.post_api_auth_token({"type": refresh_request.type, "token": 42, "x": bad})
            with pytest.raises(sdk.ApiValueError) as bad_header:
                api.get_api_auth_me(_headers={"X-Token": bad + "\r\nX: y"})
            assert api.post_api_auth_logout(tokens.refresh_token) == {}

            shown += [signed_in, refresh_request, refreshed, tokens, created, listed]
            shown += [listed.data, configuration, client, client.rest_client, api]
            shown += [unauthorized.value, reused.value, invalid.value, bad_header.value]
            shown += [sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)]
            shown += [sdk.TokenRequest(refresh_request)]
            for thing in shown:
                print(repr(thing), str(thing), pprint.pformat(thing))
                to_str = getattr(thing, "to_str", None)
                if to_str is not None:
                    print(to_str())
            for error in (unauthorized.value, reused.value, invalid.value, bad_header.value):
                print(error.args)
            print(configuration.to_debug_report())
            logging.getLogger("numind.openapi_client").debug("the end")
    finally:
        configuration.debug = False
        configuration.logger_file = None

    out, err = capfd.readouterr()
    logs = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    everything = "\n".join([out, err, logs, log_file.read_text()])
    assert "Authorization" in everything and "<redacted>" in everything  # debug did log
    assert "request POST" in log_file.read_text()
    assert len(secrets) == 7 and all(len(s) >= 16 for s in secrets)
    for secret in secrets:
        assert secret not in everything

    # The values are there for the user who asks for them.
    assert created.token == listed.data[0].token
    assert created.to_dict()["token"] == created.token
    assert tokens.refresh_token in tokens.to_json()


def test_debug_changes_no_other_logger() -> None:
    import http.client

    loggers = {name: logging.getLogger(name).level for name in ("", "urllib3", "http.client")}
    configuration = sdk.Configuration(debug=True)
    try:
        assert {name: logging.getLogger(name).level for name in loggers} == loggers
        assert http.client.HTTPConnection.debuglevel == 0
    finally:
        configuration.debug = False


def test_a_model_masks_its_secrets_in_every_representation() -> None:
    tokens = sdk.TokenResponse(token="A" * 20, expires_in=1, refresh_token="B" * 20)
    for text in (repr(tokens), str(tokens), pprint.pformat(tokens), tokens.to_str()):
        assert "A" * 20 not in text and "B" * 20 not in text
        assert "redacted" in text and "expires" in text
    assert tokens.token == "A" * 20
    assert tokens.to_dict() == {"token": "A" * 20, "expiresIn": 1, "refreshToken": "B" * 20}


def test_query_auth_is_refused_before_anything_is_sent(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], twin: Twin
) -> None:
    # In the URL a key would reach logs (urllib3's too), error messages and proxies.
    caplog.set_level(logging.DEBUG)
    secret = "SECRET-QUERY-KEY-0123456789"
    query_auth = {"type": "api_key", "in": "query", "key": "api_key", "value": secret}
    with RecordingServer() as server:
        configuration = sdk.Configuration(host=server.url, debug=True)
        try:
            with twin.client(configuration) as client:
                api = twin.api(client)
                with pytest.raises(sdk.ApiValueError, match=r"'api_key' in the URL.*Bearer") as e:
                    api.get_api_auth_me(_request_auth=query_auth)
        finally:
            configuration.debug = False
    assert server.requests == []
    out, err = capfd.readouterr()
    for text in (str(e.value), repr(e.value), caplog.text, out, err):
        assert secret not in text


@pytest.mark.parametrize("how", ["argument", "setter", "environment"])
def test_a_host_with_a_password_is_refused_without_showing_it(
    how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = "https://user:SECRET-PASSWORD@api.example.com/v1"
    with pytest.raises(sdk.ApiValueError) as caught:
        if how == "argument":
            sdk.Configuration(host=host)
        elif how == "setter":
            sdk.Configuration(access_token="t").host = host
        else:
            monkeypatch.setenv("NUMIND_BASE_URL", host)
            sdk.Configuration(access_token="t")
    message = str(caught.value)
    assert "'https://<redacted>@api.example.com/v1'" in message
    assert "user" not in message.split("'")[1] and "SECRET" not in message
    assert "access_token" in message


def test_credentials_in_a_logged_url_or_location_are_redacted(
    caplog: pytest.LogCaptureFixture, twin: Twin
) -> None:
    # A redirect of a hostile or misconfigured server may carry a code or a token.
    caplog.set_level(logging.DEBUG)
    location = "https://elsewhere.example/cb?state=s1&code=SECRET-CODE-1&access_token=SECRET-AT-2"
    with RecordingServer() as server:
        server.default = Canned(302, b"", {"Location": location})
        configuration = sdk.Configuration(host=server.url, access_token="SECRET-KEY-3", debug=True)
        try:
            with twin.client(configuration) as client:
                with pytest.raises(sdk.ApiException) as caught:
                    twin.api(client).get_api_auth_me()
                answer = client.call_api("GET", server.url + "/x?api_key=SECRET-KEY-4&page=2")
                answer.read()
        finally:
            configuration.debug = False
    assert caught.value.headers is not None
    assert caught.value.headers["Location"] == location  # the real value, for the caller
    assert "state=s1&code=<redacted>&access_token=<redacted>" in caplog.text
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name == "numind.openapi_client")
    assert "/x?api_key=<redacted>&page=2" in ours
    # urllib3 logs its own request line: the SDK never puts a credential in a URL, and
    # refuses _request_auth that would (test_query_auth_is_refused_before_anything_is_sent).
    others = [r for r in caplog.records if r.name != "numind.openapi_client"]
    assert "SECRET" not in ours
    assert not any("SECRET" in r.getMessage() for r in others if "api_key" not in r.getMessage())


def test_a_proxy_header_that_http_cannot_carry_is_refused_without_showing_it(twin: Twin) -> None:
    configuration = sdk.Configuration(
        host="http://127.0.0.1:9/v1",
        proxy="http://127.0.0.1:9",
        proxy_headers={"Proxy-Authorization": "Basic SECRET-PROXY\r\nX-Injected: 1"},
    )
    with (
        pytest.raises(sdk.ApiValueError, match="Proxy header 'Proxy-Authorization'") as caught,
        twin.client(configuration),
    ):
        pass
    assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "type_name"),
    [
        (b'[{"id": "t1", "token": "SECRET-KEY-5", "name": 7}]', "List[UserTokenResponse]"),
        (b'{"token": "SECRET-AT-6", "expiresIn": "soon"}', "TokenResponse"),
        (b'"SECRET-RT-7"', "int"),
    ],
)
def test_a_body_that_does_not_decode_is_not_echoed(body: bytes, type_name: str, twin: Twin) -> None:
    with (
        twin.client(sdk.Configuration(host="http://127.0.0.1:9/v1")) as client,
        pytest.raises(ValueError) as caught,
    ):
        client.deserialize(body, type_name, "application/json")
    assert "validation error" in str(caught.value)
    assert "SECRET" not in str(caught.value)
