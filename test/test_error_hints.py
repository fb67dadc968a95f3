"""Errors that say what to do (issue 21, item 4), over HTTP with the local server, for
both clients: a base URL without ``/v1``, a rejected ``NUMIND_API_KEY``, https to a plain
http server."""

from __future__ import annotations

import pytest
from signing_in import new_email
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


@pytest.mark.invalid_traffic  # a path without the /v1 base path: the 404 is the point
def test_a_base_url_without_v1_names_the_corrected_url(twin: Twin, server: LocalServer) -> None:
    token = server.sign_in(new_email())["token"]
    configuration = sdk.Configuration(host=server.origin, access_token=token)
    with twin.client(configuration) as client, pytest.raises(sdk.NotFoundException) as caught:
        twin.api(client).get_api_auth_me()
    assert caught.value.suggested_host == server.url == server.origin + "/v1"
    assert caught.value.hint == (
        f"The base URL {server.origin} lacks the /v1 that the API's paths start with: "
        f"use {server.url}"
    )
    assert str(caught.value).startswith(
        f"(404) Not Found on GET {server.origin}/api/auth/me: NOT_FOUND: No such resource: "
        f"/api/auth/me. {caught.value.hint} [request id "
    )


def test_a_404_under_v1_has_no_hint(twin: Twin, server: LocalServer) -> None:
    token = server.sign_in(new_email())["token"]
    configuration = sdk.Configuration(host=server.url, access_token=token)
    with twin.client(configuration) as client, pytest.raises(sdk.NotFoundException) as caught:
        twin.api(client).delete_api_auth_user_tokens_usertokenid("no-such-id")
    assert (caught.value.hint, caught.value.suggested_host) == (None, None)


@pytest.mark.parametrize("source", ["NUMIND_API_KEY", "access_token"])
def test_a_401_to_the_key_of_numind_api_key_names_the_variable(
    twin: Twin, server: LocalServer, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    key = "nm_revoked_key_0123456789"
    if source == "NUMIND_API_KEY":
        monkeypatch.setenv("NUMIND_API_KEY", key)
        configuration = sdk.Configuration(host=server.url)
    else:
        configuration = sdk.Configuration(host=server.url, access_token=key)
    with twin.client(configuration) as client, pytest.raises(sdk.UnauthorizedException) as caught:
        twin.api(client).get_api_auth_me()
    text = str(caught.value)
    assert key not in text and key not in repr(caught.value.__dict__)
    if source == "access_token":  # a token set in code: nothing to say about the variable
        assert caught.value.hint is None and "NUMIND_API_KEY" not in text
        return
    assert text.startswith(
        f"(401) Unauthorized on GET {server.url}/api/auth/me: UNAUTHORIZED: Invalid, expired "
        "or revoked token. The token sent was NUMIND_API_KEY: set it to a valid API key "
        "(`numind auth tokens create NAME`), or unset it to use your login; `numind auth "
        "status` shows which credential is used [request id "
    )


def test_a_401_to_another_token_than_numind_api_key_does_not_name_it(
    twin: Twin, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NUMIND_API_KEY is the configuration's token, but this call sends its own.
    monkeypatch.setenv("NUMIND_API_KEY", "nm_the_key_of_the_environment")
    configuration = sdk.Configuration(host=server.url)
    auth = {"in": "header", "type": "bearer", "key": "Authorization", "value": "Bearer other"}
    with twin.client(configuration) as client, pytest.raises(sdk.UnauthorizedException) as caught:
        twin.api(client).get_api_auth_me(_request_auth=auth)
    assert caught.value.hint is None


def test_https_to_a_plain_http_server_gives_the_http_base_url_with_its_path(
    twin: Twin, server: LocalServer
) -> None:
    https = server.url.replace("http://", "https://")
    configuration = sdk.Configuration(host=https, access_token="nm_k", retries=0)
    with twin.client(configuration) as client, pytest.raises(sdk.ApiConnectionError) as caught:
        twin.api(client).get_api_auth_me()
    assert str(caught.value).endswith(
        "; the server may not speak https: if it serves plain http (as a local server does), "
        f"use {server.url} instead"
    )
    assert server.url.endswith("/v1")
