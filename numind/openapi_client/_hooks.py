"""Event hooks: the user's code that runs on every attempt of every call, as httpx's
``Client(event_hooks={"request": [...], "response": [...]})``.

``ApiClient(configuration, event_hooks=...)`` checks the hooks once (``attempt_hooks``)
and keeps an ``AttemptHooks``; the driver's retry loop sends each attempt through it
(``AttemptHooks.send``, ``send_async``) when there is one, and straight through the
transport when there is none, so that a client without hooks does no more work per call.

- A request hook gets an ``AttemptRequest``: the operation, the attempt's number, the
  method, the URL and the headers, every credential masked (``<redacted>``). It may
  add, replace or delete headers in ``headers``: the changes are checked as every header
  is (no CR, LF, NUL) and go on the wire for that attempt alone.
- A response hook gets an ``AttemptResponse``: the same names, the status, the headers
  (``Set-Cookie`` masked) and the seconds from sending to the answer's headers. Not the
  body, which is read after the hooks (or by the caller, for a streamed call).
- A hook that raises ends the call with its exception, not retried (but for an
  ``ApiConnectionError``, which stands for the attempt's own failure and is retried as
  one). An answer whose hook raised is closed, its connection not reused.
- The time the hooks take is the call's: an attempt gets what is left of the deadline,
  and none once it has passed. The async client awaits a coroutine hook within it.

Pure: no socket and no HTTP library; the transport's ``send`` is passed in.
"""

from __future__ import annotations

import time
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
    TypeVar,
    cast,
)

from ._headers import check_headers, set_header
from ._redact import masked_headers, redact_url
from .exceptions import ApiTimeoutError, ApiTypeError, ApiValueError

if TYPE_CHECKING:
    from ._request import PreparedRequest

__all__ = [
    "AttemptHooks",
    "AttemptRequest",
    "AttemptResponse",
    "EventHooks",
    "RequestHook",
    "ResponseHook",
    "attempt_hooks",
]

R = TypeVar("R")
#: The kinds of hooks, as httpx names them.
KINDS = ("request", "response")


class AttemptRequest:
    """One attempt of a call, as a request hook sees it just before it is sent.

    ``operation`` is the operation id (``get_api_auth_me``; ``post_api_auth_token`` for
    the token refresh that a stored login sends; empty for ``call_api``). ``attempt`` is 1
    for the first attempt, 2 for the first retry, and so on; the replay after a 401 (sent
    with a new token) counts from 1 again. ``url`` and ``headers`` have their credentials
    masked (``<redacted>``): a hook never sees a token.

    ``headers`` is the hook's to change, for this attempt alone: a header added or replaced
    there is sent (checked first: a value with a line break raises ``ApiValueError``), and
    one deleted is not sent. An ``Authorization`` set there replaces the credential.
    """

    __slots__ = ("attempt", "headers", "method", "operation", "url")

    def __init__(
        self, operation: str, attempt: int, method: str, url: str, headers: Dict[str, str]
    ) -> None:
        self.operation = operation
        self.attempt = attempt
        self.method = method
        self.url = url
        self.headers = headers

    def __repr__(self) -> str:
        return (
            f"AttemptRequest({self.operation!r}, attempt={self.attempt}, "
            f"{self.method} {self.url}, headers={self.headers!r})"
        )


class AttemptResponse(NamedTuple):
    """The answer to one attempt, as a response hook sees it: its status and headers
    (``Set-Cookie`` masked), before its body is read.

    ``elapsed`` is the seconds from sending the attempt to its answer's headers. A response
    hook sees every answer, those that are retried too; an attempt that got no answer (a
    refused connection, a timeout) has none.
    """

    operation: str
    attempt: int
    method: str
    url: str
    status: int
    #: Looked up in any spelling; the values of a repeated header joined by ``", "``.
    headers: Mapping[str, str]
    elapsed: float


#: A request hook: a function of an ``AttemptRequest`` (a coroutine function too, for the
#: async client).
RequestHook = Callable[[AttemptRequest], Optional[Awaitable[None]]]
#: A response hook: a function of an ``AttemptResponse`` (a coroutine function too, for the
#: async client).
ResponseHook = Callable[[AttemptResponse], Optional[Awaitable[None]]]


class EventHooks(TypedDict, total=False):
    """``ApiClient(event_hooks=...)``: the hooks of each kind, run in their order."""

    request: List[RequestHook]
    response: List[ResponseHook]


class AttemptHooks:
    """A client's hooks (never empty), and the sending of one attempt through them."""

    __slots__ = ("request", "response")

    def __init__(self, request: Tuple[RequestHook, ...], response: Tuple[ResponseHook, ...]):
        self.request = request
        self.response = response

    def event_hooks(self) -> EventHooks:
        """The hooks as ``ApiClient.event_hooks`` shows them (new lists)."""
        return {"request": list(self.request), "response": list(self.response)}

    def bound(
        self, send: Callable[[PreparedRequest], R], attempt: int
    ) -> Callable[[PreparedRequest], R]:
        """``send`` (the transport's) with the hooks around it, for attempt ``attempt``."""
        return lambda request: self.send(send, request, attempt)

    def bound_async(
        self, send: Callable[[PreparedRequest], Awaitable[R]], attempt: int
    ) -> Callable[[PreparedRequest], Awaitable[R]]:
        """``bound`` of the async client."""
        return lambda request: self.send_async(send, request, attempt)

    def send(
        self, send: Callable[[PreparedRequest], R], request: PreparedRequest, attempt: int
    ) -> R:
        """Send one attempt with ``send`` (the transport's), the hooks around it."""
        if self.request:
            seen = _seen(request, attempt)
            shown = dict(seen.headers)
            for hook in self.request:
                _refuse_awaitable(hook(seen), hook)
            request = _sent(request, shown, seen.headers)
            _in_time(request, self.request)
        started = time.perf_counter()
        response = send(request)
        if self.response:
            elapsed = time.perf_counter() - started
            try:
                answer = _answer(request, attempt, response, elapsed)
                for seer in self.response:
                    _refuse_awaitable(seer(answer), seer)
            except BaseException:
                _drop(response)
                raise
        return response

    async def send_async(
        self,
        send: Callable[[PreparedRequest], Awaitable[R]],
        request: PreparedRequest,
        attempt: int,
    ) -> R:
        """``send`` of the async client: a hook may be a coroutine function."""
        if self.request:
            seen = _seen(request, attempt)
            shown = dict(seen.headers)
            for hook in self.request:
                await _awaited(hook(seen), hook, request)
            request = _sent(request, shown, seen.headers)
            _in_time(request, self.request)
        started = time.perf_counter()
        response = await send(request)
        if self.response:
            elapsed = time.perf_counter() - started
            try:
                answer = _answer(request, attempt, response, elapsed)
                for seer in self.response:
                    await _awaited(seer(answer), seer, request)
            except BaseException:
                _drop(response)
                raise
        return response


def attempt_hooks(event_hooks: Any, awaits: bool) -> Optional[AttemptHooks]:
    """Check ``event_hooks`` (``ApiClient``'s argument); None when it holds no hook.

    ``awaits``: the client awaits coroutine hooks (the async one). Raises ``ApiValueError``
    for a kind that is not ``request`` or ``response``, ``ApiTypeError`` for a hook that is
    not callable (or a coroutine function given to the sync client).
    """
    if not isinstance(event_hooks, Mapping):
        raise ApiTypeError(
            f"event_hooks must be a dict such as {{'request': [log_request], 'response': "
            f"[log_response]}}, not {type(event_hooks).__name__}"
        )
    given = cast("Mapping[object, object]", event_hooks)
    for kind in given:
        if kind not in KINDS:
            raise ApiValueError(
                f"Unknown event_hooks key {kind!r}: the keys are 'request' and 'response'"
            )
    request = _checked("request", given.get("request"), awaits)
    response = _checked("response", given.get("response"), awaits)
    if not request and not response:
        return None
    return AttemptHooks(request, response)


def _checked(kind: str, hooks: Any, awaits: bool) -> Tuple[Any, ...]:
    if hooks is None:
        return ()
    if callable(hooks) or isinstance(hooks, (str, bytes)) or not isinstance(hooks, Iterable):
        raise ApiTypeError(
            f"event_hooks[{kind!r}] must be a list of functions, not {hooks!r}: write "
            f"{{{kind!r}: [{getattr(hooks, '__name__', 'hook')}]}}"
        )
    checked: Tuple[Any, ...] = tuple(cast("Iterable[object]", hooks))
    for hook in checked:
        if not callable(hook):
            raise ApiTypeError(
                f"event_hooks[{kind!r}] holds {hook!r}, which is not callable: give functions "
                f"that take one {'AttemptRequest' if kind == 'request' else 'AttemptResponse'}"
            )
        if not awaits and _is_coroutine_function(hook):
            raise ApiTypeError(
                f"event_hooks[{kind!r}] holds the coroutine function {_name(hook)}, which the "
                "sync ApiClient cannot await: give a plain function, or use "
                "numind.openapi_client_async.ApiClient"
            )
    return checked


def _is_coroutine_function(hook: Any) -> bool:
    import inspect  # only where hooks are given: importing the package stays lean

    # a callable object whose __call__ is ``async def`` too
    call = type(hook).__call__ if not inspect.isroutine(hook) else None
    return inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(call)


def _name(hook: Any) -> str:
    return str(getattr(hook, "__qualname__", None) or repr(hook))


def _seen(request: PreparedRequest, attempt: int) -> AttemptRequest:
    """What a request hook sees of ``request``: its credentials masked."""
    headers = dict(masked_headers(request.headers.items()))
    return AttemptRequest(
        request.operation, attempt, request.method, redact_url(request.url), headers
    )


def _sent(request: PreparedRequest, shown: Dict[str, str], edited: Any) -> PreparedRequest:
    """``request`` with the hooks' changes to the headers that they were shown (``shown``
    became ``edited``): checked as every header is, for this attempt only."""
    if edited == shown:
        return request  # the usual hook only looks
    if not isinstance(edited, Mapping):
        raise ApiTypeError(
            f"A request hook replaced AttemptRequest.headers with a "
            f"{type(edited).__name__}: change the dict it holds instead"
        )
    changed = cast("Mapping[object, object]", edited)
    changes: Dict[str, str] = {}
    for name, value in changed.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ApiTypeError(
                f"A request hook set the header {name!r} to a {type(value).__name__}: "
                "header names and values are str"
            )
        if shown.get(name) != value:
            changes[name] = value
    check_headers(changes, "The header set by a request hook")
    headers = dict(request.headers)
    for name in shown:
        if name not in changed:
            del headers[name]
    for name, value in changes.items():
        set_header(headers, name, value)
    return request._replace(headers=headers)


class ResponseHeaders(Mapping[str, str]):
    """An answer's headers, read-only, looked up in any spelling; the values of a
    repeated header joined by ``", "``."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Tuple[str, str]]) -> None:
        self._items: Dict[str, Tuple[str, str]] = {}
        for name, value in items:
            lower = name.lower()
            known = self._items.get(lower)
            self._items[lower] = (
                (name, value) if known is None else (known[0], f"{known[1]}, {value}")
            )

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        return repr(dict(self._items.values()))


def _answer(
    request: PreparedRequest, attempt: int, response: Any, elapsed: float
) -> AttemptResponse:
    headers = ResponseHeaders(masked_headers(response.headers.items()))
    return AttemptResponse(
        request.operation,
        attempt,
        request.method,
        redact_url(request.url),
        response.status,
        headers,
        elapsed,
    )


def _refuse_awaitable(result: Any, hook: Any) -> None:
    if result is not None and hasattr(result, "__await__"):
        close = getattr(result, "close", None)
        if close is not None:
            close()  # a coroutine never awaited would warn
        raise ApiTypeError(
            f"The event hook {_name(hook)} returned an awaitable, which the sync ApiClient "
            "does not await: give a plain function, or use numind.openapi_client_async.ApiClient"
        )


async def _awaited(result: Optional[Awaitable[None]], hook: Any, request: PreparedRequest) -> None:
    if result is None:
        return
    from ._aio import within_deadline

    late = f"the event hook {_name(hook)}"
    await within_deadline(result, request.deadline, lambda: _timed_out(request, late))


def _in_time(request: PreparedRequest, hooks: Sequence[Any]) -> None:
    """Send nothing once the request hooks have used up the call's time."""
    if request.deadline.remaining() <= 0:
        raise _timed_out(request, f"its request hooks ({', '.join(map(_name, hooks))})")


def _timed_out(request: PreparedRequest, where: str) -> ApiTimeoutError:
    return ApiTimeoutError(
        f"{request.method} {redact_url(request.url)} timed out: "
        f"{request.deadline.describe()} of the call passed in {where}",
        method=request.method,
        url=request.url,
    )


def _drop(response: Any) -> None:
    """Close an answer whose hook raised: its body unread, its connection not reused."""
    inner = response.response
    inner.close()
    release = getattr(inner, "release_conn", None)  # urllib3's: back to the pool, closed
    if release is not None:
        release()
