"""A stored login keeps its token fresh (``auth.StoredLogin``), with a fake token
exchange and a credential store in a temporary directory."""

from __future__ import annotations

import asyncio
import datetime
import pickle
import time
from pathlib import Path
from typing import List

import pytest

import numind.openapi_client as sdk
from numind.openapi_client._credentials import Credentials
from numind.openapi_client._deadline import Deadline
from numind.openapi_client._stored_login import MAX_LIFETIME, credentials_from
from numind.openapi_client.auth import CredentialStore, StoredCredentials, StoredLogin

BASE = "https://api.example.com/v1"


class Exchange:
    """A fake token endpoint: answers each refresh with the next tokens, or raises."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.sent: List[str] = []

    def __call__(self, base_url: str, refresh_token: str, deadline: Deadline) -> sdk.TokenResponse:
        assert base_url == BASE
        self.sent.append(str(refresh_token))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, sdk.TokenResponse)
        return answer

    async def async_call(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> sdk.TokenResponse:
        return self(base_url, refresh_token, deadline)


def tokens(access: str, refresh: object = None, expires_in: int = 300) -> sdk.TokenResponse:
    return sdk.TokenResponse(token=access, expires_in=expires_in, refresh_token=refresh)  # type: ignore[arg-type]


def stored(tmp_path: Path, expires_in: float, refresh: object = "r1") -> StoredLogin:
    store = CredentialStore(tmp_path / "c" / "credentials.json")
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
    store.save(StoredCredentials(BASE, "a1", refresh, at))  # type: ignore[arg-type]
    login = StoredLogin.load(BASE, store)
    assert login is not None
    return login


def test_a_fresh_token_is_sent_without_a_refresh(tmp_path: Path) -> None:
    login = stored(tmp_path, 3600)
    exchange = Exchange()
    assert login.bearer(exchange, Deadline(5)) == "a1"
    assert exchange.sent == []
    credentials: Credentials = login  # what the pipeline takes (checked by mypy)
    assert credentials.bearer(Exchange(), Deadline(5)) == "a1"
    assert repr(login) == f"StoredLogin(base_url={BASE!r}, store={login.store!r})"


def test_an_expiring_token_is_refreshed_and_stored(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)  # within REFRESH_MARGIN
    exchange = Exchange(tokens("a2", "r2"))
    assert login.bearer(exchange, Deadline(5)) == "a2"
    assert exchange.sent == ["r1"]
    assert repr(login.bearer(exchange, Deadline(5))) == "<redacted>"  # fresh now: no refresh
    again = login.store.load(BASE)
    assert again is not None and (again.access_token, again.refresh_token) == ("a2", "r2")


def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    login.bearer(Exchange(tokens("a2")), Deadline(5))
    assert login.credentials.refresh_token == "r1"


def test_a_401_refreshes_once_not_twice(tmp_path: Path) -> None:
    login = stored(tmp_path, 3600)
    exchange = Exchange(tokens("a2", "r2"))
    login.refused("a1", exchange, Deadline(5))
    login.refused("a1", exchange, Deadline(5))  # another thread's 401 to the old token
    assert exchange.sent == ["r1"]
    assert login.bearer(exchange, Deadline(5)) == "a2"


def test_a_token_another_process_refreshed_is_adopted(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    login.store.save(StoredCredentials(BASE, "other-process", "r9", later))
    exchange = Exchange()
    assert login.bearer(exchange, Deadline(5)) == "other-process"
    assert exchange.sent == []


@pytest.mark.parametrize("status", [400, 401, 403])
def test_a_refused_refresh_says_to_sign_in_again(tmp_path: Path, status: int) -> None:
    login = stored(tmp_path, 10)
    refused = sdk.ApiException(status=status, reason="Bad Request")
    with pytest.raises(sdk.LoginRequiredError) as caught:
        login.bearer(Exchange(refused), Deadline(5))
    assert str(caught.value) == (
        f"Your sign-in to {BASE} has expired or was revoked (the refresh was answered "
        f"{status}): sign in again with `numind auth login`"
    )


def test_a_server_failure_during_a_refresh_is_raised_as_it_is(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    failure = sdk.ServiceException(status=503, reason="Service Unavailable")
    with pytest.raises(sdk.ServiceException):
        login.bearer(Exchange(failure), Deadline(5))


def test_no_refresh_token_or_a_signed_out_login(tmp_path: Path) -> None:
    login = stored(tmp_path, 10, refresh=None)
    with pytest.raises(sdk.LoginRequiredError, match="has expired and cannot be refreshed"):
        login.bearer(Exchange(), Deadline(5))
    login.store.delete(BASE)
    with pytest.raises(sdk.LoginRequiredError, match=f"You are signed out of {BASE}"):
        login.bearer(Exchange(), Deadline(5))


def test_a_wait_for_another_refresh_ends_by_the_deadline(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    assert login._lock.acquire()  # another thread is refreshing
    try:
        with pytest.raises(sdk.ApiTimeoutError, match="Gave up waiting for another refresh"):
            login.bearer(Exchange(), Deadline(0))
    finally:
        login._lock.release()


def test_the_stored_lifetime_is_bounded() -> None:
    now = time.time()
    forever = credentials_from(BASE, tokens("a", "r", expires_in=10**12), now)
    assert forever.expires_at.timestamp() == pytest.approx(now + MAX_LIFETIME)
    negative = credentials_from(BASE, tokens("a", "r", expires_in=-5), now)
    assert negative.expires_at.timestamp() == pytest.approx(now)
    assert negative.refresh_expires_at is None


def test_a_login_pickles_with_its_store_and_tokens(tmp_path: Path) -> None:
    login = stored(tmp_path, 3600)
    copy = pickle.loads(pickle.dumps(login))
    assert (copy.base_url, copy.store.path, copy.credentials) == (
        BASE,
        login.store.path,
        login.credentials,
    )


def test_no_stored_login_for_another_base_url(tmp_path: Path) -> None:
    login = stored(tmp_path, 3600)
    assert StoredLogin.load("https://other.example/v1", login.store) is None


# -- the async client's side: the same rules, no wait blocks the loop ----------------


def test_async_refresh_and_401(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    exchange = Exchange(tokens("a2", "r2"), tokens("a3", "r3"))

    async def main() -> List[str]:
        first = await login.bearer_async(exchange.async_call, Deadline(5))
        fresh = await login.bearer_async(exchange.async_call, Deadline(5))
        await login.refused_async(first, exchange.async_call, Deadline(5))
        await login.refused_async(first, exchange.async_call, Deadline(5))  # done already
        return [first, fresh, await login.bearer_async(exchange.async_call, Deadline(5))]

    assert asyncio.run(main()) == ["a2", "a2", "a3"]
    assert exchange.sent == ["r1", "r2"]


def test_async_refused_refresh_and_a_held_lock(tmp_path: Path) -> None:
    login = stored(tmp_path, 10)
    refused = sdk.ApiException(status=401, reason="Unauthorized")

    async def refused_refresh(seconds: float = 5) -> None:
        await login.bearer_async(Exchange(refused).async_call, Deadline(seconds))

    with pytest.raises(sdk.LoginRequiredError):
        asyncio.run(refused_refresh())
    assert login._lock.acquire()  # another thread is refreshing
    try:
        with pytest.raises(sdk.ApiTimeoutError, match="Gave up waiting"):
            asyncio.run(refused_refresh(0.05))
    finally:
        login._lock.release()
