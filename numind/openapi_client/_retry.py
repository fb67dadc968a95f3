"""The retry policy of every call: which failures are retried, and how long to wait."""

from __future__ import annotations

import inspect
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Collection, Dict, Optional, Union

from urllib3.exceptions import InvalidHeader
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

    - Connection errors (refused, DNS, connect timeout, a proxy that cannot be reached: the
      request was not sent) are retried for every method.
    - Read errors and the statuses 408, 429, 500, 502, 503, 504 are retried for GET, PUT
      and DELETE (``allowed_methods``), which the API makes idempotent. POST is retried
      only on 429, which says the request was not processed, whatever ``allowed_methods``
      says.
    - TLS failures and a proxy that refuses the tunnel are not retried (``other=0``): they
      do not go away on their own.
    - Before retry n (1, 2, ...) it waits ``backoff_factor * 2**(n-1)`` plus up to
      ``backoff_jitter`` seconds, at most ``backoff_max`` (default 0.5 s, 1 s, ...); a
      ``Retry-After`` header (seconds or HTTP date) replaces that wait, capped at
      ``max_retry_after`` seconds; an unreadable ``Retry-After`` is ignored.
    - The last answer is returned, not raised (``raise_on_status=False``), so that it
      becomes the typed ``ApiException`` of its status. Redirects are not followed.
    """

    #: The methods retried after a read error or a status of ``STATUS_FORCELIST``.
    ALLOWED_METHODS = frozenset({"GET", "PUT", "DELETE"})
    STATUS_FORCELIST = frozenset({408, 429, 500, 502, 503, 504})
    #: The statuses that say a POST was not processed, so that it can be sent again.
    POST_RETRY_STATUSES = frozenset({429})

    def __init__(
        self,
        total: Union[bool, int, None] = DEFAULT_RETRIES,
        *,
        other: Optional[int] = 0,
        allowed_methods: Optional[Collection[str]] = ALLOWED_METHODS,
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
            allowed_methods=allowed_methods,
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

    def _is_method_retryable(self, method: str) -> bool:
        # A POST that may have been processed is never sent again (see is_retry for 429).
        return method.upper() != "POST" and super()._is_method_retryable(method)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() != "POST":
            return super().is_retry(method, status_code, has_retry_after)
        if status_code not in self.POST_RETRY_STATUSES:
            return False
        # The rest of urllib3's rule, without its method check.
        if self.status_forcelist and status_code in self.status_forcelist:
            return True
        return bool(self.total and self.respect_retry_after_header and has_retry_after)

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

    def get_retry_after(self, response: BaseHTTPResponse) -> Optional[float]:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            # ``Retry-After: soon``: the answer is still retried, after the usual backoff.
            return None

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


#: The settings of a ``Retry`` (the arguments of its constructor, kept as attributes).
_RETRY_SETTINGS = tuple(
    name for name in inspect.signature(Retry.__init__).parameters if name not in ("self", "history")
)


def to_retry(value: Union[int, Retry, None]) -> Retry:
    """The ``Retry`` for a ``Configuration.retries`` value (None: the default policy).

    An int is the number of retries (0 disables them). A plain ``urllib3.Retry`` becomes a
    ``RetryPolicy`` with its settings, so that its retries are logged and POST is retried
    only on 429; urllib3's default ``allowed_methods`` become ``RetryPolicy.ALLOWED_METHODS``
    and ``other`` left unset becomes 0 (TLS failures are not retried). A ``RetryPolicy``, or
    another subclass of ``Retry``, keeps its settings and rules. Either way the final answer
    is returned (so that it becomes a typed ``ApiException``) and redirects are never
    followed (so that credentials never reach another host).
    """
    if value is None:
        return RetryPolicy()
    if type(value) is Retry:
        settings: Dict[str, Any] = {name: getattr(value, name) for name in _RETRY_SETTINGS}
        if value.allowed_methods is Retry.DEFAULT_ALLOWED_METHODS:
            settings["allowed_methods"] = RetryPolicy.ALLOWED_METHODS
        if value.other is None:
            settings["other"] = 0
        settings.update(raise_on_status=False, redirect=False)
        return RetryPolicy(**settings)
    if isinstance(value, Retry):
        return value.new(raise_on_status=False, redirect=False)
    if isinstance(value, bool) or not isinstance(value, int):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ApiTypeError(
            f"Invalid retries {value!r}: give a number of retries (an int such as 2; 0 turns "
            "retries off) or a urllib3.Retry"
        )
    if value < 0:
        raise ApiValueError(
            f"Invalid retries {value!r}: give a number of retries >= 0 (0 turns retries off)"
        )
    return RetryPolicy(value)
