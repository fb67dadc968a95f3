"""The asyncio helpers of the shared parts (a stored login's refresh, the async driver):
a deadline as a cancellation scope, one timer that bounds every attempt of a loop, and a
blocking wait run in a thread. No aiohttp here; loaded only by the async client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, Set, TypeVar

if sys.version_info >= (3, 11):
    from asyncio import timeout_at as _timeout_at
else:  # the package asyncio's own was made from
    from async_timeout import timeout_at as _timeout_at

if TYPE_CHECKING:
    from ._deadline import Deadline

__all__ = ["WAIT_ENDS_EARLY", "Watch", "Watchdog", "run_in_thread", "timeout_at"]

#: Seconds before a call's deadline that a wait inside the call ends, so that its own
#: error (the lock it waited for, the refresh it was sending) is the one raised rather
#: than the call's.
WAIT_ENDS_EARLY = 0.01

T = TypeVar("T")

_NOT_DUE = float("inf")

_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
_executor_lock = threading.Lock()


def timeout_at(deadline: Optional[Deadline], early: float = 0.0) -> Any:
    """An ``async with`` scope that cancels what runs in it when ``deadline`` passes (or
    ``early`` seconds before), and then raises ``asyncio.TimeoutError``."""
    if deadline is None:
        return _timeout_at(None)
    loop = asyncio.get_running_loop()
    return _timeout_at(loop.time() + deadline.remaining() - early)


class Watch:
    """The bound of one attempt's waits, kept by its loop's ``Watchdog``: while armed, the
    task that made it is cancelled at ``due`` (never later than ``deadline_at``)."""

    __slots__ = (
        "_armed",
        "_cancelling",
        "_dog",
        "_task",
        "deadline_at",
        "due",
        "fired",
        "read_timeout",
    )

    def __init__(self, dog: Watchdog, deadline_at: float, read_timeout: float) -> None:
        """A watch of the running task's attempt, armed until the deadline."""
        task = asyncio.current_task(dog.loop)
        assert task is not None, "a watched attempt runs in a task"
        self._dog = dog
        self._armed = dog.armed
        self._task = task
        self._cancelling = 0  # before 3.11 a task cannot take a cancellation back
        if sys.version_info >= (3, 11):
            self._cancelling = task.cancelling()
        self.deadline_at = deadline_at  # in loop time
        self.read_timeout = read_timeout
        self.fired = False
        # Armed: the wait for a connection may last until the deadline.
        self.due = deadline_at
        self._armed.add(self)
        if deadline_at < dog.timer_at:
            dog.wake_at(deadline_at)

    def wait_for_data(self) -> None:
        """Arm: the wait for data now begun may last the read timeout (or until the
        deadline, if sooner). Each wait is bounded on its own, as a socket's read timeout."""
        dog = self._dog
        due = dog.loop.time() + self.read_timeout
        if due > self.deadline_at:
            due = self.deadline_at
        self.due = due
        self._armed.add(self)
        if due < dog.timer_at:  # else the timer rings sooner, and finds it not yet due
            dog.wake_at(due)

    def disarm(self) -> None:
        """No wait of the attempt is under way: nothing to cancel."""
        self._armed.discard(self)

    def took_back(self) -> bool:
        """Whether the ``CancelledError`` being handled was this watch's: then the task's
        cancellation is taken back, and the attempt timed out (``what_passed``). False when
        the task was (also) cancelled by someone else: that cancellation stands."""
        if not self.fired:
            return False
        self.fired = False
        if sys.version_info >= (3, 11):
            return self._task.uncancel() <= self._cancelling
        return True

    def what_passed(self) -> str:
        """What ended the wait: ``read timeout``, or ``deadline``."""
        return "deadline" if self.due >= self.deadline_at else "read timeout"


class Watchdog:
    """Bounds the waits of every attempt of one event loop with a single timer.

    An asyncio timer costs more than the rest of a short call's bookkeeping (made, pushed
    on the loop's heap, cancelled, swept), and a call needs one for its deadline and one
    per wait for data. Here a call only notes when its wait is due; the one timer is set
    for the soonest, and moved only when a wait is due sooner than it. When it rings, the
    tasks whose waits are due are cancelled, and it is set for the next.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.armed: Set[Watch] = set()
        self.timer_at = _NOT_DUE
        self._timer: Optional[asyncio.TimerHandle] = None

    def wake_at(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.timer_at = when
        self._timer = self.loop.call_at(when, self._ring)

    def _ring(self) -> None:
        self._timer, self.timer_at = None, _NOT_DUE
        now = self.loop.time()
        soonest = _NOT_DUE
        for watch in list(self.armed):
            if watch.due <= now:
                self.armed.discard(watch)
                watch.fired = True
                watch._task.cancel()  # pyright: ignore[reportPrivateUsage]
            elif watch.due < soonest:
                soonest = watch.due
        if soonest < _NOT_DUE:
            self.wake_at(soonest)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self.timer_at = None, _NOT_DUE
        self.armed.clear()


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
