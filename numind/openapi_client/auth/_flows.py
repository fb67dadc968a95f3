"""Sign-in (browser redirect to a loopback listener, or paste), sign-out, and the token
that calls send now: the flows, which the listener, the prompt and the messages serve.

What these defend against, and what they cannot without the API's help (PKCE), is in
docs/SECURITY.md.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Generator, Optional, Tuple

from .._credential_store import CredentialStore, InvalidCredentialFileError
from .._deadline import DEFAULT_CALL_TIMEOUT, Deadline
from .._redact import Secret
from .._stored_login import (
    HIDDEN_LOGIN,
    SESSION_OVER,
    LoginRequiredError,
    StoredLogin,
    credentials_from,
)
from ..api.authentication_api import AuthenticationApi
from ..api_client import ApiClient  # pyright: ignore[reportPrivateUsage]
from ..configuration import ENV_API_KEY, Configuration
from ..exceptions import ApiException, OpenApiException
from ._errors import LoginError, LogoutError, SessionNotRevokedWarning
from ._listener import Listener, ReservedPort
from ._prompt import code_from_paste, open_link, show
from ._redirect import authorization_url
from .messages import describe_error, printable

if TYPE_CHECKING:
    from .._credentials import TokenExchange
    from ..models.token_response import TokenResponse

__all__ = [
    "DEFAULT_TIMEOUT",
    "LoginError",
    "LogoutError",
    "SessionNotRevokedWarning",
    "access_token",
    "login",
    "logout",
]

#: Seconds that ``login`` waits for the browser's redirect.
DEFAULT_TIMEOUT = 300.0


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
        HIDDEN_LOGIN.said()  # Configuration() would say much the same: once is enough
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
            with ReservedPort() as reserved:
                if reserved.note is not None:
                    print(reserved.note, flush=True)
                url, state = authorization_url(api, reserved.redirect_uri, configuration)
                show(url, paste=True)
                if open_browser:
                    open_link(url, browser)
                code = code_from_paste(read_input, state, timeout)
                tokens = _exchange(api, code, reserved.redirect_uri)
        else:
            with Listener(timeout) as listener:
                url, state = authorization_url(api, listener.redirect_uri, configuration)
                start_url = listener.expect(url, state)
                show(start_url, paste=False)
                if open_browser:
                    open_link(start_url, browser)
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
    ``NUMIND_API_KEY`` as it is (a token provider's answer, if one is set), else the stored
    login's access token, refreshed first (and stored) if it expires within
    ``REFRESH_MARGIN`` seconds. What ``numind auth token``
    prints, e.g. for ``curl -H "Authorization: Bearer $(numind auth token)"``.

    :param host: base URL of the API; default: ``configuration``'s host, else
        ``NUMIND_BASE_URL``, else production.
    :param configuration: the credentials and transport settings to use.
    :raises LoginRequiredError: there is no credential for ``host``, or the stored login
        cannot be refreshed any more.
    """
    configuration = _configuration(host, configuration)
    token = configuration.access_token
    if isinstance(token, str):
        configuration._check_token()  # pyright: ignore[reportPrivateUsage]
        return token
    provided = configuration._provided_token  # pyright: ignore[reportPrivateUsage]
    if provided is not None:  # asked as a call asks it
        return provided.token(Deadline(_call_timeout(configuration)))
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
        deadline = Deadline(_call_timeout(configuration))
        yield client, client._refresh_tokens, deadline  # pyright: ignore[reportPrivateUsage]


def _call_timeout(configuration: Configuration) -> float:
    call_timeout = configuration.call_timeout
    return DEFAULT_CALL_TIMEOUT if call_timeout is None else call_timeout


def _configuration(host: Optional[str], configuration: Optional[Configuration]) -> Configuration:
    configuration = copy.copy(configuration) if configuration else Configuration(host=host)
    if host is not None:
        configuration.host = host
    return configuration


def bearer_auth(token: str) -> Dict[str, str]:
    """A ``_request_auth`` setting that sends ``token`` as the bearer (kept ``Secret``)."""
    value = Secret("Bearer " + token)
    return {"in": "header", "type": "oauth2", "key": "Authorization", "value": value}
