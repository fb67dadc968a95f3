"""Stored logins: where credentials come from, automatic refresh, single flight, logout."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import threading
import warnings
from typing import Any

import pytest
from fault_scenarios import fast_retry_policy
from recording_server import RecordingServer
from signing_in import new_email, play_browser, sign_in
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer


def log_in(server: LocalServer, email: str | None = None) -> sdk.Configuration:
    """Sign in with the SDK's login, the test playing the browser."""
    return auth.login(server.url, browser=lambda url: play_browser(url, email))


def me(configuration: sdk.Configuration, twin: Twin | None = None) -> str:
    """The signed-in email, by a call of a new client of ``twin``'s kind (sync if none)."""
    if twin is None:
        twin = Twin("sync")
    with twin.client(configuration) as client:
        email: str = twin.api(client).get_api_auth_me().email
        return email


def stored_file() -> dict[str, dict[str, str]]:
    path = pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"
    logins: dict[str, dict[str, str]] = json.loads(path.read_text())["logins"]
    return logins


def expire_locally(base_url: str) -> None:
    """Make the stored access token look expired to the client (the server still takes it)."""
    store = auth.CredentialStore()
    stored = store.load(base_url)
    assert stored is not None
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    store.save(
        auth.StoredCredentials(stored.base_url, stored.access_token, stored.refresh_token, past)
    )


# -- where credentials come from ---------------------------------------------------------


def test_after_login_configuration_with_no_arguments_is_signed_in(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    email = new_email()
    log_in(server, email)
    monkeypatch.setenv("NUMIND_BASE_URL", server.url)

    configuration = sdk.Configuration()

    assert configuration.access_token is None
    assert configuration.stored_login is not None
    assert me(configuration, twin) == email
    assert "Stored login: yes" in configuration.to_debug_report()


def test_an_explicit_token_and_the_api_key_win_over_the_stored_login(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    log_in(server)
    other = new_email()
    other_token = sign_in(server, other).token

    explicit = sdk.Configuration(host=server.url, access_token=other_token)
    assert explicit.stored_login is None
    assert me(explicit, twin) == other

    monkeypatch.setenv("NUMIND_API_KEY", other_token)
    assert me(sdk.Configuration(host=server.url), twin) == other


def test_a_stored_login_is_never_sent_to_another_base_url(server: LocalServer, twin: Twin) -> None:
    log_in(server)
    with RecordingServer() as elsewhere:
        assert sdk.Configuration(host=elsewhere.url).stored_login is None

        moved = sdk.Configuration(host=server.url)
        assert moved.stored_login is not None
        moved.host = elsewhere.url
        assert moved.stored_login is None
        with pytest.raises(sdk.ApiValueError, match="numind auth login"):
            me(moved, twin)

        by_index = sdk.Configuration(host=server.url)
        by_index.get_host_settings = lambda: [  # type: ignore[method-assign]
            {"url": elsewhere.url, "variables": {}}
        ]
        with twin.client(by_index) as client, pytest.raises(sdk.ApiValueError):
            twin.api(client).get_api_auth_me(_host_index=0)
        assert elsewhere.requests == []


# -- automatic refresh -------------------------------------------------------------------


def test_a_token_about_to_expire_is_refreshed_first_and_the_rotation_stored(
    own_server: LocalServer,
    twin: Twin,
) -> None:
    email = new_email()
    log_in(own_server, email)
    before = stored_file()[own_server.url]
    expire_locally(own_server.url)

    assert me(sdk.Configuration(host=own_server.url), twin) == email

    after = stored_file()[own_server.url]
    assert own_server.refresh_requests == 1
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] != before["refresh_token"]
    # the old refresh token was rotated out: only the stored one works
    with sdk.ApiClient(sdk.Configuration(host=own_server.url, access_token="x")) as client:
        api = sdk.AuthenticationApi(client)
        with pytest.raises(sdk.BadRequestException):
            api.post_api_auth_token({"type": auth_refresh_type(), "token": before["refresh_token"]})


def auth_refresh_type() -> str:
    return "ai.numind.extract.shared.TokenRefreshRequest"


def storm(configuration: sdk.Configuration, threads: int = 32) -> list[str]:
    """``threads`` threads call get_api_auth_me on one client at the same moment."""
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)
    with sdk.ApiClient(configuration) as client:
        api = sdk.AuthenticationApi(client)

        def call() -> None:
            barrier.wait()
            try:
                results.append(api.get_api_auth_me().email)
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=call) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    assert errors == []
    return results


def test_32_threads_on_a_token_the_server_rejects_cause_one_refresh(
    own_server: LocalServer,
) -> None:
    email = new_email()
    configuration = log_in(own_server, email)
    assert me(configuration) == email
    own_server.advance_clock(301)  # the access token expired; the refresh token has not

    assert storm(configuration) == [email] * 32
    assert own_server.refresh_requests == 1


def test_32_threads_on_an_expiring_token_cause_one_refresh(own_server: LocalServer) -> None:
    email = new_email()
    log_in(own_server, email)
    expire_locally(own_server.url)

    assert storm(sdk.Configuration(host=own_server.url)) == [email] * 32
    assert own_server.refresh_requests == 1


def test_a_token_the_server_rejects_is_refreshed_once_and_the_call_replayed(
    own_server: LocalServer, twin: Twin
) -> None:
    email = new_email()
    configuration = log_in(own_server, email)
    own_server.advance_clock(301)  # expired on the server; not yet by the client's clock

    assert me(configuration, twin) == email
    assert me(configuration, twin) == email
    assert own_server.refresh_requests == 1


def test_a_rotation_by_another_process_is_picked_up_not_repeated(
    own_server: LocalServer,
    twin: Twin,
) -> None:
    email = new_email()
    log_in(own_server, email)
    first = sdk.Configuration(host=own_server.url)  # two processes, one store
    second = sdk.Configuration(host=own_server.url)
    own_server.advance_clock(301)

    assert me(first, twin) == email  # refreshes and stores the rotated refresh token
    assert me(second, twin) == email  # 401, then finds the rotated tokens in the store
    assert own_server.refresh_requests == 1


def test_a_failed_refresh_says_to_sign_in_again(own_server: LocalServer, twin: Twin) -> None:
    configuration = log_in(own_server)
    stored = stored_file()[own_server.url]
    own_server.advance_clock(1801)  # the refresh token expired too

    with pytest.raises(auth.LoginRequiredError, match="numind auth login") as caught:
        me(configuration, twin)
    assert own_server.refresh_requests == 1
    assert stored["access_token"] not in str(caught.value)
    assert stored["refresh_token"] not in str(caught.value)


def test_an_api_key_is_never_refreshed(own_server: LocalServer, twin: Twin) -> None:
    tokens = sign_in(own_server)
    with sdk.ApiClient(sdk.Configuration(host=own_server.url, access_token=tokens.token)) as c:
        key = sdk.AuthenticationApi(c).post_api_auth_user_tokens({"name": "k"})
        sdk.AuthenticationApi(c).delete_api_auth_user_tokens_usertokenid(key.id)
    log_in(own_server)  # a stored login exists, but the API key is what is used

    with pytest.raises(sdk.UnauthorizedException):
        me(sdk.Configuration(host=own_server.url, access_token=key.token), twin)
    assert own_server.refresh_requests == 0


# -- logout ------------------------------------------------------------------------------


def test_logout_revokes_the_session_and_deletes_the_tokens(
    own_server: LocalServer, twin: Twin
) -> None:
    configuration = log_in(own_server)
    refresh_token = stored_file()[own_server.url]["refresh_token"]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert auth.logout(own_server.url) is True

    assert own_server.url not in stored_file()
    assert sdk.Configuration(host=own_server.url).stored_login is None
    anonymous = sdk.ApiClient(sdk.Configuration(host=own_server.url))
    with anonymous, pytest.raises(sdk.BadRequestException):  # revoked on the server
        sdk.AuthenticationApi(anonymous).post_api_auth_token(
            {"type": auth_refresh_type(), "token": refresh_token}
        )
    with pytest.raises(auth.LoginRequiredError, match="numind auth login"):
        me(configuration, twin)  # a configuration made before the logout stops too
    assert auth.logout(own_server.url) is False


def test_logout_with_an_expired_access_token_refreshes_then_revokes(
    own_server: LocalServer,
) -> None:
    log_in(own_server)
    own_server.advance_clock(301)
    assert auth.logout(own_server.url) is True
    assert own_server.refresh_requests == 1
    assert stored_file() == {}


def newer_login(base_url: str) -> auth.StoredCredentials:
    return auth.StoredCredentials(
        base_url,
        "at-newer",
        "rt-newer",
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5),
    )


def on_logout(server: LocalServer, action: Any) -> None:
    """Run ``action()`` when the server gets the logout (before it answers)."""
    validate = server.on_exchange

    def observe(exchange: Any) -> None:
        if validate is not None:
            validate(exchange)
        if exchange.target.endswith("/api/auth/logout"):
            action()

    server.on_exchange = observe


def test_a_login_stored_during_a_logout_waits_for_it_and_is_kept(own_server: LocalServer) -> None:
    log_in(own_server, new_email())
    saving: list[threading.Thread] = []

    def another_process_signs_in() -> None:
        # It waits for the logout's lock, then stores its login: nothing is lost.
        saving.append(threading.Thread(target=auth.CredentialStore().save, args=(newer,)))
        saving[0].start()

    newer = newer_login(own_server.url)
    on_logout(own_server, another_process_signs_in)
    assert auth.logout(own_server.url) is True
    saving[0].join(30)

    assert stored_file()[own_server.url]["refresh_token"] == "rt-newer"


def test_logout_says_still_signed_in_when_another_login_was_stored_meanwhile(
    own_server: LocalServer,
) -> None:
    log_in(own_server, new_email())
    path = pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"

    def a_program_without_the_lock_signs_in() -> None:
        document = json.loads(path.read_text())
        document["logins"][own_server.url] = newer_login(own_server.url).to_json()
        temporary = path.with_name("elsewhere.tmp")
        temporary.write_text(json.dumps(document))
        temporary.chmod(0o600)
        os.replace(temporary, path)

    on_logout(own_server, a_program_without_the_lock_signs_in)
    with pytest.raises(auth.LogoutError, match=r"Still signed in to .*logout` again"):
        auth.logout(own_server.url)

    assert stored_file()[own_server.url]["refresh_token"] == "rt-newer"


def test_logout_offline_deletes_the_tokens_and_warns() -> None:
    with LocalServer() as gone:
        log_in(gone)
    # The refused connection is retried, without the default backoff (0.5 s, then 1 s).
    configuration = sdk.Configuration(host=gone.url, retries=fast_retry_policy())
    with pytest.warns(auth.SessionNotRevokedWarning, match="could not be revoked"):
        assert auth.logout(gone.url, configuration=configuration) is True
    assert stored_file() == {}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, sdk.TooManyRequestsException),
        (503, sdk.ServiceException),
        (400, auth.LoginRequiredError),
    ],
)
def test_only_a_refused_refresh_asks_to_sign_in_again(status: int, error: type) -> None:
    # A rate limit or an outage on the refresh is not the end of the session.
    from recording_server import Canned

    with RecordingServer() as recording:
        store = auth.CredentialStore()
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        store.save(auth.StoredCredentials(recording.url, "at-old", "rt-old", past))
        recording.default = Canned(status, b'{"code": "x", "message": "not now"}')
        configuration = sdk.Configuration(host=recording.url, retries=0)

        with pytest.raises(error) as raised:
            me(configuration)

    assert [r.path for r in recording.requests] == ["/v1/api/auth/token"]
    assert ("numind auth login" in str(raised.value)) is (error is auth.LoginRequiredError)
    assert store.load(recording.url) is not None  # still signed in, to try again later


def test_a_calls_timeout_bounds_the_refresh_it_needs() -> None:
    import time

    from faulty_server import Fault, FaultyServer

    with FaultyServer(default=Fault.hang()) as silent:
        store = auth.CredentialStore()
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        store.save(auth.StoredCredentials(silent.url, "at-old", "rt-old", past))
        configuration = sdk.Configuration(host=silent.url, retries=0)
        started = time.monotonic()
        with sdk.ApiClient(configuration) as client, pytest.raises(sdk.ApiTimeoutError):
            sdk.AuthenticationApi(client).get_api_auth_me(_request_timeout=0.3)
        took = time.monotonic() - started

    assert [r.path for r in silent.requests] == ["/v1/api/auth/token"]
    assert took < 5  # the default read timeout would be 60 s
