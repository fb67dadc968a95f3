"""Event hooks (``ApiClient(event_hooks=...)``), over real HTTP, sync and async in one test:
every attempt seen (retries, the token refresh, the 401 replay), no credential shown to a
hook, a hook's header on the wire (and one with a line break refused), a hook that raises
ending the call, coroutine hooks awaited, and the hooks' time within the call's deadline.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any, Callable, Dict, List, Optional

import pytest
from fault_scenarios import SLACK, USER, fast_retry_policy
from faulty_server import Fault, FaultyServer
from signing_in import sign_in
from timing import no_later, on_time
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer

TOKEN = "SECRET-TOKEN-of-the-hooks-test"


def hook(twin: Twin, body: Callable[[Any], None], pause: float = 0.0) -> Callable[[Any], Any]:
    """A hook of ``twin``'s kind that runs ``body``: a plain function for the sync client
    (sleeping ``pause`` first), a coroutine function for the async one (awaiting an
    ``asyncio.sleep(pause)`` first, so that ``body`` runs only if the hook is awaited)."""
    if twin.is_async:

        async def async_hook(seen: Any) -> None:
            await asyncio.sleep(pause)
            body(seen)

        return async_hook

    def sync_hook(seen: Any) -> None:
        time.sleep(pause)
        body(seen)

    return sync_hook


def header(headers: Dict[str, str], name: str) -> Optional[str]:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def configuration(url: str, **settings: Any) -> sdk.Configuration:
    return sdk.Configuration(host=url, access_token=TOKEN, retries=fast_retry_policy(), **settings)


def test_hooks_see_every_attempt_of_a_retried_call_and_no_credential(twin: Twin) -> None:
    requests: List[sdk.AttemptRequest] = []
    responses: List[sdk.AttemptResponse] = []

    def on_request(seen: sdk.AttemptRequest) -> None:
        requests.append(seen)
        seen.headers["X-Request-Id"] = f"req-{seen.attempt}"

    hooks: sdk.EventHooks = {
        "request": [hook(twin, on_request)],
        "response": [hook(twin, responses.append)],
    }
    with (
        FaultyServer([Fault.status(503, {"Retry-After": "0"})], Fault.ok(USER)) as server,
        twin.client(configuration(server.url), event_hooks=hooks) as client,
    ):
        assert twin.api(client).get_api_auth_me().email == "a@example.com"

    assert [(r.operation, r.attempt, r.method) for r in requests] == [
        ("get_api_auth_me", 1, "GET"),
        ("get_api_auth_me", 2, "GET"),
    ]
    assert all(r.url == server.url + "/api/auth/me" for r in requests)
    assert [(r.operation, r.attempt, r.status) for r in responses] == [
        ("get_api_auth_me", 1, 503),
        ("get_api_auth_me", 2, 200),
    ]
    assert all(isinstance(r.elapsed, float) and 0 < r.elapsed < 5 for r in responses)
    assert responses[0].headers["content-type"] == "application/json"
    # What the hooks added reached the server, each attempt its own; the credential the
    # hooks saw masked went on the wire as it was.
    assert [header(r.headers, "X-Request-Id") for r in server.requests] == ["req-1", "req-2"]
    assert [header(r.headers, "Authorization") for r in server.requests] == [f"Bearer {TOKEN}"] * 2
    assert all(r.headers["Authorization"] == "<redacted>" for r in requests)
    seen = repr(requests) + repr(responses) + str([vars_of(r) for r in requests])
    assert TOKEN not in seen


def vars_of(seen: sdk.AttemptRequest) -> Dict[str, Any]:
    return {name: getattr(seen, name) for name in ("operation", "url", "method", "headers")}


def test_the_refresh_and_the_call_it_serves_run_the_hooks_and_show_no_token(
    server: LocalServer, twin: Twin
) -> None:
    tokens = sign_in(server)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    store = auth.CredentialStore()
    store.save(auth.StoredCredentials(server.url, tokens.token, tokens.refresh_token or "", past))
    received: List[Any] = []
    hooks: sdk.EventHooks = {
        "request": [hook(twin, received.append)],
        "response": [hook(twin, received.append)],
    }
    with twin.client(sdk.Configuration(host=server.url), event_hooks=hooks) as client:
        twin.api(client).get_api_auth_me()

    assert [(r.operation, r.attempt, type(r).__name__) for r in received] == [
        ("post_api_auth_token", 1, "AttemptRequest"),
        ("post_api_auth_token", 1, "AttemptResponse"),
        ("get_api_auth_me", 1, "AttemptRequest"),
        ("get_api_auth_me", 1, "AttemptResponse"),
    ]
    stored = store.load(server.url)
    assert stored is not None and stored.access_token != tokens.token  # refreshed
    secrets = [tokens.token, tokens.refresh_token, stored.access_token, stored.refresh_token]
    shown = repr(received) + str([dict(r.headers) for r in received])
    assert not [s for s in secrets if s and s in shown]


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\x00b"])
def test_a_header_with_a_line_break_from_a_hook_is_refused_before_it_is_sent(
    twin: Twin, value: str
) -> None:
    def inject(seen: sdk.AttemptRequest) -> None:
        seen.headers["X-Trace"] = value

    with (
        FaultyServer() as server,
        twin.client(configuration(server.url), event_hooks={"request": [inject]}) as client,
        pytest.raises(sdk.ApiValueError, match="'X-Trace' contains a line break") as e,
    ):
        twin.api(client).get_api_auth_me()
    assert value not in str(e.value)
    assert server.requests == []


class HookFailed(Exception):
    pass


def test_a_request_hook_that_raises_ends_the_call_with_its_exception(twin: Twin) -> None:
    failure = HookFailed("no")

    def fail(seen: sdk.AttemptRequest) -> None:
        raise failure

    with (
        FaultyServer() as server,
        twin.client(configuration(server.url), event_hooks={"request": [fail]}) as client,
        pytest.raises(HookFailed) as raised,
    ):
        twin.api(client).get_api_auth_me()
    assert raised.value is failure
    assert server.requests == []


@pytest.mark.parametrize("unread", [False, True], ids=["read", "unread"])
def test_a_response_hook_that_raises_ends_the_call_unretried(twin: Twin, unread: bool) -> None:
    def fail(seen: sdk.AttemptResponse) -> None:
        raise HookFailed(f"status {seen.status}")

    # A 503 would be retried; the hook's exception ends the call on the first one, and
    # the answer is closed, its connection given back: the pool's only connection serves
    # the next call (an unclosed one would also fail the test).
    with FaultyServer([Fault.status(503, {"Retry-After": "0"})], Fault.ok(USER)) as server:
        one = configuration(server.url, connection_pool_maxsize=1)
        with twin.client(one, event_hooks={"response": [fail]}) as client:
            api = twin.api(client)
            call = api.get_api_auth_me_without_preload_content if unread else api.get_api_auth_me
            with pytest.raises(HookFailed, match="status 503"):
                call()
            assert len(server.requests) == 1
            client.event_hooks = {}
            assert api.get_api_auth_me(_request_timeout=2).email == "a@example.com"


@on_time
def test_the_hooks_time_is_the_calls(twin: Twin) -> None:
    # Each attempt's hook takes 0.6 s of the call's 1 s: the first attempt is sent (a 503),
    # its retry's hook ends past the deadline, and the retry is never sent. The async
    # client cuts the awaited hook at the deadline; a sync hook ends when it returns.
    slow = hook(twin, lambda seen: None, pause=0.6)
    with (
        FaultyServer([Fault.status(503, {"Retry-After": "0"})], Fault.ok(USER)) as server,
        twin.client(configuration(server.url), event_hooks={"request": [slow]}) as client,
    ):
        started = time.monotonic()
        with pytest.raises(sdk.ApiTimeoutError, match="the 1 s deadline of the call passed"):
            twin.api(client).get_api_auth_me(_request_timeout=1)
        took = time.monotonic() - started
    assert len(server.requests) == 1
    no_later(took, (1.0 if twin.is_async else 1.2) + SLACK)


def test_event_hooks_are_shown_and_replaced_whole(twin: Twin) -> None:
    first: List[int] = []
    second: List[int] = []

    def one(seen: sdk.AttemptRequest) -> None:
        first.append(seen.attempt)

    def other(seen: sdk.AttemptRequest) -> None:
        second.append(seen.attempt)

    with (
        FaultyServer(default=Fault.ok(USER)) as server,
        twin.client(configuration(server.url), event_hooks={"request": [one]}) as client,
    ):
        assert client.event_hooks == {"request": [one], "response": []}
        client.event_hooks["request"].append(other)  # a copy: no effect
        twin.api(client).get_api_auth_me()
        client.event_hooks = {"request": [other]}
        twin.api(client).get_api_auth_me()
        client.event_hooks = {}
        assert client.event_hooks == {"request": [], "response": []}
        twin.api(client).get_api_auth_me()
    assert (first, second) == ([1], [1])


def test_a_copy_with_other_options_runs_the_hooks_of_its_client(twin: Twin) -> None:
    seen: List[str] = []

    def note(attempt: sdk.AttemptRequest) -> None:
        seen.append(attempt.operation)

    with (
        FaultyServer(default=Fault.ok(USER)) as server,
        twin.client(configuration(server.url), event_hooks={"request": [note]}) as client,
    ):
        copy = client.with_options(timeout=5)
        twin.api(copy).get_api_auth_me()
        copy.event_hooks = {}  # the copy's own: its client keeps its hooks
        twin.api(copy).get_api_auth_me()
        twin.api(client).get_api_auth_me()
    assert seen == ["get_api_auth_me", "get_api_auth_me"]
