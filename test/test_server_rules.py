"""The local server's rules alone: ``ApiRules.handle(request, now)``, with no socket and no
clock but the time each test passes. (Over real HTTP: ``test_local_server.py``.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from numind.openapi_client.testing._rules import ApiRules, Request, Response

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
