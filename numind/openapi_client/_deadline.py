"""Deadline arithmetic: what a timeout setting means for one call and for each attempt.

A number of seconds bounds the whole call: every attempt, every wait before a retry, a
token refresh the call needs and the wait for the credential file's lock. A
``(connect, read)`` pair or a ``urllib3.Timeout`` bounds each attempt, as in generated
clients, and the call as a whole is bounded by ``Configuration.call_timeout``. Either
way each attempt's connect and read timeouts are cut to what is left of the call.

Pure: no I/O; both clients use it.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Optional, Union

import urllib3

from ._types import RequestTimeout
from .exceptions import ApiValueError

__all__ = [
    "DEFAULT_CALL_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "Deadline",
    "TimeoutSetting",
    "parse_timeout",
]

#: Each attempt, when no pair or ``urllib3.Timeout`` says otherwise: a dead host is
#: noticed within 10 s (a TLS handshake on a slow link takes a few), and an answer may take
#: 20 s (this API answers in well under a second), so that even a server that hangs gets
#: three attempts within the call's 60 s.
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=20.0)
#: The whole call, when no number of seconds is given: whatever the server does.
DEFAULT_CALL_TIMEOUT = 60.0
#: The clock of deadlines (``time.monotonic``); unit tests put a fake one here.
_clock = time.monotonic


class Deadline:
    """The moment (``time.monotonic()``) by which a call must end."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = _clock() + seconds

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - _clock()

    def lift(self) -> None:
        """End the deadline's hold: the call is over, and what remains is the caller's."""
        self.at = float("inf")

    def describe(self) -> str:
        """``the 2 s deadline``, for messages."""
        return f"the {self.seconds:g} s deadline"

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.remaining():.3f} s left)"


class TimeoutSetting(NamedTuple):
    """A checked timeout value: each attempt's timeout, and the call's total if it sets one."""

    attempt: urllib3.Timeout
    #: Seconds for the whole call, or None to take ``Configuration.call_timeout``.
    total: Optional[float]
    #: The value as the user gave it (a number stays a number), for display.
    given: Union[float, urllib3.Timeout, None]
    #: The longest an attempt may take (its total, or connect + read): the longest wait for
    #: a pooled connection that it is worth.
    longest_attempt: float
    #: The longest wait for data of an attempt (its read, or its total).
    longest_read: float

    @classmethod
    def of(
        cls,
        attempt: urllib3.Timeout,
        total: Optional[float] = None,
        given: Union[float, urllib3.Timeout, None] = None,
    ) -> TimeoutSetting:
        # What urllib3 would allow a read just after connecting: the read part, or the total.
        started = attempt.clone()
        started.start_connect()
        read = started.read_timeout
        longest = _longest_attempt(attempt)
        return cls(attempt, total, given, longest, float(read) if _is_seconds(read) else longest)  # type: ignore[arg-type]

    def deadline(self, call_timeout: Optional[float]) -> Deadline:
        """The deadline of a call that starts now under this setting."""
        if self.total is not None:
            return Deadline(self.total)
        return Deadline(DEFAULT_CALL_TIMEOUT if call_timeout is None else call_timeout)


def parse_timeout(value: RequestTimeout, name: str = "_request_timeout") -> TimeoutSetting:
    """Check a timeout value; raises ``ApiValueError`` that names it and the forms it takes.

    A ``urllib3.Timeout`` without ``total`` gets the part it leaves unset (or None) from
    ``DEFAULT_TIMEOUT``, so that no wait of an attempt is unbounded.
    """
    if value is None:
        return _DEFAULT_SETTING
    if _is_seconds(value) and value > 0:  # type: ignore[operator]
        return TimeoutSetting.of(DEFAULT_TIMEOUT, float(value), float(value))  # type: ignore[arg-type]
    if isinstance(value, urllib3.Timeout):
        attempt = _bounded(value)
        return TimeoutSetting.of(attempt, None, attempt)
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(_is_seconds(part) and part > 0 for part in value)
    ):
        attempt = urllib3.Timeout(connect=value[0], read=value[1])
        return TimeoutSetting.of(attempt, None, attempt)
    raise ApiValueError(
        f"Invalid {name} {value!r}: give seconds > 0 for the whole call (e.g. 5), a "
        "(connect, read) pair of seconds for each attempt such as (3.05, 27), or a "
        "urllib3.Timeout"
    )


def check_call_timeout(value: Optional[float]) -> Optional[float]:
    """Check ``Configuration.call_timeout``: seconds > 0, or None for the default."""
    if value is None:
        return None
    if _is_seconds(value) and value > 0:
        return float(value)
    raise ApiValueError(
        f"Invalid call_timeout {value!r}: give the most seconds a whole call may take "
        f"(> 0, e.g. 30), or None for the default {DEFAULT_CALL_TIMEOUT:g} s"
    )


def _longest_attempt(timeout: urllib3.Timeout) -> float:
    if _is_seconds(timeout.total):
        return float(timeout.total)  # type: ignore[arg-type]
    return float(timeout.connect_timeout) + float(timeout.read_timeout)  # type: ignore[arg-type]


def _bounded(timeout: urllib3.Timeout) -> urllib3.Timeout:
    if _is_seconds(timeout.total):
        return timeout  # bounds connect and read
    connect, read = timeout.connect_timeout, timeout.read_timeout
    if _is_seconds(connect) and _is_seconds(read):
        return timeout
    return urllib3.Timeout(
        connect=connect if _is_seconds(connect) else DEFAULT_TIMEOUT.connect_timeout,
        read=read if _is_seconds(read) else DEFAULT_TIMEOUT.read_timeout,
    )


def _is_seconds(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_DEFAULT_SETTING = TimeoutSetting.of(DEFAULT_TIMEOUT)
