"""How a request is built, before anything is sent: URL, query, headers, credentials and
body (``ApiClient.param_serialize`` and its parts)."""

from __future__ import annotations

import datetime
import decimal
import enum
from typing import Any, Iterator

import pytest

import numind.openapi_client as sdk
from numind.openapi_client._redact import Secret

HOST = "https://api.example.com/v1"


@pytest.fixture
def client() -> Iterator[sdk.ApiClient]:
    with sdk.ApiClient(sdk.Configuration(host=HOST, access_token="tok-1")) as api_client:
        yield api_client


# -- the URL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("t1", "t1"),
        ("a/b c?#", "a%2Fb%20c%3F%23"),
        ("../../admin", "..%2F..%2Fadmin"),
        (".", "%2E"),
        ("..", "%2E%2E"),
        ("...", "..."),
        ("é", "%C3%A9"),
    ],
)
def test_a_path_parameter_cannot_reach_another_path(
    client: sdk.ApiClient, value: str, segment: str
) -> None:
    _, url, *_ = client.param_serialize(
        "DELETE", "/api/auth/user-tokens/{userTokenId}", path_params={"userTokenId": value}
    )
    assert url == f"{HOST}/api/auth/user-tokens/{segment}"


def test_safe_chars_for_path_param_are_kept(client: sdk.ApiClient) -> None:
    client.configuration.safe_chars_for_path_param = "/"
    _, url, *_ = client.param_serialize("GET", "/x/{id}", path_params={"id": "a/b"})
    assert url == f"{HOST}/x/a/b"


def test_the_host_of_the_call_wins(client: sdk.ApiClient) -> None:
    _, url, *_ = client.param_serialize("GET", "/api/auth/me", _host="https://other.example/v2/")
    assert url == "https://other.example/v2/api/auth/me"


def test_query_values_are_percent_encoded(client: sdk.ApiClient) -> None:
    _, url, *_ = client.param_serialize(
        "GET", "/api/auth", query_params=[("redirectUri", "http://localhost:5173/cb?a=1&b=2")]
    )
    assert url == f"{HOST}/api/auth?redirectUri=http%3A%2F%2Flocalhost%3A5173%2Fcb%3Fa%3D1%26b%3D2"


@pytest.mark.parametrize(
    ("fmt", "query"),
    [
        (None, "ids=a%2Cb%2Cc"),
        ("csv", "ids=a%2Cb%2Cc"),
        ("ssv", "ids=a%2Cb%20c"),
        ("tsv", "ids=a%2Cb%09c"),
        ("pipes", "ids=a%2Cb%7Cc"),
        ("multi", "ids=a%2Cb&ids=c"),
    ],
)
def test_a_list_follows_its_collection_format(client: sdk.ApiClient, fmt: Any, query: str) -> None:
    formats = {"ids": fmt} if fmt else None
    encoded = client.parameters_to_url_query([("ids", ["a,b", "c"])], formats)
    # Delimiters are percent-encoded too, as every reserved character of a value.
    assert encoded == query


def test_bools_dicts_and_numbers_in_the_query(client: sdk.ApiClient) -> None:
    assert (
        client.parameters_to_url_query({"a": True, "b": False, "c": {"k": 1}, "d": 2.5})
        == "a=true&b=false&c=%7B%22k%22%3A%201%7D&d=2.5"
    )


# -- headers -----------------------------------------------------------------------------


def test_headers_defaults_then_auth_then_the_calls_own(client: sdk.ApiClient) -> None:
    client.set_default_header("X-Team", "default")
    client.set_default_header("Accept", "text/html")
    _, _, headers, _, _ = client.param_serialize(
        "GET",
        "/api/auth/me",
        header_params={"x-team": "mine", "Accept": "application/json"},
        auth_settings=["oauth2Auth"],
    )
    assert headers["Authorization"] == "Bearer tok-1"
    assert repr(headers["Authorization"]) == "<redacted>"  # masked in captured locals
    assert headers["x-team"] == "mine" and "X-Team" not in headers  # case-insensitive
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("numind-python/")


def test_a_calls_authorization_header_wins_over_the_configured_token(
    client: sdk.ApiClient,
) -> None:
    _, _, headers, _, _ = client.param_serialize(
        "GET",
        "/api/auth/me",
        header_params={"authorization": "Bearer other"},
        auth_settings=["oauth2Auth"],
    )
    assert [v for k, v in headers.items() if k.lower() == "authorization"] == ["Bearer other"]


def test_a_cookie_and_a_header_given_to_the_client(client: sdk.ApiClient) -> None:
    with sdk.ApiClient(
        sdk.Configuration(host=HOST), header_name="X-Trace", header_value="1", cookie="s=1"
    ) as other:
        _, _, headers, _, _ = other.param_serialize("GET", "/x")
    assert (headers["X-Trace"], headers["Cookie"]) == ("1", "s=1")
    assert repr(headers["Cookie"]) == "<redacted>"


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\x00b", "“quoted”"])
def test_a_header_that_http_cannot_carry_is_refused_without_showing_it(
    client: sdk.ApiClient, value: str
) -> None:
    with pytest.raises(sdk.ApiValueError) as caught:
        client.param_serialize("GET", "/x", header_params={"X-Key": value})
    assert "'X-Key' contains a line break, a NUL or a character outside Latin-1" in str(
        caught.value
    )
    assert value not in str(caught.value)


def test_a_bad_default_header_is_refused_at_the_next_request(client: sdk.ApiClient) -> None:
    client.default_headers["X-Bad"] = "a\nb"
    with pytest.raises(sdk.ApiValueError, match="'X-Bad' contains a line break"):
        client.param_serialize("GET", "/x")
    del client.default_headers["X-Bad"]
    client.param_serialize("GET", "/x")  # fixed: built again


# -- credentials ---------------------------------------------------------------------------


def test_request_auth_replaces_the_configured_credentials(client: sdk.ApiClient) -> None:
    auth = {"in": "header", "type": "oauth2", "key": "Authorization", "value": "Bearer k2"}
    _, _, headers, _, _ = client.param_serialize(
        "GET", "/x", auth_settings=["oauth2Auth"], _request_auth=auth
    )
    assert headers["Authorization"] == "Bearer k2"
    cookie = {"in": "cookie", "type": "api_key", "key": "session", "value": "s=abc"}
    _, _, headers, _, _ = client.param_serialize("GET", "/x", _request_auth=cookie)
    assert headers["Cookie"] == "s=abc" and "Authorization" not in headers


def test_a_credential_in_the_query_is_refused(client: sdk.ApiClient) -> None:
    auth = {"in": "query", "type": "api_key", "key": "api_key", "value": "SECRET"}
    with pytest.raises(sdk.ApiValueError) as caught:
        client.param_serialize("GET", "/x", _request_auth=auth)
    assert "'in': 'query' would put the credential 'api_key' in the URL" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_an_unknown_place_for_a_credential_is_refused(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.ApiValueError, match="'in' must be 'header' or 'cookie'"):
        client.param_serialize("GET", "/x", _request_auth={"in": "body", "value": "v"})


def test_update_params_for_auth_adds_the_bearer_of_the_configuration(
    client: sdk.ApiClient,
) -> None:
    headers: dict[str, str] = {}
    queries: list[tuple[str, Any]] = []
    client.update_params_for_auth(headers, queries, ["oauth2Auth"], "/x", "GET", None)
    assert headers == {"Authorization": "Bearer tok-1"} and queries == []
    client.update_params_for_auth(headers := {}, queries, ["unknown"], "/x", "GET", None)
    assert headers == {}
    client.update_params_for_auth(headers, queries, None, "/x", "GET", None)
    assert headers == {}


def test_without_a_token_no_credential_is_added() -> None:
    with sdk.ApiClient(sdk.Configuration(host=HOST)) as anonymous:
        _, _, headers, _, _ = anonymous.param_serialize("GET", "/x", auth_settings=["oauth2Auth"])
    assert "Authorization" not in headers


def test_a_bearer_prefix_in_the_token_is_refused() -> None:
    with pytest.raises(sdk.ApiValueError, match="Bearer"):
        sdk.Configuration(host=HOST, access_token="Bearer abc")


def test_files_are_refused(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.ApiValueError, match="files are not supported"):
        client.param_serialize("POST", "/x", files={"f": b"data"})


# -- the body ------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


def test_models_dates_enums_and_containers_become_json(client: sdk.ApiClient) -> None:
    body = {
        "model": sdk.CreateOrUpdateUserToken(name="ci"),
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2026, 1, 2),
        "color": Color.RED,
        "price": decimal.Decimal("1.10"),
        "items": (1, "a", None, [Color.RED]),
        "raw": b"bytes",
    }
    assert client.sanitize_for_serialization(body) == {
        "model": {"name": "ci"},
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "color": "red",
        "price": "1.10",
        "items": [1, "a", None, ["red"]],
        "raw": b"bytes",
    }


def test_a_model_is_sent_by_its_wire_names(client: sdk.ApiClient) -> None:
    request = sdk.TokenCodeRequest(code="c", redirect_uri="http://localhost/cb")
    _, _, _, body, _ = client.param_serialize("POST", "/api/auth/token", body=request)
    assert body == {
        "type": "ai.numind.extract.shared.TokenCodeRequest",
        "code": "c",
        "redirectUri": "http://localhost/cb",
    }
    # The sign-in code is a secret next to its redirect URI: masked in captured locals.
    assert repr(body["code"]) == "<redacted>"
    assert type(body["redirectUri"]) is str


def test_a_body_that_is_one_string_is_masked(client: sdk.ApiClient) -> None:
    _, _, _, body, _ = client.param_serialize("POST", "/api/auth/logout", body="refresh-1")
    assert body == "refresh-1" and isinstance(body, Secret)


def test_what_is_not_json_is_refused(client: sdk.ApiClient) -> None:
    with pytest.raises(sdk.ApiTypeError, match="Cannot serialize a object to JSON"):
        client.sanitize_for_serialization(object())
