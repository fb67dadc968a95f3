"""Tokens that are not RFC 6750 ``b64token``s (escape sequences, CR/LF) are refused where
they arrive: in a token answer (sign-in, refresh) and in the credential file; nothing is
stored, and no message shows them (docs/SECURITY.md, round 3, finding 6)."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import subprocess
import sys
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from recording_server import Canned, Recorded, RecordingServer
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth

NUMIND = pathlib.Path(sys.executable).with_name("numind")
#: OSC 52 (write the clipboard), OSC 0 (the window title), CSI 2J (clear the screen).
ESCAPES = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07\x1b]0;pwned\x07\x1b[2J"
HOSTILE = ["tok" + ESCAPES, "tok\r\nX-Injected: 1", "tok en", "tok\u202e"]


def token_answer(access: str = "good-access", refresh: str = "good-refresh") -> Canned:
    body = {"token": access, "expiresIn": 300, "refreshToken": refresh, "refreshExpiresIn": 900}
    return Canned(200, json.dumps(body).encode())


def sign_in_url(request: Recorded) -> Canned:
    redirect = parse_qs(urlsplit(request.path).query)["redirectUri"][0]
    url = f"https://sign-in.example/auth?state=s1&redirect_uri={quote(redirect, safe='')}"
    return Canned(200, url.encode(), {"Content-Type": "text/plain"})


def credentials_file() -> pathlib.Path:
    return pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"


def assert_not_shown(text: str, token: str) -> None:
    assert token not in text and "X-Injected" not in text
    assert "\x1b" not in text and "\r" not in text


@pytest.mark.parametrize("field", ["access", "refresh"])
@pytest.mark.parametrize("token", HOSTILE)
def test_a_sign_in_answered_with_a_hostile_token_is_refused_and_nothing_stored(
    token: str, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with RecordingServer() as hostile:
        hostile.responses = [sign_in_url, token_answer(**{field: token})]
        with pytest.raises(sdk.ApiException) as raised:
            auth.login(
                configuration=sdk.Configuration(host=hostile.url, retries=0),
                paste=True,
                open_browser=False,
                read_input=lambda prompt: "the-code",
            )
    assert "not a bearer token" in str(raised.value)
    assert_not_shown(str(raised.value), token)
    assert_not_shown(capsys.readouterr().err, token)
    # Not sent as a bearer (GET /api/auth/me), not stored.
    assert [r.method for r in hostile.requests] == ["GET", "POST"]
    assert not credentials_file().exists() or auth.CredentialStore().load_all() == {}


@pytest.mark.parametrize("field", ["access", "refresh"])
@pytest.mark.parametrize("token", HOSTILE[:2])
def test_a_refresh_answered_with_a_hostile_token_is_refused_and_nothing_stored(
    token: str, field: str, twin: Twin
) -> None:
    with RecordingServer() as hostile:
        store = auth.CredentialStore()
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        store.save(auth.StoredCredentials(hostile.url, "at-old", "rt-old", past))
        before = credentials_file().read_bytes()
        hostile.default = token_answer(**{field: token})
        configuration = sdk.Configuration(host=hostile.url, retries=0)
        with pytest.raises(sdk.ApiException) as raised, twin.client(configuration) as client:
            twin.api(client).get_api_auth_me()
    assert "not a bearer token" in str(raised.value)
    assert_not_shown(str(raised.value), token)
    assert [r.path for r in hostile.requests] == ["/v1/api/auth/token"]  # never sent
    assert credentials_file().read_bytes() == before


def write_credentials(base_url: str, access: str, refresh: str = "rt") -> None:
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    entry = {
        "base_url": base_url,
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": later.isoformat(),
        "refresh_expires_at": None,
    }
    path = credentials_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "logins": {base_url: entry}}))
    path.chmod(0o600)


@pytest.mark.parametrize("field", ["access", "refresh"])
def test_a_credential_file_with_a_crlf_token_is_refused_without_showing_it(
    field: str, twin: Twin
) -> None:
    token = "at\r\nX-Injected: 1"
    with RecordingServer() as recording:
        write_credentials(recording.url, *((token, "rt") if field == "access" else ("at", token)))
        configuration = sdk.Configuration(host=recording.url, retries=0)
        refused = pytest.raises(auth.CredentialStoreError)
        with refused as raised, twin.client(configuration) as client:
            twin.api(client).get_api_auth_me()
    assert "numind auth logout" in str(raised.value)
    assert_not_shown(str(raised.value), token)
    assert recording.requests == []


def test_numind_auth_token_never_prints_a_stored_token_with_escape_sequences() -> None:
    base_url = "http://127.0.0.1:9/v1"
    token = "tok" + ESCAPES
    write_credentials(base_url, token)
    shown = subprocess.run(
        [str(NUMIND), "auth", "token", "--base-url", base_url],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert shown.returncode == 1
    assert shown.stdout == ""
    assert_not_shown(shown.stderr, token)
    assert "is not valid" in shown.stderr and "Traceback" not in shown.stderr


def test_stored_credentials_refuse_a_token_that_is_not_a_b64token() -> None:
    later = datetime.datetime.now(datetime.timezone.utc)
    for token in [*HOSTILE, ""]:
        with pytest.raises(sdk.ApiValueError) as raised:
            auth.StoredCredentials("https://x.example/v1", token, None, later)
        if token:
            assert_not_shown(str(raised.value), token)
    auth.StoredCredentials("https://x.example/v1", "a-Z_0.9~+/==", "r", later)
