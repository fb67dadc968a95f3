"""The asyncio helpers of the shared parts (a stored login's refresh, the async transport):
a deadline as a cancellation scope, and a blocking wait run in a thread. No aiohttp here;
loaded only by the async client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, TypeVar

if sys.version_info >= (3, 11):
    from asyncio import timeout_at as _timeout_at
else:  # the package asyncio's own was made from
    from async_timeout import timeout_at as _timeout_at

if TYPE_CHECKING:
    from ._deadline import Deadline

__all__ = ["WAIT_ENDS_EARLY", "run_in_thread", "timeout_at", "within_deadline"]

#: Seconds before a call's deadline that a wait inside the call ends, so that its own
#: error (the lock it waited for, the refresh it was sending) is the one raised rather
#: than the call's.
WAIT_ENDS_EARLY = 0.01

T = TypeVar("T")

_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
_executor_lock = threading.Lock()


def timeout_at(deadline: Optional[Deadline], early: float = 0.0) -> Any:
    """An ``async with`` scope that cancels what runs in it when ``deadline`` passes (or
    ``early`` seconds before), and then raises ``asyncio.TimeoutError``."""
    if deadline is None:
        return _timeout_at(None)
    loop = asyncio.get_running_loop()
    return _timeout_at(loop.time() + deadline.remaining() - early)


async def within_deadline(
    awaitable: Awaitable[T], deadline: Deadline, late: Callable[[], BaseException]
) -> T:
    """Await the user's ``awaitable`` (a token provider's, an event hook's), cancelled when
    the call's ``deadline`` passes; then ``late()`` is raised. A timeout of its own, before
    the deadline, is raised as it is."""
    try:
        async with timeout_at(deadline):
            return await awaitable
    except asyncio.TimeoutError:
        if deadline.remaining() > 0:
            raise
        raise late() from None


async def run_in_thread(
    fn: Callable[[], T],
    undo: Optional[Callable[[T], object]] = None,
    *,
    own_thread: bool = False,
) -> T:
    """Run the blocking ``fn`` in a thread, without blocking the event loop.

    If the awaiting task is cancelled (its deadline, or its caller) while ``fn`` still runs,
    ``undo(result)`` runs once ``fn`` has returned: a lock taken after its waiter gave up is
    given back, not kept forever. ``own_thread``: in a thread of its own, which ends with
    ``fn`` (for a lock that a thread holds, so that no other work of that thread sees it
    as its own).
    """
    future = _start_thread(fn) if own_thread else _threads().submit(fn)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if undo is not None:
            settle = undo

            def settled(done: concurrent.futures.Future[T]) -> None:
                if not done.cancelled() and done.exception() is None:
                    settle(done.result())

            future.add_done_callback(settled)
        raise


def _start_thread(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return  # cancelled before it began: nothing to undo
        try:
            future.set_result(fn())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name="numind-lock", daemon=True).start()
    return future


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # A few: only the waits of refreshes run here, and they are rare.
            _executor = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="numind-wait")
        return _executor
