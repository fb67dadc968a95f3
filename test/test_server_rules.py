"""The local server's rules alone: ``ApiRules.handle(request, now)``, with no socket and no
clock but the time each test passes. (Over real HTTP: ``test_local_server.py``.)"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from numind.openapi_client.testing._rules import REALM_AUTH_PATH, ApiRules, Request, Response

NOW = 1_750_000_000.0
REDIRECT_URI = "http://127.0.0.1:8000/callback"


def rules(**settings: Any) -> ApiRules:
    return ApiRules(origin="http://local.test", **settings)


def sign_in_page(api: ApiRules, redirect_uri: str, now: float = NOW) -> Response:
    answer = api.handle(Request("GET", "/v1/api/auth?redirectUri=" + quote(redirect_uri)), now)
    assert answer.status == 200
    url = urlsplit(answer.body.decode())
    assert f"{url.scheme}://{url.netloc}" == "http://local.test"
    return api.handle(Request("GET", f"{url.path}?{url.query}"), now)


def code_of(answer: Response) -> str:
    assert answer.status == 302
    location = dict(answer.headers)["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


def exchange(api: ApiRules, code: str, now: float, redirect_uri: str = REDIRECT_URI) -> Response:
    body = {"type": "ai.numind.extract.shared.TokenCodeRequest", "code": code}
    body["redirectUri"] = redirect_uri
    request = Request(
        "POST", "/v1/api/auth/token", None, json.dumps(body).encode(), "application/json"
    )
    return api.handle(request, now)


def me(api: ApiRules, token: str, now: float) -> int:
    return api.handle(Request("GET", "/v1/api/auth/me", f"Bearer {token}"), now).status


def create_key(api: ApiRules, access_token: str) -> Response:
    """POST /api/auth/user-tokens (name "k") as the user of ``access_token``."""
    return api.handle(
        Request(
            "POST",
            "/v1/api/auth/user-tokens",
            f"Bearer {access_token}",
            b'{"name": "k"}',
            "application/json",
        ),
        NOW,
    )


def test_a_code_expires_by_the_time_given_not_by_the_wall_clock() -> None:
    api = rules(code_ttl=60)
    late = code_of(sign_in_page(api, REDIRECT_URI))
    assert exchange(api, late, NOW + 60).status == 400
    fresh = code_of(sign_in_page(api, REDIRECT_URI))
    assert exchange(api, fresh, NOW + 59).status == 200


def test_an_access_token_lives_exactly_its_ttl() -> None:
    api = rules(access_token_ttl=300)
    tokens = json.loads(exchange(api, code_of(sign_in_page(api, REDIRECT_URI)), NOW).body)
    assert me(api, tokens["token"], NOW + 299.9) == 200
    assert me(api, tokens["token"], NOW + 300) == 401


def test_the_sign_in_page_refuses_a_redirect_uri_that_is_not_http_with_an_error_page() -> None:
    api = rules()
    for refused in ("redirect_uri_example", "file:///etc/passwd", "javascript:alert(1)"):
        page = sign_in_page(api, refused)
        assert (page.status, page.content_type) == (400, "text/html; charset=utf-8")
        assert not page.headers  # no Location: the URI is not trusted
        assert b"Invalid parameter: redirect_uri" in page.body


def test_the_sign_in_page_allows_only_the_patterns_given() -> None:
    api = rules(redirect_uris=["http://127.0.0.1:8000/*"])
    assert sign_in_page(api, REDIRECT_URI).status == 302
    assert sign_in_page(api, "http://127.0.0.1:9000/callback").status == 400


# -- what the server holds is bounded (issue 20, item 7) -------------------------------


def sign_in_as(api: ApiRules, login_hint: str, now: float = NOW) -> Response:
    query = urlencode(
        {"redirect_uri": REDIRECT_URI, "response_type": "code", "login_hint": login_hint}
    )
    return api.handle(Request("GET", f"{REALM_AUTH_PATH}?{query}"), now)


def refresh(api: ApiRules, refresh_token: str, now: float = NOW) -> Response:
    body = {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": refresh_token}
    request = Request(
        "POST", "/v1/api/auth/token", None, json.dumps(body).encode(), "application/json"
    )
    return api.handle(request, now)


def test_many_distinct_login_hints_keep_the_users_and_codes_bounded() -> None:
    # Before: each new login_hint kept its user (and, until it expired, its code) for
    # good; 3,000 hints of 60 KiB took the server from 22 to 199 MiB.
    from numind.openapi_client.testing import _rules

    api = rules()
    visits = max(3_000, _rules.MAX_USERS + 1_000)
    hint_length = _rules.MAX_LOGIN_HINT_LENGTH - len("@example.com") - 6
    last = ""
    for i in range(visits):
        last = code_of(sign_in_as(api, f"{i:06d}" + "u" * hint_length + "@example.com"))
    assert len(api._users) <= _rules.MAX_USERS < visits
    assert len(api._codes) <= _rules.MAX_CODES < visits
    # The newest code still works, and a user dropped from memory gets the same id back.
    tokens = json.loads(exchange(api, last, NOW).body)
    assert me(api, tokens["token"], NOW) == 200
    first = "000000" + "u" * hint_length + "@example.com"
    tokens = json.loads(exchange(api, code_of(sign_in_as(api, first)), NOW).body)
    created = create_key(api, tokens["token"])
    assert json.loads(created.body)["userId"] == str(
        uuid.uuid5(uuid.NAMESPACE_URL, "local-server:user:" + first)
    )


def test_a_too_long_login_hint_is_refused_with_an_error_page() -> None:
    from numind.openapi_client.testing import _rules

    api = rules()
    longest = "u" * (_rules.MAX_LOGIN_HINT_LENGTH - len("@example.com")) + "@example.com"
    assert sign_in_as(api, longest).status == 302
    page = sign_in_as(api, "u" + longest)
    assert (page.status, page.content_type) == (400, "text/html; charset=utf-8")
    assert not page.headers and b"Invalid parameter: login_hint" in page.body
    assert len(api._users) == 1


def test_sessions_and_access_tokens_are_bounded_oldest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from numind.openapi_client.testing import _rules

    monkeypatch.setattr(_rules, "MAX_SESSIONS", 3)
    monkeypatch.setattr(_rules, "MAX_ACCESS_TOKENS", 4)
    api = rules()
    sessions = [
        json.loads(exchange(api, code_of(sign_in_page(api, REDIRECT_URI)), NOW).body)
        for _ in range(5)
    ]
    # Ending the oldest sessions ended their access tokens too.
    assert len(api._sessions) == 3 and len(api._access_tokens) == 3
    assert refresh(api, sessions[0]["refreshToken"]).status == 400
    assert me(api, sessions[0]["token"], NOW) == 401
    # Two refreshes make five live access tokens: the oldest goes.
    latest = sessions[-1]["refreshToken"]
    for _ in range(2):
        answer = refresh(api, latest)
        assert answer.status == 200
        latest = json.loads(answer.body)["refreshToken"]
    assert len(api._access_tokens) == 4
    assert me(api, sessions[2]["token"], NOW) == 401
    assert me(api, sessions[3]["token"], NOW) == 200


def test_user_tokens_are_refused_past_their_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    from numind.openapi_client.testing import _rules

    monkeypatch.setattr(_rules, "MAX_USER_TOKENS_PER_USER", 2)
    monkeypatch.setattr(_rules, "MAX_USER_TOKENS", 3)
    api = rules()

    def create(email: str) -> Response:
        tokens = json.loads(exchange(api, code_of(sign_in_as(api, email)), NOW).body)
        return create_key(api, tokens["token"])

    assert [create("a@example.com").status for _ in range(3)] == [200, 200, 409]
    assert json.loads(create("a@example.com").body)["code"] == "CONFLICT"
    assert [create("b@example.com").status for _ in range(2)] == [200, 409]
    assert b"holds 3 user tokens" in create("c@example.com").body
    assert len(api._user_tokens) == 3
