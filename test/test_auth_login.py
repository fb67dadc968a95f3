"""auth.login(): the loopback listener, state checks, timeout, and paste mode."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import follow_redirect, new_email, open_authorization_url, play_browser

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer


def me(configuration: sdk.Configuration) -> str:
    with sdk.ApiClient(configuration) as client:
        return sdk.AuthenticationApi(client).get_api_auth_me().email


def test_login_listens_on_loopback_answers_the_browser_and_stores_the_tokens(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    pages: list[tuple[int, str]] = []
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        pages.append(play_browser(url, email))

    configuration = auth.login(server.url, browser=browser)

    printed = capsys.readouterr().out
    assert opened and opened[0] in printed  # the URL is always printed too
    redirect_uri = parse_qs(urlsplit(opened[0]).query)["redirect_uri"][0]
    assert urlsplit(redirect_uri).hostname == "127.0.0.1"
    assert urlsplit(redirect_uri).port not in (None, 0)
    assert pages[0][0] == 200 and "You can close this tab" in pages[0][1]
    assert me(configuration) == email
    assert me(sdk.Configuration(host=server.url)) == email


def test_a_redirect_with_another_state_is_refused_and_the_real_one_accepted(
    server: LocalServer,
) -> None:
    email = new_email()
    forged: list[tuple[int, str]] = []

    def browser(url: str) -> None:
        location = open_authorization_url(url, email)
        parts = urlsplit(location)
        query = parse_qs(parts.query)
        fake = urlencode({"code": query["code"][0], "state": "not-the-state"})
        forged.append(follow_redirect(f"{parts.scheme}://{parts.netloc}{parts.path}?{fake}"))
        follow_redirect(location)

    configuration = auth.login(server.url, browser=browser)

    assert forged[0][0] == 400 and "state does not match" in forged[0][1]
    assert me(configuration) == email


def test_a_refused_sign_in_is_an_error(server: LocalServer) -> None:
    def browser(url: str) -> None:
        location = open_authorization_url(url)
        parts = urlsplit(location)
        state = parse_qs(parts.query)["state"][0]
        query = urlencode({"error": "access_denied", "error_description": "No.", "state": state})
        follow_redirect(f"{parts.scheme}://{parts.netloc}{parts.path}?{query}")

    with pytest.raises(auth.LoginError, match=r"refused: No\."):
        auth.login(server.url, browser=browser)


def test_login_times_out_with_a_clear_error(server: LocalServer) -> None:
    started = time.monotonic()
    with pytest.raises(auth.LoginError, match=r"No sign-in within 0.5 seconds.*--paste"):
        auth.login(server.url, open_browser=False, timeout=0.5)
    assert time.monotonic() - started < 30  # generous bound: it does end


@pytest.mark.parametrize("what", ["url", "code"])
def test_paste_mode_takes_the_redirected_url_or_the_code(
    server: LocalServer, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    email = new_email()

    def read_input(prompt: str) -> str:
        url = next(w for w in capsys.readouterr().out.split() if w.startswith("http"))
        # the user opens the URL on another machine; the redirect goes nowhere
        location = open_authorization_url(url, email)
        assert location.startswith(auth.PASTE_REDIRECT_URI)
        return location if what == "url" else parse_qs(urlsplit(location).query)["code"][0]

    configuration = auth.login(server.url, paste=True, open_browser=False, read_input=read_input)
    assert me(configuration) == email


def test_paste_mode_refuses_a_url_of_another_sign_in(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_input(prompt: str) -> str:
        url = next(w for w in capsys.readouterr().out.split() if w.startswith("http"))
        location = open_authorization_url(url)
        return location.replace("state=", "state=x")

    with pytest.raises(auth.LoginError, match="state does not match"):
        auth.login(server.url, paste=True, open_browser=False, read_input=read_input)


def test_a_code_that_was_used_already_is_refused(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_input(prompt: str) -> str:
        url = next(w for w in capsys.readouterr().out.split() if w.startswith("http"))
        location = open_authorization_url(url)
        code = parse_qs(urlsplit(location).query)["code"][0]
        server_code_used = {"type": "ai.numind.extract.shared.TokenCodeRequest"}
        with sdk.ApiClient(sdk.Configuration(host=server.url)) as client:
            sdk.AuthenticationApi(client).post_api_auth_token(
                {**server_code_used, "code": code, "redirectUri": auth.PASTE_REDIRECT_URI}
            )
        return code

    with pytest.raises(auth.LoginError, match="refused the sign-in code"):
        auth.login(server.url, paste=True, open_browser=False, read_input=read_input)


def test_an_outage_on_the_code_exchange_is_not_reported_as_a_bad_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recording_server import Canned, RecordingServer

    with RecordingServer() as recording:
        recording.responses = [
            Canned(200, b"https://sign-in.example/auth?state=s1", {"Content-Type": "text/plain"}),
            Canned(503, b'{"code": "unavailable", "message": "try later"}'),
        ]
        configuration = sdk.Configuration(host=recording.url, retries=0)
        with pytest.raises(sdk.ServiceException):
            auth.login(
                configuration=configuration,
                paste=True,
                open_browser=False,
                read_input=lambda prompt: "the-code",
            )
    assert [r.method for r in recording.requests] == ["GET", "POST"]


def test_a_sign_in_url_without_state_gets_one_and_the_redirect_must_carry_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recording_server import Canned, RecordingServer

    pasted: list[str] = []
    with RecordingServer() as recording:
        recording.responses = [
            Canned(200, b"https://sign-in.example/auth?client_id=x", {"Content-Type": "text/plain"})
        ]
        configuration = sdk.Configuration(host=recording.url, retries=0)
        with pytest.raises(auth.LoginError, match="state does not match"):
            auth.login(
                configuration=configuration,
                paste=True,
                open_browser=False,
                read_input=lambda prompt: (
                    pasted.append(prompt) or "http://127.0.0.1:8976/callback?code=forged"
                ),
            )
    shown = capsys.readouterr().out
    assert "https://sign-in.example/auth?client_id=x&state=" in shown
    assert [r.method for r in recording.requests] == ["GET"]  # the forged code was not sent


def test_login_stores_a_token_with_an_absurd_lifetime_clamped() -> None:
    with LocalServer(access_token_ttl=10**12, refresh_token_ttl=10**12) as absurd:
        email = new_email()
        configuration = auth.login(absurd.url, browser=lambda url: play_browser(url, email))
        stored = auth.CredentialStore().load(absurd.url)
        assert stored is not None and me(configuration) == email
    lifetime = stored.expires_at.timestamp() - time.time()
    assert 364 * 86400 < lifetime <= 365 * 86400
    assert stored.refresh_expires_at is not None
    assert stored.refresh_expires_at.timestamp() - time.time() <= 365 * 86400
