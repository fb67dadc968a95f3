"""examples/quickstart.py, the main job, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from _examples import ROOT
from recording_server import Canned, RecordingServer
from signing_in import sign_in

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

QUICKSTART = ROOT / "examples" / "quickstart.py"


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMIND_")}
    return subprocess.run(
        [sys.executable, str(QUICKSTART)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT.parent,
    )


def test_quickstart_runs_every_step_against_its_own_local_server() -> None:
    result = _run({})

    assert result.returncode == 0, result.stderr
    steps = [line[4:] for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert [s.split(":")[0].split(" at ")[0] for s in steps] == [
        "Started the local NuExtract server",
        "Sign in",
        "Exchange the code for tokens",
        "Who am I?",
        "Create an API key",
        "Call me with the API key",
        "List API keys",
        "Rename the API key",
        "Delete the API key",
        "Refresh the access token",
        "Log out",
        "Done",
    ]
    assert "user@example.com" in result.stdout
    assert "signed out: the access token is refused (401)" in result.stdout
    assert result.stderr == ""


def test_quickstart_uses_the_configured_server_and_skips_sign_in(
    own_server: LocalServer,
) -> None:
    tokens = sign_in(own_server, "configured@example.com")
    configuration = sdk.Configuration(host=own_server.url, access_token=tokens.token)
    with sdk.ApiClient(configuration) as client:
        key = sdk.AuthenticationApi(client).post_api_auth_user_tokens({"name": "env key"})

    result = _run({"NUMIND_BASE_URL": own_server.url, "NUMIND_API_KEY": key.token})

    assert result.returncode == 0, result.stderr
    assert "Started the local NuExtract server" not in result.stdout
    assert "configured@example.com" in result.stdout
    assert "Skipping refresh and logout" in result.stdout
    assert key.token not in result.stdout


def test_quickstart_signs_in_on_a_configured_local_server_without_a_key(
    own_server: LocalServer,
) -> None:
    result = _run({"NUMIND_BASE_URL": own_server.url})

    assert result.returncode == 0, result.stderr
    assert "Started the local NuExtract server" not in result.stdout
    assert own_server.origin in result.stdout
    assert "signed out: the access token is refused (401)" in result.stdout


def test_quickstart_asks_for_a_key_when_the_server_wants_a_real_sign_in() -> None:
    # The authorization URL is a login page (200), as the real identity provider's is.
    with RecordingServer() as server:
        authorization_url = (server.url + "/login-page").encode()
        server.responses = [Canned(body=authorization_url, headers={"Content-Type": "text/plain"})]
        server.default = Canned(body=b"<html>Sign in</html>", headers={"Content-Type": "text/html"})
        result = _run({"NUMIND_BASE_URL": server.url})

    assert result.returncode == 1, result.stderr
    assert "set NUMIND_API_KEY" in result.stdout
    assert [r.path for r in server.requests] == [
        "/v1/api/auth?redirectUri=http%3A%2F%2Flocalhost%3A5173%2Fcallback",
        "/v1/login-page",
    ]
