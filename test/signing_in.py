"""Signing in over real HTTP, as the tests do it: users, the browser's steps against the
local server's sign-in page, tokens. Imported by the tests (not from ``conftest``, whose
module name ``test/unit/conftest.py`` shares)."""

from __future__ import annotations

import http.client
import itertools
from urllib.parse import parse_qs, urlsplit

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

REDIRECT_URI = "http://localhost:5173/callback"
_emails = itertools.count(1)


def new_email() -> str:
    """A user nobody else in the test session signs in as."""
    return f"user{next(_emails)}@example.com"


def open_authorization_url(url: str, email: str | None = None) -> str:
    """Play the browser: open the sign-in URL (``login()``'s one-time link to its listener
    redirects once to the authorization URL), sign in at the authorization URL without
    following its redirect, and return the Location it redirects to."""
    parts = urlsplit(url)
    if not parts.path.endswith("/openid-connect/auth"):
        status, location = get_once(url)
        assert status == 302, (status, url)
        parts = urlsplit(location)
    target = f"{parts.path}?{parts.query}"
    if email is not None:
        target += f"&login_hint={email}"
    status, location = get_once(f"{parts.scheme}://{parts.netloc}{target}")
    assert status == 302, status
    return location


def get_once(url: str) -> tuple[int, str]:
    """GET ``url`` without following a redirect: (status, Location)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        conn.close()


def follow_redirect(location: str) -> tuple[int, str]:
    """Play the browser's next step: GET the redirect target; (status, body)."""
    parts = urlsplit(location)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def play_browser(url: str, email: str | None = None) -> tuple[int, str]:
    """Open the sign-in URL as a browser would: sign in, follow the redirect to the
    login's listener; the listener's (status, page)."""
    return follow_redirect(open_authorization_url(url, email))


def authorization_code(
    api: sdk.AuthenticationApi, email: str, redirect_uri: str = REDIRECT_URI
) -> str:
    """The code that the sign-in of ``email`` redirects to ``redirect_uri`` with."""
    location = open_authorization_url(api.get_api_auth(redirect_uri), email)
    return parse_qs(urlsplit(location).query)["code"][0]


def sign_in(server: LocalServer, email: str | None = None) -> sdk.TokenResponse:
    """Tokens of ``email`` (a new user by default), from the server's own sign-in helper;
    the SDK's side of that flow is tested in test_authentication_api.py."""
    return sdk.TokenResponse.model_validate(server.sign_in(email or new_email()))


def bearer(token: str) -> dict[str, str]:
    """A ``_request_auth`` value that authenticates one call with ``token``."""
    return {"in": "header", "type": "oauth2", "key": "Authorization", "value": "Bearer " + token}
