"""``NUMIND_LOG`` and ``numind --debug`` (issue 21, item 3): the SDK's log on stderr, in a
process of its own as a user runs it, over HTTP with the local server; the traffic is
shown at debug, and no secret at any level (access and refresh tokens, an API key, an
authorization code, a proxy's password)."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import subprocess
import sys

import pytest
from signing_in import bearer, new_email
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

TEST_DIR = pathlib.Path(__file__).resolve().parent
NUMIND = pathlib.Path(sys.executable).with_name("numind")
PROXY_PASSWORD = "proxy-pass-8c1f"

#: Every call that carries a secret, through the SDK, for one client kind (sys.argv[2]);
#: prints the secrets it saw, as JSON.
SCRIPT = f"""
import json, sys
sys.path.insert(0, {str(TEST_DIR)!r})
from urllib.parse import parse_qs, urlsplit
from forward_proxy import ForwardProxy
from signing_in import open_authorization_url
from twin import Twin
import numind.openapi_client as sdk

url, twin = sys.argv[1], Twin(sys.argv[2])
redirect = "http://localhost:5173/callback"
code_type = "ai.numind.extract.shared.TokenCodeRequest"
refresh_type = "ai.numind.extract.shared.TokenRefreshRequest"
seen = {{}}
with twin.client(sdk.Configuration(host=url)) as client:
    api = twin.api(client)
    location = open_authorization_url(api.get_api_auth(redirect), "log@example.com")
    seen["code"] = parse_qs(urlsplit(location).query)["code"][0]
    tokens = api.post_api_auth_token(
        {{"type": code_type, "code": seen["code"], "redirectUri": redirect}}
    )
    seen["access token"], seen["refresh token"] = tokens.token, tokens.refresh_token
    fresh = api.post_api_auth_token({{"type": refresh_type, "token": tokens.refresh_token}})
    seen["fresh access token"], seen["fresh refresh token"] = fresh.token, fresh.refresh_token
with ForwardProxy() as proxy:
    proxy_url = proxy.url.replace("http://", "http://ada:{PROXY_PASSWORD}@")
    signed = sdk.Configuration(host=url, access_token=fresh.token, proxy=proxy_url)
    with twin.client(signed) as client:
        api = twin.api(client)
        seen["API key"] = api.post_api_auth_user_tokens({{"name": "logged"}}).token
        api.get_api_auth_me()
        api.post_api_auth_logout(fresh.refresh_token)
        try:
            api.get_api_auth_me()  # revoked by the logout: a 401, logged too
        except sdk.UnauthorizedException:
            pass
with twin.client(sdk.Configuration(host=url, access_token=seen["API key"])) as client:
    twin.api(client).get_api_auth_me()
print(json.dumps(seen))
"""


def secrets_in(text: str, secrets: dict[str, str]) -> list[str]:
    proxy_basic = base64.b64encode(f"ada:{PROXY_PASSWORD}".encode()).decode()
    found = [name for name, value in secrets.items() if value in text]
    return found + [name for name in (PROXY_PASSWORD, proxy_basic) if name in text]


@pytest.mark.parametrize("level", ["debug", "info", "warning"])
def test_numind_log_shows_the_traffic_and_no_secret(
    twin: Twin, server: LocalServer, level: str, tmp_path: pathlib.Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMIND_API_KEY", "NUMIND_BASE_URL")}
    env.update(NUMIND_LOG=level, NUMIND_CONFIG_DIR=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, server.url, twin.name],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    secrets = json.loads(run.stdout)
    assert len(secrets) == 6 and all(len(value) >= 8 for value in secrets.values())
    assert secrets_in(run.stderr, secrets) == []
    shown = run.stderr.splitlines()
    if level != "debug":
        assert not [line for line in shown if " DEBUG " in line]
        return
    me = f"{server.url}/api/auth/me"
    assert f"DEBUG numind.openapi_client GET {me} -> 200 OK (" in run.stderr
    assert f"DEBUG numind.openapi_client GET {me} -> 401 Unauthorized (" in run.stderr
    assert f"DEBUG numind.openapi_client POST {server.url}/api/auth/token -> 200 OK (" in run.stderr
    request = next(line for line in shown if f"request GET {me} headers=" in line)
    assert "'Authorization': '<redacted>'" in request
    answers = [line for line in shown if "response 200 headers=" in line]
    assert any('"token": "<redacted>"' in line for line in answers), answers


def test_an_unknown_numind_log_is_one_warning_that_names_the_allowed_values() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import numind.openapi_client"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NUMIND_LOG": "verbose"},
    )
    assert (run.returncode, run.stderr) == (
        0,
        "Ignoring NUMIND_LOG='verbose': give one of debug, info, warning (the SDK's log on "
        "stderr, secrets redacted), or leave it unset\n",
    )


def test_numind_debug_shows_the_traffic_of_the_command_and_no_secret(
    server: LocalServer, tmp_path: pathlib.Path
) -> None:
    email = new_email()
    tokens = server.sign_in(email)
    with sdk.ApiClient(sdk.Configuration(host=server.url)) as client:
        key = sdk.AuthenticationApi(client).post_api_auth_user_tokens(
            {"name": "cli"}, _request_auth=bearer(tokens["token"])
        )
    env = {k: v for k, v in os.environ.items() if k != "NUMIND_LOG"}
    env.update(NUMIND_API_KEY=key.token, NUMIND_BASE_URL=server.url)
    env.update(NUMIND_CONFIG_DIR=str(tmp_path))
    run = subprocess.run(
        [str(NUMIND), "--debug", "auth", "whoami"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (run.returncode, run.stdout) == (0, email + "\n"), run.stderr
    assert f"DEBUG numind.openapi_client GET {server.url}/api/auth/me -> 200 OK (" in run.stderr
    assert "'Authorization': '<redacted>'" in run.stderr
    secrets = {"API key": key.token, "access token": tokens["token"]}
    assert secrets_in(run.stderr, secrets) == []
    without = subprocess.run(
        [str(NUMIND), "auth", "whoami"], capture_output=True, text=True, timeout=60, env=env
    )
    assert (without.stdout, without.stderr) == (email + "\n", "")
