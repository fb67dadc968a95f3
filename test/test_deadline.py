"""One deadline per call: the default bound, pairs cut to the call's budget, an unread
answer handed over, and a 429 that slows every call of the client.

The fault-by-fault cases (a silent server, slow or trickled headers and bodies, a 503
storm, a long Retry-After, refused connections, an empty pool, a silent token endpoint, a
held credential lock) are the deadline scenarios of fault_scenarios.py, run by
test_faults.py.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from fault_scenarios import SLACK, USER
from faulty_server import Fault, FaultyServer
from timing import Late, no_later, on_time
from twin import Twin

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk
from numind.openapi_client import _deadline


@on_time
def test_with_nothing_set_a_call_ends_within_the_default_call_timeout(
    monkeypatch: pytest.MonkeyPatch, twin: Twin
) -> None:
    # The default is 60 s; the same path with a default of 1 s shows that it applies.
    monkeypatch.setattr(_deadline, "DEFAULT_CALL_TIMEOUT", 1.0)
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")
        with twin.client(configuration) as client:
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError, match="the 1 s deadline of the call passed"):
                twin.api(client).get_api_auth_me()
            took = time.monotonic() - started
            assert took >= 1.0
            no_later(took, 1.0 + SLACK)
    assert len(server.requests) == 1  # a read timeout of 20 s was cut to the 1 s left


@on_time
def test_a_pair_is_cut_to_what_is_left_of_the_call(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", timeout=(5, 5), call_timeout=1
        )
        with twin.client(configuration) as client:
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError, match="the 1 s deadline"):
                twin.api(client).get_api_auth_me()
            no_later(time.monotonic() - started, 1.0 + SLACK)
    assert len(server.requests) == 1


def test_each_wait_for_data_has_the_read_timeout_of_its_own(twin: Twin) -> None:
    # Six pieces 0.15 s apart: each within the 0.4 s read timeout, all of them in 0.9 s.
    with FaultyServer([Fault.drip_body(USER, 6, 0.15)]) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", timeout=(2, 0.4), call_timeout=5
        )
        with twin.client(configuration) as client:
            started = time.monotonic()
            assert twin.api(client).get_api_auth_me().email == "a@example.com"
            assert time.monotonic() - started > 0.8
    assert len(server.requests) == 1


def test_an_unread_answer_is_the_callers_to_read_after_the_deadline(twin: Twin) -> None:
    with FaultyServer([Fault.stall_body(USER, 5, 0.8)]) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")
        with twin.client(configuration) as client:
            api = twin.api(client)
            response = api.get_api_auth_me_without_preload_content(_request_timeout=0.5)
            # The call ended with the headers; the body arrives 0.8 s later, after the
            # call's deadline, and is still read whole.
            assert response.read() == USER
            response.release_conn()


@on_time
def test_a_429_slows_every_thread_and_task_of_the_client(twin: Twin) -> None:
    workers, calls = 16, 10  # threads of the sync client, tasks of the async one
    server = FaultyServer([Fault.status(429, {"Retry-After": "1"})], default=Fault.ok(USER))
    errors: list[BaseException] = []
    with server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", connection_pool_maxsize=workers
        )
        with twin.client(configuration) as client:
            if twin.is_async:
                api = async_sdk.AuthenticationApi(client.target)

                async def task() -> None:
                    for _ in range(calls):
                        assert (await api.get_api_auth_me()).email == "a@example.com"

                async def tasks() -> None:
                    results = await asyncio.gather(
                        *(task() for _ in range(workers)), return_exceptions=True
                    )
                    errors.extend(r for r in results if isinstance(r, BaseException))

                client.loop.run_until_complete(tasks())
            else:
                sync_api = twin.api(client)
                barrier = threading.Barrier(workers)

                def work() -> None:
                    barrier.wait()
                    try:
                        for _ in range(calls):
                            assert sync_api.get_api_auth_me().email == "a@example.com"
                    except BaseException as exc:
                        errors.append(exc)

                threads = [threading.Thread(target=work) for _ in range(workers)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(30)
    assert errors == []
    assert len(server.requests) == workers * calls + 1  # every call, and the one 429
    first = server.arrivals[0]
    # Requests already on their way when the 429 arrived may land just after it; then
    # nothing, until the second that the server asked for has passed.
    during = [t - first for t in server.arrivals if first + 0.1 < t < first + 1.0]
    if during:  # late on their way (a loaded machine), or sent into the rate limit
        raise Late(f"{len(during)} requests sent into the rate limit: {during}")


@on_time
def test_a_call_whose_deadline_ends_before_the_cool_down_is_not_sent(twin: Twin) -> None:
    with FaultyServer([Fault.status(429, {"Retry-After": "3"})], default=Fault.ok(USER)) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", retries=0)
        with twin.client(configuration) as client:
            api = twin.api(client)
            with pytest.raises(sdk.TooManyRequestsException):
                api.get_api_auth_me()  # the 429 itself: no retry allowed
            started = time.monotonic()
            with pytest.raises(sdk.TooManyRequestsException) as caught:
                api.get_api_auth_me(_request_timeout=1)
            no_later(time.monotonic() - started, 0.1)  # no wait that cannot help
    assert len(server.requests) == 1
    error = caught.value
    assert error.status == 429
    assert error.headers is not None and error.headers["Retry-After"] == "3"
    assert error.url is not None and error.url.endswith("/api/auth/me")
    assert "not sent: the server asked this client to wait" in str(error)
    assert "past the 1 s deadline" in str(error)
