"""A str argument that UTF-8 cannot encode (a lone surrogate) is refused with
``ApiValueError`` before anything is sent (docs/SECURITY.md, round 3, finding 10)."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from unit_fakes import client_with, json_answer

import numind.openapi_client as sdk

HOST = "https://api.example.com/v1"
USER_TOKEN = b'{"id": "t1", "name": "n", "token": "tok", "userId": "u", "createdAt": "c"}'

CALLS: list[Callable[[sdk.AuthenticationApi], Any]] = [
    lambda api: api.delete_api_auth_user_tokens_usertokenid("\ud800"),
    lambda api: api.put_api_auth_user_tokens_usertokenid("id-\udfff", {"name": "n"}),
    lambda api: api.get_api_auth(redirect_uri="http://127.0.0.1:1/\ud83d"),
    lambda api: api.post_api_auth_logout("refresh-\ud800-secret"),
]


@pytest.mark.parametrize("call", CALLS)
def test_a_lone_surrogate_is_refused_before_anything_is_sent(call: Any) -> None:
    client = client_with(sdk.Configuration(host=HOST, access_token="tok"), json_answer(b"{}"))
    with pytest.raises(sdk.ApiValueError, match=r"is a lone surrogate \(U\+D[89A-F]"):
        call(sdk.AuthenticationApi(client))
    assert client.rest_client.requests == []


def test_text_beyond_ascii_is_sent_as_utf8() -> None:
    client = client_with(sdk.Configuration(host=HOST, access_token="tok"), json_answer(USER_TOKEN))
    sdk.AuthenticationApi(client).delete_api_auth_user_tokens_usertokenid("clé-😀")
    assert client.rest_client.last["url"].endswith("/user-tokens/cl%C3%A9-%F0%9F%98%80")
