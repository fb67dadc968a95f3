"""Errors that say what to do (issue 21, item 4), as plain values: the hints of an error
answer, the https-to-http advice, a misspelt ``Configuration`` keyword, a token that is
not a str, a token request without its ``type``."""

from __future__ import annotations

from typing import Any

import pytest
from unit_fakes import client_with, json_answer

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk
from numind.openapi_client._transport import connection_error
from numind.openapi_client.configuration import _checked_access_token
from numind.openapi_client.exceptions import base_url_of, error_hint

HOST = "https://api.example.com/v1"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://h:8443/v1/api/auth/me", "https://h:8443/v1"),
        ("http://127.0.0.1:8080/api/auth/me", "http://127.0.0.1:8080"),
        ("https://h/proxy/v1/api/auth/user-tokens/x", "https://h/proxy/v1"),
        ("https://h/elsewhere", "https://h"),
    ],
)
def test_the_base_url_of_a_request_url(url: str, base: str) -> None:
    assert base_url_of(url) == base


def test_a_404_without_v1_gets_the_corrected_base_url() -> None:
    hint, fixed = error_hint(404, "http://127.0.0.1:8080/api/auth/me")
    assert fixed == "http://127.0.0.1:8080/v1"
    assert hint == (
        "The base URL http://127.0.0.1:8080 lacks the /v1 that the API's paths start with: "
        "use http://127.0.0.1:8080/v1"
    )
    assert error_hint(404, "https://h/base/api/auth/me")[1] == "https://h/base/v1"


@pytest.mark.parametrize(
    ("status", "url", "credential"),
    [
        (404, "https://h/v1/api/auth/user-tokens/nope", None),  # a real 404, under /v1
        (404, "https://h/other", None),  # not a path of the API: nothing to correct
        (401, "https://h/v1/api/auth/me", None),
        (401, "https://h/v1/api/auth/me", "access_token"),
        (500, "https://h/api/auth/me", "NUMIND_API_KEY"),
    ],
)
def test_no_hint_where_there_is_nothing_to_say(status: int, url: str, credential: Any) -> None:
    assert error_hint(status, url, credential) == (None, None)


def test_a_401_to_numind_api_key_names_it_and_numind_auth_status() -> None:
    hint, fixed = error_hint(401, "https://h/v1/api/auth/me", "NUMIND_API_KEY")
    assert fixed is None and hint is not None
    assert "The token sent was NUMIND_API_KEY" in hint and "`numind auth status`" in hint


def test_https_to_plain_http_keeps_the_base_path() -> None:
    error = connection_error(
        "tls",
        "GET",
        "https://127.0.0.1:8080/v1/api/auth/me",
        "[SSL: WRONG_VERSION_NUMBER] wrong version number",
        None,
    )
    assert str(error).endswith("use http://127.0.0.1:8080/v1 instead")


@pytest.mark.parametrize("package", [sdk, async_sdk], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("keyword", "said"),
    [
        ("tiemout", "; did you mean 'timeout'?"),
        ("acces_token", "; did you mean 'access_token'?"),
        ("api_key", ': pass the token (an API key or access token) as a str: access_token="..."'),
        ("base_url", ': the base URL is host="https://api.nuextract.ai/v1"'),
    ],
)
def test_a_misspelt_configuration_keyword_says_what_to_give(
    package: Any, keyword: str, said: str
) -> None:
    with pytest.raises(TypeError) as caught:
        package.Configuration(host=HOST, **{keyword: {"oauth2Auth": "secret-value"}})
    assert str(caught.value).startswith(
        f"Configuration() got an unexpected keyword argument {keyword!r}{said}"
    )
    assert "secret-value" not in str(caught.value)


@pytest.mark.parametrize("value", [123, b"nm_key", ["nm_key"], 1.5])
def test_a_token_that_is_not_a_str_is_refused_when_given_and_when_set(value: Any) -> None:
    kind = type(value).__name__
    expected = (
        f"access_token must be a str (an API key or access token), got {kind}: pass the "
        "token as a string, or a token provider (docs/EXTENDING.md)"
    )
    with pytest.raises(sdk.ApiTypeError) as caught:
        sdk.Configuration(host=HOST, access_token=value)
    assert str(caught.value) == expected
    configuration = sdk.Configuration(host=HOST, access_token="nm_key")
    with pytest.raises(sdk.ApiTypeError, match="got " + kind):
        configuration.access_token = value
    assert configuration.access_token == "nm_key"
    assert _checked_access_token(None) is None and _checked_access_token("t") == "t"


@pytest.mark.parametrize(
    ("request_dict", "said"),
    [
        ({"code": "the-code", "redirectUri": "http://127.0.0.1:1/"}, "has no 'type'"),
        ({"code": "the-code", "type": "code"}, "has 'type' 'code', which is not one of the two"),
        ({"token": "refresh-secret", "type": 7}, "has 'type' of type int"),
    ],
)
def test_a_token_request_without_its_type_names_the_two_types(request_dict: Any, said: str) -> None:
    client = client_with(sdk.Configuration(host=HOST), json_answer(b"{}"))
    with pytest.raises(sdk.ApiValueError) as caught:
        sdk.AuthenticationApi(client).post_api_auth_token(request_dict)
    text = str(caught.value)
    assert text.startswith(
        "post_api_auth_token() argument 'token_request' is not a valid TokenRequest: "
        f"the token request {said}"
    )
    assert '"ai.numind.extract.shared.TokenCodeRequest" (with "code" and "redirectUri")' in text
    assert '"ai.numind.extract.shared.TokenRefreshRequest" (with "token"' in text
    assert "discriminator" not in text and "secret" not in text and "the-code" not in text
    assert client.rest_client.requests == []
