"""The asyncio helpers of a stored login's refresh (``_aio``, no aiohttp): a blocking wait
run in a thread without blocking the event loop, and given back if its waiter gave up."""

from __future__ import annotations

import asyncio
import threading
from typing import List

import pytest

from numind.openapi_client import _aio


def test_a_blocking_call_runs_in_a_thread_of_its_own_and_its_result_comes_back() -> None:
    threads: List[str] = []

    def blocking() -> int:
        threads.append(threading.current_thread().name)
        return 42

    assert asyncio.run(_aio.run_in_thread(blocking, own_thread=True)) == 42
    assert threads == ["numind-lock"]


def test_the_error_of_a_call_in_its_own_thread_is_raised_to_the_awaiting_task() -> None:
    def failing() -> None:
        raise TimeoutError("the lock is held elsewhere")

    with pytest.raises(TimeoutError, match="the lock is held elsewhere"):
        asyncio.run(_aio.run_in_thread(failing, own_thread=True))


@pytest.mark.parametrize("own_thread", [False, True])
def test_what_a_cancelled_wait_took_afterwards_is_given_back(own_thread: bool) -> None:
    started, release, undone = threading.Event(), threading.Event(), threading.Event()
    given_back: List[str] = []

    def take_lock() -> str:
        started.set()
        release.wait(5)
        return "lock"

    def give_back(lock: str) -> None:
        given_back.append(lock)
        undone.set()

    async def waiter_gives_up() -> None:
        task = asyncio.ensure_future(
            _aio.run_in_thread(take_lock, give_back, own_thread=own_thread)
        )
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(waiter_gives_up())
    assert given_back == []  # not before the call has returned
    release.set()
    assert undone.wait(5)
    assert given_back == ["lock"]


def test_a_call_that_failed_after_its_waiter_gave_up_has_nothing_to_give_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, release = threading.Event(), threading.Event()
    threads: List[threading.Thread] = []
    given_back: List[object] = []

    def failing() -> str:
        threads.append(threading.current_thread())
        started.set()
        release.wait(5)
        raise OSError("no lock")

    async def waiter_gives_up() -> None:
        task = asyncio.ensure_future(
            _aio.run_in_thread(failing, given_back.append, own_thread=True)
        )
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(waiter_gives_up())
    release.set()
    threads[0].join(5)  # the thread ends once the call's outcome (and its callbacks) is in
    assert not threads[0].is_alive()
    assert given_back == []
    # Nor is its error logged as one of a callback ("exception calling callback for ...").
    assert [r.getMessage() for r in caplog.records if r.name == "concurrent.futures"] == []


def test_no_deadline_is_a_scope_that_never_times_out() -> None:
    async def within() -> str:
        async with _aio.timeout_at(None):
            await asyncio.sleep(0)
        return "done"

    assert asyncio.run(within()) == "done"
