"""Sign-in (browser redirect to a loopback listener, or paste) and sign-out."""

from __future__ import annotations

import copy
import html
import importlib
import logging
import secrets
import sys
import threading
import time
import warnings
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

from .._base_client import bearer_auth
from .._deadline import DEFAULT_CALL_TIMEOUT, Deadline
from ..api.authentication_api import AuthenticationApi
from ..api_client import ApiClient  # pyright: ignore[reportPrivateUsage]
from ..configuration import Configuration
from ..exceptions import ApiException, OpenApiException
from ._session import SESSION_OVER, LoginRequiredError, StoredLogin, credentials_from
from ._store import CredentialStore

if TYPE_CHECKING:
    from ..models.token_response import TokenResponse

logger = logging.getLogger("numind.openapi_client")

#: Seconds that ``login`` waits for the browser's redirect.
DEFAULT_TIMEOUT = 300.0
#: The redirect URI of paste mode: nothing listens there; the user copies the URL that the
#: browser was sent to (it holds the code) and pastes it back.
PASTE_REDIRECT_URI = "http://127.0.0.1:8976/callback"
_CALLBACK_PATH = "/callback"

_DONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>NuExtract sign-in</title>"
    "</head><body><h1>{title}</h1><p>{text}</p></body></html>"
)


class LoginError(OpenApiException):
    """The sign-in did not complete (timed out, was refused, or the redirect was invalid)."""


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

    The sign-in URL is always shown (a clickable link in Jupyter). By default a listener on
    ``127.0.0.1`` (a free port) receives the browser's redirect; with ``paste=True`` (remote
    machines, hosted notebooks) you open the URL anywhere and paste back the URL that the
    browser was redirected to, or just its ``code``.

    :param host: base URL of the API; default: ``configuration``'s host, else
        ``NUMIND_BASE_URL``, else production.
    :param configuration: transport settings (TLS, proxy) for the sign-in requests.
    :param paste: read the redirected URL (or the code) with ``read_input``.
    :param open_browser: open the URL with ``webbrowser`` (or ``browser``).
    :param timeout: seconds to wait for the redirect (listener mode).
    :param browser: a function that opens a URL, instead of ``webbrowser.open``.
    :param read_input: prompts and reads a line in paste mode (default ``input``).
    :param store: where to store the tokens (default: the user's credential file).
    :raises LoginError: the sign-in timed out, was refused, or its redirect was invalid.
    """
    configuration = _configuration(host, configuration)
    base_url = configuration.host
    store = CredentialStore() if store is None else store
    with ApiClient(configuration) as client:
        api = AuthenticationApi(client)
        if paste:
            redirect_uri = PASTE_REDIRECT_URI
            url, state = _with_state(api.get_api_auth(redirect_uri))
            _show(url, paste=True)
            if open_browser:
                _open(url, browser)
            code = _code_from_paste(read_input, state)
        else:
            with _Listener() as listener:
                redirect_uri = listener.redirect_uri
                url, listener.expected_state = _with_state(api.get_api_auth(redirect_uri))
                _show(url, paste=False)
                if open_browser:
                    _open(url, browser)
                code = listener.wait(timeout)
        try:
            tokens = api.post_api_auth_token(
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
    credentials = credentials_from(base_url, tokens)
    store.save(credentials)
    signed_in = copy.copy(configuration)
    signed_in.access_token = None
    signed_in.stored_login = StoredLogin(store, credentials)
    return signed_in


def logout(
    host: Optional[str] = None,
    *,
    configuration: Optional[Configuration] = None,
    store: Optional[CredentialStore] = None,
) -> bool:
    """Sign out of ``host``: end the session on the server and delete the stored tokens.

    Returns ``False`` if there was no stored login. If the server cannot be reached or
    refuses, the tokens are deleted anyway and a ``SessionNotRevokedWarning`` says so.
    """
    configuration = _configuration(host, configuration)
    base_url = configuration.host
    store = CredentialStore() if store is None else store
    stored = StoredLogin.load(base_url, store)
    if stored is None:
        return False
    reason = None
    try:
        _revoke(configuration, stored)
    except (OpenApiException, OSError) as exc:
        reason = describe_error(exc)
    # The login we revoked (a refresh may have rotated it), not one stored since by another
    # process.
    store.delete(base_url, only=stored.credentials)
    if reason is not None:
        warnings.warn(
            f"Signed out locally, but the session on {base_url} could not be revoked: {reason}",
            SessionNotRevokedWarning,
            stacklevel=2,
        )
    return True


def _revoke(configuration: Configuration, login: StoredLogin) -> None:
    signed_in = copy.copy(configuration)
    signed_in.access_token = None
    signed_in.stored_login = login
    with ApiClient(signed_in) as client:
        api = AuthenticationApi(client)
        deadline = Deadline(
            DEFAULT_CALL_TIMEOUT
            if configuration.call_timeout is None
            else configuration.call_timeout
        )

        def exchange(refresh_token: str, deadline: Deadline) -> TokenResponse:
            return client._refresh_tokens(login.base_url, refresh_token, deadline)  # pyright: ignore[reportPrivateUsage]

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
                if exc.status != 401 or attempt:
                    raise
                # The access token was rejected: refresh (rotating the refresh token too).
                login.refused(token, exchange, deadline)


def _configuration(host: Optional[str], configuration: Optional[Configuration]) -> Configuration:
    configuration = copy.copy(configuration) if configuration else Configuration(host=host)
    if host is not None:
        configuration.host = host
    return configuration


def describe_error(exc: BaseException) -> str:
    """One line for a person: the status and the server's message, never a token.

    The body of an answer is shown only for an error status: an undecodable success may be
    a token response.
    """
    if not isinstance(exc, ApiException):
        return " ".join(str(exc).split()) or type(exc).__name__
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
    return text


def _with_state(url: str) -> Tuple[str, str]:
    """The authorization URL and its ``state``, adding one if the server gave none: the
    redirect must prove that it answers this sign-in, never someone else's."""
    values = parse_qs(urlsplit(url).query).get("state")
    if values and values[0]:
        return url, values[0]
    state = secrets.token_urlsafe(16)
    return url + ("&" if urlsplit(url).query else "?") + urlencode({"state": state}), state


def _show(url: str, *, paste: bool) -> None:
    """Show the sign-in URL: a link in IPython/Jupyter, else a line on stdout."""
    then = (
        "then paste here the URL your browser was sent to (or its code)"
        if paste
        else "and sign in; this waits for the browser"
    )
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and type(shell).__name__ != "TerminalInteractiveShell":
        ipython_display: Any = importlib.import_module("IPython.display")
        escaped = html.escape(url, quote=True)
        ipython_display.display(
            ipython_display.HTML(
                f"<p>Open <a href='{escaped}' target='_blank' rel='noopener'>this sign-in "
                f"link</a> {html.escape(then)}.</p><p><code>{escaped}</code></p>"
            )
        )
        return
    print(f"Open this URL in a browser {then}:\n\n    {url}\n", flush=True)


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


def _code_from_paste(read_input: Callable[[str], str], expected_state: Optional[str]) -> str:
    pasted = read_input("Paste the URL (or the code): ").strip()
    if not pasted:
        raise LoginError("Nothing was pasted: paste the URL your browser was sent to")
    if "?" not in pasted and "=" not in pasted:
        return pasted  # the code alone, typed by the user
    query = parse_qs(urlsplit(pasted).query if "?" in pasted else pasted)
    return _code_from_redirect(query, expected_state)


def _state_matches(query: Dict[str, List[str]], expected_state: Optional[str]) -> bool:
    return expected_state is not None and query.get("state", [""])[0] == expected_state


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


class _QuietServer(HTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # e.g. a browser's idle pre-connection timing out: not the user's problem
        logger.debug("sign-in listener: a connection failed", exc_info=True)


class _Listener:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's redirect."""

    def __init__(self) -> None:
        self.expected_state: Optional[str] = None
        self.result: Optional[Tuple[Optional[str], Optional[LoginError]]] = None
        self.rejected = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # an idle (pre-)connection of a browser must not block the wait

            def do_GET(self) -> None:
                listener._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line holds the code

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_port}{_CALLBACK_PATH}"

    def __enter__(self) -> _Listener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path != _CALLBACK_PATH or self.result is not None:
            _answer(request, 404, "Not found", "This is the NuExtract sign-in listener.")
            return
        query = parse_qs(parts.query)
        if not _state_matches(query, self.expected_state):
            # Not ours (a stale tab, or a forged link): refuse it and keep waiting.
            self.rejected += 1
            _answer(request, 400, "Sign-in link not recognised", _STATE_MISMATCH)
            return
        try:
            code = _code_from_redirect(query, self.expected_state)
        except LoginError as exc:
            self.result = (None, exc)
            _answer(request, 400, "Sign-in failed", str(exc))
            return
        self.result = (code, None)
        _answer(request, 200, "Signed in", "You can close this tab and return to your program.")

    def wait(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while self.result is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                extra = (
                    f" ({self.rejected} redirect(s) with a mismatched state were refused)"
                    if self.rejected
                    else ""
                )
                raise LoginError(
                    f"No sign-in within {timeout:g} seconds{extra}: run the login again, "
                    "or use paste mode (`numind auth login --paste`) on a remote machine"
                )
            self._server.timeout = remaining
            self._server.handle_request()
        code, error = self.result
        if error is not None:
            raise error
        assert code is not None
        return code


def _answer(request: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
    body = _DONE_PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(body)
