"""Sign-in (browser redirect to a loopback listener, or paste) and sign-out.

What these defend against, and what they cannot without the API's help (PKCE), is in
docs/SECURITY.md.
"""

from __future__ import annotations

import contextlib
import copy
import html
import importlib
import io
import logging
import os
import re
import secrets
import select
import socket
import struct
import sys
import threading
import time
import warnings
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    Generator,
    List,
    Optional,
    Set,
    Tuple,
)
from urllib.parse import parse_qs, urlencode, urlsplit

from .._credential_store import CredentialStore, InvalidCredentialFileError
from .._deadline import DEFAULT_CALL_TIMEOUT, Deadline
from .._net import is_loopback
from .._request import bearer_auth
from .._stored_login import SESSION_OVER, LoginRequiredError, StoredLogin, credentials_from
from ..api.authentication_api import AuthenticationApi
from ..api_client import ApiClient  # pyright: ignore[reportPrivateUsage]
from ..configuration import _HIDDEN_LOGIN, ENV_API_KEY, Configuration  # pyright: ignore[reportPrivateUsage]
from ..exceptions import ApiException, OpenApiException
from ..models.token_response import TokenResponse

if TYPE_CHECKING:
    from .._credentials import TokenExchange
    from ..models.token_response import TokenResponse

logger = logging.getLogger("numind.openapi_client")

#: Seconds that ``login`` waits for the browser's redirect.
DEFAULT_TIMEOUT = 300.0
#: Seconds that one connection to the sign-in listener has to send its request.
CONNECTION_TIMEOUT = 10.0
#: Redirects with a wrong ``state`` after which the listener gives up: someone is trying.
MAX_WRONG_STATES = 3
#: Paste mode picks its port at random from the dynamic range (RFC 6335).
PASTE_PORTS = range(49152, 65536)
_CALLBACK_PATH = "/callback"
_MAX_CONNECTIONS = 16
_MAX_REQUEST_HEAD = 16384

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>NuExtract sign-in</title>"
    "</head><body><h1>{title}</h1><p>{text}</p></body></html>"
)


class LoginError(OpenApiException):
    """The sign-in did not complete (timed out, was refused, or the redirect was invalid)."""


class LogoutError(OpenApiException):
    """``logout`` could not sign you out: a login is still stored (the message says why)."""


class SessionNotRevokedWarning(UserWarning):
    """``logout`` deleted the stored login but could not end the session on the server."""


def login(
    host: Optional[str] = None,
    *,
    configuration: Optional[Configuration] = None,
    paste: bool = False,
    open_browser: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    browser: Optional[Callable[[str], Any]] = None,
    read_input: Callable[[str], str] = input,
    store: Optional[CredentialStore] = None,
) -> Configuration:
    """Sign in through the browser, store the tokens, and return a configuration that uses
    them (and keeps them fresh). ``Configuration()`` for the same host uses them too.

    The link to open is always shown (a clickable link in Jupyter), and so is, at the end,
    the account that signed in ("Signed in as ada@example.com on ...").

    By default a listener on ``127.0.0.1`` (a free port) receives the browser's redirect.
    The browser is given a one-time link to that listener, which redirects it once to the
    sign-in page, so the ``state`` of the sign-in never shows in the browser's command
    line; opening that link a second time makes the sign-in fail.

    With ``paste=True`` (remote machines, hosted notebooks) you open the sign-in URL
    anywhere and paste back the URL that the browser was redirected to, or just its
    ``code``. That URL points at a port of ``127.0.0.1`` picked at random for this sign-in
    (never reused) and held, not listened on, until the sign-in ends: no other user of
    this machine can listen there meanwhile. Another user of the machine where the browser
    runs who listens on every port could still catch the code: on a shared machine, use an
    API key (``numind auth tokens create``) instead of signing in.

    :param host: base URL of the API; default: ``configuration``'s host, else
        ``NUMIND_BASE_URL``, else production.
    :param configuration: transport settings (TLS, proxy) for the sign-in requests.
    :param paste: read the redirected URL (or the code) with ``read_input``.
    :param open_browser: open the link with ``webbrowser`` (or ``browser``).
    :param timeout: seconds to wait for the redirect, or in paste mode for the pasted URL
        (when read from a terminal or a pipe; a ``read_input`` of your own is not timed).
    :param browser: a function that opens a URL, instead of ``webbrowser.open``.
    :param read_input: prompts and reads a line in paste mode (default ``input``).
    :param store: where to store the tokens (default: the user's credential file).
    :raises LoginError: the sign-in timed out, was refused, its redirect was invalid, or
        the server's sign-in URL is not one to open (not https, or another redirect URI).
    :raises CredentialStoreError: the credential file cannot take the tokens (checked
        before the browser is opened).

    When ``NUMIND_API_KEY`` is set, a ``UserWarning`` says first that the key, not this
    login, is what ``Configuration()`` will use.
    """
    if os.environ.get(ENV_API_KEY):
        _HIDDEN_LOGIN.said()  # Configuration() would say much the same: once is enough
        warnings.warn(
            "NUMIND_API_KEY is set, so Configuration() and `numind` will keep using it "
            "instead of the login you are about to store: unset NUMIND_API_KEY to use "
            "this login",
            UserWarning,
            stacklevel=2,
        )
    configuration = _configuration(host, configuration)
    base_url = configuration.host
    store = CredentialStore() if store is None else store
    # Before the browser: a file that could not take the tokens fails now, not after the
    # user has signed in.
    store.check()
    with ApiClient(configuration) as client:
        api = AuthenticationApi(client)
        if paste:
            with _ReservedPort() as reserved:
                url, state = _authorization_url(api, reserved.redirect_uri, configuration)
                _show(url, paste=True)
                if open_browser:
                    _open(url, browser)
                code = _code_from_paste(read_input, state, timeout)
                tokens = _exchange(api, code, reserved.redirect_uri)
        else:
            with _Listener(timeout) as listener:
                url, state = _authorization_url(api, listener.redirect_uri, configuration)
                start_url = listener.expect(url, state)
                _show(start_url, paste=False)
                if open_browser:
                    _open(start_url, browser)
                code = listener.wait()
            tokens = _exchange(api, code, listener.redirect_uri)
        # Whose tokens these are, shown before they are stored: a sign-in bound to another
        # account than the one you signed in with must not go unnoticed.
        email = api.get_api_auth_me(_request_auth=bearer_auth(tokens.token)).email
    credentials = credentials_from(base_url, tokens)
    store.save(credentials)
    print(
        f"Signed in as {printable(email)} on {base_url}; the tokens are stored in {store.path}",
        flush=True,
    )
    signed_in = copy.copy(configuration)
    signed_in.access_token = None
    signed_in.stored_login = StoredLogin(store, credentials)
    return signed_in


def _exchange(api: AuthenticationApi, code: str, redirect_uri: str) -> TokenResponse:
    try:
        return api.post_api_auth_token(
            {
                "type": "ai.numind.extract.shared.TokenCodeRequest",
                "code": code,
                "redirectUri": redirect_uri,
            }
        )
    except ApiException as exc:
        if exc.status not in SESSION_OVER:
            raise
        raise LoginError(
            f"The server refused the sign-in code ({exc.status}): it may have expired or "
            "been used already; sign in again"
        ) from None


def logout(
    host: Optional[str] = None,
    *,
    configuration: Optional[Configuration] = None,
    store: Optional[CredentialStore] = None,
) -> bool:
    """Sign out of ``host``: end the session on the server and delete the stored tokens.

    Returns ``False`` if there was no stored login. If the server cannot be reached or
    refuses, the tokens are deleted anyway and a ``SessionNotRevokedWarning`` says so; a
    session that had ended already (expired or revoked) is deleted with no warning.
    A credential file that is not valid is deleted (a reset, with all its logins), and a
    ``SessionNotRevokedWarning`` says so.

    The whole sign-out holds the credential store's lock, so no other process can rotate
    the refresh token meanwhile: the token revoked is the one stored. If a program that
    does not take the lock stored another login meanwhile, that login is kept and
    ``LogoutError`` says that you are still signed in.
    """
    configuration = _configuration(host, configuration)
    base_url = configuration.host
    store = CredentialStore() if store is None else store
    try:
        if store.load(base_url) is None:
            return False
    except InvalidCredentialFileError:
        store.reset()
        warnings.warn(
            f"The credential file {store.path} was not valid, so it was deleted, with every "
            "login it held; their sessions were not revoked on the server. Sign in again "
            "with `numind auth login`",
            SessionNotRevokedWarning,
            stacklevel=2,
        )
        return True
    reason = None
    with store.locked():
        stored = StoredLogin.load(base_url, store)  # the current login, read under the lock
        if stored is None:
            return False  # another process signed out first
        try:
            _revoke(configuration, stored)
        except LoginRequiredError:
            pass  # the session had ended already (expired or revoked): nothing to revoke
        except (OpenApiException, OSError) as exc:
            reason = describe_error(exc)
        revoked = stored.credentials  # after a refresh by _revoke, the rotated tokens
        current = store.load(base_url)
        if current is not None and current.refresh_token != revoked.refresh_token:
            raise LogoutError(
                f"Still signed in to {base_url}: another login was stored while this one was "
                "being signed out, and it was kept. Run `numind auth logout` again to sign "
                "out of it"
            )
        store.delete(base_url, only=revoked)
    if reason is not None:
        warnings.warn(
            f"Signed out locally, but the session on {base_url} could not be revoked: {reason}",
            SessionNotRevokedWarning,
            stacklevel=2,
        )
    return True


def _revoke(configuration: Configuration, login: StoredLogin) -> None:
    """End the session of ``login`` on the server; ``LoginRequiredError`` if it had ended."""
    ends = login.credentials.refresh_expires_at
    if ends is not None and ends.timestamp() <= time.time():
        raise LoginRequiredError("the session has expired")
    with _signed_in_client(configuration, login) as (client, exchange, deadline):
        api = AuthenticationApi(client)
        for attempt in range(2):
            token = login.bearer(exchange, deadline)
            refresh_token = login.credentials.refresh_token
            if refresh_token is None:
                raise LoginRequiredError("the stored login has no refresh token")
            try:
                api.post_api_auth_logout(
                    refresh_token,
                    # Explicit: a replay by the pipeline would resend the rotated-out token.
                    _request_auth=bearer_auth(token),
                )
                return
            except ApiException as exc:
                if exc.status == 400:
                    # The refresh token is not one of a live session (the API's answer).
                    raise LoginRequiredError("the session had ended") from None
                if exc.status != 401 or attempt:
                    raise
                # The access token was rejected: refresh (rotating the refresh token too).
                login.refused(token, exchange, deadline)


def access_token(
    host: Optional[str] = None, *, configuration: Optional[Configuration] = None
) -> str:
    """The token that secured calls to ``host`` send now: ``access_token`` or
    ``NUMIND_API_KEY`` as it is, else the stored login's access token, refreshed first (and
    stored) if it expires within ``REFRESH_MARGIN`` seconds. What ``numind auth token``
    prints, e.g. for ``curl -H "Authorization: Bearer $(numind auth token)"``.

    :param host: base URL of the API; default: ``configuration``'s host, else
        ``NUMIND_BASE_URL``, else production.
    :param configuration: the credentials and transport settings to use.
    :raises LoginRequiredError: there is no credential for ``host``, or the stored login
        cannot be refreshed any more.
    """
    configuration = _configuration(host, configuration)
    if configuration.access_token is not None:
        configuration._check_token()  # pyright: ignore[reportPrivateUsage]
        return configuration.access_token
    login = configuration.stored_login
    if login is None:
        raise LoginRequiredError(
            f"Not signed in to {configuration.host}: sign in with `numind auth login` (or set "
            "NUMIND_API_KEY)"
        )
    with _signed_in_client(configuration, login) as (_, exchange, deadline):
        return login.bearer(exchange, deadline)


@contextlib.contextmanager
def _signed_in_client(
    configuration: Configuration, login: StoredLogin
) -> Generator[Tuple[ApiClient, TokenExchange, Deadline], None, None]:
    """A client signed in with ``login``, the exchange that refreshes it, and the deadline
    of the whole operation (the configuration's call timeout)."""
    signed_in = copy.copy(configuration)
    signed_in.access_token = None
    signed_in.stored_login = login
    with ApiClient(signed_in) as client:
        deadline = Deadline(
            DEFAULT_CALL_TIMEOUT
            if configuration.call_timeout is None
            else configuration.call_timeout
        )

        def exchange(refresh_token: str, deadline: Deadline) -> TokenResponse:
            return client._refresh_tokens(login.base_url, refresh_token, deadline)  # pyright: ignore[reportPrivateUsage]

        yield client, exchange, deadline


def _configuration(host: Optional[str], configuration: Optional[Configuration]) -> Configuration:
    configuration = copy.copy(configuration) if configuration else Configuration(host=host)
    if host is not None:
        configuration.host = host
    return configuration


def describe_error(exc: BaseException) -> str:
    """One line for a person: the status and the server's message, never a token, and no
    character that a terminal would act on (see :func:`printable`).

    The body of an answer is shown only for an error status: an undecodable success may be
    a token response.
    """
    if not isinstance(exc, ApiException):
        return printable(" ".join(str(exc).split()) or type(exc).__name__)
    text = f"the server answered {exc.status} {exc.reason or ''}".strip()
    error = exc.error
    if error is not None:
        detail = f"{error.message}"
    elif isinstance(exc.body, str) and exc.status is not None and not 200 <= exc.status <= 299:
        detail = exc.body
    else:
        detail = ""
    detail = " ".join(detail.split())
    if detail:
        text += ": " + (detail if len(detail) <= 200 else detail[:200] + "...")
    return printable(text)


# C0 and C1 controls (escape sequences start with ESC or CSI) and the bidirectional
# overrides, which reorder what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every character that a terminal would act on instead of showing it
    (escape sequences, other control characters, bidirectional overrides) written as an
    escape, such as ``\\x1b``: text that came from a server is shown, never obeyed."""
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


# -- the sign-in URL -----------------------------------------------------------------------


def _authorization_url(
    api: AuthenticationApi, redirect_uri: str, configuration: Configuration
) -> Tuple[str, str]:
    """The server's sign-in URL for ``redirect_uri``, checked, and its ``state``."""
    url = api.get_api_auth(redirect_uri)
    _check_authorization_url(url, redirect_uri, configuration.allow_insecure_http)
    return _with_state(url)


def _check_authorization_url(url: str, redirect_uri: str, allow_insecure_http: bool) -> None:
    """Refuse a sign-in URL that is not one to open: a hostile or compromised server could
    otherwise make the browser open ``file:`` or ``javascript:`` URLs, or send the code to
    a redirect URI of its choosing. The URL itself is never shown in the error."""
    refused = "The server's sign-in URL was refused, and neither opened nor shown: "
    if not isinstance(url, str) or not url or not all(0x21 <= ord(c) <= 0x7E for c in url):  # pyright: ignore[reportUnnecessaryIsInstance] (a hostile server)
        raise LoginError(refused + "it is not a URL (it has spaces or control characters)")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        raise LoginError(refused + "it is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme == "http" and not (is_loopback(hostname) or allow_insecure_http):
        raise LoginError(
            refused + f"it is plain http:// to {hostname!r}, where anyone on the path could "
            "read or change the sign-in. Sign-in pages must be https://"
        )
    if scheme not in ("https", "http") or not hostname:
        raise LoginError(refused + f"it is a {scheme or 'relative'!r} URL, not an https:// one")
    if parse_qs(parts.query, keep_blank_values=True).get("redirect_uri") != [redirect_uri]:
        raise LoginError(
            refused + "it would send the browser back somewhere else than this sign-in "
            f"({redirect_uri}), and with it your sign-in code"
        )


def _with_state(url: str) -> Tuple[str, str]:
    """The authorization URL and its ``state``, adding one if the server gave none: the
    redirect must prove that it answers this sign-in, never someone else's."""
    values = parse_qs(urlsplit(url).query).get("state")
    if values and values[0]:
        return url, values[0]
    state = secrets.token_urlsafe(16)
    return url + ("&" if urlsplit(url).query else "?") + urlencode({"state": state}), state


#: What paste mode's browser shows at the end, said beforehand so that no one is alarmed.
_PASTE_NOTE = (
    'After you sign in, the browser shows an error such as "can\'t connect" or '
    '"connection refused" for 127.0.0.1: that is expected (nothing listens there). '
    "Copy the whole address from its address bar."
)


def _show(url: str, *, paste: bool) -> None:
    """Show the sign-in URL: a link in IPython/Jupyter, else a line on stdout."""
    then = (
        "then paste here the URL your browser was sent to (or its code)"
        if paste
        else "and sign in; this waits for the browser"
    )
    note = _PASTE_NOTE if paste else ""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and type(shell).__name__ != "TerminalInteractiveShell":
        ipython_display: Any = importlib.import_module("IPython.display")
        escaped = html.escape(url, quote=True)
        ipython_display.display(
            ipython_display.HTML(
                f"<p>Open <a href='{escaped}' target='_blank' rel='noopener'>this sign-in "
                f"link</a> {html.escape(then)}.</p><p><code>{escaped}</code></p>"
                + (f"<p>{html.escape(note)}</p>" if note else "")
            )
        )
        return
    print(f"Open this URL in a browser {then}:\n\n    {url}\n", flush=True)
    if note:
        print(note + "\n", flush=True)


def _open(url: str, browser: Optional[Callable[[str], Any]]) -> None:
    opener = webbrowser.open if browser is None else browser

    def run() -> None:
        try:
            if opener(url) is False:
                logger.info("No browser could be opened; open the URL shown above")
        except Exception:
            logger.warning("Opening the browser failed; open the URL shown above", exc_info=True)

    # In a thread: a browser (or a function standing in for one) may follow the redirect
    # to our listener before returning, and the listener answers only once we wait.
    threading.Thread(target=run, name="numind-login-browser", daemon=True).start()


# -- redirects -----------------------------------------------------------------------------


def _code_from_paste(
    read_input: Callable[[str], str], expected_state: Optional[str], timeout: float
) -> str:
    try:
        pasted = _read_within(read_input, "Paste the URL (or the code): ", timeout).strip()
    except EOFError:
        raise LoginError(
            "Nothing was pasted (the input ended): run the login again, and paste the URL "
            "your browser was sent to"
        ) from None
    if not pasted:
        raise LoginError("Nothing was pasted: paste the URL your browser was sent to")
    if "?" not in pasted and "=" not in pasted:
        return pasted  # the code alone, typed by the user
    query = parse_qs(urlsplit(pasted).query if "?" in pasted else pasted)
    return _code_from_redirect(query, expected_state)


def _read_within(read_input: Callable[[str], str], prompt: str, timeout: float) -> str:
    """A line from ``read_input``; from a terminal or a pipe (``input``), within ``timeout``
    seconds, else ``LoginError``. ``EOFError`` at the end of the input."""
    if read_input is not input or not _selectable(sys.stdin):
        return read_input(prompt)  # a function of the caller's, or a notebook's input
    print(prompt, end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        print(flush=True)
        raise LoginError(
            f"Nothing was pasted within {timeout:g} seconds: run the login again (a longer "
            "timeout gives more time)"
        )
    line = sys.stdin.readline()
    if not line:
        print(flush=True)  # end the prompt's line, as input() does on Ctrl-D
        raise EOFError
    return line


def _selectable(stream: Any) -> bool:
    if sys.platform == "win32":  # select() takes only sockets there
        return False
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def _state_matches(query: Dict[str, List[str]], expected_state: Optional[str]) -> bool:
    given = query.get("state", [""])[0]
    # Bytes: compare_digest refuses non-ASCII str, and a redirect may carry anything.
    return expected_state is not None and secrets.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected_state.encode("utf-8")
    )


_STATE_MISMATCH = (
    "The redirect does not belong to this sign-in (its state does not match): "
    "use the URL of the latest sign-in"
)


def _code_from_redirect(query: Dict[str, List[str]], expected_state: Optional[str]) -> str:
    if not _state_matches(query, expected_state):
        raise LoginError(_STATE_MISMATCH)
    if "error" in query:
        description = (query.get("error_description") or query["error"])[0]
        raise LoginError(f"The sign-in was refused: {description}")
    code = (query.get("code") or [""])[0]
    if not code:
        raise LoginError("The redirect has no code: paste the full URL your browser was sent to")
    return code


class _ReservedPort:
    """Paste mode's redirect URI: a port of 127.0.0.1 picked at random, never twice in a
    process, and held (bound, never listening) while the sign-in lasts, so that no other
    user of this machine can listen there and catch the code."""

    _used: ClassVar[Set[int]] = set()
    _used_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # No SO_REUSEADDR (nor SO_REUSEPORT): while bound, no one else can bind it.
            for _ in range(100):
                port = PASTE_PORTS[secrets.randbelow(len(PASTE_PORTS))]
                with self._used_lock:
                    if port in self._used:
                        continue
                    try:
                        self._socket.bind(("127.0.0.1", port))
                    except OSError:
                        continue  # someone (maybe someone hostile) has it: pick another
                    self._used.add(port)
                    break
            else:
                raise LoginError("No free port for the paste-mode redirect: try again")
        except BaseException:
            self._socket.close()
            raise
        self.redirect_uri = f"http://127.0.0.1:{port}{_CALLBACK_PATH}"

    def __enter__(self) -> _ReservedPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._socket.close()


# -- the listener --------------------------------------------------------------------------


class _ListenerServer(ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def __init__(self, listener: _Listener) -> None:
        self.listener = listener
        super().__init__(("127.0.0.1", 0), _ListenerHandler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return self.listener.admit(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="numind-login-connection",
            daemon=True,
        )
        self.listener.track(request, thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        self.listener.untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # e.g. a browser's idle pre-connection timing out: not the user's problem
        logger.debug("sign-in listener: a connection failed", exc_info=True)


class _ListenerHandler(BaseHTTPRequestHandler):
    server: _ListenerServer  # pyright: ignore[reportIncompatibleVariableOverride]

    def handle(self) -> None:
        # The request head is read here, against one deadline for the whole connection:
        # a client that sends a byte every few seconds is cut off, not waited for.
        head = self._read_head()
        if head is None:
            self.close_connection = True
            return
        self.rfile.close()
        self.rfile = io.BytesIO(head)
        self.connection.settimeout(CONNECTION_TIMEOUT)  # for writing the answer
        self.handle_one_request()

    def _read_head(self) -> Optional[bytes]:
        deadline = min(time.monotonic() + CONNECTION_TIMEOUT, self.server.listener.deadline)
        head = b""
        while b"\r\n\r\n" not in head and b"\n\n" not in head:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or len(head) > _MAX_REQUEST_HEAD:
                return None
            self.connection.settimeout(remaining)
            try:
                chunk = self.connection.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            head += chunk
        return head

    def do_GET(self) -> None:
        self.server.listener.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line holds the code


class _Listener:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's redirect.

    It serves a one-time start path (a redirect to the sign-in page) and the callback,
    each connection in a thread of its own with a deadline, so a slow or idle connection
    holds up neither the real redirect nor the end of the wait.
    """

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self._timeout = timeout
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._result: Optional[Tuple[Optional[str], Optional[LoginError]]] = None
        self._authorization_url: Optional[str] = None
        self._state: Optional[str] = None
        self._start_path = "/" + secrets.token_urlsafe(24)
        self._started = False
        self._connections: Dict[Any, threading.Thread] = {}
        self.wrong_states = 0
        self.other_users = 0
        self._server = _ListenerServer(self)
        port = self._server.server_port
        self.redirect_uri = f"http://127.0.0.1:{port}{_CALLBACK_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="numind-login-listener",
            daemon=True,
        )

    def __enter__(self) -> _Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            # Wakes a handler blocked on a slow client; it then closes its socket.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        end = time.monotonic() + 1.0
        for thread in connections.values():
            thread.join(max(0.0, end - time.monotonic()))

    def expect(self, authorization_url: str, state: str) -> str:
        """The one-time link for the browser, which redirects once to ``authorization_url``."""
        self._authorization_url, self._state = authorization_url, state
        return f"http://127.0.0.1:{self._server.server_port}{self._start_path}"

    # -- connections (called by the server)

    def admit(self, connection: socket.socket) -> bool:
        with self._lock:
            crowded = len(self._connections) >= _MAX_CONNECTIONS
        if crowded:
            return False
        if _peer_is_another_user(connection):
            with self._lock:
                self.other_users += 1
            _refuse_other_user(connection)
            return False
        return True

    def track(self, connection: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[connection] = thread

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)

    # -- requests

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        with self._lock:
            answer = self._decide(parts.path, parse_qs(parts.query))
        status, title, text, location = answer
        try:
            if location is not None:
                _redirect(request, location)
            else:
                _answer(request, status, title, text)
        finally:
            # Only now: the browser gets its page before the listener closes.
            if self._result is not None:
                self._done.set()

    def _decide(
        self, path: str, query: Dict[str, List[str]]
    ) -> Tuple[int, str, str, Optional[str]]:
        """What to answer (status, title, text, redirect location); called with the lock."""
        if self._result is not None or self._authorization_url is None:
            return 404, "Not found", "This is the NuExtract sign-in listener.", None
        if path == self._start_path:
            if self._started:
                self._finish(
                    None,
                    LoginError(
                        "The sign-in link was opened twice, so another program may have "
                        "opened it first to sign you in to an account of its choosing. "
                        "Nothing was signed in: run the login again"
                    ),
                )
                return 400, "Sign-in link used already", "This link works once.", None
            self._started = True
            return 302, "", "", self._authorization_url
        if path != _CALLBACK_PATH:
            return 404, "Not found", "This is the NuExtract sign-in listener.", None
        if not _state_matches(query, self._state):
            # Not ours (a stale tab, or a forged link): refuse it, and stop after a few.
            self.wrong_states += 1
            if self.wrong_states >= MAX_WRONG_STATES:
                self._finish(
                    None,
                    LoginError(
                        f"The sign-in got {self.wrong_states} redirects with a wrong state: "
                        "someone may be trying to sign you in to their account. Nothing was "
                        "signed in: run the login again"
                    ),
                )
            return 400, "Sign-in link not recognised", _STATE_MISMATCH, None
        try:
            code = _code_from_redirect(query, self._state)
        except LoginError as exc:
            self._finish(None, exc)
            return 400, "Sign-in failed", str(exc), None
        self._finish(code, None)
        return 200, "Signed in", "You can close this tab and return to your program.", None

    def _finish(self, code: Optional[str], error: Optional[LoginError]) -> None:
        self._result = (code, error)

    def wait(self) -> str:
        if not self._done.wait(max(0.0, self.deadline - time.monotonic())):
            notes: List[str] = []
            if self.wrong_states:
                notes.append(f"{self.wrong_states} redirect(s) with a mismatched state")
            if self.other_users:
                notes.append(f"{self.other_users} connection(s) of other users")
            extra = f" ({' and '.join(notes)} were refused)" if notes else ""
            if self._started:
                raise LoginError(
                    f"No sign-in within {self._timeout:g} seconds{extra}: the browser opened "
                    "the sign-in page but was never sent back here. If the page shows an "
                    'error (such as "Invalid parameter: redirect_uri"), the server refused '
                    "this sign-in; otherwise run the login again (a longer timeout gives more "
                    "time)"
                )
            raise LoginError(
                f"No sign-in within {self._timeout:g} seconds{extra}: run the login again, "
                "or use paste mode (`numind auth login --paste`) on a remote machine"
            )
        assert self._result is not None
        code, error = self._result
        if error is not None:
            raise error
        assert code is not None
        return code


def _peer_is_another_user(connection: socket.socket) -> bool:
    """True when the other end of this loopback connection is a socket of another user of
    this machine (Linux: ``/proc/net/tcp``; False where that cannot be told).

    A socket that no process holds any more (inode 0: closed, or in TIME_WAIT, shown as
    root's) counts as another user's: a browser waits for the answer.
    """
    try:
        peer = connection.getpeername()
        local = connection.getsockname()
    except OSError:
        return True  # gone already
    expected = [
        ("/proc/net/tcp", _proc_address(peer, ipv6=False), _proc_address(local, ipv6=False)),
        ("/proc/net/tcp6", _proc_address(peer, ipv6=True), _proc_address(local, ipv6=True)),
    ]
    for table, peer_address, local_address in expected:
        try:
            with open(table, encoding="ascii") as lines:
                next(lines, None)
                for line in lines:
                    fields = line.split()
                    if fields[1:3] == [peer_address, local_address]:
                        uid, inode = int(fields[7]), fields[9]
                        return inode == "0" or uid not in (os.geteuid(), 0)
        except (OSError, ValueError, IndexError):
            continue
    return False


def _proc_address(address: Tuple[Any, ...], *, ipv6: bool) -> str:
    # /proc/net/tcp prints addresses as 32-bit words in host byte order, ports in hex.
    host, port = address[0], address[1]
    if ipv6:
        words = struct.unpack("=4I", socket.inet_pton(socket.AF_INET6, "::ffff:" + host))
        return "".join(f"{word:08X}" for word in words) + f":{port:04X}"
    (word,) = struct.unpack("=I", socket.inet_aton(host))
    return f"{word:08X}:{port:04X}"


def _refuse_other_user(connection: socket.socket) -> None:
    body = _PAGE.format(
        title="Not your sign-in",
        text="This sign-in listener answers only the user who started the sign-in.",
    ).encode()
    head = (
        "HTTP/1.0 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection.settimeout(1.0)
    with contextlib.suppress(OSError):
        connection.sendall(head + body)


def _redirect(request: BaseHTTPRequestHandler, location: str) -> None:
    request.send_response(302)
    request.send_header("Location", location)
    request.send_header("Content-Length", "0")
    request.send_header("Cache-Control", "no-store")
    request.send_header("Referrer-Policy", "no-referrer")
    request.end_headers()


def _answer(request: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(body)
