"""A token provider adapted into the pipeline's ``Credentials`` (``ProvidedToken``): what it
is asked, what it may answer, what a 401 does, and how it is named. No socket; the
deadline's clock is a fake."""

from __future__ import annotations

import asyncio
import functools
import pickle
from pathlib import Path
from typing import Any, List, Optional

import pytest
from unit_fakes import FakeClock

import numind.openapi_client as sdk
from numind.openapi_client._credentials import Credentials
from numind.openapi_client._deadline import Deadline
from numind.openapi_client._token_provider import ProvidedToken, describe_provider
from numind.openapi_client.configuration import _checked_access_token


def no_exchange(base_url: str, refresh_token: str, deadline: Deadline) -> sdk.TokenResponse:
    raise AssertionError("a provider needs no refresh through the client")


async def no_async_exchange(
    base_url: str, refresh_token: str, deadline: Deadline
) -> sdk.TokenResponse:
    raise AssertionError("a provider needs no refresh through the client")


class Rotating:
    """Gives ``tokens`` in order (the last again); ``refused`` is recorded, if it has one."""

    def __init__(self, *tokens: str, clock: Optional[FakeClock] = None, takes: float = 0) -> None:
        self.tokens = list(tokens)
        self.timeouts: List[float] = []
        self.clock, self.takes = clock, takes

    def token(self, timeout: float) -> str:
        self.timeouts.append(timeout)
        if self.clock is not None:
            self.clock.advance(self.takes)
        return self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]


class Told(Rotating):
    def __init__(self, *tokens: str) -> None:
        super().__init__(*tokens)
        self.told: List[str] = []

    def refused(self, token: str) -> None:
        self.told.append(str(token))


def test_the_token_is_asked_with_the_seconds_left_and_masked(clock: FakeClock) -> None:
    provider = Rotating(" key-1\n")
    credentials: Credentials = ProvidedToken(provider)  # what the pipeline takes
    deadline = Deadline(5)
    clock.advance(2)
    token = credentials.bearer(no_exchange, deadline)
    assert token == "key-1"  # white space around it (a file's newline) dropped
    assert repr(token) == "<redacted>"
    assert provider.timeouts == [3]


def test_a_plain_callable_is_called_without_arguments() -> None:
    assert ProvidedToken(lambda: "key-1").bearer(no_exchange, Deadline(5)) == "key-1"


@pytest.mark.parametrize(
    ("answer", "error", "says"),
    [
        (42, sdk.ApiTypeError, "returned int, not a str"),
        ("Bearer sekrit", sdk.ApiValueError, "without 'Bearer '"),
        ("sekrit 1", sdk.ApiValueError, "not a bearer token"),
        ("sekrit\nX-Other: 1", sdk.ApiValueError, "not a bearer token"),
    ],
)
def test_an_answer_that_is_not_a_token_is_refused_without_showing_it(
    answer: Any, error: type, says: str
) -> None:
    with pytest.raises(error, match=says) as raised:
        ProvidedToken(lambda: answer).bearer(no_exchange, Deadline(5))
    assert "sekrit" not in str(raised.value)
    assert "<lambda>" in str(raised.value)  # the provider is named


def test_a_provider_that_returns_after_the_deadline_gives_no_token(clock: FakeClock) -> None:
    late = ProvidedToken(Rotating("key-1", clock=clock, takes=6))
    with pytest.raises(sdk.ApiTimeoutError, match="within the 5 s deadline of the call"):
        late.bearer(no_exchange, Deadline(5))
    passed = Deadline(5)
    clock.advance(5)
    asked = Rotating("key-1")
    with pytest.raises(sdk.ApiTimeoutError, match="nothing was sent"):
        ProvidedToken(asked).bearer(no_exchange, passed)
    assert asked.timeouts == []  # not asked once the call's time is over


def test_a_401_tells_the_provider_and_asks_again() -> None:
    provider = Told("key-1", "key-2")
    credentials = ProvidedToken(provider)
    first = credentials.bearer(no_exchange, Deadline(5))
    assert credentials.refused(first, no_exchange, Deadline(5)) == "key-2"
    assert provider.told == ["key-1"]
    same = Told("key-1")  # one that has no other: the call is replayed with it, once
    assert ProvidedToken(same).refused("key-1", no_exchange, Deadline(5)) == "key-1"


def test_without_refused_a_401_asks_again() -> None:
    provider = Rotating("key-1", "key-2")
    credentials = ProvidedToken(provider)
    assert credentials.refused("key-1", no_exchange, Deadline(5)) == "key-1"
    assert credentials.refused("key-1", no_exchange, Deadline(5)) == "key-2"
    assert len(provider.timeouts) == 2


def test_the_sync_side_refuses_and_closes_an_awaitable() -> None:
    made: List[Any] = []

    async def key() -> str:
        return "key-1"

    def provider() -> Any:
        made.append(key())
        return made[-1]

    with pytest.raises(sdk.ApiTypeError, match="returned coroutine, which the sync ApiClient"):
        ProvidedToken(provider).bearer(no_exchange, Deadline(5))
    assert made[0].cr_frame is None  # closed

    class AsyncRefused(Rotating):
        async def refused(self, token: str) -> None:
            pass

    with pytest.raises(sdk.ApiTypeError, match="cannot await"):
        ProvidedToken(AsyncRefused("key-1")).refused("key-1", no_exchange, Deadline(5))


def test_the_async_side_awaits_what_is_awaitable_and_calls_the_rest() -> None:
    class Vault:
        def __init__(self) -> None:
            self.told: List[str] = []

        async def token(self, timeout: float) -> str:
            return "key-2" if self.told else "key-1"

        async def refused(self, token: str) -> None:
            self.told.append(str(token))

    async def main() -> List[str]:
        vault = ProvidedToken(Vault())
        first = await vault.bearer_async(no_async_exchange, Deadline(5))
        replay = await vault.refused_async(first, no_async_exchange, Deadline(5))
        plain = ProvidedToken(lambda: "key-3")
        same = await plain.refused_async("key-3", no_async_exchange, Deadline(5))
        told = ProvidedToken(Told("key-4"))
        return [
            first,
            replay,
            same,
            await told.refused_async("key-4", no_async_exchange, Deadline(5)),
        ]

    assert asyncio.run(main()) == ["key-1", "key-2", "key-3", "key-4"]


def test_the_async_side_gives_up_on_a_provider_at_the_deadline() -> None:
    class Stuck:
        async def token(self, timeout: float) -> str:
            await asyncio.sleep(30)
            return "key-1"

    class OwnTimeout:
        async def token(self, timeout: float) -> str:
            raise asyncio.TimeoutError  # its own, well before the deadline

    async def main() -> None:
        with pytest.raises(sdk.ApiTimeoutError, match="did not give a token within"):
            await ProvidedToken(Stuck()).bearer_async(no_async_exchange, Deadline(0.01))
        with pytest.raises(asyncio.TimeoutError):
            await ProvidedToken(OwnTimeout()).bearer_async(no_async_exchange, Deadline(5))

    asyncio.run(main())


def read_key() -> str:
    return "key-1"


class Vault:
    def token(self, timeout: float) -> str:
        return "key-1"


def test_a_provider_is_named_by_what_it_is_never_by_its_state(tmp_path: Path) -> None:
    assert describe_provider(Vault()) == f"{__name__}.Vault"
    assert describe_provider(read_key) == f"{__name__}.read_key"
    key_file = functools.partial(Path.read_text, tmp_path / "key")
    module = Path.read_text.__module__  # pathlib, or pathlib._local from 3.13
    assert describe_provider(key_file) == f"functools.partial({module}.Path.read_text)"
    assert describe_provider(lambda: "key-1").endswith(".<lambda>")
    assert describe_provider(Vault().token) == f"{__name__}.Vault.token"
    assert repr(ProvidedToken(read_key)) == f"ProvidedToken({__name__}.read_key)"
    assert isinstance(Vault(), sdk.TokenProvider)


def test_access_token_takes_tokens_providers_and_callables_only() -> None:
    for value in (None, "key-1", Vault(), read_key, functools.partial(read_key)):
        assert _checked_access_token(value) is value
    for wrong in (b"key-1", 42, object(), ["key-1"]):
        with pytest.raises(sdk.ApiTypeError, match=f"got {type(wrong).__name__}: pass"):
            _checked_access_token(wrong)


def test_a_configuration_with_a_provider_pickles_and_copies() -> None:
    configuration = sdk.Configuration(host="https://api.example.com/v1", access_token=Vault())
    clone = pickle.loads(pickle.dumps(configuration))
    assert isinstance(clone.access_token, Vault)
    assert clone.credential_source == "token_provider"
    assert clone.auth_settings() == {}
