"""Every operation of AuthenticationApi, in its three variants, over real HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from signing_in import (
    REDIRECT_URI,
    authorization_code,
    bearer,
    new_email,
    open_authorization_url,
    sign_in,
)
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

# -- get_api_auth ------------------------------------------------------------------------


def test_get_api_auth_returns_the_authorization_url_for_the_redirect_uri(
    anonymous_api: sdk.AuthenticationApi,
) -> None:
    url = anonymous_api.get_api_auth(REDIRECT_URI)

    assert isinstance(url, str)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["response_type"] == ["code"]
    location = open_authorization_url(url, new_email())
    assert location.startswith(REDIRECT_URI + "?")
    assert parse_qs(urlsplit(location).query)["state"] == query["state"]


def test_get_api_auth_with_http_info_has_status_headers_and_raw_text(
    anonymous_api: sdk.AuthenticationApi,
) -> None:
    response = anonymous_api.get_api_auth_with_http_info(REDIRECT_URI)

    assert response.status_code == 200
    assert response.headers is not None
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.raw_data.decode() == response.data
    assert response.data.startswith("http://127.0.0.1:")


def test_get_api_auth_without_preload_content_leaves_the_body_to_the_caller(
    anonymous_api: sdk.AuthenticationApi, twin: Twin
) -> None:
    response = anonymous_api.get_api_auth_without_preload_content(REDIRECT_URI)

    assert isinstance(response, twin.unread_type)
    assert response.status == 200
    assert response.read().decode().startswith("http://127.0.0.1:")
    response.release_conn()


@pytest.mark.invalid_traffic  # an empty redirectUri, which the document forbids
def test_get_api_auth_rejects_an_empty_redirect_uri_with_the_servers_text(
    anonymous_api: sdk.AuthenticationApi,
) -> None:
    with pytest.raises(sdk.BadRequestException) as caught:
        anonymous_api.get_api_auth("")  # the only value refused: none

    error = caught.value
    assert error.status == 400
    assert error.body == "Invalid value for: query parameter redirectUri"
    assert error.data == "Invalid value for: query parameter redirectUri"
    assert error.headers is not None and "text/plain" in error.headers["Content-Type"]
    assert "Invalid value for: query parameter redirectUri" in str(error)


# -- post_api_auth_token -----------------------------------------------------------------


def test_code_exchange_accepts_the_seeds_dict_form(anonymous_api: sdk.AuthenticationApi) -> None:
    code = authorization_code(anonymous_api, new_email())
    token_request = {
        "type": "ai.numind.extract.shared.TokenCodeRequest",
        "code": code,
        "redirectUri": REDIRECT_URI,
    }

    tokens = anonymous_api.post_api_auth_token(token_request)

    assert isinstance(tokens, sdk.TokenResponse)
    assert tokens.token and tokens.refresh_token
    assert tokens.expires_in > 0
    assert tokens.refresh_expires_in is not None and tokens.refresh_expires_in > 0


@pytest.mark.parametrize("form", ["wrapper", "variant", "python_names"])
def test_code_exchange_accepts_models(anonymous_api: sdk.AuthenticationApi, form: str) -> None:
    email = new_email()
    code = authorization_code(anonymous_api, email)
    variant = sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)
    argument = {
        "wrapper": sdk.TokenRequest(variant),
        "variant": variant,
        "python_names": sdk.TokenRequest.from_dict(
            {"type": variant.type, "code": code, "redirect_uri": REDIRECT_URI}
        ),
    }[form]

    tokens = anonymous_api.post_api_auth_token(argument)  # type: ignore[arg-type]

    assert anonymous_api.get_api_auth_me(_request_auth=bearer(tokens.token)).email == email


def test_code_exchange_variants_return_the_same_types(
    anonymous_api: sdk.AuthenticationApi,
) -> None:
    code = authorization_code(anonymous_api, new_email())
    request = sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)

    response = anonymous_api.post_api_auth_token_with_http_info(request)

    assert response.status_code == 200
    assert isinstance(response.data, sdk.TokenResponse)
    assert json.loads(response.raw_data)["token"] == response.data.token

    code = authorization_code(anonymous_api, new_email())
    raw = anonymous_api.post_api_auth_token_without_preload_content(
        sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)
    )
    assert raw.status == 200
    assert sdk.TokenResponse.from_json(raw.read()).token


def test_a_code_is_single_use(anonymous_api: sdk.AuthenticationApi) -> None:
    code = authorization_code(anonymous_api, new_email())
    request = sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)
    anonymous_api.post_api_auth_token(request)

    with pytest.raises(sdk.BadRequestException) as caught:
        anonymous_api.post_api_auth_token(request)
    assert caught.value.body == "Invalid value for: body"


def test_a_code_is_bound_to_its_redirect_uri(anonymous_api: sdk.AuthenticationApi) -> None:
    code = authorization_code(anonymous_api, new_email())

    with pytest.raises(sdk.BadRequestException):
        anonymous_api.post_api_auth_token(
            sdk.TokenCodeRequest(code=code, redirect_uri="http://localhost:9999/other")
        )


def test_refresh_rotates_the_refresh_token(
    anonymous_api: sdk.AuthenticationApi, tokens: sdk.TokenResponse
) -> None:
    assert tokens.refresh_token is not None

    fresh = anonymous_api.post_api_auth_token(sdk.TokenRefreshRequest(token=tokens.refresh_token))

    assert fresh.token != tokens.token
    assert fresh.refresh_token not in (None, tokens.refresh_token)
    with pytest.raises(sdk.BadRequestException):
        anonymous_api.post_api_auth_token(sdk.TokenRefreshRequest(token=tokens.refresh_token))
    assert anonymous_api.get_api_auth_me(_request_auth=bearer(fresh.token)).email


# -- post_api_auth_logout ----------------------------------------------------------------


def test_logout_revokes_the_refresh_token_and_the_access_token(
    api: sdk.AuthenticationApi, tokens: sdk.TokenResponse
) -> None:
    assert tokens.refresh_token is not None

    assert api.post_api_auth_logout(tokens.refresh_token) == {}

    with pytest.raises(sdk.UnauthorizedException) as caught:
        api.get_api_auth_me()
    assert isinstance(caught.value.data, sdk.Error)
    assert caught.value.data.code == "UNAUTHORIZED"
    with pytest.raises(sdk.BadRequestException):
        api.post_api_auth_token(sdk.TokenRefreshRequest(token=tokens.refresh_token))


def test_logout_variants(server: LocalServer, twin: Twin) -> None:
    first, second = sign_in(server), sign_in(server)
    with twin.client(sdk.Configuration(host=server.url)) as client:
        api = twin.api(client)
        assert first.refresh_token and second.refresh_token

        response = api.post_api_auth_logout_with_http_info(
            first.refresh_token, _request_auth=bearer(first.token)
        )
        assert (response.status_code, response.data) == (200, {})

        raw = api.post_api_auth_logout_without_preload_content(
            second.refresh_token, _request_auth=bearer(second.token)
        )
        assert (raw.status, json.loads(raw.read())) == (200, {})


def test_logout_with_an_unknown_refresh_token_is_a_400_with_text(
    api: sdk.AuthenticationApi,
) -> None:
    with pytest.raises(sdk.BadRequestException) as caught:
        api.post_api_auth_logout("not-a-refresh-token")
    assert caught.value.data == "Invalid value for: body"


# -- get_api_auth_me ---------------------------------------------------------------------


def test_me_returns_the_signed_in_user(server: LocalServer, twin: Twin) -> None:
    email = new_email()
    tokens = sign_in(server, email)
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    with twin.client(configuration) as client:
        api = twin.api(client)

        assert api.get_api_auth_me() == sdk.User(email=email)
        response = api.get_api_auth_me_with_http_info()
        assert response.status_code == 200 and response.data.email == email
        assert json.loads(response.raw_data) == {"email": email}
        raw = api.get_api_auth_me_without_preload_content()
        assert json.loads(raw.read()) == {"email": email}


@pytest.mark.parametrize("token", ["not-a-token", "Bearer", "x" * 300])
def test_me_with_a_bad_token_raises_unauthorized_with_the_error_body(
    server: LocalServer, token: str, twin: Twin
) -> None:
    configuration = sdk.Configuration(host=server.url, access_token=token)
    with twin.client(configuration) as client, pytest.raises(sdk.UnauthorizedException) as caught:
        twin.api(client).get_api_auth_me()

    error = caught.value
    assert error.status == 401
    assert isinstance(error.data, sdk.Error) and error.data.code == "UNAUTHORIZED"
    assert json.loads(error.body or "")["code"] == "UNAUTHORIZED"
    assert token not in str(error)


def test_an_expired_access_token_is_unauthorized(own_server: LocalServer, twin: Twin) -> None:
    tokens = sign_in(own_server)
    configuration = sdk.Configuration(host=own_server.url, access_token=tokens.token)
    with twin.client(configuration) as client:
        api = twin.api(client)
        api.get_api_auth_me()

        own_server.advance_clock(tokens.expires_in + 1)

        with pytest.raises(sdk.UnauthorizedException):
            api.get_api_auth_me()


# -- user tokens -------------------------------------------------------------------------


def test_user_token_crud(api: sdk.AuthenticationApi) -> None:
    created = api.post_api_auth_user_tokens(sdk.CreateOrUpdateUserToken(name="ci-pipeline"))
    assert created.name == "ci-pipeline"
    assert created.token.startswith("nm_")
    assert [t.id for t in api.get_api_auth_user_tokens()] == [created.id]

    renamed = api.put_api_auth_user_tokens_usertokenid(
        created.id, sdk.CreateOrUpdateUserToken(name="renamed")
    )
    assert (renamed.id, renamed.name) == (created.id, "renamed")
    assert [t.name for t in api.get_api_auth_user_tokens()] == ["renamed"]

    assert api.delete_api_auth_user_tokens_usertokenid(created.id) is None
    assert api.get_api_auth_user_tokens() == []


def test_user_token_variants(api: sdk.AuthenticationApi) -> None:
    created = api.post_api_auth_user_tokens_with_http_info({"name": "one"})
    assert created.status_code == 200 and isinstance(created.data, sdk.UserTokenResponse)
    raw = api.post_api_auth_user_tokens_without_preload_content({"name": "two"})
    second = sdk.UserTokenResponse.from_json(raw.read())

    listed = api.get_api_auth_user_tokens_with_http_info()
    assert [t.name for t in listed.data] == ["one", "two"]
    assert all(isinstance(t, sdk.UserTokenResponse) for t in listed.data)
    raw_list = api.get_api_auth_user_tokens_without_preload_content()
    assert [t["name"] for t in json.loads(raw_list.read())] == ["one", "two"]

    renamed = api.put_api_auth_user_tokens_usertokenid_with_http_info(
        created.data.id, {"name": "uno"}
    )
    assert renamed.data.name == "uno"
    raw_put = api.put_api_auth_user_tokens_usertokenid_without_preload_content(
        second.id, {"name": "dos"}
    )
    assert json.loads(raw_put.read())["name"] == "dos"

    deleted = api.delete_api_auth_user_tokens_usertokenid_with_http_info(created.data.id)
    assert (deleted.status_code, deleted.data, deleted.raw_data) == (200, None, b"")
    raw_delete = api.delete_api_auth_user_tokens_usertokenid_without_preload_content(second.id)
    assert (raw_delete.status, raw_delete.read()) == (200, b"")
    assert api.get_api_auth_user_tokens() == []


def test_a_user_token_authenticates_until_it_is_deleted(
    server: LocalServer, api: sdk.AuthenticationApi, twin: Twin
) -> None:
    me = api.get_api_auth_me()
    key = api.post_api_auth_user_tokens({"name": "script"})

    with twin.client(sdk.Configuration(host=server.url, access_token=key.token)) as client:
        as_key = twin.api(client)
        assert as_key.get_api_auth_me() == me

        api.delete_api_auth_user_tokens_usertokenid(key.id)

        with pytest.raises(sdk.UnauthorizedException):
            as_key.get_api_auth_me()


def test_users_never_see_each_others_tokens(server: LocalServer, twin: Twin) -> None:
    alice = sdk.Configuration(host=server.url, access_token=sign_in(server).token)
    bob = sdk.Configuration(host=server.url, access_token=sign_in(server).token)
    with twin.client(alice) as alice_client, twin.client(bob) as bob_client:
        alice_api, bob_api = twin.api(alice_client), twin.api(bob_client)
        alices = alice_api.post_api_auth_user_tokens({"name": "alice's"})

        assert bob_api.get_api_auth_user_tokens() == []
        with pytest.raises(sdk.NotFoundException) as caught:
            bob_api.put_api_auth_user_tokens_usertokenid(alices.id, {"name": "mine now"})
        assert isinstance(caught.value.data, sdk.Error)
        assert caught.value.data.code == "NOT_FOUND"
        with pytest.raises(sdk.NotFoundException):
            bob_api.delete_api_auth_user_tokens_usertokenid(alices.id)
        assert [t.name for t in alice_api.get_api_auth_user_tokens()] == ["alice's"]


def test_unknown_user_token_id_is_not_found(api: sdk.AuthenticationApi) -> None:
    with pytest.raises(sdk.NotFoundException) as caught:
        api.delete_api_auth_user_tokens_usertokenid("5b0b7f3e-0000-0000-0000-000000000000")
    assert caught.value.status == 404
    assert "(404)" in str(caught.value)


def test_the_server_rejects_an_empty_name_with_text(api: sdk.AuthenticationApi) -> None:
    with pytest.raises(sdk.BadRequestException) as caught:
        api.post_api_auth_user_tokens({"name": ""})
    assert caught.value.data == "Invalid value for: body"


@pytest.mark.parametrize("user_token_id", ["../me", "a/b?c", "..", ".", "%2e%2e", "a b#c"])
def test_path_parameters_cannot_reach_another_path(
    api: sdk.AuthenticationApi, user_token_id: str
) -> None:
    api.post_api_auth_user_tokens({"name": "keep me"})

    with pytest.raises(sdk.NotFoundException) as caught:
        api.delete_api_auth_user_tokens_usertokenid(user_token_id)

    assert isinstance(caught.value.data, sdk.Error)
    assert [t.name for t in api.get_api_auth_user_tokens()] == ["keep me"]


# -- the default Error response ---------------------------------------------------------


@pytest.mark.invalid_traffic
def test_an_unexpected_status_is_an_api_exception_with_the_error(
    server: LocalServer, twin: Twin
) -> None:
    with (
        twin.client(sdk.Configuration(host=server.url)) as client,
        pytest.raises(sdk.ApiException) as caught,
    ):
        response = client.call_api("PATCH", server.url + "/api/auth/me")
        response.read()  # the async client's response_deserialize reads nothing itself
        client.response_deserialize(response, {"200": "User", "0": "Error"})
    error = caught.value
    assert error.status == 405
    assert type(error) is sdk.ApiException
    assert isinstance(error.data, sdk.Error) and error.data.code == "METHOD_NOT_ALLOWED"
