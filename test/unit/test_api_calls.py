"""Each ``AuthenticationApi`` method end to end through the pure pipeline, with a fake
transport (``unit_fakes.FakeTransport``) in place of the network: what is sent, what is
returned, and what is refused before anything is sent."""

from __future__ import annotations

import datetime
import inspect
import json
import re
from typing import Any

import pytest
from unit_fakes import FakeResponse, FakeTransport, client_with, json_answer

import numind.openapi_client as sdk
from numind.openapi_client.auth import CredentialStore, StoredCredentials

HOST = "https://api.example.com/v1"
USER = b'{"email": "a@example.com"}'
TOKEN = {
    "id": "t1",
    "name": "ci",
    "token": "SECRET-USER-TOKEN",
    "userId": "u1",
    "createdAt": "2026-01-01T00:00:00Z",
    "expiresAt": "2027-01-01T00:00:00Z",
}
TOKEN_BODY = json.dumps(TOKEN).encode()


def api_with(*answers: FakeResponse, **settings: Any) -> tuple[sdk.AuthenticationApi, Any]:
    settings.setdefault("access_token", "tok-1")
    client = client_with(sdk.Configuration(host=HOST, **settings), *answers)
    return sdk.AuthenticationApi(client), client.rest_client


def test_get_me_sends_the_bearer_and_decodes_the_user() -> None:
    api, transport = api_with(json_answer(USER))
    assert api.get_api_auth_me() == sdk.User(email="a@example.com")
    sent = transport.last
    assert (sent["method"], sent["url"]) == ("GET", f"{HOST}/api/auth/me")
    assert sent["headers"]["Authorization"] == "Bearer tok-1"
    assert sent["headers"]["Accept"] == "application/json"
    assert sent["body"] is None


def test_the_token_changed_between_calls_is_the_one_sent() -> None:
    api, transport = api_with(json_answer(USER), json_answer(USER), json_answer(USER))
    api.get_api_auth_me()
    api.api_client.configuration.access_token = "tok-2"
    api.get_api_auth_me()
    assert transport.last["headers"]["Authorization"] == "Bearer tok-2"
    api.api_client.set_default_header("X-Team", "t")
    api.get_api_auth_me()
    assert transport.last["headers"]["X-Team"] == "t"


def test_get_api_auth_sends_no_token_and_returns_the_text() -> None:
    answer = FakeResponse(200, b"https://sign.in/auth?x=1", {"Content-Type": "text/plain"})
    api, transport = api_with(answer)
    assert api.get_api_auth("http://localhost:5173/cb") == "https://sign.in/auth?x=1"
    assert (
        transport.last["url"] == f"{HOST}/api/auth?redirectUri=http%3A%2F%2Flocalhost%3A5173%2Fcb"
    )
    assert "Authorization" not in transport.last["headers"]


def test_create_a_user_token_from_a_dict() -> None:
    api, transport = api_with(json_answer(TOKEN_BODY))
    created = api.post_api_auth_user_tokens({"name": "ci"})
    assert created.token == "SECRET-USER-TOKEN" and created.user_id == "u1"
    assert transport.last["body"] == {"name": "ci"}
    assert transport.last["headers"]["Content-Type"] == "application/json"


def test_list_update_and_delete_user_tokens() -> None:
    api, transport = api_with(
        json_answer(json.dumps([TOKEN]).encode()),
        json_answer(TOKEN_BODY),
        FakeResponse(200, b""),
    )
    assert [t.id for t in api.get_api_auth_user_tokens()] == ["t1"]
    renamed = api.put_api_auth_user_tokens_usertokenid(
        "a/..", sdk.CreateOrUpdateUserToken(name="new")
    )
    assert renamed.name == "ci"
    assert transport.last["url"] == f"{HOST}/api/auth/user-tokens/a%2F.."
    assert transport.last["body"] == {"name": "new"}
    assert api.delete_api_auth_user_tokens_usertokenid("..") is None
    assert transport.last["url"] == f"{HOST}/api/auth/user-tokens/%2E%2E"
    assert transport.last["method"] == "DELETE"


def test_token_and_logout_requests() -> None:
    tokens = {"token": "a2", "expiresIn": 300, "refreshToken": "r2"}
    api, transport = api_with(json_answer(json.dumps(tokens).encode()), json_answer(b"{}"))
    refreshed = api.post_api_auth_token(sdk.TokenRefreshRequest(token="r1"))
    assert (refreshed.token, refreshed.refresh_token) == ("a2", "r2")
    assert transport.last["body"] == {
        "type": "ai.numind.extract.shared.TokenRefreshRequest",
        "token": "r1",
    }
    # The bytes sent hold the refresh token: a captured traceback shows only their size.
    assert re.fullmatch(r"<\d+ bytes>", repr(transport.last["request"].body))
    assert "Authorization" not in transport.last["headers"]
    assert api.post_api_auth_logout("r2") == {}
    assert transport.last["body"] == "r2"


def test_with_http_info_and_without_preload_content() -> None:
    api, _ = api_with(json_answer(USER, **{"X-Request-Id": "r-9"}), json_answer(USER))
    info = api.get_api_auth_me_with_http_info()
    assert (info.status_code, info.data.email, info.raw_data) == (200, "a@example.com", USER)
    assert info.headers["X-Request-Id"] == "r-9"
    unread = api.get_api_auth_me_without_preload_content()
    assert unread.status == 200 and unread.data == USER


def test_an_error_answer_raises_its_class() -> None:
    error = json_answer(b'{"code": "E404", "message": "no such token"}', status=404)
    api, _ = api_with(error)
    with pytest.raises(sdk.NotFoundException) as caught:
        api.delete_api_auth_user_tokens_usertokenid("t9")
    assert caught.value.error.code == "E404"
    assert str(caught.value) == (
        f"(404) on DELETE {HOST}/api/auth/user-tokens/t9: E404: no such token"
    )


# -- refused before anything is sent ------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (
            lambda api: api.delete_api_auth_user_tokens_usertokenid(""),
            sdk.ApiValueError,
            "delete_api_auth_user_tokens_usertokenid() argument 'user_token_id' must not be empty",
        ),
        (
            lambda api: api.delete_api_auth_user_tokens_usertokenid(7),
            sdk.ApiTypeError,
            "argument 'user_token_id' must be a str, not int",
        ),
        (
            lambda api: api.post_api_auth_user_tokens({"nme": "x"}),
            sdk.ApiValueError,
            "argument 'create_or_update_user_token' is not a valid CreateOrUpdateUserToken: "
            "'name': Field required; 'nme': unknown field",
        ),
        (
            lambda api: api.post_api_auth_token(sdk.User(email="a@b.c")),
            sdk.ApiTypeError,
            "must be a TokenRequest, TokenCodeRequest, TokenRefreshRequest or a dict, not User",
        ),
        (
            lambda api: api.get_api_auth_me(_content_type="application/json"),
            sdk.ApiValueError,
            "get_api_auth_me() sends no request body, so it takes no _content_type",
        ),
        (
            lambda api: api.post_api_auth_logout("r", _content_type="text/xml"),
            sdk.ApiValueError,
            "Invalid _content_type 'text/xml' for post_api_auth_logout(): it sends "
            "application/json",
        ),
        (
            lambda api: api.get_api_auth_me(_host_index=3),
            sdk.ApiValueError,
            "Invalid host index 3: there are 1 host settings",
        ),
        (
            lambda api: api.get_api_auth_me(_request_timeout=-1),
            sdk.ApiValueError,
            "Invalid _request_timeout -1",
        ),
        (
            lambda api: api.get_api_auth_me(_request_timout=5),
            TypeError,
            "get_api_auth_me() got an unexpected keyword argument '_request_timout'; did you "
            "mean '_request_timeout'?",
        ),
        (
            lambda api: api.get_api_auth_me(colour=1),
            TypeError,
            "got an unexpected keyword argument 'colour'",
        ),
    ],
)
def test_a_bad_argument_is_refused_before_anything_is_sent(
    call: Any, error: type, says: str
) -> None:
    api, transport = api_with()
    with pytest.raises(error) as caught:
        call(api)
    assert says in str(caught.value)
    assert transport.requests == []


def test_a_secured_call_without_credentials_says_how_to_get_some() -> None:
    api, transport = api_with(access_token=None)
    with pytest.raises(sdk.ApiValueError) as caught:
        api.get_api_auth_me()
    assert str(caught.value) == (
        "get_api_auth_me() needs an access token, and none is set: set "
        "Configuration(access_token=...) or the NUMIND_API_KEY environment variable (an API "
        f"key works), or pass _request_auth, or sign in to {HOST} with `numind auth login`"
    )
    assert transport.requests == []


def test_a_bearer_prefix_in_numind_api_key_is_refused_at_the_first_secured_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NUMIND_API_KEY", "Bearer k")
    api, transport = api_with(access_token=None)
    with pytest.raises(sdk.ApiValueError, match="NUMIND_API_KEY"):
        api.get_api_auth_me()
    assert transport.requests == []


def test_per_call_options_apply_to_that_call_only() -> None:
    api, transport = api_with(json_answer(USER), json_answer(USER), json_answer(USER))
    auth = {"in": "header", "type": "oauth2", "key": "Authorization", "value": "Bearer k2"}
    api.get_api_auth_me(_request_auth=auth, _headers={"X-Trace": "1"}, _request_timeout=5)
    assert transport.last["headers"]["Authorization"] == "Bearer k2"
    assert transport.last["headers"]["X-Trace"] == "1"
    api.get_api_auth_me(_host_index=0, _headers={"Authorization": "Bearer k3"})
    assert transport.last["url"] == "https://api.nuextract.ai/v1/api/auth/me"
    assert transport.last["headers"]["Authorization"] == "Bearer k3"
    api.get_api_auth_me()
    assert transport.last["headers"]["Authorization"] == "Bearer tok-1"
    assert "X-Trace" not in transport.last["headers"]


def test_without_client_side_validation_a_dict_is_sent_as_given() -> None:
    api, transport = api_with(json_answer(TOKEN_BODY), client_side_validation=False)
    api.post_api_auth_user_tokens({"name": "ci", "future": 1})  # type: ignore[typeddict-unknown-key]
    assert transport.last["body"] == {"name": "ci", "future": 1}


def test_the_methods_show_their_options_in_their_signature() -> None:
    parameters = inspect.signature(sdk.AuthenticationApi.get_api_auth_me).parameters
    assert list(parameters) == [
        "self",
        "_request_timeout",
        "_request_auth",
        "_content_type",
        "_headers",
        "_host_index",
    ]
    assert all(p.default is None for name, p in parameters.items() if name != "self")


def test_an_api_needs_an_api_client() -> None:
    with pytest.raises(sdk.ApiTypeError, match="ApiClient"):
        sdk.AuthenticationApi("https://api.example.com")  # type: ignore[arg-type]


# -- a stored login signs the calls to its host ------------------------------------------


def store_login(expires_in: float, refresh_token: str = "r1") -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    CredentialStore().save(
        StoredCredentials(
            HOST, "stored-1", refresh_token, now + datetime.timedelta(seconds=expires_in)
        )
    )


def test_a_fresh_stored_login_signs_the_call() -> None:
    store_login(3600)
    api, transport = api_with(json_answer(USER), access_token=None)
    api.get_api_auth_me()
    assert transport.last["headers"]["Authorization"] == "Bearer stored-1"
    assert api.api_client.configuration.credential_source == "stored_login"


def test_an_expiring_stored_login_is_refreshed_first_and_the_new_tokens_stored() -> None:
    store_login(10)  # within the refresh margin
    tokens = {"token": "stored-2", "expiresIn": 300, "refreshToken": "r2"}
    api, transport = api_with(
        json_answer(json.dumps(tokens).encode()), json_answer(USER), access_token=None
    )
    api.get_api_auth_me()
    refresh, call = transport.requests
    assert (refresh["method"], refresh["url"]) == ("POST", f"{HOST}/api/auth/token")
    assert refresh["body"]["token"] == "r1"
    assert call["headers"]["Authorization"] == "Bearer stored-2"
    stored = CredentialStore().load(HOST)
    assert stored is not None and (stored.access_token, stored.refresh_token) == ("stored-2", "r2")


def test_a_401_refreshes_once_and_replays_once() -> None:
    store_login(3600)
    tokens = {"token": "stored-2", "expiresIn": 300}
    api, transport = api_with(
        json_answer(b'{"code": "E401", "message": "revoked"}', status=401),
        json_answer(json.dumps(tokens).encode()),
        json_answer(USER),
        access_token=None,
    )
    assert api.get_api_auth_me().email == "a@example.com"
    assert [r["method"] for r in transport.requests] == ["GET", "POST", "GET"]
    assert transport.last["headers"]["Authorization"] == "Bearer stored-2"
    stored = CredentialStore().load(HOST)
    assert stored is not None and stored.refresh_token == "r1"  # not rotated: kept


def test_a_refused_refresh_says_to_sign_in_again() -> None:
    store_login(10)
    api, transport = api_with(
        json_answer(b'{"code": "E400", "message": "bad token"}', status=400, **{}),
        access_token=None,
    )
    with pytest.raises(sdk.LoginRequiredError, match="sign in again with `numind auth login`"):
        api.get_api_auth_me()
    assert len(transport.requests) == 1


def test_a_stored_login_is_never_sent_to_another_host() -> None:
    store_login(3600)
    client = client_with(sdk.Configuration(host="https://other.example.com/v1"))
    with pytest.raises(sdk.ApiValueError, match="needs an access token"):
        sdk.AuthenticationApi(client).get_api_auth_me()
    assert isinstance(client.rest_client, FakeTransport) and client.rest_client.requests == []


@pytest.mark.parametrize(
    ("name", "args", "method", "path", "body"),
    [
        (
            "delete_api_auth_user_tokens_usertokenid",
            ("t1",),
            "DELETE",
            "/api/auth/user-tokens/t1",
            b"",
        ),
        ("get_api_auth", ("http://x",), "GET", "/api/auth?redirectUri=http%3A%2F%2Fx", b'"u"'),
        ("get_api_auth_me", (), "GET", "/api/auth/me", USER),
        ("get_api_auth_user_tokens", (), "GET", "/api/auth/user-tokens", b"[]"),
        ("post_api_auth_logout", ("r",), "POST", "/api/auth/logout", b"{}"),
        (
            "post_api_auth_token",
            ({"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": "r"},),
            "POST",
            "/api/auth/token",
            b'{"token": "a", "expiresIn": 1}',
        ),
        (
            "post_api_auth_user_tokens",
            ({"name": "n"},),
            "POST",
            "/api/auth/user-tokens",
            TOKEN_BODY,
        ),
        (
            "put_api_auth_user_tokens_usertokenid",
            ("t1", {"name": "n"}),
            "PUT",
            "/api/auth/user-tokens/t1",
            TOKEN_BODY,
        ),
    ],
)
def test_every_operation_in_its_three_forms(
    name: str, args: tuple[Any, ...], method: str, path: str, body: bytes
) -> None:
    api, transport = api_with(json_answer(body), json_answer(body), json_answer(body))
    decoded = getattr(api, name)(*args)
    info = getattr(api, f"{name}_with_http_info")(*args)
    assert info.data == decoded and info.raw_data == body
    unread = getattr(api, f"{name}_without_preload_content")(*args)
    assert unread.status == 200
    assert [(r["method"], r["url"]) for r in transport.requests] == [(method, HOST + path)] * 3
