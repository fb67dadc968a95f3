"""Decoding an answer by its status and media type (``ApiClient.response_deserialize`` and
``deserialize``), from fake responses whose body is read."""

from __future__ import annotations

import json
import logging
from typing import Iterator

import pytest
from unit_fakes import FakeResponse

import numind.openapi_client as sdk

TOKEN = {
    "id": "t1",
    "name": "ci",
    "token": "SECRET-USER-TOKEN",
    "userId": "u1",
    "createdAt": "2026-01-01T00:00:00Z",
    "expiresAt": "2027-01-01T00:00:00Z",
}
ERROR_TYPES = {"200": "User", "400": "str", "0": "Error"}


@pytest.fixture
def client() -> Iterator[sdk.ApiClient]:
    with sdk.ApiClient(sdk.Configuration(host="https://api.example.com/v1")) as api_client:
        yield api_client


def answer(status: int, body: bytes, content_type: str = "application/json") -> FakeResponse:
    return FakeResponse(status, body, {"Content-Type": content_type, "X-Request-Id": "r-1"})


def test_a_2xx_model(client: sdk.ApiClient) -> None:
    response = client.response_deserialize(
        answer(200, b'{"email": "a@example.com"}'), {"200": "User"}
    )
    assert response.data == sdk.User(email="a@example.com")
    assert response.status_code == 200
    assert response.raw_data == b'{"email": "a@example.com"}'
    assert response.headers["X-Request-Id"] == "r-1"


def test_a_2xx_list_of_models(client: sdk.ApiClient) -> None:
    body = json.dumps([TOKEN, {**TOKEN, "id": "t2"}]).encode()
    data = client.response_deserialize(answer(200, body), {"200": "List[UserTokenResponse]"}).data
    assert [token.id for token in data] == ["t1", "t2"]
    assert all(isinstance(token, sdk.UserTokenResponse) for token in data)


def test_text_plain_as_str_with_its_charset(client: sdk.ApiClient) -> None:
    text = answer(200, "https://sign.in/é".encode("latin-1"), "text/plain; charset=latin-1")
    assert client.response_deserialize(text, {"200": "str"}).data == "https://sign.in/é"
    assert client.deserialize("plain", "str", "text/plain") == "plain"


def test_json_types_by_name(client: sdk.ApiClient) -> None:
    assert client.deserialize(b'{"a": [1]}', "object", "application/json") == {"a": [1]}
    assert client.deserialize(b"3", "int", "application/problem+json") == 3
    assert client.deserialize(b'"x"', "str", None) == "x"  # no media type: JSON
    assert client.deserialize(b"raw", "bytes", "application/json") == b"raw"


def test_a_2xx_with_no_type_or_no_body_has_no_data(client: sdk.ApiClient) -> None:
    assert client.response_deserialize(answer(200, b""), {"200": "User"}).data is None
    assert client.response_deserialize(answer(204, b"ignored"), {"200": None}).data is None
    # 2xx other than 200 take the type of 200.
    created = client.response_deserialize(answer(201, b'{"email": "b@x.org"}'), {"200": "User"})
    assert created.data.email == "b@x.org"


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b'{"email": ', "application/json", "The response is not a valid User: "),
        (b'{"mail": "a"}', "application/json", "The response is not a valid User: 'email':"),
        (b"<html>hello</html>", "text/html", "The response is not a valid User: a text/html"),
    ],
)
def test_an_undecodable_2xx_raises_naming_the_type(
    client: sdk.ApiClient, body: bytes, content_type: str, says: str
) -> None:
    with pytest.raises(sdk.ApiException) as caught:
        client.response_deserialize(answer(200, body, content_type), {"200": "User"})
    error = caught.value
    assert type(error) is sdk.ApiException
    assert error.status == 200
    assert error.reason is not None and error.reason.startswith(says)
    assert error.body == body.decode()
    # The body of a success may be a token response: never echoed in the message.
    assert str(error).endswith(f"the body ({len(body)} chars) is kept in .body [request id r-1]")


def test_an_undecodable_token_answer_never_shows_the_token(client: sdk.ApiClient) -> None:
    body = b'{"token": "SECRET", "expiresIn": "soon"}'
    with pytest.raises(sdk.ApiException) as caught:
        client.response_deserialize(answer(200, body), {"200": "TokenResponse"})
    assert "SECRET" not in str(caught.value) and "SECRET" not in (caught.value.reason or "")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, sdk.BadRequestException),
        (401, sdk.UnauthorizedException),
        (403, sdk.ForbiddenException),
        (404, sdk.NotFoundException),
        (409, sdk.ConflictException),
        (422, sdk.UnprocessableEntityException),
        (429, sdk.TooManyRequestsException),
        (500, sdk.ServiceException),
        (503, sdk.ServiceException),
        (418, sdk.ApiException),
    ],
)
def test_an_error_status_raises_its_class_with_the_decoded_error(
    client: sdk.ApiClient, status: int, cls: type
) -> None:
    body = b'{"code": "E1", "message": "no such token"}'
    with pytest.raises(sdk.ApiException) as caught:
        client.response_deserialize(answer(status, body), {"200": "User", "0": "Error"})
    error = caught.value
    assert type(error) is cls
    assert error.status == status
    assert error.body == body.decode()
    assert error.data == sdk.Error(code="E1", message="no such token")
    assert error.error is error.data
    assert error.headers is not None and error.headers["X-Request-Id"] == "r-1"
    assert error.request_id == "r-1"
    assert str(error).startswith(f"({status})")
    assert "E1: no such token" in str(error)


def test_a_4xx_text_answer_is_its_data(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.BadRequestException) as caught:
        client.response_deserialize(answer(400, b"bad redirectUri", "text/plain"), ERROR_TYPES)
    assert caught.value.data == "bad redirectUri"
    assert caught.value.error is None
    assert "bad redirectUri" in str(caught.value)


def test_an_error_body_that_is_no_error_keeps_its_text(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.ServiceException) as caught:
        client.response_deserialize(
            answer(502, b"<html>Bad Gateway</html>", "text/html"), ERROR_TYPES
        )
    assert caught.value.data is None
    assert caught.value.body == "<html>Bad Gateway</html>"


def test_the_body_must_be_read(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.ApiValueError, match="needs a response whose body is read"):
        client.response_deserialize(FakeResponse(200, None), {"200": "User"})


def test_debug_logs_the_answer_with_secrets_redacted(
    client: sdk.ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    client.configuration.debug = True
    try:
        caplog.set_level(logging.DEBUG, "numind.openapi_client")
        body = json.dumps({"token": "SECRET", "expiresIn": 300}).encode()
        headers = {"Content-Type": "application/json", "Set-Cookie": "s=1"}
        response = FakeResponse(200, body, headers)
        client.response_deserialize(response, {"200": "TokenResponse"})
    finally:
        client.configuration.debug = False
    (message,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("response")]
    assert message == (
        "response 200 headers={'Content-Type': 'application/json', 'Set-Cookie': '<redacted>'} "
        'body={"token": "<redacted>", "expiresIn": 300}'
    )
