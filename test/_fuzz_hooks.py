"""schemathesis hooks for test_fuzz.py (loaded with SCHEMATHESIS_HOOKS=_fuzz_hooks).

The first step of a login, the browser sign-in, is outside the API. So that the
stateful phase can follow the links login -> refresh -> logout, a generated code
exchange gets a real code: the hook plays the browser for NUMIND_FUZZ_EMAIL on the
server at NUMIND_FUZZ_ORIGIN, like a user would. Everything else stays generated.
"""

from __future__ import annotations

import http.client
import os
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import schemathesis

CODE_REQUEST = "ai.numind.extract.shared.TokenCodeRequest"
REDIRECT_URI = "http://localhost:5173/callback"


def fresh_code(origin: str, email: str) -> str:
    """Sign ``email`` in as a browser would; the code the redirect carries."""
    parts = urlsplit(origin)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", "/v1/api/auth?" + urlencode({"redirectUri": REDIRECT_URI}))
        url = urlsplit(connection.getresponse().read().decode())
        connection.request("GET", f"{url.path}?{url.query}&{urlencode({'login_hint': email})}")
        response = connection.getresponse()
        response.read()
        location = response.getheader("Location") or ""
    finally:
        connection.close()
    return parse_qs(urlsplit(location).query)["code"][0]


@schemathesis.hook
def before_call(context: Any, case: Any, *args: Any) -> None:
    body = case.body
    if (
        case.operation.path == "/api/auth/token"
        and isinstance(body, dict)
        and body.get("type") == CODE_REQUEST
        and isinstance(body.get("code"), str)
        and isinstance(body.get("redirectUri"), str)
    ):
        origin, email = os.environ["NUMIND_FUZZ_ORIGIN"], os.environ["NUMIND_FUZZ_EMAIL"]
        case.body = {**body, "code": fresh_code(origin, email), "redirectUri": REDIRECT_URI}
