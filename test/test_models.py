"""The models: wire names, round trips, the TokenRequest discriminator, strictness."""

from __future__ import annotations

import ast
import json

import pytest
from pydantic import ValidationError

import numind.openapi_client as sdk
from numind.openapi_client.models.create_or_update_user_token import CreateOrUpdateUserToken
from numind.openapi_client.models.error import Error
from numind.openapi_client.models.token_code_request import TokenCodeRequest
from numind.openapi_client.models.token_refresh_request import TokenRefreshRequest
from numind.openapi_client.models.token_request import TokenRequest
from numind.openapi_client.models.token_response import TokenResponse
from numind.openapi_client.models.user import User
from numind.openapi_client.models.user_token_response import UserTokenResponse

WIRE = {
    User: {"email": "ada@example.com"},
    Error: {"code": "NOT_FOUND", "message": "User token not found"},
    CreateOrUpdateUserToken: {"name": "ci-pipeline"},
    TokenCodeRequest: {
        "code": "c0de",
        "redirectUri": "http://localhost:5173",
        "type": "ai.numind.extract.shared.TokenCodeRequest",
    },
    TokenRefreshRequest: {
        "token": "r3fresh",
        "type": "ai.numind.extract.shared.TokenRefreshRequest",
    },
    TokenResponse: {
        "token": "acc3ss",
        "expiresIn": 300,
        "refreshToken": "r3fresh",
        "refreshExpiresIn": 1800,
    },
    UserTokenResponse: {
        "id": "5b0b7f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "name": "ci-pipeline",
        "token": "nm_s3cret",
        "userId": "u-1",
        "createdAt": "2026-11-29T10:18:02Z",
        "expiresAt": "2027-11-29T10:18:02Z",
    },
}


@pytest.mark.parametrize("model", list(WIRE), ids=lambda m: m.__name__)
def test_round_trips_keep_wire_names(model: type[sdk.User]) -> None:
    wire = WIRE[model]

    from_json = model.from_json(json.dumps(wire))
    from_dict = model.from_dict(wire)

    assert from_json == from_dict
    assert from_json.to_dict() == wire
    assert json.loads(from_json.to_json()) == wire
    assert model.from_json(from_json.to_json()) == from_json
    shown = ast.literal_eval(from_json.to_str())
    fields = model.model_fields
    secret_wire_names = {fields[name].serialization_alias or name for name in model.secret_fields}
    assert shown == {k: "<redacted>" if k in secret_wire_names else v for k, v in wire.items()}
    assert model.from_dict(None) is None


def test_python_names_and_wire_names_both_construct() -> None:
    by_name = UserTokenResponse(
        id="i", name="n", token="t", user_id="u", created_at="c", expires_at="e"
    )
    by_alias = UserTokenResponse.from_dict(
        {"id": "i", "name": "n", "token": "t", "userId": "u", "createdAt": "c", "expiresAt": "e"}
    )
    assert by_name == by_alias
    assert by_name.user_id == "u"


def test_token_response_refresh_fields_are_optional() -> None:
    response = TokenResponse.from_json('{"token": "t", "expiresIn": 60}')
    assert response.refresh_token is None
    assert response.to_dict() == {"token": "t", "expiresIn": 60}


def test_response_models_ignore_fields_added_to_the_api_later() -> None:
    user = User.from_json('{"email": "ada@example.com", "displayName": "Ada"}')
    assert user == User(email="ada@example.com")


def test_request_models_reject_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="nme"):
        CreateOrUpdateUserToken.from_dict({"nme": "typo", "name": "x"})


def test_fields_are_strict() -> None:
    with pytest.raises(ValidationError):
        TokenResponse.from_json('{"token": "t", "expiresIn": "60"}')
    with pytest.raises(ValidationError):
        User(email=None)  # type: ignore[arg-type]
    user = User(email="a@example.com")
    with pytest.raises(ValidationError):
        user.email = 5  # type: ignore[assignment]


@pytest.mark.parametrize("variant", [TokenCodeRequest, TokenRefreshRequest])
def test_token_request_picks_the_variant_by_type(variant: type[TokenCodeRequest]) -> None:
    wire = WIRE[variant]

    request = TokenRequest.from_dict(wire)

    assert request is not None
    assert type(request.actual_instance) is variant
    assert request.to_dict() == wire
    assert TokenRequest.from_json(json.dumps(wire)).actual_instance == request.actual_instance
    assert TokenRequest(variant.from_dict(wire)).to_json() == request.to_json()


def test_token_request_uses_the_discriminator_not_trial() -> None:
    # Fits TokenRefreshRequest's fields, but the type says TokenCodeRequest: an error
    # about the code variant's fields, not a silent match of the other variant.
    with pytest.raises(ValidationError) as caught:
        TokenRequest.from_dict({"type": "ai.numind.extract.shared.TokenCodeRequest", "token": "r"})
    assert {e["loc"][-1] for e in caught.value.errors()} == {"code", "redirect_uri", "token"}


def test_token_request_names_the_allowed_types() -> None:
    with pytest.raises(ValidationError) as caught:
        TokenRequest.from_dict({"type": "password", "token": "r"})
    message = str(caught.value)
    assert '"ai.numind.extract.shared.TokenCodeRequest"' in message
    assert '"ai.numind.extract.shared.TokenRefreshRequest"' in message
    with pytest.raises(ValidationError, match="the token request has no 'type': give") as caught:
        TokenRequest.from_dict({"token": "r"})
    assert "discriminator" not in str(caught.value) and "'r'" not in str(caught.value)


def test_variant_type_defaults_to_its_constant_and_cannot_change() -> None:
    assert TokenRefreshRequest(token="r").type == "ai.numind.extract.shared.TokenRefreshRequest"
    with pytest.raises(ValidationError):
        TokenRefreshRequest(token="r", type="ai.numind.extract.shared.TokenCodeRequest")  # type: ignore[arg-type]


def test_models_are_importable_from_the_package_and_their_modules() -> None:
    for model in WIRE:
        assert getattr(sdk, model.__name__) is model
        assert getattr(sdk.models, model.__name__) is model
    assert sdk.TokenRequest is TokenRequest
