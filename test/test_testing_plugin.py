"""The pytest plugin and LocalServer.sign_in, used as a user's test suite would."""

from __future__ import annotations

from typing import Any

import pytest

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


def test_plugin_fixtures_give_a_server_and_a_signed_in_user(
    numind_server: LocalServer, numind_tokens: dict[str, Any]
) -> None:
    configuration = sdk.Configuration(host=numind_server.url, access_token=numind_tokens["token"])
    with sdk.ApiClient(configuration) as client:
        me = sdk.AuthenticationApi(client).get_api_auth_me()
    assert me.email.startswith("pytest-user-")
    assert numind_tokens["refreshToken"] and numind_tokens["expiresIn"] > 0


def test_sign_in_signs_in_the_named_user(own_server: LocalServer) -> None:
    tokens = own_server.sign_in("ada@example.com")

    configuration = sdk.Configuration(host=own_server.url, access_token=tokens["token"])
    with sdk.ApiClient(configuration) as client:
        assert sdk.AuthenticationApi(client).get_api_auth_me().email == "ada@example.com"


def test_sign_in_reports_a_refused_redirect_uri(own_server: LocalServer) -> None:
    with pytest.raises(RuntimeError, match="400"):
        own_server.sign_in(redirect_uri="not a url")
