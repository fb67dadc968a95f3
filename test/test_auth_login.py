"""auth.login(): the loopback listener, state checks, timeout, paste mode, and what another
local user, a slow client or a hostile server can do to a sign-in (docs/SECURITY.md)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from typing import Callable
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import other_user
import pytest
from recording_server import Canned, Recorded, RecordingServer
from signing_in import follow_redirect, get_once, new_email, open_authorization_url, play_browser

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.auth import _listener, messages
from numind.openapi_client.testing import LocalServer


def me(configuration: sdk.Configuration) -> str:
    with sdk.ApiClient(configuration) as client:
        return sdk.AuthenticationApi(client).get_api_auth_me().email


def printed_url(capsys: pytest.CaptureFixture[str]) -> str:
    """The sign-in URL that paste mode printed."""
    words = capsys.readouterr().out.split()
    return next(w for w in words if w.startswith("http") and "redirect_uri=" in w)


def redirect_uri_of(authorization_url: str) -> str:
    return parse_qs(urlsplit(authorization_url).query)["redirect_uri"][0]


class Browser:
    """A ``browser=`` for login(): runs ``visit(url)`` (in login's browser thread), and
    ``finished()`` waits for it, since login() may return before the browser has read the
    last page."""

    def __init__(self, visit: Callable[[str], object]) -> None:
        self._visit = visit
        self._done = threading.Event()

    def __call__(self, url: str) -> None:
        try:
            self._visit(url)
        finally:
            self._done.set()

    def finished(self) -> None:
        assert self._done.wait(30)


def test_login_listens_on_loopback_answers_the_browser_and_stores_the_tokens(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    email = new_email()
    pages: list[tuple[int, str]] = []
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        pages.append(play_browser(url, email))

    visited = Browser(browser)
    configuration = auth.login(server.url, browser=visited)
    visited.finished()

    printed = capsys.readouterr().out
    assert opened and opened[0] in printed  # the URL is always printed too
    link = urlsplit(opened[0])
    assert (link.scheme, link.hostname, link.query) == ("http", "127.0.0.1", "")
    assert link.port not in (None, 0) and len(link.path) > 20  # a one-time path
    assert pages[0][0] == 200 and "You can close this tab" in pages[0][1]
    assert me(configuration) == email
    assert me(sdk.Configuration(host=server.url)) == email
    assert f"Signed in as {email} on {server.url}" in printed  # who signed in, shown


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

    visited = Browser(browser)
    configuration = auth.login(server.url, browser=visited)
    visited.finished()

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


# -- finding 2: the state stays out of the browser's command line -------------------------

# A GET that does not follow redirects, for the scripts below: (status, Location), or the
# name of the error when the connection fails.
GET = r"""
import http.client
from urllib.parse import urlsplit


def get(url):
    parts = urlsplit(url)
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status, response.getheader("Location") or ""
    except OSError as exc:
        return type(exc).__name__, ""
"""

BROWSER = (
    GET
    + r"""
import sys

url, email = sys.argv[1], sys.argv[2]
sys.stdin.readline()  # a browser that is slow to start: it fetches when told to
status, location = get(url)
while status == 302:
    if urlsplit(location).path.endswith("/openid-connect/auth"):
        location += "&login_hint=" + email  # the user signs in as themselves
    status, location = get(location)
print(status)
"""
)

# Another user: reads the browser's command line in /proc, and signs the victim in to
# mallory's account with the state found there (or behind the link found there).
ATTACKER = (
    GET
    + r"""
import json, sys

pid, mallory = sys.argv[1], sys.argv[2]
with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
    url = next(a.decode() for a in cmdline.read().split(b"\0") if a.startswith(b"http"))
result = {"url": url, "state_in_cmdline": "state=" in url}
authorization_url = url if "state=" in url else None
if authorization_url is None:
    result["first_fetch"], location = get(url)
    if result["first_fetch"] == 302:
        authorization_url = location
if authorization_url is not None:
    status, callback = get(authorization_url + "&login_hint=" + mallory)
    result["delivered"] = get(callback)[0]
print(json.dumps(result))
"""
)


def test_another_user_reading_the_browser_command_line_cannot_sign_you_in_as_them(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other_user.python()  # skips where there is no other user to play
    victim, mallory = new_email(), new_email()
    browsers: list[subprocess.Popen[str]] = []
    launched = threading.Event()
    attack: dict[str, object] = {}

    def browser(url: str) -> None:  # what webbrowser.open does: the URL goes in argv
        browsers.append(
            subprocess.Popen(
                [sys.executable, "-c", BROWSER, url, victim],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
        launched.set()

    def attack_then_let_the_browser_go() -> None:
        assert launched.wait(30)
        attack.update(other_user.run(ATTACKER, str(browsers[0].pid), mallory))
        assert browsers[0].stdin is not None
        browsers[0].stdin.write("go\n")
        browsers[0].stdin.flush()

    attacker = threading.Thread(target=attack_then_let_the_browser_go)
    attacker.start()
    try:
        configuration = auth.login(server.url, browser=browser, timeout=60)
    finally:
        attacker.join(60)
        for process in browsers:
            process.communicate(timeout=30)

    assert attack["state_in_cmdline"] is False
    assert attack["first_fetch"] == 403  # the listener answers only its own user
    assert "delivered" not in attack
    assert me(configuration) == victim
    assert f"as {victim}" in capsys.readouterr().out


def test_opening_the_sign_in_link_twice_fails_the_login_loudly(server: LocalServer) -> None:
    fetches: list[tuple[int, str]] = []

    def browser(url: str) -> None:
        fetches.append(get_once(url))  # someone else was first...
        fetches.append(follow_redirect(url))  # ...then the browser

    visited = Browser(browser)
    with pytest.raises(auth.LoginError, match=r"opened twice.*Nothing was signed in"):
        auth.login(server.url, browser=visited, timeout=10)
    visited.finished()
    assert fetches[0][0] == 302 and "/openid-connect/auth?" in fetches[0][1]
    assert fetches[1][0] == 400 and "works once" in fetches[1][1]


def test_the_listener_gives_up_after_a_few_wrong_states(server: LocalServer) -> None:
    answers: list[int] = []

    def browser(url: str) -> None:
        parts = urlsplit(open_authorization_url(url, new_email()))
        code = parse_qs(parts.query)["code"][0]
        callback = f"{parts.scheme}://{parts.netloc}{parts.path}"
        for state in ("guess-1", "%C3%A9t%C3%A9", "guess-3"):  # non-ASCII too: no crash
            answers.append(follow_redirect(f"{callback}?code={code}&state={state}")[0])

    started = time.monotonic()
    visited = Browser(browser)
    with pytest.raises(auth.LoginError, match="3 redirects with a wrong state"):
        auth.login(server.url, browser=visited, timeout=60)
    visited.finished()
    assert answers == [400, 400, 400]
    assert time.monotonic() - started < 30  # it gave up, it did not wait for the timeout


# -- finding 9: a slow client holds up neither the sign-in nor its timeout ------------------


class SlowClient:
    """Connects to the listener and sends one byte of a request line every 0.2 s."""

    def __init__(self, url: str, duration: float = 20.0) -> None:
        # The listener: the link given to the browser, or where the sign-in URL sends it.
        parts = urlsplit(parse_qs(urlsplit(url).query).get("redirect_uri", [url])[0])
        self.sock = socket.create_connection((parts.hostname or "", parts.port or 0))
        self.closed_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._dribble, args=(duration,), daemon=True)
        self._thread.start()

    def _dribble(self, duration: float) -> None:
        end = time.monotonic() + duration
        while time.monotonic() < end and not self._stop.wait(0.2):
            try:
                self.sock.send(b"G")
            except OSError:
                self.closed_at = time.monotonic()
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def test_a_slow_connection_does_not_hold_up_the_real_redirect(server: LocalServer) -> None:
    email = new_email()
    slow: list[SlowClient] = []

    def browser(url: str) -> None:
        slow.append(SlowClient(url))
        time.sleep(0.5)  # the slow client is in the middle of its request
        play_browser(url, email)

    started = time.monotonic()
    try:
        configuration = auth.login(server.url, browser=browser, timeout=8)
    finally:
        for client in slow:
            client.stop()
    assert me(configuration) == email
    assert time.monotonic() - started < 8


def test_a_slow_connection_does_not_stretch_the_timeout(server: LocalServer) -> None:
    slow: list[SlowClient] = []
    visited = Browser(lambda url: slow.append(SlowClient(url)))
    started = time.monotonic()
    try:
        with pytest.raises(auth.LoginError, match=r"No sign-in within 1\.5 seconds"):
            auth.login(server.url, browser=visited, timeout=1.5)
        took = time.monotonic() - started
        visited.finished()
        time.sleep(1.0)  # time for the slow client to notice the listener is gone
        assert slow[0].closed_at is not None  # and its connection with it
    finally:
        for client in slow:
            client.stop()
    assert took < 1.5 + 4  # generous: the slow client would keep it for 20 s


# -- paste mode (finding 1: a fresh random port, held) --------------------------------------


@pytest.mark.parametrize("what", ["url", "code"])
def test_paste_mode_takes_the_redirected_url_or_the_code(
    server: LocalServer, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    email = new_email()

    def read_input(prompt: str) -> str:
        url = printed_url(capsys)
        # the user opens the URL on another machine; the redirect goes nowhere
        location = open_authorization_url(url, email)
        assert location.startswith(redirect_uri_of(url) + "?")
        return location if what == "url" else parse_qs(urlsplit(location).query)["code"][0]

    configuration = auth.login(server.url, paste=True, open_browser=False, read_input=read_input)
    assert me(configuration) == email


def test_paste_mode_uses_a_fresh_random_port_for_each_sign_in(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    used: list[str] = []

    def read_input(prompt: str) -> str:
        url = printed_url(capsys)
        used.append(redirect_uri_of(url))
        return open_authorization_url(url)

    for _ in range(8):
        auth.login(server.url, paste=True, open_browser=False, read_input=read_input)

    ports = [urlsplit(uri).port for uri in used]
    assert len(set(used)) == 8, used  # never the same redirect URI twice
    assert all(port in _listener.PASTE_PORTS for port in ports), ports
    assert all(uri.startswith("http://127.0.0.1:") for uri in used)


BIND = r"""
import json, socket, sys

port = int(sys.argv[1])
result = {}
for address in ("127.0.0.1", "0.0.0.0"):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen()
        result[address] = "listening"
    except OSError as exc:
        result[address] = type(exc).__name__
    finally:
        sock.close()
print(json.dumps(result))
"""


def test_in_paste_mode_another_user_cannot_listen_on_the_redirect_port(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other_user.python()  # skips where there is no other user to play
    email = new_email()
    tried: dict[str, str] = {}

    def read_input(prompt: str) -> str:
        url = printed_url(capsys)
        port = urlsplit(redirect_uri_of(url)).port
        # Another user wants the code: they listen where the browser will be sent.
        tried.update(other_user.run(BIND, str(port)))
        return open_authorization_url(url, email)

    configuration = auth.login(server.url, paste=True, open_browser=False, read_input=read_input)

    assert tried == {"127.0.0.1": "OSError", "0.0.0.0": "OSError"}  # EADDRINUSE
    assert me(configuration) == email


def test_paste_mode_refuses_a_url_of_another_sign_in(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_input(prompt: str) -> str:
        location = open_authorization_url(printed_url(capsys))
        return location.replace("state=", "state=x")

    with pytest.raises(auth.LoginError, match="state does not match"):
        auth.login(server.url, paste=True, open_browser=False, read_input=read_input)


def test_a_code_that_was_used_already_is_refused(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_input(prompt: str) -> str:
        url = printed_url(capsys)
        location = open_authorization_url(url)
        code = parse_qs(urlsplit(location).query)["code"][0]
        server_code_used = {"type": "ai.numind.extract.shared.TokenCodeRequest"}
        with sdk.ApiClient(sdk.Configuration(host=server.url)) as client:
            sdk.AuthenticationApi(client).post_api_auth_token(
                {**server_code_used, "code": code, "redirectUri": redirect_uri_of(url)}
            )
        return code

    with pytest.raises(auth.LoginError, match="refused the sign-in code"):
        auth.login(server.url, paste=True, open_browser=False, read_input=read_input)


# -- a hostile server (finding 6: the sign-in URL) -----------------------------------------


def sign_in_url(template: str) -> Callable[[Recorded], Canned]:
    """An answer to GET /api/auth: ``template`` with the request's redirect URI in it."""

    def answer(request: Recorded) -> Canned:
        redirect = parse_qs(urlsplit(request.path).query)["redirectUri"][0]
        body = template.format(redirect=quote(redirect, safe="")).encode("latin-1")
        return Canned(200, body, {"Content-Type": "text/plain"})

    return answer


def test_an_outage_on_the_code_exchange_is_not_reported_as_a_bad_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with RecordingServer() as recording:
        recording.responses = [
            sign_in_url("https://sign-in.example/auth?state=s1&redirect_uri={redirect}"),
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
    with RecordingServer() as recording:
        recording.responses = [
            sign_in_url("https://sign-in.example/auth?client_id=x&redirect_uri={redirect}")
        ]
        configuration = sdk.Configuration(host=recording.url, retries=0)
        with pytest.raises(auth.LoginError, match="state does not match"):
            auth.login(
                configuration=configuration,
                paste=True,
                open_browser=False,
                read_input=lambda prompt: (
                    redirect_uri_of(printed_url(capsys)) + "?code=forged&state=guess"
                ),
            )
    assert [r.method for r in recording.requests] == ["GET"]  # the forged code was not sent


HOSTILE_SIGN_IN_URLS = [
    "file:///etc/passwd",
    "javascript:alert(document.cookie)//?redirect_uri={redirect}",
    "data:text/html,<script>alert(1)</script>?redirect_uri={redirect}",
    "http://evil.example/auth?redirect_uri={redirect}",
    "https://idp.example/auth?redirect_uri=http%3A%2F%2Fevil.example%2Fcallback",
    "https://idp.example/auth?client_id=x",
    "https://idp.example/auth?redirect_uri={redirect}&redirect_uri=http%3A%2F%2Fevil.example%2F",
    "https://idp.example/auth?redirect_uri={redirect}&x=\x1b]0;pwned\x07\x1b[2J",
    "https://idp.example/auth?redirect_uri={redirect} onmouseover=alert(1)",
    "//idp.example/auth?redirect_uri={redirect}",
]


@pytest.mark.parametrize("paste", [False, True], ids=["listener", "paste"])
@pytest.mark.parametrize("template", HOSTILE_SIGN_IN_URLS)
def test_a_hostile_sign_in_url_is_neither_opened_nor_shown(
    template: str, paste: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    asked: list[str] = []
    with RecordingServer() as hostile:
        hostile.responses = [sign_in_url(template)]
        with pytest.raises(auth.LoginError, match="refused, and neither opened nor shown"):
            auth.login(
                configuration=sdk.Configuration(host=hostile.url, retries=0),
                paste=paste,
                browser=opened.append,
                read_input=lambda prompt: asked.append(prompt) or "",
                timeout=5,
            )
    out, err = capsys.readouterr()
    assert (opened, asked, out) == ([], [], "")
    for shown in ("evil", "passwd", "script", "\x1b"):
        assert shown not in err
    assert [r.method for r in hostile.requests] == ["GET"]


@pytest.mark.parametrize(
    ("template", "allow_insecure_http"),
    [
        ("https://idp.example/auth?client_id=x&redirect_uri={redirect}&state=s", False),
        ("http://127.0.0.1:9/auth?redirect_uri={redirect}", False),
        ("http://idp.example/auth?redirect_uri={redirect}", True),
    ],
)
def test_a_sign_in_url_that_is_https_or_loopback_and_comes_back_here_is_opened(
    template: str, allow_insecure_http: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    visited = Browser(opened.append)
    with RecordingServer() as server:
        server.responses = [sign_in_url(template)]
        configuration = sdk.Configuration(
            host=server.url, retries=0, allow_insecure_http=allow_insecure_http
        )
        with pytest.raises(auth.LoginError, match="Nothing was pasted"):
            auth.login(
                configuration=configuration,
                paste=True,
                browser=visited,
                read_input=lambda prompt: "",
            )
    visited.finished()
    assert len(opened) == 1 and opened[0] in capsys.readouterr().out
    assert unquote(template.split("?")[0]) == opened[0].split("?")[0]


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


def test_printable_shows_control_characters_instead_of_obeying_them() -> None:
    text = "mallory\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\r\nfake line\x9b"
    shown = messages.printable(text)
    assert shown == "mallory\\x1b]0;pwned\\x07\\x1b[2J\\u202egnp.exe\\r\\nfake line\\x9b"
    assert shown.isprintable()
    assert messages.printable("Zoë <zoe@example.com> 日本") == "Zoë <zoe@example.com> 日本"
