"""The installed ``numind`` console script against the local server, as a user runs it."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pathlib
import subprocess
import sys
import time
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from recording_server import Canned, Recorded, RecordingServer
from signing_in import new_email, play_browser

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


def login(
    env: dict[str, str], email: str, *args: str, merged: bool = False
) -> tuple[int, str, str]:
    """``numind auth login --no-browser``; the test opens the printed URL, as a browser in
    another process would. ``merged``: stderr in stdout, in the order they were printed."""
    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--no-browser", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.strip().startswith("http"):
            status, page = play_browser(line.strip(), email)
            assert (status, "You can close this tab" in page) == (200, True)
            break
    out, err = process.communicate(timeout=60)
    return process.returncode, "".join(lines) + out, err or ""


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

    deleted = numind("auth", "tokens", "delete", key["id"], "--yes", env=env)
    assert (deleted.returncode, deleted.stderr) == (0, "")
    assert deleted.stdout == f"Deleted API key 'desktop' (id {key['id']})\n"
    again = numind("auth", "tokens", "delete", key["id"], "--yes", env=env)
    assert again.returncode == 1
    assert again.stderr == (
        f"numind: error: No API key has the id or name '{key['id']}': "
        "`numind auth tokens list` shows your keys\n"
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
    from signing_in import open_authorization_url

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
import sys
from numind.openapi_client import ApiClient, Configuration
from numind.openapi_client._deadline import Deadline

configuration = Configuration(host=sys.argv[1])
login = configuration.stored_login
with ApiClient(configuration) as client:  # what a process does on a 401: refresh
    login.refused(login.credentials.access_token, client._refresh_tokens, Deadline(30))
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
        # rename finds the key in the list first (GET), then renames it (PUT)
        (
            ["auth", "tokens", "rename", "id", "x"],
            200,
            {"GET": [evil_key(id="id")], "PUT": evil_key()},
        ),
        (["auth", "tokens", "delete", "id"], 404, {"code": "NOT_FOUND", "message": EVIL}),
        (["auth", "whoami"], 502, {"code": "BAD_GATEWAY" + EVIL, "message": "down" + EVIL}),
    ],
)
def test_server_text_reaches_the_terminal_escaped(
    env: dict[str, str], args: list[str], status: int, answer: Any
) -> None:
    with RecordingServer() as hostile:
        if isinstance(answer, dict) and "GET" in answer:
            answers = answer
            hostile.default = lambda request: Canned(
                status, json.dumps(answers[request.method]).encode()
            )
        else:
            hostile.default = Canned(status, json.dumps(answer).encode())
        result = numind("--base-url", hostile.url, *args, env={**env, "NUMIND_API_KEY": "nm_key"})
    printed = result.stdout + result.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in printed  # shown, escaped
    for control in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert control not in printed
    assert "\nnumind: error: fake line" not in printed  # no line of the server's own
    assert result.returncode == (0 if status == 200 else 1)


def test_a_refusal_text_in_the_redirect_reaches_the_terminal_escaped(env: dict[str, str]) -> None:
    from signing_in import follow_redirect, get_once

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


# -- issue 14: where credentials come from, and every mistake guided ------------------------


def test_a_stale_api_key_is_named_at_login_by_whoami_and_by_status(
    env: dict[str, str], server: LocalServer
) -> None:
    stale = {**env, "NUMIND_API_KEY": "nm_stale"}
    email = new_email()
    code, out, _ = login(stale, email, merged=True)
    assert code == 0
    warning = out.index("numind: warning: NUMIND_API_KEY is set, so Configuration() and")
    assert warning < out.index("Open this URL")  # said before the browser is opened
    assert "unset NUMIND_API_KEY to use this login" in out

    whoami = numind("auth", "whoami", env=stale)
    assert whoami.returncode == 1
    assert whoami.stderr.splitlines()[-1] == (
        "numind: error: the server answered 401 Unauthorized: Invalid, expired or revoked "
        "token. The token sent was NUMIND_API_KEY, which wins over your stored login for "
        f"{server.url}: unset NUMIND_API_KEY to use the login, or set it to a key of "
        "`numind auth tokens list`"
    )

    status = numind("auth", "status", env=stale)
    assert status.returncode == 1
    assert "  Credential: the API key in NUMIND_API_KEY (****)\n" in status.stdout
    assert "  Stored login (not used while NUMIND_API_KEY is set): access token" in status.stdout
    as_json = json.loads(numind("--json", "auth", "status", env=stale).stdout)
    assert (as_json["credential"], as_json["account"]) == ("NUMIND_API_KEY", None)
    assert as_json["error"]["status"] == 401

    status = numind("auth", "status", env=env)  # once unset: the login
    assert (status.returncode, status.stderr) == (0, "")
    assert status.stdout.startswith(f"{server.url}\n  Signed in as {email}\n")
    assert "  Credential: the login stored by `numind auth login`" in status.stdout
    assert "Credential file: " + env["NUMIND_CONFIG_DIR"] in status.stdout
    as_json = json.loads(numind("--json", "auth", "status", env=env).stdout)
    assert (as_json["credential"], as_json["account"], as_json["error"]) == (
        "stored_login",
        email,
        None,
    )
    assert as_json["stored_login"]["base_url"] == server.url
    stored = (pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json").read_text()
    for secret in json.loads(stored)["logins"][server.url].values():
        if secret and len(secret) > 30:  # the tokens: never shown
            assert secret not in status.stdout


def test_status_lists_every_other_base_url_with_a_login_and_not_signed_in_names_them(
    env: dict[str, str], server: LocalServer
) -> None:
    assert login(env, new_email())[0] == 0
    other = server.url.replace("127.0.0.1", "localhost")
    status = numind("auth", "status", "--base-url", other, env=env)
    assert status.returncode == 1
    assert status.stdout.startswith(f"{other}\n  Not signed in: run `numind auth login`")
    assert "Other base URLs with a stored login (pick one with --base-url):\n" in status.stdout
    assert f"\n  {server.url}: access token expires " in status.stdout
    as_json = json.loads(numind("--json", "auth", "status", "--base-url", other, env=env).stdout)
    assert [login["base_url"] for login in as_json["other_logins"]] == [server.url]

    whoami = numind("auth", "whoami", "--base-url", other, env=env)
    assert (whoami.returncode, whoami.stderr) == (
        1,
        f"numind: error: Not signed in to {other}, but to {server.url}: pick one with "
        f"--base-url (or NUMIND_BASE_URL), or run `numind auth login --base-url {other}`\n",
    )


def test_configuration_logs_once_that_the_api_key_hides_a_stored_login(
    env: dict[str, str],
) -> None:
    assert login(env, new_email())[0] == 0
    code = (
        "import numind.openapi_client as sdk\n"
        "for _ in range(3):\n"
        "    print(sdk.Configuration().credential_source)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "NUMIND_API_KEY": "nm_key"},
    )
    assert run.stdout == "NUMIND_API_KEY\n" * 3
    assert run.stderr == (
        "NUMIND_API_KEY is set, so it is used instead of the login stored for "
        f"{env['NUMIND_BASE_URL']} (by `numind auth login`); unset NUMIND_API_KEY to use "
        "that login. `numind auth status` shows which credential is used\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert (run.stdout, run.stderr) == ("stored_login\n" * 3, "")


def test_numind_debug_shows_a_warning_of_the_sdk_once(env: dict[str, str]) -> None:
    assert login(env, new_email())[0] == 0
    run = subprocess.run(
        [str(NUMIND), "--debug", "auth", "status"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "NUMIND_API_KEY": "nm_key"},
    )
    assert run.stderr.count("NUMIND_API_KEY is set, so it is used instead of the login") == 1
    assert "numind: warning: NUMIND_API_KEY is set, so it is used instead" in run.stderr


def test_auth_token_prints_the_access_token_refreshed_first(own_server: LocalServer) -> None:
    env = {**os.environ, "NUMIND_BASE_URL": own_server.url}
    assert login(env, new_email())[0] == 0
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    stored = json.loads(path.read_text())["logins"][own_server.url]["access_token"]
    token = numind("auth", "token", env=env)
    assert (token.returncode, token.stdout, token.stderr) == (0, stored + "\n", "")

    document = json.loads(path.read_text())  # about to expire: refreshed before it is printed
    document["logins"][own_server.url]["expires_at"] = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps(document))
    token = numind("auth", "token", env=env)
    assert token.returncode == 0 and own_server.refresh_requests == 1
    fresh = token.stdout.strip()
    assert fresh != stored
    assert fresh == json.loads(path.read_text())["logins"][own_server.url]["access_token"]
    # what `curl -H "Authorization: Bearer $(numind auth token)"` sends
    connection = http.client.HTTPConnection(own_server.host, own_server.port, timeout=10)
    try:
        connection.request("GET", "/v1/api/auth/me", headers={"Authorization": f"Bearer {fresh}"})
        assert connection.getresponse().status == 200
    finally:
        connection.close()

    key = numind("auth", "token", env={**env, "NUMIND_API_KEY": "nm_key_in_env"})
    assert key.stdout == "nm_key_in_env\n"
    helped = " ".join(numind("auth", "token", "--help").stdout.split())
    assert "This is the only command that prints a token" in helped
    assert 'curl -H "Authorization: Bearer $(numind auth token)"' in helped


def test_end_of_input_at_the_paste_prompt_is_one_line(env: dict[str, str]) -> None:
    result = numind("auth", "login", "--paste", env=env)  # stdin is /dev/null
    assert result.returncode == 1
    assert result.stderr == (
        "numind: error: Nothing was pasted (the input ended): run the login again, and "
        "paste the URL your browser was sent to\n"
    )


def test_paste_mode_waits_no_longer_than_timeout_and_says_what_the_browser_will_show(
    env: dict[str, str],
) -> None:
    started = time.monotonic()
    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--paste", "--timeout", "1"],
        stdin=subprocess.PIPE,  # open, and nothing is ever typed
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    process.wait(timeout=60)  # stdin stays open: communicate() would close it (an EOF)
    assert process.stdout is not None and process.stderr is not None and process.stdin
    out, err = process.stdout.read(), process.stderr.read()
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    assert time.monotonic() - started < 30  # not the default 300 s
    assert process.returncode == 1
    assert err == (
        "numind: error: Nothing was pasted within 1 seconds: run the login again (a longer "
        "timeout gives more time)\n"
    )
    text = " ".join(out.split())
    assert (
        'After you sign in, the browser shows an error such as "can\'t connect" or '
        '"connection refused" for 127.0.0.1: that is expected (nothing listens there). '
        "Copy the whole address from its address bar." in text
    )


@pytest.mark.invalid_traffic  # paths without the /v1 base path: the 404 is the point
def test_a_base_url_without_v1_gets_the_corrected_url(env: dict[str, str]) -> None:
    assert login(env, new_email())[0] == 0
    key = json.loads(numind("--json", "auth", "tokens", "create", "k", env=env).stdout)["token"]
    origin = env["NUMIND_BASE_URL"].removesuffix("/v1")
    with_key = {**env, "NUMIND_API_KEY": key}
    expected = (
        "numind: error: the server answered 404 Not Found: No such resource: /api/auth/me. "
        f"The base URL {origin} lacks the /v1 that the API's paths start with: use "
    )
    result = numind("auth", "whoami", "--base-url", origin, env=with_key)
    assert result.stderr.splitlines()[-1] == expected + f"--base-url {origin}/v1"
    result = numind("auth", "whoami", env={**with_key, "NUMIND_BASE_URL": origin + "/"})
    assert result.stderr.splitlines()[-1] == expected + f"NUMIND_BASE_URL={origin}/v1"
    as_json = numind("--json", "auth", "whoami", "--base-url", origin, env=with_key)
    error = json.loads(as_json.stderr.splitlines()[-1])["error"]
    assert error["status"] == 404 and error["message"].endswith(f"--base-url {origin}/v1")


def test_https_to_a_plain_http_server_says_it_may_not_speak_https(
    env: dict[str, str], server: LocalServer
) -> None:
    https = server.url.replace("http://", "https://")
    result = numind("auth", "whoami", "--base-url", https, env={**env, "NUMIND_API_KEY": "nm_k"})
    assert result.returncode == 1
    assert "TLS failed: [SSL: WRONG_VERSION_NUMBER]" in result.stderr
    assert result.stderr.endswith(
        "; the server may not speak https: if it serves plain http (as a local server does), "
        f"use {server.url} instead\n"
    )


def test_keys_are_deleted_and_renamed_by_id_or_unique_name_with_a_confirmation(
    env: dict[str, str],
) -> None:
    assert login(env, new_email())[0] == 0
    first = json.loads(numind("--json", "auth", "tokens", "create", "ci", env=env).stdout)
    second = json.loads(numind("--json", "auth", "tokens", "create", "ci", env=env).stdout)

    ambiguous = numind("auth", "tokens", "delete", "ci", "--yes", env=env)
    assert (ambiguous.returncode, ambiguous.stderr) == (
        1,
        f"numind: error: 2 API keys are named 'ci' (ids {first['id']}, {second['id']}): "
        "give the id\n",
    )
    renamed = numind("auth", "tokens", "rename", second["id"], "nightly", env=env)
    assert renamed.stdout == f"Renamed API key {second['id']} to nightly\n"
    renamed = numind("auth", "tokens", "rename", "nightly", "build", env=env)  # by name
    assert renamed.stdout == f"Renamed API key {second['id']} to build\n"

    refused = numind("auth", "tokens", "delete", "ci", env=env)  # stdin is not a terminal
    assert (refused.returncode, refused.stderr) == (
        2,
        f"numind: error: Refusing to delete API key 'ci' (id {first['id']}) without asking, "
        "and stdin is not a terminal: add --yes to delete it from a script\n",
    )
    assert answer_on_a_terminal(["auth", "tokens", "delete", "ci"], "n\n", env) == (
        1,
        f"Delete API key 'ci' (id {first['id']})? Programs that use it stop working at once. "
        f"[y/N] numind: error: Not deleted: API key 'ci' (id {first['id']}) is kept",
    )
    assert answer_on_a_terminal(["auth", "tokens", "delete", "ci"], "y\n", env)[0] == 0
    names = [
        k["name"] for k in json.loads(numind("--json", "auth", "tokens", "list", env=env).stdout)
    ]
    assert names == ["build"]

    deleted = numind("auth", "tokens", "delete", "build", "--yes", env=env)
    assert deleted.stdout == f"Deleted API key 'build' (id {second['id']})\n"
    unknown = numind("auth", "tokens", "delete", "no-such-key", "--yes", env=env)
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "numind: error: No API key has the id or name 'no-such-key': `numind auth tokens "
        "list` shows your keys\n",
    )


def answer_on_a_terminal(args: list[str], answer: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``numind`` with a pseudo-terminal as stdin and stderr, type ``answer``; (exit
    status, what the terminal showed, without the echo of the answer)."""
    import pty

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(NUMIND), *args], stdin=terminal, stderr=terminal, stdout=subprocess.PIPE, env=env
        )
        os.close(terminal)
        shown = b""
        while b"[y/N] " not in shown:
            shown += os.read(controller, 4096)
        os.write(controller, answer.encode())
        process.wait(timeout=60)
        with contextlib.suppress(OSError):  # EIO once the process has closed its side
            while chunk := os.read(controller, 4096):
                shown += chunk
        assert process.stdout is not None
        process.stdout.close()
    finally:
        os.close(controller)
    text = shown.decode().replace("\r\n", "\n").replace(answer.strip() + "\n", "", 1)
    return process.returncode, text.strip()


def test_a_key_name_that_cannot_be_is_refused_before_sending(env: dict[str, str]) -> None:
    with RecordingServer() as recording:
        result = numind(
            "auth", "tokens", "create", " ", "--base-url", recording.url,
            env={**env, "NUMIND_API_KEY": "nm_key"},
        )  # fmt: skip
        assert recording.requests == []
    assert (result.returncode, result.stderr) == (
        2,
        "numind: error: invalid API key name ' ': give a name that says where the key is "
        "used, such as `numind auth tokens create laptop`\n",
    )
    assert login(env, new_email())[0] == 0
    too_long = numind("auth", "tokens", "create", "x" * 101, env=env)
    assert too_long.returncode == 1
    assert too_long.stderr.startswith("numind: error: The server refused the API key name 'xxx")
    assert "(the server answered 400 Bad Request: Invalid value for: body)" in too_long.stderr


def test_a_bearer_prefix_in_the_api_key_is_caught_before_sending(env: dict[str, str]) -> None:
    with RecordingServer() as recording:
        result = numind(
            "auth", "whoami", "--base-url", recording.url,
            env={**env, "NUMIND_API_KEY": "Bearer nm_pasted_with_its_prefix"},
        )  # fmt: skip
        assert recording.requests == []
    assert (result.returncode, result.stderr) == (
        1,
        "numind: error: NUMIND_API_KEY starts with 'Bearer ' (the value is not shown): set "
        "NUMIND_API_KEY to the API key alone (export NUMIND_API_KEY=nm_...), without the "
        "prefix; the SDK sends 'Authorization: Bearer <token>' itself\n",
    )
    assert "nm_pasted" not in result.stdout + result.stderr


@pytest.mark.parametrize("problem", ["readable by others", "not valid"])
def test_the_credential_file_is_checked_before_the_browser_is_opened(
    env: dict[str, str], problem: str
) -> None:
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    path.parent.mkdir(mode=0o700)
    path.write_text('{"version": 1, "logins": {}}' if problem != "not valid" else "{oops")
    path.chmod(0o644 if problem == "readable by others" else 0o600)
    result = numind("auth", "login", "--no-browser", env=env)
    assert result.returncode == 1
    assert result.stdout == ""  # no sign-in URL: nobody signs in for nothing
    expected = (
        f"Refusing to use the credential file {path}: other users can read or write it "
        f"(mode 0644). Run `chmod 600 {path}`"
        if problem == "readable by others"
        else f"The credential file {path} is not valid: run `numind auth logout` to delete it"
    )
    assert result.stderr.startswith("numind: error: " + expected)


def test_logout_resets_a_credential_file_that_is_not_valid(env: dict[str, str]) -> None:
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    path.parent.mkdir(mode=0o700)
    path.write_text('{"logins": [')
    path.chmod(0o600)
    result = numind("auth", "logout", env=env)
    assert result.returncode == 0
    assert result.stderr == (
        f"numind: warning: The credential file {path} was not valid, so it was deleted, with "
        "every login it held; their sessions were not revoked on the server. Sign in again "
        "with `numind auth login`\n"
    )
    assert not path.exists()
    assert login(env, new_email())[0] == 0  # and signing in works again


def test_logging_out_of_an_expired_session_is_quiet(own_server: LocalServer) -> None:
    env = {**os.environ, "NUMIND_BASE_URL": own_server.url}
    assert login(env, new_email())[0] == 0
    own_server.advance_clock(1801)  # the session is over on the server
    result = numind("auth", "logout", env=env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"Signed out of {own_server.url}\n",
        "",
    )


def test_logging_out_of_a_session_that_expired_locally_sends_nothing(
    own_server: LocalServer,
) -> None:
    env = {**os.environ, "NUMIND_BASE_URL": own_server.url}
    assert login(env, new_email())[0] == 0
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    document = json.loads(path.read_text())
    document["logins"][own_server.url]["refresh_expires_at"] = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps(document))
    before = own_server.requests_handled
    result = numind("auth", "logout", env=env)
    assert (result.returncode, result.stderr) == (0, "")
    assert own_server.requests_handled == before


def test_version_and_the_help_of_a_group(env: dict[str, str]) -> None:
    import numind as package

    version = numind("--version")
    assert version.returncode == 0
    assert version.stdout.startswith(f"numind {package.__version__} (Python ")
    group = numind("auth", env=env)
    assert group.returncode == 2
    assert group.stderr.startswith("usage: numind auth ")
    assert "status" in group.stderr and "token" in group.stderr
    keys = numind("auth", "tokens", env=env)
    assert keys.stderr.startswith("usage: numind auth tokens ")


def test_with_json_errors_are_json_on_stderr(env: dict[str, str]) -> None:
    not_signed_in = numind("--json", "auth", "whoami", env=env)
    assert not_signed_in.returncode == 1 and not_signed_in.stdout == ""
    assert json.loads(not_signed_in.stderr) == {
        "error": {
            "message": f"Not signed in to {env['NUMIND_BASE_URL']}: run `numind auth login` "
            "(or set NUMIND_API_KEY)",
            "status": None,
        }
    }
    usage = numind("--json", "auth", "tokens", "bogus", env=env)
    assert usage.returncode == 2
    assert json.loads(usage.stderr)["error"]["message"].startswith("argument COMMAND: invalid")
    refused = numind("--json", "auth", "whoami", env={**env, "NUMIND_API_KEY": "nm_bad"})
    assert json.loads(refused.stderr)["error"]["status"] == 401


def test_login_says_where_it_stored_the_tokens(env: dict[str, str], server: LocalServer) -> None:
    email = new_email()
    code, out, _ = login(env, email)
    path = pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json"
    assert code == 0
    assert f"Signed in as {email} on {server.url}; the tokens are stored in {path}\n" in out


def test_a_rejected_numind_api_key_is_named_with_auth_status(env: dict[str, str]) -> None:
    result = numind("auth", "whoami", env={**env, "NUMIND_API_KEY": "nm_not_a_key_of_anyone"})
    assert result.returncode == 1
    assert result.stderr == (
        "numind: error: the server answered 401 Unauthorized: Invalid, expired or revoked "
        "token. The token sent was NUMIND_API_KEY: set it to a valid API key (`numind auth "
        "tokens create NAME`), or unset it to use your login; `numind auth status` shows which "
        "credential is used\n"
    )
    assert "nm_not_a_key_of_anyone" not in result.stderr


def test_login_with_no_browser_to_open_says_so_at_once_with_the_url_and_paste(
    env: dict[str, str],
) -> None:
    # BROWSER names the only browser webbrowser tries (no DISPLAY: no graphical one), and
    # /bin/false fails at once, as a machine without a browser does.
    no_browser = {k: v for k, v in env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(NUMIND), "auth", "login", "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**no_browser, "BROWSER": "/bin/false"},
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = ""
        for line in process.stdout:
            if line.strip().startswith("http"):
                url = line.strip()
                break
        # What stderr says within 3 s of the start (it took 0.7 s on an idle machine); the
        # sign-in itself would wait 60 s.
        import select

        ready, _, _ = select.select(
            [process.stderr], [], [], max(0.0, started + 3 - time.monotonic())
        )
        warning = process.stderr.readline() if ready else ""
    finally:
        process.kill()
        process.communicate()
    assert url.startswith("http://127.0.0.1:")
    assert warning == (
        f"numind: warning: No browser could be opened: open {url} in a browser on this "
        "machine, or, for a browser on another machine, use paste mode: `numind auth login "
        "--paste` (in Python, auth.login(paste=True))\n"
    )
