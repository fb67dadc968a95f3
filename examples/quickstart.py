"""Quickstart: sign in, manage API keys, refresh and sign out with the NuExtract SDK.

With no configuration it starts the bundled local server and runs every step against it,
with no account and no network:

    python examples/quickstart.py

With ``NUMIND_BASE_URL`` and ``NUMIND_API_KEY`` set, it talks to that server with that
API key and skips the steps that need a sign-in. With ``NUMIND_BASE_URL`` alone it signs
in there without a browser if the server allows it, as a local server started with
``python -m numind.openapi_client.testing`` does.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import sys
from typing import Generator, Optional
from urllib.parse import parse_qs, urlsplit

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

REDIRECT_URI = "http://localhost:5173/callback"


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never the whole."""
    return secret[:6] + "..." if len(secret) > 10 else "***"


def sign_in_without_browser(authorization_url: str) -> Optional[str]:
    """Play the browser against a local server: open the URL and read the code from the
    redirect. None when the URL asks for a real sign-in (a login page, no redirect)."""
    parts = urlsplit(authorization_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    try:
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        location = response.getheader("Location") or ""
    finally:
        connection.close()
    codes = parse_qs(urlsplit(location).query).get("code")
    return codes[0] if response.status == 302 and codes else None


@contextlib.contextmanager
def api_server() -> Generator[Optional[str], None, None]:
    """The base URL to use: NUMIND_BASE_URL if set, else a local server started here."""
    if os.environ.get("NUMIND_BASE_URL"):
        yield None  # Configuration() reads NUMIND_BASE_URL itself
        return
    with LocalServer() as server:
        step(f"Started the local NuExtract server at {server.url}")
        yield server.url


def main() -> int:
    with api_server() as local_url:
        configuration = sdk.Configuration(host=local_url)
        with sdk.ApiClient(configuration) as api_client:
            api = sdk.AuthenticationApi(api_client)
            tokens: Optional[sdk.TokenResponse] = None

            if local_url is not None or not configuration.access_token:
                step("Sign in: get the authorization URL")
                authorization_url = api.get_api_auth(REDIRECT_URI)
                print(f"    open in a browser: {authorization_url}")
                code = sign_in_without_browser(authorization_url)
                if code is None:
                    print(
                        "    this server wants a real sign-in: set NUMIND_API_KEY to one of "
                        "your API keys and run again"
                    )
                    return 1
                print(f"    redirected back with code {mask(code)}")

                step("Exchange the code for tokens")
                tokens = api.post_api_auth_token(
                    sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)
                )
                print(f"    access token {mask(tokens.token)}, valid {tokens.expires_in} s")
                configuration.access_token = tokens.token
            else:
                step(f"Using {configuration.host} with the API key from NUMIND_API_KEY")

            step("Who am I?")
            print(f"    {api.get_api_auth_me().email}")

            step("Create an API key")
            key = api.post_api_auth_user_tokens(sdk.CreateOrUpdateUserToken(name="quickstart"))
            print(f"    {key.name!r} (id {key.id}), secret {mask(key.token)}, shown once")

            step("Call me with the API key")
            with sdk.ApiClient(
                sdk.Configuration(host=configuration.host, access_token=key.token)
            ) as key_client:
                print(f"    {sdk.AuthenticationApi(key_client).get_api_auth_me().email}")

            step("List API keys")
            for listed in api.get_api_auth_user_tokens():
                print(f"    {listed.id}  {listed.name}  expires {listed.expires_at}")

            step("Rename the API key")
            renamed = api.put_api_auth_user_tokens_usertokenid(
                key.id, sdk.CreateOrUpdateUserToken(name="quickstart (renamed)")
            )
            print(f"    now {renamed.name!r}")

            step("Delete the API key")
            api.delete_api_auth_user_tokens_usertokenid(key.id)
            print(f"    {len(api.get_api_auth_user_tokens())} API keys left")

            if tokens is None or tokens.refresh_token is None:
                step("Skipping refresh and logout: they need a browser sign-in")
                return 0

            step("Refresh the access token")
            tokens = api.post_api_auth_token(sdk.TokenRefreshRequest(token=tokens.refresh_token))
            configuration.access_token = tokens.token
            print(f"    new access token {mask(tokens.token)}")

            step("Log out")
            assert tokens.refresh_token is not None
            api.post_api_auth_logout(tokens.refresh_token)
            try:
                api.get_api_auth_me()
            except sdk.UnauthorizedException as error:
                print(f"    signed out: the access token is refused ({error.status})")
    step("Done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
