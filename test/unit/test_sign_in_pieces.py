"""The pure pieces of sign-in: the one-line messages a person reads
(``auth.messages``), the checks of the server's sign-in URL and of the redirect back
(``auth._redirect``), and the errors sign-in raises (``auth._errors``)."""

from __future__ import annotations

from typing import Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.auth import _redirect
from numind.openapi_client.auth.messages import describe_error, printable

REDIRECT = "http://127.0.0.1:8123/callback"
SIGN_IN = "https://sign.in/authorize?client_id=numind&redirect_uri=" + REDIRECT

# -- messages ----------------------------------------------------------------------------


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    assert printable("plain text, é and 日本") == "plain text, é and 日本"
    assert printable("red \x1b[31mtext\x07") == "red \\x1b[31mtext\\x07"
    assert printable("a\nb\tc\x9bd") == "a\\nb\\tc\\x9bd"  # C1 CSI too
    assert printable("evil\u202efdp.exe") == "evil\\u202efdp.exe"  # a bidi override


def test_describe_error_of_an_answer_with_an_error_body() -> None:
    error = sdk.BadRequestException(
        status=400, reason="Bad Request", data=sdk.Error(code="bad", message="no  such\n code")
    )
    assert describe_error(error) == "the server answered 400 Bad Request: no such code"


def test_describe_error_of_an_answer_with_a_text_body_escapes_and_shortens_it() -> None:
    error = sdk.ApiException(status=502, reason="Bad Gateway", body="\x1b[2J" + "x" * 300)
    text = describe_error(error)
    assert text.startswith("the server answered 502 Bad Gateway: \\x1b[2J" + "x" * 10)
    assert text.endswith("x...") and len(text) < 260


def test_describe_error_never_shows_the_body_of_a_success() -> None:
    # An undecodable 200 may be a token response: its body is not printed.
    error = sdk.ApiException(status=200, reason="OK", body='{"token": "SECRET"}')
    assert describe_error(error) == "the server answered 200 OK"
    assert describe_error(sdk.ApiException(status=503)) == "the server answered 503"


def test_describe_error_of_other_errors_is_their_text_in_one_line() -> None:
    assert describe_error(OSError("no route\n  to host")) == "no route to host"
    assert describe_error(TimeoutError()) == "TimeoutError"  # no text: its type
    assert describe_error(ValueError("bad \x1b]0;title\x07")) == "bad \\x1b]0;title\\x07"


# -- errors --------------------------------------------------------------------------------


def test_the_sign_in_errors_are_the_packages_own() -> None:
    assert issubclass(auth.LoginError, sdk.OpenApiException)
    assert issubclass(auth.LogoutError, sdk.OpenApiException)
    assert issubclass(auth.SessionNotRevokedWarning, UserWarning)
    assert str(auth.LoginError("timed out")) == "timed out"


# -- the sign-in URL -------------------------------------------------------------------------


def test_a_https_sign_in_url_that_redirects_here_is_accepted() -> None:
    _redirect.check_authorization_url(SIGN_IN, REDIRECT, allow_insecure_http=False)
    # Plain http to this machine is fine (a local server), elsewhere only when allowed.
    local = "http://localhost:5173/authorize?redirect_uri=" + REDIRECT
    _redirect.check_authorization_url(local, REDIRECT, allow_insecure_http=False)
    remote = "http://sign.in/authorize?redirect_uri=" + REDIRECT
    _redirect.check_authorization_url(remote, REDIRECT, allow_insecure_http=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "it is not a URL"),
        ("https://sign.in/a b?redirect_uri=x", "it is not a URL"),
        ("https://sign.in/\x1b[2J", "it is not a URL"),
        ("https://sign.in:99999/?redirect_uri=" + REDIRECT, "it is not a valid URL"),
        ("https://[::1/?redirect_uri=" + REDIRECT, "it is not a valid URL"),
        ("http://sign.in/?redirect_uri=" + REDIRECT, "plain http:// to 'sign.in'"),
        ("javascript:alert(1)//?redirect_uri=" + REDIRECT, "a 'javascript' URL"),
        ("file:///etc/passwd?redirect_uri=" + REDIRECT, "a 'file' URL"),
        ("/relative?redirect_uri=" + REDIRECT, "a 'relative' URL"),
        ("https://sign.in/authorize", "send the browser back somewhere else"),
        ("https://sign.in/?redirect_uri=https://evil.example/cb", "somewhere else"),
        (SIGN_IN + "&redirect_uri=https://evil.example/cb", "somewhere else"),
    ],
)
def test_a_hostile_sign_in_url_is_refused_without_being_shown(url: str, reason: str) -> None:
    with pytest.raises(auth.LoginError) as refused:
        _redirect.check_authorization_url(url, REDIRECT, allow_insecure_http=False)
    message = str(refused.value)
    assert message.startswith("The server's sign-in URL was refused, and neither opened")
    assert reason in message
    assert "evil.example" not in message and "passwd" not in message


def test_a_non_string_sign_in_url_is_refused() -> None:
    with pytest.raises(auth.LoginError, match="it is not a URL"):
        _redirect.check_authorization_url(None, REDIRECT, False)  # type: ignore[arg-type]


def test_the_servers_state_is_kept() -> None:
    assert _redirect.with_state(SIGN_IN + "&state=s1") == (SIGN_IN + "&state=s1", "s1")


def test_a_state_is_added_when_the_server_gives_none() -> None:
    url, state = _redirect.with_state(SIGN_IN)
    assert len(state) >= 16 and url == SIGN_IN + "&state=" + state
    bare, other = _redirect.with_state("https://sign.in/authorize")
    assert bare == "https://sign.in/authorize?state=" + other and other != state


def test_authorization_url_asks_the_server_checks_and_adds_a_state() -> None:
    class Api:
        def get_api_auth(self, redirect_uri: str) -> str:
            self.asked = redirect_uri
            return SIGN_IN

    api = Api()
    configuration = sdk.Configuration(host="https://api.example.com/v1")
    url, state = _redirect.authorization_url(api, REDIRECT, configuration)  # type: ignore[arg-type]
    assert api.asked == REDIRECT
    assert parse_qs(urlsplit(url).query)["state"] == [state]


# -- the redirect back ---------------------------------------------------------------------


def query(url: str) -> Dict[str, List[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_code_of_a_redirect_to_this_sign_in() -> None:
    assert _redirect.code_from_redirect(query("/callback?state=s1&code=c1"), "s1") == "c1"


@pytest.mark.parametrize(
    ("redirect", "expected_state"),
    [
        ("/callback?state=other&code=c1", "s1"),
        ("/callback?code=c1", "s1"),
        ("/callback?state=s1&code=c1", None),  # no sign-in under way
        ("/callback?state=%C3%A9&code=c1", "s1"),  # not ASCII: still a mismatch, no crash
    ],
)
def test_a_redirect_of_another_sign_in_is_refused(
    redirect: str, expected_state: Optional[str]
) -> None:
    with pytest.raises(auth.LoginError) as refused:
        _redirect.code_from_redirect(query(redirect), expected_state)
    assert str(refused.value) == _redirect.STATE_MISMATCH


def test_a_refused_sign_in_says_why() -> None:
    refused = "/callback?state=s1&error=access_denied&error_description=You+said+no"
    with pytest.raises(auth.LoginError, match=r"^The sign-in was refused: You said no$"):
        _redirect.code_from_redirect(query(refused), "s1")
    with pytest.raises(auth.LoginError, match=r"^The sign-in was refused: access_denied$"):
        _redirect.code_from_redirect(query("/callback?state=s1&error=access_denied"), "s1")


def test_a_redirect_without_a_code_asks_for_the_full_url() -> None:
    with pytest.raises(auth.LoginError, match="has no code: paste the full URL"):
        _redirect.code_from_redirect(query("/callback?state=s1"), "s1")
