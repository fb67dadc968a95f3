"""What ``ApiClient`` offers besides the API classes: its default headers, cookie and user
agent, the default client, its repr and its refusal to pickle, a subclass (or instance)
that signs requests itself, and ``call_api`` with a request built by ``param_serialize``;
sent through a fake transport (``unit_fakes.FakeTransport``)."""

from __future__ import annotations

import copy
import logging
import pickle
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
from unit_fakes import FakeTransport, client_with, json_answer

import numind.openapi_client as sdk
from numind import __version__

HOST = "https://api.example.com/v1"
USER = b'{"email": "a@example.com"}'


def configuration(**settings: Any) -> sdk.Configuration:
    settings.setdefault("access_token", "tok-1")
    return sdk.Configuration(host=HOST, **settings)


def me(client: sdk.ApiClient) -> Dict[str, str]:
    """The headers that ``get_api_auth_me`` sends through ``client``."""
    transport = client.rest_client
    assert isinstance(transport, FakeTransport)
    transport.answers.append(json_answer(USER))
    assert sdk.AuthenticationApi(client).get_api_auth_me().email == "a@example.com"
    return transport.last["headers"]


# -- default headers, cookie, user agent --------------------------------------------------


def test_every_request_carries_the_user_agent_the_default_headers_and_the_cookie() -> None:
    client = sdk.ApiClient(configuration(), header_name="X-Team", header_value="t1", cookie="s=1")
    client.rest_client = FakeTransport()  # type: ignore[assignment]
    assert client.user_agent == f"numind-python/{__version__}"
    assert client.cookie == "s=1"
    headers = me(client)
    assert headers["User-Agent"] == f"numind-python/{__version__}"
    assert (headers["X-Team"], headers["Cookie"]) == ("t1", "s=1")
    client.user_agent = "my-app/2"
    client.cookie = None
    headers = me(client)
    assert headers["User-Agent"] == "my-app/2" and "Cookie" not in headers


def test_replaced_default_headers_are_the_ones_sent() -> None:
    client = client_with(configuration())
    client.default_headers = {"X-Only": "1"}
    assert dict(client.default_headers) == {"X-Only": "1"}
    headers = me(client)
    assert headers["X-Only"] == "1" and headers["Authorization"] == "Bearer tok-1"


def test_a_default_header_never_overrides_the_credentials() -> None:
    client = client_with(configuration())
    client.set_default_header("Authorization", "Bearer someone-else")
    assert me(client)["Authorization"] == "Bearer tok-1"


# -- the default client ------------------------------------------------------------------


def test_the_default_client_is_made_once_and_can_be_replaced() -> None:
    sdk.Configuration.set_default(configuration(access_token="tok-default"))
    default = sdk.ApiClient.get_default()
    assert sdk.ApiClient.get_default() is default
    assert default.configuration.access_token == "tok-default"
    mine = client_with(configuration(access_token="tok-mine"))
    sdk.ApiClient.set_default(mine)
    assert sdk.AuthenticationApi().api_client is mine
    assert me(mine)["Authorization"] == "Bearer tok-mine"


def test_a_subclass_has_a_default_of_its_own_class() -> None:
    class Mine(sdk.ApiClient):
        pass

    sdk.ApiClient.set_default(sdk.ApiClient(configuration()))
    assert type(Mine.get_default()) is Mine
    assert type(sdk.ApiClient.get_default()) is sdk.ApiClient


# -- repr and pickling ---------------------------------------------------------------------


def test_the_repr_shows_the_settings_and_never_the_token() -> None:
    client = sdk.ApiClient(configuration(access_token="SECRET-TOKEN", retries=0))
    text = repr(client)
    assert text.startswith(f"<ApiClient host='{HOST}' auth='access_token' timeout=")
    assert text.endswith("retries='0'>")
    assert "SECRET" not in text


@pytest.mark.parametrize("duplicate", [pickle.dumps, copy.copy, copy.deepcopy])
def test_a_client_cannot_be_pickled_nor_copied_and_says_what_to_do(duplicate: Any) -> None:
    client = sdk.ApiClient(configuration())
    with pytest.raises(TypeError, match="ApiClient cannot be pickled") as refused:
        duplicate(client)
    assert "pass its Configuration, which pickles" in str(refused.value)
    assert "use `api_client.with_options(...)`" in str(refused.value)


# -- signing of one's own ----------------------------------------------------------------


class Signing(sdk.ApiClient):
    """Adds a signature of the method and the path to every request, after the credentials."""

    def update_params_for_auth(
        self,
        headers: Any,
        queries: List[Tuple[str, Any]],
        auth_settings: Optional[Sequence[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().update_params_for_auth(
            headers, queries, auth_settings, resource_path, method, body, request_auth
        )
        headers["X-Signature"] = f"{method} {resource_path}"


def test_a_subclass_that_signs_makes_every_calls_headers() -> None:
    client = Signing(configuration())
    client.rest_client = FakeTransport()  # type: ignore[assignment]
    for _ in range(2):  # the usual headers are not cached past the client's own step
        headers = me(client)
        assert headers["X-Signature"] == "GET /api/auth/me"
        assert headers["Authorization"] == "Bearer tok-1"


def test_a_subclass_with_its_own_param_serialize_builds_every_request() -> None:
    class Tagging(sdk.ApiClient):
        def param_serialize(self, *args: Any, **kwargs: Any) -> Any:
            method, url, headers, body, post = super().param_serialize(*args, **kwargs)
            return method, url + "?tag=1", {**headers, "X-Tag": "1"}, body, post

    client = Tagging(configuration())
    client.rest_client = FakeTransport()  # type: ignore[assignment]
    headers = me(client)
    assert headers["X-Tag"] == "1"
    assert client.rest_client.last["url"] == f"{HOST}/api/auth/me?tag=1"


def test_an_instance_given_its_own_signing_step_uses_it() -> None:
    client = client_with(configuration())
    assert "X-Signature" not in me(client)
    sdk_sign = client.update_params_for_auth

    def sign(headers: Any, queries: Any, auth_settings: Any, path: str, *rest: Any) -> None:
        sdk_sign(headers, queries, auth_settings, path, *rest)
        headers["X-Signature"] = path

    client.update_params_for_auth = sign  # type: ignore[method-assign]
    headers = me(client)
    assert headers["X-Signature"] == "/api/auth/me"
    assert headers["Authorization"] == "Bearer tok-1"


# -- call_api ------------------------------------------------------------------------------


def test_call_api_sends_what_param_serialize_built_and_decodes_the_answer() -> None:
    client = client_with(configuration(), json_answer(USER))
    method, url, headers, body, post = client.param_serialize(
        "POST", "/api/auth/me", body={"name": "n"}, auth_settings=["oauth2Auth"]
    )
    response = client.call_api(method, url, headers, body, post, _request_timeout=5)
    sent = client.rest_client.last
    assert (sent["method"], sent["url"], sent["body"]) == (
        "POST",
        f"{HOST}/api/auth/me",
        {"name": "n"},
    )
    assert sent["headers"]["Authorization"] == "Bearer tok-1"
    assert sent["request"].deadline.remaining() <= 5
    decoded = client.response_deserialize(response, {"200": "User"})
    assert decoded.status_code == 200 and decoded.data == sdk.User(email="a@example.com")


def test_call_api_with_debug_on_logs_the_request_and_the_answer_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = client_with(configuration(access_token="SECRET-TOKEN"), json_answer(USER))
    client.configuration.debug = True
    try:
        caplog.set_level(logging.DEBUG, "numind.openapi_client")
        method, url, headers, body, post = client.param_serialize(
            "POST",
            "/api/auth/token",
            body={"type": "x", "token": "SECRET-REFRESH"},
            auth_settings=["oauth2Auth"],
        )
        client.call_api(method, url, headers, body, post)
    finally:
        client.configuration.debug = False
    messages = [record.getMessage() for record in caplog.records]
    (request,) = [m for m in messages if m.startswith("request POST")]
    assert f"request POST {HOST}/api/auth/token headers=" in request
    assert "'Authorization': '<redacted>'" in request and '"token": "<redacted>"' in request
    (answer,) = [m for m in messages if m.startswith("POST ")]
    assert answer.startswith(f"POST {HOST}/api/auth/token -> 200 ")
    assert not any("SECRET" in m for m in messages)
