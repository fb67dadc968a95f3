"""A token provider (``Configuration(access_token=provider)``) over HTTP, with both clients:
asked at every call (a rotated key is used at once), told of a 401 and the call replayed
once, its errors raised as they are, its time counted in the call's, never shown."""

from __future__ import annotations

import asyncio
import functools
import time
from pathlib import Path
from typing import Any, List

import pytest
from signing_in import bearer, sign_in
from timing import no_later, on_time
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer

#: A token of the right syntax that the local server never issued: answered 401.
UNKNOWN = "not-a-token-of-this-server"


class Tokens:
    """A provider with ``token(timeout)`` and ``refused(token)``: gives its tokens in
    order (the last one again once they run out) and records what it is told."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.timeouts: List[float] = []
        self.refused_tokens: List[str] = []

    def token(self, timeout: float) -> str:
        self.timeouts.append(timeout)
        return self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]

    def refused(self, token: str) -> None:
        self.refused_tokens.append(str(token))


class Asked:
    """A plain callable provider (no ``refused``) that counts how often it is asked."""

    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.asked = 0

    def __call__(self) -> str:
        self.asked += 1
        return self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]


def me(twin: Twin, configuration: sdk.Configuration) -> str:
    with twin.client(configuration) as client:
        return str(twin.api(client).get_api_auth_me().email)


def test_a_key_rotated_in_its_file_is_used_from_the_next_call(
    twin: Twin, server: LocalServer, tmp_path: Path
) -> None:
    ada, grace = sign_in(server, "ada@example.com"), sign_in(server, "grace@example.com")
    key = tmp_path / "numind-key"
    key.write_text(ada.token + "\n")  # as an editor or `echo` leaves it
    configuration = sdk.Configuration(
        host=server.url, access_token=functools.partial(Path.read_text, key)
    )
    with twin.client(configuration) as client:
        api = twin.api(client)
        assert api.get_api_auth_me().email == "ada@example.com"
        key.write_text(grace.token)  # another process rotates it: the same client follows
        assert api.get_api_auth_me().email == "grace@example.com"


def test_a_provider_is_given_the_seconds_left_of_the_call(twin: Twin, server: LocalServer) -> None:
    provider = Tokens(sign_in(server).token)
    configuration = sdk.Configuration(host=server.url, access_token=provider, timeout=7)
    me(twin, configuration)
    [timeout] = provider.timeouts
    assert 0 < timeout <= 7


def test_a_refused_token_is_told_asked_again_and_the_call_replayed_once(
    twin: Twin, own_server: LocalServer
) -> None:
    provider = Tokens(UNKNOWN, sign_in(own_server, "ada@example.com").token)
    before = own_server.requests_handled
    configuration = sdk.Configuration(host=own_server.url, access_token=provider)
    assert me(twin, configuration) == "ada@example.com"
    assert provider.refused_tokens == [UNKNOWN]
    assert len(provider.timeouts) == 2
    assert own_server.requests_handled - before == 2


def test_a_second_401_reaches_the_caller(twin: Twin, own_server: LocalServer) -> None:
    provider = Tokens(UNKNOWN)
    before = own_server.requests_handled
    configuration = sdk.Configuration(host=own_server.url, access_token=provider)
    with pytest.raises(sdk.UnauthorizedException):
        me(twin, configuration)
    assert provider.refused_tokens == [UNKNOWN]  # told once
    assert own_server.requests_handled - before == 2  # replayed once


def test_a_provider_without_refused_is_asked_again_after_a_401(
    twin: Twin, own_server: LocalServer
) -> None:
    same = Asked(UNKNOWN)
    before = own_server.requests_handled
    with pytest.raises(sdk.UnauthorizedException):
        me(twin, sdk.Configuration(host=own_server.url, access_token=same))
    assert same.asked == 2  # asked again after the 401, and the call replayed once
    assert own_server.requests_handled - before == 2

    rotated = Asked(UNKNOWN, sign_in(own_server, "ada@example.com").token)
    before = own_server.requests_handled
    assert me(twin, sdk.Configuration(host=own_server.url, access_token=rotated)) == (
        "ada@example.com"
    )
    assert own_server.requests_handled - before == 2


def test_the_answer_of_an_unread_call_after_a_401_is_the_replay_s_whole(
    twin: Twin, server: LocalServer
) -> None:
    configuration = sdk.Configuration(host=server.url, access_token=Asked(UNKNOWN))
    with twin.client(configuration) as client:
        response = twin.api(client).get_api_auth_me_without_preload_content()
        assert response.status == 401
        assert b"Invalid, expired or revoked token" in response.data


def test_what_a_provider_raises_is_what_the_call_raises(
    twin: Twin, own_server: LocalServer
) -> None:
    def vault_down() -> str:
        raise ConnectionRefusedError("the vault is down")

    before = own_server.requests_handled
    with pytest.raises(ConnectionRefusedError, match="the vault is down"):
        me(twin, sdk.Configuration(host=own_server.url, access_token=vault_down))
    assert own_server.requests_handled == before


@pytest.mark.parametrize(
    ("answer", "error", "named"),
    [
        (b"bytes-key", sdk.ApiTypeError, "returned bytes, not a str"),
        (None, sdk.ApiTypeError, "returned NoneType, not a str"),
        ("Bearer sekrit-key", sdk.ApiValueError, "without 'Bearer '"),
        ("sekrit\r\nX-Injected: 1", sdk.ApiValueError, "is not a bearer token"),
        ("", sdk.ApiValueError, "is not a bearer token"),
    ],
)
def test_an_answer_that_is_not_a_token_is_refused_unsent_and_unshown(
    twin: Twin, own_server: LocalServer, answer: Any, error: type, named: str
) -> None:
    before = own_server.requests_handled
    configuration = sdk.Configuration(host=own_server.url, access_token=lambda: answer)
    with pytest.raises(error) as raised:
        me(twin, configuration)
    assert named in str(raised.value)
    assert "test_token_provider.test_an_answer" in str(raised.value)  # which provider
    assert "sekrit" not in str(raised.value) and "bytes-key" not in str(raised.value)
    assert own_server.requests_handled == before


@on_time
def test_a_provider_that_returns_after_the_deadline_sends_nothing(
    twin: Twin, own_server: LocalServer
) -> None:
    token = sign_in(own_server).token

    def slow() -> str:
        time.sleep(0.4)  # a blocking provider cannot be interrupted ...
        return token

    before = own_server.requests_handled
    configuration = sdk.Configuration(host=own_server.url, access_token=slow, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(sdk.ApiTimeoutError, match=r"did not give a token within the 0\.2 s"):
        me(twin, configuration)
    no_later(time.monotonic() - started, 1.5)
    assert own_server.requests_handled == before  # ... but its late token is not sent


class SlowAsyncProvider:
    def __init__(self, token: str) -> None:
        self._token = token

    async def token(self, timeout: float) -> str:
        await asyncio.sleep(30)
        return self._token


@on_time
def test_the_async_client_awaits_a_provider_within_the_deadline(own_server: LocalServer) -> None:
    provider = SlowAsyncProvider(sign_in(own_server).token)
    configuration = sdk.Configuration(host=own_server.url, access_token=provider, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(sdk.ApiTimeoutError, match="did not give a token"):
        me(Twin("async"), configuration)
    no_later(time.monotonic() - started, 2)


def test_the_async_client_takes_async_and_sync_providers(server: LocalServer) -> None:
    ada = sign_in(server, "ada@example.com").token

    class Vault:
        def __init__(self) -> None:
            self.refused_tokens: List[str] = []
            self.tokens = [UNKNOWN, ada]

        async def token(self, timeout: float) -> str:
            await asyncio.sleep(0)
            return self.tokens.pop(0)

        async def refused(self, token: str) -> None:
            self.refused_tokens.append(str(token))

    async def read_key() -> str:
        return ada

    vault = Vault()
    assert me(Twin("async"), sdk.Configuration(host=server.url, access_token=vault)) == (
        "ada@example.com"
    )
    assert vault.refused_tokens == [UNKNOWN]
    for provider in (read_key, lambda: ada):
        configuration = sdk.Configuration(host=server.url, access_token=provider)
        assert me(Twin("async"), configuration) == "ada@example.com"


def test_the_sync_client_refuses_an_async_provider(own_server: LocalServer) -> None:
    made: List[Any] = []

    async def read_key() -> str:
        return "never-awaited"

    def provider() -> Any:
        made.append(read_key())
        return made[-1]

    before = own_server.requests_handled
    configuration = sdk.Configuration(host=own_server.url, access_token=provider)
    with pytest.raises(sdk.ApiTypeError, match="returned coroutine, which the sync ApiClient"):
        me(Twin("sync"), configuration)
    assert made[0].cr_frame is None  # closed: no "coroutine was never awaited" warning
    assert own_server.requests_handled == before


def test_the_call_s_own_credentials_win_over_the_provider(twin: Twin, server: LocalServer) -> None:
    provider = Asked(UNKNOWN)
    grace = sign_in(server, "grace@example.com").token
    configuration = sdk.Configuration(host=server.url, access_token=provider)
    with twin.client(configuration) as client:
        api = twin.api(client)
        assert api.get_api_auth_me(_request_auth=bearer(grace)).email == "grace@example.com"
        assert api.get_api_auth_me(_headers={"Authorization": f"Bearer {grace}"}).email == (
            "grace@example.com"
        )
    assert provider.asked == 0


def test_a_provider_is_shown_by_its_name_never_its_token(
    twin: Twin, server: LocalServer, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    token = sign_in(server).token
    monkeypatch.setenv("NUMIND_API_KEY", "hidden-by-the-provider")
    provider = Tokens(token)
    configuration = sdk.Configuration(host=server.url, access_token=provider, debug=True)
    try:
        assert configuration.credential_source == "token_provider"
        assert configuration.access_token is provider
        assert configuration.auth_settings() == {}  # asked at each call, not here
        shown = repr(configuration) + configuration.to_debug_report()
        assert "token provider test_token_provider.Tokens" in shown
        with caplog.at_level("DEBUG", logger="numind.openapi_client"):
            me(twin, configuration)
        assert "/api/auth/me" in caplog.text  # the call was logged ...
        assert token not in shown + caplog.text  # ... without its token
        assert "hidden-by-the-provider" not in caplog.text  # not sent: the provider wins
        assert auth.access_token(configuration=configuration) == token
    finally:
        configuration.debug = False


def test_access_token_refuses_what_gives_no_token() -> None:
    with pytest.raises(
        sdk.ApiTypeError, match="got int: pass the token as a string, or a token provider"
    ):
        sdk.Configuration(access_token=1234)  # type: ignore[arg-type]
    configuration = sdk.Configuration(access_token="a-token")
    with pytest.raises(sdk.ApiTypeError, match="got bytes"):
        configuration.access_token = b"a-token"  # type: ignore[assignment]
    assert configuration.access_token == "a-token"  # unchanged
    configuration.access_token = None
    assert configuration.credential_source is None
