"""What the typed surface promises at run time, too: Python names in model constructors
with wire names still read, dict arguments in either spelling, options that reject a
misspelt keyword as Python would, exact return types, and the traps that used to fail
late (a Configuration for an ApiClient, an exception missing from the package)."""

from __future__ import annotations

import inspect
import json
import typing
from typing import Any, Callable

import pytest
from pydantic import ValidationError
from signing_in import REDIRECT_URI, authorization_code, new_email
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer

CODE_REQUEST = "ai.numind.extract.shared.TokenCodeRequest"
REFRESH_REQUEST = "ai.numind.extract.shared.TokenRefreshRequest"
SECRET = "s3cret-refresh-token-value"

# -- models: Python names in the constructor, wire names still read -----------------------


def test_constructors_take_python_names_and_write_wire_names() -> None:
    request = sdk.TokenCodeRequest(code="c", redirect_uri=REDIRECT_URI)
    key = sdk.UserTokenResponse(
        id="i", name="n", token="t", user_id="u", created_at="c", expires_at="e"
    )
    tokens = sdk.TokenResponse(token="t", expires_in=300, refresh_expires_in=1800)

    assert request.to_dict() == {"code": "c", "redirectUri": REDIRECT_URI, "type": CODE_REQUEST}
    assert json.loads(key.to_json())["userId"] == "u"
    assert tokens.to_dict() == {"token": "t", "expiresIn": 300, "refreshExpiresIn": 1800}


@pytest.mark.parametrize(
    "read",
    [
        lambda data: sdk.UserTokenResponse.from_dict(data),
        lambda data: sdk.UserTokenResponse.model_validate(data),
        lambda data: sdk.UserTokenResponse.from_json(json.dumps(data)),
        lambda data: sdk.UserTokenResponse.model_validate_json(json.dumps(data)),
    ],
    ids=["from_dict", "model_validate", "from_json", "model_validate_json"],
)
def test_wire_names_and_python_names_are_both_read(read: Callable[[Any], Any]) -> None:
    wire = {"id": "i", "name": "n", "token": "t", "userId": "u", "createdAt": "c"}
    python = {"id": "i", "name": "n", "token": "t", "user_id": "u", "created_at": "c"}

    by_wire = read({**wire, "expiresAt": "e"})
    by_python = read({**python, "expires_at": "e"})

    assert by_wire == by_python
    assert by_wire.user_id == "u" and by_wire.expires_at == "e"


def test_a_missing_field_is_named_by_its_python_name() -> None:
    with pytest.raises(ValidationError) as caught:
        sdk.TokenCodeRequest(code="c")  # type: ignore[call-arg]

    assert [e["loc"] for e in caught.value.errors()] == [("redirect_uri",)]
    assert "redirect_uri\n  Field required" in str(caught.value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: sdk.TokenRefreshRequest(token=SECRET.encode()),  # type: ignore[arg-type]
        lambda: sdk.TokenRefreshRequest.from_dict({"token": SECRET, "type": "other"}),
        lambda: sdk.TokenCodeRequest(code=SECRET, redirect_uri=5),  # type: ignore[arg-type]
        lambda: sdk.TokenResponse.from_json(json.dumps({"token": SECRET, "expiresIn": "60"})),
        lambda: sdk.TokenResponse.from_dict({"token": 5, "expiresIn": 1, "refreshToken": [SECRET]}),
        lambda: sdk.UserTokenResponse.from_dict({"token": SECRET}),
        lambda: sdk.TokenRequest.from_dict({"type": "password", "token": SECRET}),
        lambda: sdk.TokenRequest.from_json(
            json.dumps({"type": REFRESH_REQUEST, "token": [SECRET]})
        ),
        lambda: sdk.TokenRequest.from_dict({"token": SECRET}),
    ],
)
def test_a_validation_error_never_shows_an_input_value(build: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        build()

    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert "input_value" not in str(caught.value)


def test_token_request_wraps_one_variant() -> None:
    variant = sdk.TokenRefreshRequest(token="r")

    assert sdk.TokenRequest(variant).actual_instance is variant
    assert sdk.TokenRequest(actual_instance=variant).to_dict() == variant.to_dict()
    with pytest.raises(TypeError):
        sdk.TokenRequest(variant, variant)  # type: ignore[call-arg]


def test_from_dict_of_none_is_none() -> None:
    assert sdk.User.from_dict(None) is None
    assert sdk.TokenRequest.from_dict(None) is None


# -- dict arguments: the TypedDict's wire names, and snake_case at run time --------------


def test_the_dict_forms_name_the_wire_fields() -> None:
    assert sdk.TokenCodeRequestDict.__required_keys__ == {"type", "code", "redirectUri"}
    assert sdk.TokenRefreshRequestDict.__required_keys__ == {"type", "token"}
    assert sdk.CreateOrUpdateUserTokenDict.__required_keys__ == {"name"}
    assert set(sdk.TokenRequestDict.__args__) == {  # type: ignore[attr-defined]
        sdk.TokenCodeRequestDict,
        sdk.TokenRefreshRequestDict,
    }


@pytest.mark.parametrize("redirect_key", ["redirectUri", "redirect_uri"])
def test_a_token_request_dict_works_with_either_spelling(
    anonymous_api: sdk.AuthenticationApi, redirect_key: str
) -> None:
    code = authorization_code(anonymous_api, new_email())

    tokens = anonymous_api.post_api_auth_token(
        {"type": CODE_REQUEST, "code": code, redirect_key: REDIRECT_URI}  # type: ignore[misc]
    )

    assert tokens.expires_in > 0 and tokens.refresh_token


# -- per-call options: typed once, rejected like Python rejects a keyword ---------------

OPTIONS = ["_request_timeout", "_request_auth", "_content_type", "_headers", "_host_index"]

#: every public method, with arguments that would be sent if the options were right
CALLS: dict[str, tuple[Any, ...]] = {
    "delete_api_auth_user_tokens_usertokenid": ("some-id",),
    "get_api_auth": (REDIRECT_URI,),
    "get_api_auth_me": (),
    "get_api_auth_user_tokens": (),
    "post_api_auth_logout": ("some-refresh-token",),
    "post_api_auth_token": ({"type": REFRESH_REQUEST, "token": "t"},),
    "post_api_auth_user_tokens": ({"name": "n"},),
    "put_api_auth_user_tokens_usertokenid": ("some-id", {"name": "n"}),
}
METHODS = [
    op + suffix for op in CALLS for suffix in ("", "_with_http_info", "_without_preload_content")
]


@pytest.mark.parametrize("method", METHODS)
def test_a_misspelt_option_is_a_type_error_that_names_it(
    server: LocalServer, api: sdk.AuthenticationApi, method: str
) -> None:
    before = server.requests_handled
    with pytest.raises(TypeError) as caught:
        getattr(api, method)(*CALLS[method.split("_with")[0]], _request_timeot=5)

    assert server.requests_handled == before
    assert str(caught.value).startswith(method) or f"AuthenticationApi.{method}" in str(
        caught.value
    )
    assert str(caught.value).endswith(
        "() got an unexpected keyword argument '_request_timeot'; did you mean '_request_timeout'?"
    )


def test_an_option_that_resembles_none_is_named_alone(api: sdk.AuthenticationApi) -> None:
    with pytest.raises(TypeError) as caught:
        api.get_api_auth_me(_request_timeout=5, verbose=True)  # type: ignore[call-arg]

    assert "got an unexpected keyword argument 'verbose'" in str(caught.value)
    assert "did you mean" not in str(caught.value)


def test_an_option_passed_by_position_is_a_type_error(
    server: LocalServer, api: sdk.AuthenticationApi
) -> None:
    before = server.requests_handled
    with pytest.raises(TypeError, match="positional argument"):
        api.get_api_auth_me(5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional argument"):
        api.post_api_auth_user_tokens({"name": "n"}, 5)  # type: ignore[call-arg]
    assert server.requests_handled == before


def test_each_option_still_reaches_the_request(
    server: LocalServer, api: sdk.AuthenticationApi
) -> None:
    response = api.get_api_auth_me_with_http_info(
        _request_timeout=(5, 5), _headers={"X-Request-Id": "typed-options"}, _host_index=None
    )
    assert response.status_code == 200
    with pytest.raises(sdk.ApiValueError, match="takes no _content_type"):
        api.get_api_auth_me(_content_type="application/json")
    with pytest.raises(sdk.UnauthorizedException):
        api.get_api_auth_me(
            _request_auth={"in": "header", "key": "Authorization", "value": "Bearer wrong"}
        )


def test_help_shows_the_options_with_their_types() -> None:
    signature = inspect.signature(sdk.AuthenticationApi.put_api_auth_user_tokens_usertokenid)

    names = list(signature.parameters)
    assert names == ["self", "user_token_id", "create_or_update_user_token", *OPTIONS]
    hints = typing.get_type_hints(sdk.RequestOptions)
    for name in OPTIONS:
        option = signature.parameters[name]
        assert option.kind is inspect.Parameter.KEYWORD_ONLY
        assert option.default is None
        assert option.annotation == hints[name]
    assert "Timeout" in str(signature)  # what help() and IPython show


# -- exact return and attribute types ------------------------------------------------------


def test_api_response_headers_are_a_mapping_never_none(api: sdk.AuthenticationApi) -> None:
    response = api.get_api_auth_me_with_http_info()

    assert response.headers["content-type"].startswith("application/json")  # any case
    empty = sdk.ApiResponse(status_code=204, data=None)
    assert dict(empty.headers) == {}
    assert empty.headers.get("Content-Type") is None


def test_without_preload_content_returns_the_transport_response(
    api: sdk.AuthenticationApi, twin: Twin
) -> None:
    raw = api.get_api_auth_me_without_preload_content()
    try:
        assert isinstance(raw, twin.unread_type)
        assert raw.status == 200
    finally:
        raw.release_conn()


# -- the traps ----------------------------------------------------------------------------


def test_an_api_class_given_a_configuration_says_what_to_pass(server: LocalServer) -> None:
    configuration = sdk.Configuration(host=server.url)

    with pytest.raises(sdk.ApiTypeError) as caught:
        sdk.AuthenticationApi(configuration)  # type: ignore[arg-type]

    message = str(caught.value)
    assert "AuthenticationApi() takes an ApiClient, not a Configuration" in message
    assert "ApiClient(configuration)" in message
    with pytest.raises(sdk.ApiTypeError, match="not a str"):
        sdk.AuthenticationApi(server.url)  # type: ignore[arg-type]


def test_an_api_class_without_a_client_uses_the_default_one() -> None:
    assert sdk.AuthenticationApi().api_client is sdk.ApiClient.get_default()
    assert sdk.AuthenticationApi(None).api_client is sdk.ApiClient.get_default()


@pytest.mark.parametrize(
    "name", ["LoginError", "LoginRequiredError", "CredentialStoreError", "SessionNotRevokedWarning"]
)
def test_the_errors_of_signing_in_are_importable_from_the_package(name: str) -> None:
    error = getattr(sdk, name)

    assert error is getattr(auth, name)
    assert name in sdk.__all__
    if name.endswith("Error"):
        assert issubclass(error, sdk.OpenApiException)


def test_a_misspelt_name_is_an_error() -> None:
    with pytest.raises(ImportError):
        from numind.openapi_client import Confguration  # type: ignore[attr-defined]  # noqa: F401
    with pytest.raises(AttributeError):
        sdk.models.TokenRequestDikt  # type: ignore[attr-defined]  # noqa: B018
