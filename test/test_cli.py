"""The installed ``numind`` console script against the local server, as a user runs it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pathlib
import subprocess
import sys
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import new_email, play_browser
from recording_server import Canned, Recorded, RecordingServer

from numind.openapi_client.testing import LocalServer

NUMIND = pathlib.Path(sys.executable).with_name("numind")


def numind(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NUMIND), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def env(server: LocalServer) -> dict[str, str]:
    return {**os.environ, "NUMIND_BASE_URL": server.url}


def login(env: dict[str, str], email: str, *args: str) -> tuple[int, str, str]:
    """``numind auth login --no-browser``; the test opens the printed URL, as a browser in
    another process would."""
    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.strip().startswith("http"):
            status, page = play_browser(line.strip(), email)
            assert (status, "You can close this tab" in page) == (200, True)
            break
    out, err = process.communicate(timeout=60)
    return process.returncode, "".join(lines) + out, err


def test_the_console_script_is_installed() -> None:
    assert NUMIND.is_file(), f"{NUMIND} is missing: install the package"


def test_login_whoami_and_logout(env: dict[str, str], server: LocalServer) -> None:
    email = new_email()
    code, out, err = login(env, email)
    assert (code, err) == (0, "")
    assert f"Signed in as {email}" in out

    result = numind("auth", "whoami", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, email + "\n", "")
    result = numind("--json", "auth", "whoami", env=env)
    assert json.loads(result.stdout) == {"base_url": server.url, "email": email}

    stored = (pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json").read_text()
    tokens = json.loads(stored)["logins"][server.url]
    for secret in (tokens["access_token"], tokens["refresh_token"]):
        assert secret not in out

    result = numind("auth", "logout", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert f"Signed out of {server.url}" in result.stdout

    result = numind("auth", "whoami", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "Not signed in" in result.stderr and "numind auth login" in result.stderr


def test_tokens_create_list_rename_delete(env: dict[str, str]) -> None:
    assert login(env, new_email())[0] == 0

    created = numind("auth", "tokens", "create", "laptop", "--json", env=env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["name"] == "laptop" and key["token"].startswith("nm_")

    listed = numind("auth", "tokens", "list", env=env)
    assert listed.returncode == 0
    assert key["id"] in listed.stdout and "laptop" in listed.stdout
    assert key["token"] not in listed.stdout  # only the masked form
    assert "****" + key["token"][-4:] in listed.stdout
    as_json = json.loads(numind("--json", "auth", "tokens", "list", env=env).stdout)
    assert [(k["id"], k["token"]) for k in as_json] == [(key["id"], "****" + key["token"][-4:])]

    renamed = numind("auth", "tokens", "rename", key["id"], "desktop", env=env)
    assert (renamed.returncode, renamed.stderr) == (0, "")
    assert "desktop" in numind("auth", "tokens", "list", env=env).stdout

    # the new key works as NUMIND_API_KEY, and is printed once, on create
    with_key = {**env, "NUMIND_API_KEY": key["token"]}
    assert numind("auth", "whoami", env=with_key).returncode == 0
    text = numind("auth", "tokens", "create", "other", env=env).stdout
    assert "shown only now" in text and "nm_" in text

    deleted = numind("auth", "tokens", "delete", key["id"], env=env)
    assert (deleted.returncode, deleted.stderr) == (0, "")
    again = numind("auth", "tokens", "delete", key["id"], env=env)
    assert again.returncode == 1
    assert (
        again.stderr == "numind: error: the server answered 404 Not Found: User token not found\n"
    )
    assert numind("auth", "whoami", env=with_key).returncode == 1  # revoked at once


@pytest.mark.parametrize(
    "args",
    [
        ["auth", "tokens", "bogus"],
        ["auth", "tokens", "create"],
        ["auth", "login", "--timeout", "-3"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2_with_one_line(env: dict[str, str], args: list[str]) -> None:
    result = numind(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("numind: error: ") and result.stderr.count("\n") == 1


def test_base_url_option_wins_and_errors_are_one_line(env: dict[str, str]) -> None:
    result = numind("auth", "whoami", "--base-url", "http://127.0.0.1:9/v1", env=env)
    assert result.returncode == 1
    assert result.stderr == (
        "numind: error: Not signed in to http://127.0.0.1:9/v1: run `numind auth login` "
        "(or set NUMIND_API_KEY)\n"
    )
    unreachable = {**env, "NUMIND_API_KEY": "nm_x"}
    result = numind("auth", "whoami", "--base-url", "http://127.0.0.1:9/v1", env=unreachable)
    assert result.returncode == 1 and result.stderr.count("\n") == 1


def test_login_times_out_with_exit_1(env: dict[str, str]) -> None:
    result = numind("auth", "login", "--no-browser", "--timeout", "0.3", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("numind: error: No sign-in within 0.3 seconds")


def test_paste_mode_reads_the_url_from_stdin(env: dict[str, str]) -> None:
    from conftest import open_authorization_url

    email = new_email()
    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--paste"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None and process.stdin is not None
    for line in process.stdout:
        if line.strip().startswith("http"):
            process.stdin.write(open_authorization_url(line.strip(), email) + "\n")
            process.stdin.flush()
            break
    out, err = process.communicate(timeout=60)
    assert (process.returncode, err) == (0, "")
    assert f"Signed in as {email}" in out


def test_logout_offline_warns_on_stderr_and_python_m_numind_works(tmp_path: pathlib.Path) -> None:
    with LocalServer() as gone:
        env = {**os.environ, "NUMIND_BASE_URL": gone.url}
        assert login(env, new_email())[0] == 0
    result = subprocess.run(
        [sys.executable, "-m", "numind", "auth", "logout"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0
    assert result.stderr.startswith("numind: warning: Signed out locally, but the session")
    assert result.stderr.count("\n") == 1
    assert numind("auth", "whoami", env=env).returncode == 1


def test_the_cli_refreshes_an_expired_token_and_says_when_to_sign_in_again(
    own_server: LocalServer,
) -> None:
    env = {**os.environ, "NUMIND_BASE_URL": own_server.url}
    email = new_email()
    assert login(env, email)[0] == 0
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    before = json.loads(path.read_text())["logins"][own_server.url]

    own_server.advance_clock(301)  # the access token expired: whoami refreshes it
    result = numind("auth", "whoami", env=env)
    assert (result.returncode, result.stdout) == (0, email + "\n")
    after = json.loads(path.read_text())["logins"][own_server.url]
    assert after["refresh_token"] != before["refresh_token"]
    assert own_server.refresh_requests == 1

    own_server.advance_clock(1801)  # the session expired too
    result = numind("auth", "whoami", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "sign in again with `numind auth login`" in result.stderr


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "application/json"), (200, "text/plain"), (502, "text/plain")],
)
def test_an_error_line_never_echoes_a_token_the_server_sent(
    env: dict[str, str], status: int, content_type: str
) -> None:
    # A body the CLI cannot decode may be a token response: it is kept out of stderr.
    secret = "tok-" + "S3CRET" * 4
    body = json.dumps({"token": secret, "refreshToken": secret + "-refresh"}).encode()
    with RecordingServer() as recording:
        recording.default = Canned(status, body, {"Content-Type": content_type})
        result = numind(
            "--base-url",
            recording.url,
            "auth",
            "whoami",
            env={**env, "NUMIND_API_KEY": "nm_key"},
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"numind: error: the server answered {status}")
    assert result.stderr.count("\n") == 1
    if status == 502:
        assert "tok-" in result.stderr  # an error answer is shown, briefly...
    else:
        assert secret not in result.stderr, result.stderr  # ...a success answer never


def test_login_help_says_what_paste_mode_does_not_protect_against() -> None:
    result = numind("auth", "login", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--paste" in text and "picked at random for this sign-in" in text
    assert "It does not protect against another user of the browser's machine" in text
    assert "numind auth tokens create NAME" in text and "NUMIND_API_KEY" in text


# -- finding 4: logout tells the truth -----------------------------------------------------


def forward_to(upstream: str, before: Any) -> Callable[[Recorded], Canned]:
    """A RecordingServer answer that forwards each request to ``upstream`` (an origin);
    ``before(path)`` runs first, so that a test can act while a request is in flight."""
    target = urlsplit(upstream)
    skip = {"connection", "host", "keep-alive", "content-length", "transfer-encoding"}

    def forward(request: Recorded) -> Canned:
        before(request.path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in skip}
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            connection.request(request.method, request.path, request.body or None, headers)
            answer = connection.getresponse()
            body = answer.read()
        finally:
            connection.close()
        kept = {k: v for k, v in answer.getheaders() if k.lower() not in skip}
        return Canned(answer.status, body, kept)

    return forward


ROTATE = """
import functools, sys
from numind.openapi_client import ApiClient, Configuration
from numind.openapi_client._deadline import Deadline

configuration = Configuration(host=sys.argv[1])
login = configuration.stored_login
with ApiClient(configuration) as client:  # what a process does on a 401: refresh
    exchange = functools.partial(client._refresh_tokens, login.base_url)
    login.refused(login.credentials.access_token, exchange, Deadline(30))
print("rotated")
"""


def test_logout_tells_the_truth_when_another_process_rotates_the_token_meanwhile(
    own_server: LocalServer,
) -> None:
    rotations: list[subprocess.Popen[str]] = []

    def another_process_refreshes_while_the_logout_is_in_flight(path: str) -> None:
        if path.endswith("/api/auth/logout") and not rotations:
            rotations.append(
                subprocess.Popen(
                    [sys.executable, "-c", ROTATE, proxy.url],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
            with contextlib.suppress(subprocess.TimeoutExpired):
                rotations[0].wait(timeout=3)  # done, or waiting for the logout's lock

    with RecordingServer() as proxy:
        proxy.default = forward_to(
            own_server.origin, another_process_refreshes_while_the_logout_is_in_flight
        )
        env = {**os.environ, "NUMIND_BASE_URL": proxy.url}
        assert login(env, new_email())[0] == 0
        path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
        first_refresh_token = json.loads(path.read_text())["logins"][proxy.url]["refresh_token"]

        result = numind("auth", "logout", env=env)
        _, rotated_err = rotations[0].communicate(timeout=90)
        whoami = numind("auth", "whoami", env=env)

    if result.returncode == 0:  # "Signed out": then it is true
        assert f"Signed out of {proxy.url}" in result.stdout
        assert whoami.returncode == 1, whoami.stdout
        assert proxy.url not in json.loads(path.read_text())["logins"]
        # the process that wanted to refresh learnt that it was signed out
        assert rotations[0].returncode != 0 and "signed out" in rotated_err
    else:
        assert "Still signed in" in result.stderr
    assert own_server.refresh_requests == 0  # no rotation behind the logout's back
    # and the session is over on the server: the refresh token no longer works
    refresh = {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": first_refresh_token}
    connection = http.client.HTTPConnection(own_server.host, own_server.port, timeout=10)
    try:
        connection.request(
            "POST", "/v1/api/auth/token", json.dumps(refresh), {"Content-Type": "application/json"}
        )
        assert connection.getresponse().status == 400
    finally:
        connection.close()


# -- finding 10: what a server sends is shown, never obeyed by the terminal -----------------

EVIL = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u202eevil\r\nnumind: error: fake line\x9b"


def evil_key(**changes: str) -> dict[str, str]:
    key = {
        "id": "id-" + EVIL,
        "name": "name-" + EVIL,
        "token": "nm_" + "k" * 20 + EVIL,
        "userId": "u",
        "createdAt": "2025-01-01T00:00:00Z" + EVIL,
        "expiresAt": "2026-01-01T00:00:00Z",
    }
    return {**key, **changes}


@pytest.mark.parametrize(
    ("args", "status", "answer"),
    [
        (["auth", "whoami"], 200, {"email": "mallory@example.com" + EVIL}),
        (["auth", "tokens", "list"], 200, [evil_key()]),
        (["auth", "tokens", "create", "x"], 200, evil_key()),
        (["auth", "tokens", "rename", "id", "x"], 200, evil_key()),
        (["auth", "tokens", "delete", "id"], 404, {"code": "NOT_FOUND", "message": EVIL}),
        (["auth", "whoami"], 502, {"code": "BAD_GATEWAY" + EVIL, "message": "down" + EVIL}),
    ],
)
def test_server_text_reaches_the_terminal_escaped(
    env: dict[str, str], args: list[str], status: int, answer: Any
) -> None:
    with RecordingServer() as hostile:
        hostile.default = Canned(status, json.dumps(answer).encode())
        result = numind("--base-url", hostile.url, *args, env={**env, "NUMIND_API_KEY": "nm_key"})
    printed = result.stdout + result.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in printed  # shown, escaped
    for control in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert control not in printed
    assert "\nnumind: error: fake line" not in printed  # no line of the server's own
    assert result.returncode == (0 if status == 200 else 1)


def test_a_refusal_text_in_the_redirect_reaches_the_terminal_escaped(env: dict[str, str]) -> None:
    from conftest import follow_redirect, get_once

    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip().startswith("http"):
            status, authorization_url = get_once(line.strip())
            assert status == 302
            state = parse_qs(urlsplit(authorization_url).query)["state"][0]
            redirect_uri = parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]
            query = urlencode({"error": "x", "error_description": EVIL, "state": state})
            assert follow_redirect(f"{redirect_uri}?{query}")[0] == 400
            break
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.startswith("numind: error: The sign-in was refused: \\x1b]0;pwned\\x07")
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
