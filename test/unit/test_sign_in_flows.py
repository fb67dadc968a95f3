"""``auth.access_token``, ``auth.logout`` and ``auth.login`` where they need no socket:
a token set or stored (fresh), the sign-out of a stored login against a fake transport,
and the refusals that come before anything is sent. The browser sign-in itself (its
loopback listener, paste mode's reserved port) is tested with real sockets in
test/test_auth_login.py."""

from __future__ import annotations

import datetime
import json
import warnings
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest
from unit_fakes import FakeResponse, FakeTransport, json_answer

import numind.openapi_client as sdk
from numind.openapi_client import _stored_login, auth
from numind.openapi_client.auth import CredentialStore, StoredCredentials, _flows

HOST = "https://api.example.com/v1"


def in_(seconds: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


def stored(
    access: str = "a1",
    refresh: Optional[str] = "r1",
    expires_in: float = 3600,
    refresh_expires_in: Optional[float] = None,
    host: str = HOST,
) -> StoredCredentials:
    """A login stored in the user's credential store (``NUMIND_CONFIG_DIR``, per test)."""
    ends = None if refresh_expires_in is None else in_(refresh_expires_in)
    credentials = StoredCredentials(host, access, refresh, in_(expires_in), ends)
    CredentialStore().save(credentials)
    return credentials


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTransport]:
    """The transport of every client the flows make: answers are appended to it."""
    transport = FakeTransport()

    class Client(sdk.ApiClient):
        def __init__(self, configuration: sdk.Configuration) -> None:
            super().__init__(configuration)
            self.rest_client = transport  # type: ignore[assignment]

    monkeypatch.setattr(_flows, "ApiClient", Client)
    yield transport
    assert transport.answers == [], "an answer was not asked for"


# -- access_token ------------------------------------------------------------------------


def test_a_token_set_in_code_is_returned_as_it_is() -> None:
    configuration = sdk.Configuration(host=HOST, access_token="tok-1")
    assert auth.access_token(configuration=configuration) == "tok-1"


def test_the_api_key_of_the_environment_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMIND_API_KEY", "key-1")
    assert auth.access_token() == "key-1"


def test_an_api_key_with_a_bearer_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMIND_API_KEY", "Bearer key-1")
    with pytest.raises(sdk.ApiValueError, match="NUMIND_API_KEY"):
        auth.access_token()


def test_the_fresh_token_of_a_stored_login_is_returned_without_a_request(
    server: FakeTransport,
) -> None:
    stored(access="stored-access")
    assert auth.access_token(HOST) == "stored-access"
    assert server.requests == []


def test_an_expiring_stored_token_is_refreshed_and_stored(server: FakeTransport) -> None:
    stored(access="old", refresh="r1", expires_in=5)
    server.answers.append(json_answer(b'{"token": "new", "expiresIn": 300, "refreshToken": "r2"}'))
    assert auth.access_token(HOST) == "new"
    assert (server.last["url"], server.last["body"]["token"]) == (f"{HOST}/api/auth/token", "r1")
    again = CredentialStore().load(HOST)
    assert again is not None and (again.access_token, again.refresh_token) == ("new", "r2")


def test_no_credential_at_all_says_how_to_sign_in() -> None:
    stored(host="https://other.example/v1")  # another host's login is never used
    with pytest.raises(auth.LoginRequiredError) as caught:
        auth.access_token(HOST)
    assert str(caught.value) == (
        f"Not signed in to {HOST}: sign in with `numind auth login` (or set NUMIND_API_KEY)"
    )


def test_the_host_given_wins_over_the_configurations() -> None:
    stored(access="a-here")
    elsewhere = sdk.Configuration(host="https://other.example/v1")
    assert auth.access_token(HOST, configuration=elsewhere) == "a-here"
    assert elsewhere.host == "https://other.example/v1"  # the caller's is not changed


# -- logout ------------------------------------------------------------------------------


def test_logout_without_a_stored_login_returns_false() -> None:
    stored(host="https://other.example/v1")
    assert auth.logout(HOST) is False
    assert CredentialStore().load("https://other.example/v1") is not None


def test_logout_revokes_the_session_and_deletes_only_that_login(server: FakeTransport) -> None:
    stored(access="a1", refresh="r1")
    stored(host="https://other.example/v1")
    server.answers.append(json_answer(b"{}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert auth.logout(HOST) is True
    assert (server.last["method"], server.last["url"]) == ("POST", f"{HOST}/api/auth/logout")
    assert server.last["body"] == "r1"
    assert server.last["headers"]["Authorization"] == "Bearer a1"
    assert CredentialStore().load(HOST) is None
    assert CredentialStore().load("https://other.example/v1") is not None


def test_logout_refreshes_a_rejected_token_once_and_revokes_the_rotated_one(
    server: FakeTransport,
) -> None:
    stored(access="a1", refresh="r1")
    server.answers += [
        FakeResponse(401, b"", reason="Unauthorized"),
        json_answer(b'{"token": "a2", "expiresIn": 300, "refreshToken": "r2"}'),
        json_answer(b"{}"),
    ]
    assert auth.logout(HOST) is True
    sent = [(r["url"].rsplit("/", 1)[1], r["body"]) for r in server.requests]
    assert sent[0] == ("logout", "r1")
    assert sent[1][0] == "token" and sent[1][1]["token"] == "r1"
    assert sent[2] == ("logout", "r2")
    assert server.last["headers"]["Authorization"] == "Bearer a2"
    assert CredentialStore().load(HOST) is None


@pytest.mark.parametrize(
    ("credentials", "answers"),
    [
        # The refresh token had expired: nothing to revoke, nothing sent.
        ({"refresh_expires_in": -1}, []),
        # A login without a refresh token has no session to end.
        ({"refresh": None}, []),
        # The API's answer for a refresh token of no live session.
        ({}, [FakeResponse(400, b"unknown", {"Content-Type": "text/plain"})]),
    ],
)
def test_logout_of_a_session_that_had_ended_deletes_it_without_a_warning(
    server: FakeTransport, credentials: Any, answers: List[FakeResponse]
) -> None:
    stored(**credentials)
    server.answers += answers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert auth.logout(HOST) is True
    assert CredentialStore().load(HOST) is None


def test_logout_deletes_the_login_and_warns_when_the_server_refuses(
    server: FakeTransport,
) -> None:
    stored()
    error = b'{"code": "forbidden", "message": "not \\u001b[31myours"}'
    server.answers.append(FakeResponse(403, error, {"Content-Type": "application/json"}, "No"))
    with pytest.warns(auth.SessionNotRevokedWarning) as caught:
        assert auth.logout(HOST) is True
    assert str(caught[0].message) == (
        f"Signed out locally, but the session on {HOST} could not be revoked: "
        "the server answered 403 No: not \\x1b[31myours"
    )
    assert CredentialStore().load(HOST) is None


def test_logout_keeps_a_login_stored_meanwhile_and_says_so(server: FakeTransport) -> None:
    stored(refresh="r1")

    class Racing(FakeTransport):
        def send(self, request: Any) -> FakeResponse:
            # Another program (that does not take the lock) signs in during the sign-out.
            path = CredentialStore().path
            saved = json.loads(path.read_text())
            saved["logins"][HOST]["refresh_token"] = "r-new"
            path.write_text(json.dumps(saved))
            return super().send(request)

    racing = Racing(json_answer(b"{}"))
    server.send = racing.send  # type: ignore[method-assign]
    with pytest.raises(auth.LogoutError, match=f"^Still signed in to {HOST}: another login"):
        auth.logout(HOST)
    kept = CredentialStore().load(HOST)
    assert kept is not None and kept.refresh_token == "r-new"


def test_logout_resets_an_invalid_credential_file_and_warns() -> None:
    store = CredentialStore()
    stored()
    store.path.write_text("{not json")
    with pytest.warns(auth.SessionNotRevokedWarning, match="was not valid, so it was deleted"):
        assert auth.logout(HOST) is True
    assert not store.path.exists()


# -- login: what is refused before anything is sent -------------------------------------------


def test_login_refuses_an_invalid_host_before_anything_is_sent() -> None:
    with pytest.raises(sdk.ApiValueError, match="Invalid host"):
        auth.login("api.example.com")
    with pytest.raises(sdk.ApiValueError, match="Refusing plain http://"):
        auth.login("http://api.example.com/v1")


def test_login_fails_before_the_browser_when_the_store_cannot_take_the_tokens(
    tmp_path: Path,
) -> None:
    store = CredentialStore(tmp_path / "numind" / "credentials.json")
    store.path.mkdir(parents=True)  # a directory where the file goes
    opened: List[str] = []
    with pytest.raises(auth.CredentialStoreError, match="it is not a regular file"):
        auth.login(HOST, store=store, browser=opened.append)
    assert opened == []


def test_login_warns_first_that_an_api_key_would_hide_the_login(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh = _stored_login.HiddenLogin()
    monkeypatch.setattr(_stored_login, "HIDDEN_LOGIN", fresh)
    monkeypatch.setattr(_flows, "HIDDEN_LOGIN", fresh)
    monkeypatch.setenv("NUMIND_API_KEY", "key-1")
    store = CredentialStore(tmp_path / "numind" / "credentials.json")
    store.path.mkdir(parents=True)
    warned = pytest.warns(UserWarning, match="NUMIND_API_KEY is set, so Configuration")
    with warned, pytest.raises(auth.CredentialStoreError):
        auth.login(HOST, store=store)
