"""The sign-in URL the server gives (checked before it is opened or shown), and the
redirect back from it (its ``state`` and ``code``): shared by the listener and paste mode."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlencode, urlsplit

from .._net import is_loopback
from .._redact import Secret
from ._errors import LoginError

if TYPE_CHECKING:
    from ..api.authentication_api import AuthenticationApi
    from ..configuration import Configuration

#: The path of the redirect URI, in listener and paste mode alike.
CALLBACK_PATH = "/callback"

STATE_MISMATCH = (
    "The redirect does not belong to this sign-in (its state does not match): "
    "use the URL of the latest sign-in"
)


def authorization_url(
    api: AuthenticationApi, redirect_uri: str, configuration: Configuration
) -> Tuple[str, str]:
    """The server's sign-in URL for ``redirect_uri``, checked, and its ``state``."""
    url = api.get_api_auth(redirect_uri)
    check_authorization_url(url, redirect_uri, configuration.allow_insecure_http)
    return with_state(url)


def check_authorization_url(url: str, redirect_uri: str, allow_insecure_http: bool) -> None:
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


def with_state(url: str) -> Tuple[str, str]:
    """The authorization URL and its ``state``, adding one if the server gave none: the
    redirect must prove that it answers this sign-in, never someone else's."""
    values = parse_qs(urlsplit(url).query).get("state")
    if values and values[0]:
        return url, values[0]
    state = secrets.token_urlsafe(16)
    return url + ("&" if urlsplit(url).query else "?") + urlencode({"state": state}), state


def state_matches(query: Dict[str, List[str]], expected_state: Optional[str]) -> bool:
    """Whether the redirect's ``state`` is the one of this sign-in (in constant time)."""
    given = query.get("state", [""])[0]
    # Bytes: compare_digest refuses non-ASCII str, and a redirect may carry anything.
    return expected_state is not None and secrets.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected_state.encode("utf-8")
    )


def code_from_redirect(query: Dict[str, List[str]], expected_state: Optional[str]) -> str:
    """The ``code`` of a redirect to this sign-in (a ``Secret``); ``LoginError`` if its state
    is not this sign-in's, the sign-in was refused, or there is no code."""
    if not state_matches(query, expected_state):
        raise LoginError(STATE_MISMATCH)
    if "error" in query:
        description = (query.get("error_description") or query["error"])[0]
        raise LoginError(f"The sign-in was refused: {description}")
    code = (query.get("code") or [""])[0]
    if not code:
        raise LoginError("The redirect has no code: paste the full URL your browser was sent to")
    return Secret(code)  # masked in the locals of a traceback, up to the token request
