"""Retries, decided in one place for both clients: which failures are retried, how long
to wait first, and whether the call's deadline leaves time for it.

- ``RetryPolicy`` (a ``urllib3.Retry``) holds the rules; a user's own ``Retry`` works too.
- ``CallRetries`` applies a policy to one call: after each attempt it says whether to
  retry and after which wait, and gives up, saying why, when the wait would pass the
  deadline.
- ``CoolDowns`` is the client-wide memory of ``429`` answers with ``Retry-After``: every
  call of the client to that origin waits out the same cool-down before it sends.

Pure: the drivers send the attempts and sleep their own way (``time.sleep`` or
``asyncio.sleep``).
"""

from __future__ import annotations

import inspect
import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Collection, Dict, Mapping, Optional, Tuple, Union

from urllib3.exceptions import (
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from ._redact import redact_url
from .exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTypeError,
    ApiValueError,
    TooManyRequestsException,
)

if TYPE_CHECKING:
    from typing_extensions import Protocol

    from ._deadline import Deadline

    class RetryableResponse(Protocol):
        """What the policy reads of an answer (urllib3's response, or a driver's)."""

        @property
        def status(self) -> int: ...
        @property
        def headers(self) -> Mapping[str, str]: ...
        def get_redirect_location(self) -> Union[str, bool, None]: ...

    class WaitObserver(Protocol):
        """Told of each wait of a call's retry loop before it begins (``_tracing`` makes it
        an event of the call's span). Called only on a retry or a cool-down, never on a
        call's usual path."""

        def waited(self, name: str, attributes: Dict[str, Any]) -> None: ...


__all__ = [
    "DEFAULT_RETRIES",
    "CallRetries",
    "CoolDowns",
    "RetryPolicy",
    "to_retry",
]

logger = logging.getLogger("numind.openapi_client")

#: The clock of cool-downs (``time.monotonic``) and the jitter of backoffs
#: (``random.random``); unit tests put fakes here.
_clock = time.monotonic
_jitter = random.random
_COOL_DOWN = "a 429 answer asked this client to wait (Retry-After)"


#: Retries of a call when ``Configuration.retries`` is not set.
DEFAULT_RETRIES = 2

#: The errors of an attempt that was sent and may have been processed, its answer lost
#: (urllib3's read errors: a reset or a timeout after the request was written).
MAYBE_PROCESSED_ERRORS = (ReadTimeoutError, ProtocolError)
#: The statuses of a gateway that passed the request on and lost the answer: it may have
#: been processed too.
MAYBE_PROCESSED_STATUSES = frozenset({502, 504})
#: The note of a call that failed after an attempt that may have been processed.
MAYBE_PROCESSED_NOTE = "an earlier attempt may have been processed"


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
        delay = self.backoff_factor * 2 ** (failures - 1) + _jitter() * self.backoff_jitter
        return float(min(self.backoff_max, delay))

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def get_retry_after(self, response: Any) -> Optional[float]:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            # ``Retry-After: soon``: the answer is still retried, after the usual backoff.
            return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, backoff_factor={self.backoff_factor}, "
            f"backoff_max={self.backoff_max}, max_retry_after={self.max_retry_after})"
        )


def _reason(retry: Retry) -> str:
    if not retry.history:
        return "an unknown failure"
    last = retry.history[-1]
    where = f"{last.method} {redact_url(last.url or '')}"
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
        if not isinstance(value, RetryPolicy) and _retries_post(value.allowed_methods):
            raise ApiValueError(
                f"Invalid retries {value!r}: its allowed_methods="
                f"{_shown_methods(value.allowed_methods)} would send a POST again that may "
                "have been processed (a second API key, say). Give allowed_methods without "
                "POST, such as RetryPolicy.ALLOWED_METHODS, or subclass RetryPolicy, which "
                "retries a POST only on 429"
            )
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


def _retries_post(allowed_methods: Optional[Collection[str]]) -> bool:
    """Whether a ``Retry`` with these ``allowed_methods`` retries a POST on a read error or
    a status (None: every method)."""
    if allowed_methods is None:
        return True
    return any(method.upper() == "POST" for method in allowed_methods)


def _shown_methods(allowed_methods: Optional[Collection[str]]) -> str:
    if allowed_methods is None:
        return "None (every method)"
    return repr(sorted(allowed_methods))


#: ``Retry-After`` longer than this is cut to it, for a policy that sets no cap of its own.
MAX_RETRY_AFTER = 30.0


class CoolDowns:
    """The waits that ``429`` answers with ``Retry-After`` asked of one client, per origin.

    A rate limit answers the client, not one call: once one call hears it, every call of
    the client (every thread, every task) waits it out before its next attempt to that
    origin, instead of each finding it out on its own by sending into it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: origin -> (end, as time.monotonic(); the 429 answer that asked for it). Read
        #: without the lock before every attempt: empty, the usual case, says no cool-down.
        self.until: Dict[str, Tuple[float, Any]] = {}

    def start(self, origin: str, seconds: float, response: Any) -> None:
        """``response`` (a 429) asked this client to wait ``seconds`` before it sends again."""
        until = _clock() + seconds
        with self._lock:
            current = self.until.get(origin)
            if current is None or current[0] < until:
                self.until[origin] = (until, response)

    def remaining(self, origin: str) -> Tuple[float, Any]:
        """Seconds left of the cool-down of ``origin`` (0 when none) and the 429 that asked."""
        entry = self.until.get(origin)
        if entry is None:
            return 0.0, None
        left = entry[0] - _clock()
        if left > 0:
            return left, entry[1]
        with self._lock:
            if self.until.get(origin) is entry:
                del self.until[origin]
        return 0.0, None


class CallRetries:
    """The retries of one call: ``policy`` says whether and when, ``deadline`` whether there
    is time for it.

    The driver sends an attempt, then asks ``after_error`` or ``after_response`` what it
    means: a wait (seconds) before the next attempt, or the end of the call (the error is
    raised; ``None`` says the answer is final). ``before_attempt`` is the wait for a
    client-wide cool-down. A wait that would pass the deadline is not begun: the call ends
    at once with its last error, whose ``retry_note`` says why (``gave up: the next retry
    was due after the 2 s deadline``).

    After an attempt that may have been processed (``maybe_processed``), a ``404`` to a
    DELETE is the call's success, and a failure's note says so.
    """

    #: An attempt was sent and may have been processed, its answer lost (a read error, a 502
    #: or 504): a DELETE answered 404 since succeeded, and a failure says so. A class
    #: default, set on the instance only then, so that a call's setup does no more work.
    maybe_processed = False

    def __init__(
        self,
        policy: Retry,
        deadline: Deadline,
        method: str,
        url: str,
        cool_downs: CoolDowns,
        observer: Optional[WaitObserver] = None,
    ) -> None:
        self.policy = policy
        self.observer = observer
        self.deadline = deadline
        self.method = method
        self.url = url
        self.cool_downs = cool_downs
        self.retries = 0
        #: Under ``RetryPolicy`` itself a success is never retried nor a cool-down.
        self._usual = type(policy) is RetryPolicy

    @property
    def _origin(self) -> str:
        return _split_origin(self.url)[0]

    @property
    def _path(self) -> str:
        return _split_origin(self.url)[1]

    def before_attempt(self) -> float:
        """Seconds to wait before sending, for a cool-down that a 429 asked of this client.

        Raises ``TooManyRequestsException`` (nothing is sent) when the cool-down ends after
        the deadline.
        """
        if not self.cool_downs.until:  # the usual case: no cool-down anywhere
            return 0.0
        left, asked_by = self.cool_downs.remaining(self._origin)
        if left <= 0:
            return 0.0
        if left >= self.deadline.remaining():
            raise self._cooling_down(asked_by, left)
        if self.observer is not None:
            self.observer.waited(
                "numind.cool_down", {"numind.wait.seconds": left, "numind.wait.reason": _COOL_DOWN}
            )
        return left

    def after_error(self, error: ApiConnectionError) -> float:
        """The wait before retrying after ``error``; raises ``error`` when it is not retried."""
        cause = _policy_error(error)
        try:
            self.policy = self.policy.increment(self.method, self._path, error=cause)
        except Exception:  # MaxRetryError, or the error itself: this one is not retried
            error.retry_note = self._exhausted()
            raise error from error.__cause__
        wait = self._wait(self.policy.get_backoff_time())
        if wait is None:
            # An attempt that ran into the deadline says so itself.
            if self.deadline.remaining() > 0:
                error.retry_note = self._past_deadline()
            raise error from error.__cause__
        if isinstance(cause, MAYBE_PROCESSED_ERRORS):
            self.maybe_processed = True
        return wait

    def after_response(self, response: Any) -> Optional[float]:
        """The wait before retrying after ``response``; None when it is the call's answer.

        A final answer that ends the retries gets a ``retry_note`` (read by the
        ``ApiException`` it becomes).
        """
        status = response.status
        if status < 300 and self._usual:
            return None  # the usual answer: a success under the SDK's own rules
        if status == 404 and self.maybe_processed and self.method.upper() == "DELETE":
            self._deleted_before(response)
            return None
        headers = response.headers
        retry_after = None
        if headers.get("Retry-After") and self.policy.respect_retry_after_header:
            retry_after = self._retry_after(response)
            if status == 429 and retry_after is not None:
                self.cool_downs.start(self._origin, retry_after, response)
        if not self.policy.is_retry(self.method, status, bool(headers.get("Retry-After"))):
            if self.retries:
                response.retry_note = self._exhausted()
            return None
        try:
            self.policy = self.policy.increment(self.method, self._path, response=response)
        except MaxRetryError:
            response.retry_note = self._exhausted()
            return None
        wait = self._wait(self.policy.get_backoff_time() if retry_after is None else retry_after)
        if wait is None:
            response.retry_note = self._past_deadline(retry_after)
        elif status in MAYBE_PROCESSED_STATUSES:
            self.maybe_processed = True
        return wait

    def _deleted_before(self, response: Any) -> None:
        """A 404 to the retry of a DELETE whose earlier attempt may have been processed: that
        attempt deleted it, and the call succeeds (204, no content)."""
        note = f"404 on retry {self.retries}: an earlier attempt, its answer lost, deleted it"
        logger.info("%s %s succeeded: %s", self.method, redact_url(self._path), note)
        response.status, response.reason, response.retry_note = 204, "No Content", note

    # -- the arithmetic -----------------------------------------------------------------

    def _wait(self, delay: float) -> Optional[float]:
        """``delay``, or the client's cool-down if longer; None when it ends past the deadline."""
        wait = max(delay, self.cool_downs.remaining(self._origin)[0], 0.0)
        if wait >= self.deadline.remaining():
            return None
        self.retries += 1
        if self.observer is not None:
            self.observer.waited(
                "numind.retry",
                {
                    "numind.retry.number": self.retries,
                    "numind.wait.seconds": wait,
                    "numind.wait.reason": _reason(self.policy),
                },
            )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "retry %d of %s in %.2f s after %s",
                len(self.policy.history),
                self.method,
                wait,
                _reason(self.policy),
            )
        return wait

    def _retry_after(self, response: Any) -> Optional[float]:
        try:
            seconds = self.policy.get_retry_after(response)
        except InvalidHeader:  # a user's Retry that does not ignore an unreadable header
            return None
        if seconds is None:
            return None
        return float(min(seconds, getattr(self.policy, "max_retry_after", MAX_RETRY_AFTER)))

    def _exhausted(self) -> Optional[str]:
        if not self.retries:
            return None
        return self._noted(
            f"gave up after {self.retries} {'retry' if self.retries == 1 else 'retries'}"
        )

    def _past_deadline(self, retry_after: Optional[float] = None) -> str:
        if retry_after is not None:
            return self._noted(
                f"gave up: the server asked to wait {retry_after:g} s (Retry-After), past "
                f"{self.deadline.describe()}"
            )
        return self._noted(f"gave up: the next retry was due after {self.deadline.describe()}")

    def _noted(self, note: str) -> str:
        """``note``, and that an earlier attempt may have been processed if one may."""
        return f"{note}; {MAYBE_PROCESSED_NOTE}" if self.maybe_processed else note

    def _cooling_down(self, asked_by: Any, left: float) -> TooManyRequestsException:
        error = ApiException.from_response(http_resp=asked_by, body=None, data=None)
        assert isinstance(error, TooManyRequestsException)
        error.method, error.url = self.method, self.url
        error.retry_note = (
            f"not sent: the server asked this client to wait {left:.2f} s more, past "
            f"{self.deadline.describe()}"
        )
        return error


def _split_origin(url: str) -> Tuple[str, str]:
    """``("https://host:443", "/v1/path?q")`` of a URL."""
    start = url.find("://")
    slash = url.find("/", start + 3 if start >= 0 else 0)
    if slash < 0:
        return url, "/"
    return url[:slash], url[slash:]


def _policy_error(error: ApiConnectionError) -> Exception:
    """The urllib3 error that ``error`` stands for, which the policy classifies."""
    cause = error.__cause__
    if isinstance(cause, HTTPError):
        return cause  # the urllib3 transport's own
    return error.retry_as or HTTPError("the request failed")
