"""Upper bounds on time, which a loaded machine can miss by waking a thread late.

``no_later(seconds, limit)`` raises ``Late`` when a bound is missed, and a test decorated
with ``@on_time`` runs again when it was late, at most twice: every assertion still holds
on the run that passes. Any other failure fails at once, and a client that misses a bound
by itself misses it on every run. (A lower bound, a wait that must happen, is no
``Late``: a loaded machine makes nothing early.)
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

#: How many times a late test runs in all.
RUNS = 3

F = TypeVar("F", bound=Callable[..., Any])


class Late(AssertionError):
    """An upper bound on time was missed."""


def no_later(seconds: float, limit: float, what: str = "the call") -> None:
    """``seconds`` (what ``what`` took) must not pass ``limit``."""
    if seconds > limit:
        raise Late(f"{what} took {seconds:.3f} s, more than {limit:g} s")


def on_time(test: F) -> F:
    """Run ``test`` again when it raised ``Late``, up to ``RUNS`` runs in all."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, RUNS + 1):
            try:
                return test(*args, **kwargs)
            except Late:
                if attempt == RUNS:
                    raise

    return run  # type: ignore[return-value]
