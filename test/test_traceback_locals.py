"""No token in the locals of a captured traceback: what Sentry (with locals), ``pytest -l``
or rich's ``show_locals`` print of a failed call shows every credential as ``<redacted>``."""

from __future__ import annotations

import datetime
import errno
import io
import json
import os
import re
import traceback
from types import TracebackType
from typing import Iterator, Optional
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from faulty_server import Fault, FaultyServer, closed_port
from recording_server import Canned, Recorded, RecordingServer
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import _credential_store, auth

HERE = os.path.dirname(os.path.abspath(__file__))
# Longer than 80 characters: rich's ``show_locals`` shows such a string as a slice of it.
ACCESS = "SECRET-ACCESS-8c1f-" + "a" * 90
REFRESH = "SECRET-REFRESH-77d2-" + "r" * 90
API_KEY = "SECRET-KEY-02b9-" + "k" * 90


def _tracebacks(error: Optional[BaseException]) -> Iterator[TracebackType]:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.__traceback__ is not None:
            yield error.__traceback__
        error = error.__cause__ or error.__context__


def shown_locals(error: BaseException, below: str = "") -> str:
    """Every local of every frame below the test in the traceback of the error and its causes,
    as a reporter that captures locals shows them (``below``: only the frames under the
    first one of that function)."""
    parts = []
    for tb in _tracebacks(error):
        started = not below
        while tb is not None:
            frame = tb.tb_frame
            started = started or frame.f_code.co_name == below
            # Every frame but the test's own: the SDK's, urllib3's, http.client's, socket's.
            if started and os.path.dirname(frame.f_code.co_filename) != HERE:
                summary = traceback.FrameSummary(
                    frame.f_code.co_filename,
                    tb.tb_lineno,
                    frame.f_code.co_name,
                    locals=frame.f_locals,
                )
                parts += [f"{name}={value}" for name, value in (summary.locals or {}).items()]
            tb = tb.tb_next  # type: ignore[assignment]
    assert parts, "no frame below the test"
    return "\n".join(parts)


def rich_shown(error: BaseException, below: str = "") -> str:
    """The traceback of ``error`` and its causes as rich's ``show_locals`` prints it, from
    the first frame below the test's (or from the first one of ``below``)."""
    from rich.console import Console
    from rich.traceback import Traceback

    tb = error.__traceback__
    while tb is not None and (
        os.path.dirname(tb.tb_frame.f_code.co_filename) == HERE
        or (below and tb.tb_frame.f_code.co_name != below)
    ):
        tb = tb.tb_next
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(Traceback.from_exception(type(error), error, tb, show_locals=True))
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def assert_rich_hides(error: BaseException, *tokens: str, below: str = "") -> None:
    """No token, nor the start of one (a slice), in what rich's ``show_locals`` shows."""
    rendered = rich_shown(error, below)
    assert "locals" in rendered  # the frames were looked at
    for token in tokens:
        assert token[:16] not in rendered, rendered


def _store(base_url: str, expired: bool) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(seconds=-1 if expired else 300)
    auth.CredentialStore().save(auth.StoredCredentials(base_url, ACCESS, REFRESH, expires))


@pytest.mark.parametrize("expired", [False, True], ids=["stored login", "login to refresh"])
def test_a_stored_login_with_the_server_down(expired: bool, twin: Twin) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    _store(url, expired)
    with twin.client(sdk.Configuration(host=url, retries=0)) as client:
        with pytest.raises(sdk.ApiConnectionError) as caught:
            twin.api(client).get_api_auth_me()
        shown = shown_locals(caught.value)
    assert "Authorization" in shown or "refresh" in shown  # the frames were looked at
    assert ACCESS not in shown
    assert REFRESH not in shown
    assert_rich_hides(caught.value, ACCESS, REFRESH)


def test_an_api_key_with_the_server_down(twin: Twin) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    configuration = sdk.Configuration(host=url, access_token=API_KEY, retries=0)
    with twin.client(configuration) as client:
        with pytest.raises(sdk.ApiConnectionError) as caught:
            twin.api(client).get_api_auth_me()
        shown = shown_locals(caught.value)
    assert "<redacted>" in shown
    assert API_KEY not in shown
    assert_rich_hides(caught.value, API_KEY)


def test_a_refresh_token_in_a_request_body_is_masked_from_the_retry_loop_down(twin: Twin) -> None:
    # The argument itself is the caller's object, in the caller's frame and the method's;
    # from the request loop to the socket, the body is masked.
    url = f"http://127.0.0.1:{closed_port()}/v1"
    configuration = sdk.Configuration(host=url, access_token=API_KEY, retries=0)
    with twin.client(configuration) as client:
        api = twin.api(client)
        with pytest.raises(sdk.ApiConnectionError) as logout:
            api.post_api_auth_logout(REFRESH)
        with pytest.raises(sdk.ApiConnectionError) as refresh:
            api.post_api_auth_token(sdk.TokenRefreshRequest(token=REFRESH))
    for caught in (logout, refresh):
        shown = shown_locals(caught.value, below="_send_with_retries")
        # The request's body bytes show as their size (``SecretBytes``).
        assert re.search(r"body=<\d+ bytes>", shown), shown
        assert REFRESH not in shown
        assert_rich_hides(caught.value, REFRESH, below="_send_with_retries")


def test_a_token_answer_that_cannot_be_decoded(twin: Twin) -> None:
    body = f'{{"token": "{ACCESS}", "refreshToken": "{REFRESH}", "expiresIn": "soon"}}'
    with (
        FaultyServer([Fault.ok(body.encode())]) as server,
        twin.client(sdk.Configuration(host=server.url)) as client,
    ):
        with pytest.raises(sdk.ApiException) as caught:
            twin.api(client).post_api_auth_token(
                {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": "x"}
            )
        shown = shown_locals(caught.value)
    assert "not a valid TokenResponse" in str(caught.value)
    assert ACCESS not in shown
    assert REFRESH not in shown
    assert_rich_hides(caught.value, ACCESS, REFRESH)


# -- the credential file (issue 20, item 1) ----------------------------------------------
# Long enough (> 80 characters) that rich's ``show_locals`` truncates them with a slice.
LONG_ACCESS = "SECRET-LONG-ACCESS-3e1a" + "a" * 90
LONG_REFRESH = "SECRET-LONG-REFRESH-5b7c" + "r" * 90
NEW_ACCESS = "SECRET-NEW-ACCESS-91fd" + "n" * 90
NEW_REFRESH = "SECRET-NEW-REFRESH-c40e" + "m" * 90
MARKERS = ("SECRET-LONG-ACCESS-3e1a", "SECRET-LONG-REFRESH-5b7c", "SECRET-NEW-ACCESS-91fd",
           "SECRET-NEW-REFRESH-c40e")  # fmt: skip


def _assert_no_token(error: BaseException) -> None:
    shown = shown_locals(error)
    assert "self=" in shown  # the frames were looked at
    for marker in MARKERS:
        assert marker not in shown, f"{marker} in the locals:\n{shown}"
    assert_rich_hides(error, *MARKERS)


@pytest.mark.parametrize("damage", ["a malformed login", "cut short"])
def test_a_credential_file_that_is_not_valid(damage: str) -> None:
    # One good login and one malformed entry; or the file cut short (not JSON at all).
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=300)
    store = auth.CredentialStore()
    good = auth.StoredCredentials("https://good.example/v1", LONG_ACCESS, LONG_REFRESH, expires)
    store.save(good)
    text = store.path.read_text()
    if damage == "cut short":
        text = text[: text.rindex("refresh_expires_at")]
    else:
        document = json.loads(text)
        document["logins"]["https://bad.example/v1"] = {"base_url": "https://bad.example/v1"}
        text = json.dumps(document)
    store.path.write_text(text)
    with pytest.raises(auth.InvalidCredentialFileError) as caught:
        store.load_all()
    _assert_no_token(caught.value)


def test_a_refresh_whose_save_fails(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full disk: the new, already rotated, tokens cannot be stored.
    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    answer = {"token": NEW_ACCESS, "refreshToken": NEW_REFRESH, "expiresIn": 300}
    with FaultyServer([Fault.ok(json.dumps(answer).encode())]) as server:
        expired = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        auth.CredentialStore().save(
            auth.StoredCredentials(server.url, LONG_ACCESS, LONG_REFRESH, expired)
        )
        monkeypatch.setattr(_credential_store._Directory, "replace", full)
        with (
            twin.client(sdk.Configuration(host=server.url, retries=0)) as client,
            # The store's OSError, as the package's error that names the file and the fix.
            pytest.raises(auth.CredentialStoreError, match="No space left") as caught,
        ):
            twin.api(client).get_api_auth_me()
    _assert_no_token(caught.value)


# -- the one-time sign-in code (issue 20, item 3) ------------------------------------------
CODE = "SECRET-CODE-6a0e-" + "c" * 90


@pytest.mark.parametrize("status", [400, 503], ids=["refused", "outage"])
@pytest.mark.parametrize("pasted", ["url", "code"])
def test_a_failing_code_exchange(
    status: int, pasted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_input(prompt: str) -> str:
        if pasted == "code":
            return CODE
        words = capsys.readouterr().out.split()
        url = next(w for w in words if w.startswith("http") and "redirect_uri=" in w)
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        return f"{redirect}?{urlencode({'code': CODE, 'state': 's1'})}"

    def sign_in_url(request: Recorded) -> Canned:
        redirect = parse_qs(urlsplit(request.path).query)["redirectUri"][0]
        body = f"https://sign-in.example/auth?state=s1&redirect_uri={quote(redirect, safe='')}"
        return Canned(200, body.encode(), {"Content-Type": "text/plain"})

    with RecordingServer() as recording:
        recording.responses = [sign_in_url, Canned(status, b'{"code": "x", "message": "no"}')]
        configuration = sdk.Configuration(host=recording.url, retries=0)
        with pytest.raises((auth.LoginError, sdk.ApiException)) as caught:
            auth.login(
                configuration=configuration, paste=True, open_browser=False, read_input=read_input
            )
    assert [r.method for r in recording.requests] == ["GET", "POST"]
    shown = shown_locals(caught.value)
    assert "code=" in shown  # the frames were looked at
    assert CODE[:16] not in shown, shown
    assert_rich_hides(caught.value, CODE)
