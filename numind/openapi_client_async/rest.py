"""The asyncio HTTP transport: one aiohttp session that sends one attempt of a request.

``RESTClientObject.send(request)`` sends a ``PreparedRequest`` as it is, as the sync
transport does. It knows HTTP, not the API. Retries are the driver's (``api_client``);
here an attempt is bounded by the deadline that travels in its request: the wait for a
pooled connection, connecting, TLS, sending, and reading the headers and the body. The
session is made inside the running event loop, on first use, and belongs to that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Set, Tuple, Union

import aiohttp
import yarl
from aiohttp.http_exceptions import HttpProcessingError
from urllib3.exceptions import (
    InsecureRequestWarning,
)

from numind.openapi_client._aio import timeout_at
from numind.openapi_client._deadline import Deadline, TimeoutSetting
from numind.openapi_client._proxy import settings_of
from numind.openapi_client._redact import SecretBytes
from numind.openapi_client._transport import (
    DECODED,
    DEFAULT_MAX_RESPONSE_SIZE,
    LEAST_WAIT,
    proxy_routes_of,
    refused_encoding,
    request_from_parts,
    too_large,
)
from numind.openapi_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiValueError,
)

from ._connection import socket_factory, ssl_context, transport_error

if TYPE_CHECKING:
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace

    from numind.openapi_client._request import PreparedRequest
    from numind.openapi_client._types import RequestTimeout
    from numind.openapi_client.configuration import Configuration

# ``from numind.openapi_client_async.rest import ApiException`` works, as in the sync twin.
__all__ = ["RESTClientObject", "RESTResponse", "ApiException"]

#: The statuses whose ``Location`` a ``urllib3.Retry`` reads as a redirect.
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: aiohttp rounds timeouts above this up to whole seconds; a deadline is never rounded.
_NO_ROUNDING = float("inf")
#: How long before the deadline aiohttp gives up waiting for a connection.
_BEFORE_DEADLINE = 0.01
#: The deadline of a response made without one.
_NEVER = Deadline(float("inf"))
#: Connections per host when ``Configuration.connection_pool_maxsize`` is not set: tasks
#: are cheap, so many calls are in flight at once (aiohttp's own default limit, too).
DEFAULT_POOL_MAXSIZE = 100

#: How many parsed URLs a client keeps.
_URLS_KEPT = 256
#: The due time of a watch that is not armed, and of a watchdog whose timer is not set.
_NOT_DUE = float("inf")


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

    def __init__(
        self, dog: Watchdog, task: asyncio.Task[Any], deadline_at: float, read_timeout: float
    ) -> None:
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

    def sent(self) -> None:
        """The attempt has its answer's headers (or failed): disarmed, and no longer the
        attempt its task is sending."""
        self._armed.discard(self)
        sending = self._dog.sending
        if sending.get(self._task) is self:
            del sending[self._task]

    def owned_by_running_task(self) -> bool:
        """Whether the running task is the one this watch cancels (a body may be read by
        another task than the one that sent its request)."""
        return asyncio.current_task(self._dog.loop) is self._task

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
        #: The attempt that each task is sending, until it has its answer's headers.
        self.sending: Dict[asyncio.Task[Any], Watch] = {}
        self.timer_at = _NOT_DUE
        self._timer: Optional[asyncio.TimerHandle] = None

    def watch(self, deadline_at: float, read_timeout: float) -> Watch:
        """A watch of the attempt that the running task sends, armed until the deadline
        (in loop time) while it waits for a connection; ``read_timeout`` bounds each wait
        for data once it has one (``connected``)."""
        task = asyncio.current_task(self.loop)
        assert task is not None, "a watched attempt runs in a task"
        watch = self.sending[task] = Watch(self, task, deadline_at, read_timeout)
        return watch

    def connected(self) -> None:
        """The running task's attempt has its connection: the wait for its answer begins."""
        if self.sending:
            watch = self.sending.get(asyncio.current_task(self.loop))  # type: ignore[arg-type]
            if watch is not None:
                watch.wait_for_data()

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
        self.sending.clear()


class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, which tells the watchdog when an attempt has its connection:
    the wait for the answer begins there (the wait for a pooled or new connection is
    bounded by the deadline, and by aiohttp's connect timeouts)."""

    def __init__(self, watchdog: Watchdog, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # pyright: ignore[reportUnknownMemberType]
        self.watchdog = watchdog

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: List[Trace],
        timeout: aiohttp.ClientTimeout,
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        self.watchdog.connected()
        return connection


class RESTResponse:
    """A response whose body has been, or can be, read with ``await read()``."""

    def __init__(
        self,
        resp: aiohttp.ClientResponse,
        method: str = "",
        url: str = "",
        deadline: Optional[Deadline] = None,
        max_size: Optional[int] = None,
        watch: Optional[Watch] = None,
    ) -> None:
        self.response = resp
        self._watch = watch
        self.deadline = deadline
        self.max_size = DEFAULT_MAX_RESPONSE_SIZE if max_size is None else max_size
        self.status = resp.status
        self.reason = resp.reason
        self.headers: Mapping[str, str] = resp.headers
        self.method = method
        self.url = url
        self.data: Optional[bytes] = None
        #: Why the call stopped retrying with this answer (see ``ApiException.retry_note``).
        self.retry_note: Optional[str] = None

    async def read(self) -> bytes:
        """Read the whole body (once) and release the connection to the pool.

        A body cut short (reset, closed early, timed out) raises ``ApiConnectionError``
        (``ApiTimeoutError`` for a timeout) whose ``body`` holds what was received. A body
        larger than ``max_size`` once decoded raises ``ApiException``, and the rest of it is
        not read. Each wait for data is bounded by the read timeout, and all of them by the
        call's deadline: by the watch of the attempt in the task that sent it, else by a
        scope of the read's own.
        """
        data = self.read_if_received()
        if data is not None:
            return data
        response = self.response
        received: List[bytes] = []
        watch = self._watch
        if watch is not None and not watch.owned_by_running_task():
            watch = None
        reading = self._read_all(response, received, watch)
        try:
            if watch is not None:
                try:
                    data = await reading
                except asyncio.CancelledError:
                    if not watch.took_back():
                        raise
                    raise _timed_out(watch) from None
                finally:
                    watch.disarm()
            else:
                async with timeout_at(self.deadline):
                    data = await reading
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            partial = SecretBytes(b"".join(received))
            received.clear()  # no token left in the locals of a captured traceback
            response.close()
            error = transport_error(exc, self.method, self.url, self.deadline or _NEVER)
            error.add_answer(self.status, response.headers, partial)
            raise error from exc
        except BaseException:  # cancelled: the connection's state is unknown
            response.close()
            raise
        response.release()
        self.data = data
        return data

    def read_if_received(self) -> Optional[bytes]:
        """The body, if all of it came with the headers (read without a wait, and the
        connection released); None if some of it is still to come: ``await read()``."""
        if self.data is not None:
            return self.data
        response = self.response
        content = response.content
        if not content.is_eof():
            return None
        data = content.read_nowait()
        if len(data) > self.max_size:
            response.release()  # all of it was received: reusable
            raise too_large(self, self.max_size)
        self.data = SecretBytes(data)
        response.release()
        return self.data

    async def _read_all(
        self, response: aiohttp.ClientResponse, received: List[bytes], watch: Optional[Watch]
    ) -> bytes:
        """The body, each piece kept in ``received`` as it arrives (for an error to hold);
        each wait for a piece bounded by ``watch``, if any."""
        length = response.content_length
        encoded = response.headers.get("Content-Encoding")
        if length is not None and length > self.max_size and not encoded:
            response.close()  # its size, told beforehand: not read at all, nor reused
            raise too_large(self, self.max_size)
        content = response.content
        size = 0
        if watch is not None:
            watch.wait_for_data()
        while chunk := await content.readany():
            if watch is not None:
                watch.wait_for_data()
            received.append(chunk)
            size += len(chunk)
            if size > self.max_size:
                received.clear()
                chunk = b""
                if content.is_eof():
                    response.release()  # all of it was received: reusable
                else:
                    response.close()  # not read to its end: not reused
                raise too_large(self, self.max_size)
        data = SecretBytes(received[0] if len(received) == 1 else b"".join(received))
        received.clear()
        return data

    async def discard(self) -> None:
        """Read an answer that is to be retried, so that its connection can be reused (a
        failed read drops it; the retry opens another)."""
        with contextlib.suppress(ApiConnectionError):
            await self.read()

    def getheaders(self) -> Mapping[str, str]:
        """All response headers."""
        return self.response.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header, or ``default``."""
        return self.response.headers.get(name, default)

    def get_redirect_location(self) -> Union[str, bool, None]:
        """The ``Location`` of a redirect, else False (what a ``urllib3.Retry`` asks)."""
        if self.status in _REDIRECTS:
            return self.response.headers.get("Location")
        return False


class RESTClientObject:
    """Sends requests through one ``aiohttp.ClientSession``, made in the running loop on
    first use; ``await close()`` closes it."""

    def __init__(self, configuration: Configuration) -> None:
        if configuration.verify_ssl:
            self._ssl: Union[ssl.SSLContext, bool] = ssl_context(configuration)
        else:
            self._ssl = False
        self._server_hostname = configuration.tls_server_name or (
            configuration.assert_hostname
            if isinstance(configuration.assert_hostname, str)
            else None
        )
        routes = proxy_routes_of(configuration)  # the environment is read here, once
        self._proxy, self._proxy_headers = settings_of(routes.fixed)
        #: The proxies of the environment, picked per URL (None: one route for every URL).
        self._routes = routes if routes.from_environment else None
        self._maxsize = configuration._pool_maxsize_for(DEFAULT_POOL_MAXSIZE)  # pyright: ignore[reportPrivateUsage]
        self._socket_options = configuration.socket_options
        self.max_response_size = configuration.max_response_size
        self._session: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        #: The aiohttp timeouts of each timeout setting, when the deadline does not cut them.
        self._timeout_of: Dict[Tuple[TimeoutSetting, bool], aiohttp.ClientTimeout] = {}
        self._watchdog: Optional[Watchdog] = None  # made with the session, in its loop
        self._urls: Dict[str, yarl.URL] = {}

    def __repr__(self) -> str:
        state = "open" if self._session is not None else "not yet opened"
        return f"<RESTClientObject aiohttp session {state}>"

    def session(self) -> aiohttp.ClientSession:
        """The session of the running event loop: made on first use, in that loop."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed:
            if self._watchdog is not None:
                self._watchdog.close()
            self._watchdog = Watchdog(loop)
            connector = _Connector(
                self._watchdog,
                limit=0,  # per host only, as the sync client's pools
                limit_per_host=self._maxsize,
                ssl=self._ssl,
                timeout_ceil_threshold=_NO_ROUNDING,
                socket_factory=socket_factory(self._socket_options),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Every request says its own timeouts; none is left to a session default.
                timeout=aiohttp.ClientTimeout(total=None, ceil_threshold=_NO_ROUNDING),
            )
            # aiohttp sends an idempotent request once more on its own when the connection
            # fails; the SDK's retry loop decides on retries, as the sync client does.
            self._session._retry_connection = False  # pyright: ignore[reportPrivateUsage]
            self._loop = loop
        elif self._loop is not loop:
            raise ApiValueError(
                "This ApiClient belongs to the event loop it was first used in; make one "
                "ApiClient per event loop (e.g. inside the coroutine that asyncio.run runs), "
                "or close it (await api_client.close()) before using it in another loop"
            )
        return self._session

    async def send(self, request: PreparedRequest) -> RESTResponse:
        """Send one attempt of ``request``; the body is left unread in the returned
        ``RESTResponse``.

        The client's ``Watchdog`` bounds the attempt's waits: the wait for a connection by
        the deadline, then each wait for data by the read timeout, all of them by the
        deadline. A ``stream`` request's body, which its caller reads, keeps aiohttp's read
        timeout. Transport failures raise ``ApiConnectionError`` or ``ApiTimeoutError``.
        """
        method, url = request.method, request.url
        headers: Mapping[str, str] = request.headers
        timeout, deadline = request.timeout, request.deadline
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop() or session.closed:
            session = self.session()
        proxy, proxy_headers = self._proxy, self._proxy_headers
        if self._routes is not None:  # raises ApiValueError for an invalid or refused proxy
            proxy, proxy_headers = self._routes.settings_for(url)
        if proxy_headers is not None or self._ssl is False:
            headers, proxy_headers = self._proxy_and_tls_checks(url, headers, proxy_headers)
        # Redirects are not followed: an API call that redirects is an error, and following
        # it could send the Authorization header to another host.
        remaining = deadline.remaining()
        sending = session.request(
            method,
            self._urls.get(url) or self._url(url),
            headers=headers,
            data=request.body,
            allow_redirects=False,
            timeout=self._timeouts(timeout, remaining, request.stream),
            proxy=proxy,
            proxy_headers=proxy_headers,
            server_hostname=self._server_hostname,
        )
        dog = self._watchdog
        assert dog is not None  # made with the session
        watch = dog.watch(dog.loop.time() + remaining, timeout.longest_read)
        try:
            try:
                response = await sending
            except asyncio.CancelledError:
                if not watch.took_back():
                    raise
                raise _timed_out(watch) from None
            finally:
                watch.sent()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            cause = exc.__cause__
            if isinstance(cause, HttpProcessingError) and "content-encoding" in cause.message:
                # br or zstd without its module: aiohttp refuses the answer itself.
                raise refused_encoding(None, _coding(cause.message), method, url) from None
            raise transport_error(exc, method, url, deadline) from exc
        answer = RESTResponse(response, method, url, deadline, self.max_response_size, watch)
        encodings = response.headers.getall("Content-Encoding", None)
        if encodings is not None and (len(encodings) > 1 or encodings[0].lower() not in DECODED):
            # aiohttp would decode br and zstd (if their modules are installed): only what
            # was asked for is read.
            response.close()
            raise refused_encoding(answer, ", ".join(encodings))
        return answer

    async def request(
        self,
        method: str,
        url: str,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: Union[RequestTimeout, TimeoutSetting] = None,
        *,
        deadline: Optional[Deadline] = None,
    ) -> RESTResponse:
        """Send one attempt of a request given by its parts (generated-style); the body is
        left unread in the returned ``RESTResponse``.

        ``body`` is sent as is when it is ``bytes``, UTF-8 encoded when it is ``str``, and
        JSON encoded otherwise. ``_request_timeout`` bounds the attempt and ``deadline``
        the call it belongs to. Transport failures raise ``ApiConnectionError`` or
        ``ApiTimeoutError``.
        """
        request = request_from_parts(
            method, url, headers, body, post_params, _request_timeout, deadline
        )
        return await self.send(request)

    def _proxy_and_tls_checks(
        self, url: str, headers: Mapping[str, str], proxy_headers: Optional[Dict[str, str]]
    ) -> Tuple[Mapping[str, str], Optional[Dict[str, str]]]:
        """The headers for the proxy, and the warning of an unverified HTTPS request."""
        if proxy_headers and not url.startswith("https:"):
            # No tunnel: the proxy reads the request itself, and these go with it, as the
            # sync client's urllib3 sends them.
            headers = {**headers, **proxy_headers}
            proxy_headers = None
        if self._ssl is False and url.startswith("https:"):
            warnings.warn(
                f"Unverified HTTPS request to {url.split('/')[2]}: verify_ssl is off, so "
                "anyone on the path can read and change the traffic",
                InsecureRequestWarning,
                stacklevel=3,
            )
        return headers, proxy_headers

    def _url(self, url: str) -> yarl.URL:
        """``url`` as built, percent-encoding kept: yarl would resolve a "%2E%2E" of a path
        parameter into "..", and the request would reach another path. The URLs of the
        last calls are kept (in ``_urls``): a client calls few."""
        if len(self._urls) >= _URLS_KEPT:
            self._urls.clear()
        parsed = self._urls[url] = yarl.URL(url, encoded=True)
        return parsed

    def _timeouts(
        self, setting: TimeoutSetting, remaining: float, stream: bool = False
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts of one attempt: the attempt's own, whose wait for a connection
        (pooled, or new) aiohttp bounds, ends just before the deadline, so that a call that
        found the pool full says so. The deadline cuts them all otherwise: the scope around
        the request (or the watch) ends whatever is waiting when it passes. Only a ``stream``
        request, whose body its caller reads after the call, has aiohttp's read timeout:
        otherwise the attempt's watch bounds each wait for data."""
        wait = remaining - _BEFORE_DEADLINE  # the seconds left to the deadline, but a little
        key = (setting, stream)
        if wait >= setting.longest_attempt:  # the usual case: made once per setting
            cached = self._timeout_of.get(key)
            if cached is not None:
                return cached
        connect = setting.attempt.connect_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=max(min(setting.longest_attempt, wait), LEAST_WAIT),
            sock_connect=connect if isinstance(connect, (int, float)) else None,
            sock_read=setting.longest_read if stream else None,
            ceil_threshold=_NO_ROUNDING,
        )
        if wait >= setting.longest_attempt and len(self._timeout_of) < 64:
            self._timeout_of[key] = timeout
        return timeout

    async def close(self) -> None:
        """Close the session and every pooled connection (it reopens on the next call)."""
        session, self._session, self._loop = self._session, None, None
        dog, self._watchdog = self._watchdog, None
        if dog is not None:
            dog.close()
        if session is not None:
            await session.close()


def _coding(message: str) -> str:
    """The coding named by aiohttp's "Can not decode content-encoding: brotli (br). ..."."""
    start, end = message.find("("), message.find(")")
    return message[start + 1 : end] if 0 <= start < end else message


def _timed_out(watch: Watch) -> asyncio.TimeoutError:
    """The timeout of a wait that ``watch`` ended."""
    if watch.what_passed() == "deadline":
        return asyncio.TimeoutError("the call's deadline")  # named by ``connection_error``
    return asyncio.TimeoutError(f"no data within the read timeout ({watch.read_timeout:g} s)")
