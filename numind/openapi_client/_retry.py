"""The retry policy of every call: which failures are retried, and how long to wait."""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING, Any, Optional, Union

from urllib3.util.retry import Retry

from .exceptions import ApiTypeError, ApiValueError

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse

__all__ = ["DEFAULT_RETRIES", "RetryPolicy", "to_retry"]

logger = logging.getLogger("numind.openapi_client")

#: Retries of a call when ``Configuration.retries`` is not set.
DEFAULT_RETRIES = 2


class RetryPolicy(Retry):
    """urllib3's ``Retry`` with the SDK's defaults.

    - Connection errors (refused, DNS, connect timeout: the request was not sent) are
      retried for every method.
    - Read errors and the statuses 408, 429, 500, 502, 503, 504 are retried for GET, PUT
      and DELETE, which the API makes idempotent. POST is retried only on 429, which says
      the request was not processed.
    - TLS and proxy failures are not retried: they do not go away on their own.
    - Before retry n (1, 2, ...) it waits ``backoff_factor * 2**(n-1)`` plus up to
      ``backoff_jitter`` seconds, at most ``backoff_max`` (default 0.5 s, 1 s, ...); a
      ``Retry-After`` header (seconds or HTTP date) replaces that wait, capped at
      ``max_retry_after`` seconds.
    - The last answer is returned, not raised (``raise_on_status=False``), so that it
      becomes the typed ``ApiException`` of its status. Redirects are not followed.
    """

    DEFAULT_ALLOWED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    STATUS_FORCELIST = frozenset({408, 429, 500, 502, 503, 504})
    #: The statuses that say a POST was not processed, so that it can be sent again.
    POST_RETRY_STATUSES = frozenset({429})

    def __init__(
        self,
        total: Union[bool, int, None] = DEFAULT_RETRIES,
        *,
        other: Optional[int] = 0,
        status_forcelist: Any = STATUS_FORCELIST,
        backoff_factor: float = 0.5,
        backoff_max: float = 8.0,
        backoff_jitter: float = 0.25,
        raise_on_status: bool = False,
        redirect: Union[bool, int, None] = False,
        max_retry_after: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            total=total,
            other=other,
            status_forcelist=status_forcelist,
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            backoff_jitter=backoff_jitter,
            raise_on_status=raise_on_status,
            redirect=redirect,
            **kwargs,
        )
        self.max_retry_after = max_retry_after

    def new(self, **kw: Any) -> RetryPolicy:
        kw.setdefault("max_retry_after", self.max_retry_after)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return bool(self.total) and status_code in self.POST_RETRY_STATUSES
        return super().is_retry(method, status_code, has_retry_after)

    def get_backoff_time(self) -> float:
        # urllib3 waits 0 s before the first retry; a server that just failed gets
        # ``backoff_factor`` seconds first.
        failures = len(self.history)
        if failures == 0:
            return 0.0
        delay = self.backoff_factor * 2 ** (failures - 1) + random.random() * self.backoff_jitter
        return float(min(self.backoff_max, delay))

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def sleep(self, response: Optional[BaseHTTPResponse] = None) -> None:
        # urllib3 calls this once before each retry: the one place to log reason and delay.
        delay: Optional[float] = None
        if response is not None and self.respect_retry_after_header:
            delay = self.get_retry_after(response)
        if delay is None:
            delay = self.get_backoff_time()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "retry %d of %s in %.2f s after %s",
                len(self.history),
                self.history[-1].method if self.history else "?",
                delay,
                _reason(self),
            )
        if delay > 0:
            time.sleep(delay)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, backoff_factor={self.backoff_factor}, "
            f"backoff_max={self.backoff_max}, max_retry_after={self.max_retry_after})"
        )


def _reason(retry: Retry) -> str:
    if not retry.history:
        return "an unknown failure"
    last = retry.history[-1]
    where = f"{last.method} {last.url}"
    if last.error is not None:
        return f"{type(last.error).__name__} on {where}"
    return f"status {last.status} on {where}"


def to_retry(value: Union[int, Retry, None]) -> Retry:
    """The ``Retry`` for a ``Configuration.retries`` value (None: the default policy).

    An int is the number of retries (0 disables them); a ``Retry`` is used as given, except
    that the final answer is always returned (so that it becomes a typed ``ApiException``)
    and redirects are never followed (so that credentials never reach another host).
    """
    if value is None:
        return RetryPolicy()
    if isinstance(value, Retry):
        return value.new(raise_on_status=False, redirect=False)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiTypeError(
            f"Invalid retries {value!r}: give a number of retries (an int such as 2; 0 turns "
            "retries off) or a urllib3.Retry"
        )
    if value < 0:
        raise ApiValueError(
            f"Invalid retries {value!r}: give a number of retries >= 0 (0 turns retries off)"
        )
    return RetryPolicy(value)
