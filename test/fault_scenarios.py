"""Each fault of the faulty server, the call that meets it, and what the client must do.

Used by test_faults.py (one test per scenario) and by fault_report.py (a table of what
the client did and how long it took).

Most scenarios bound each attempt (connect 1 s, read 0.5 s) and wait little between
retries (backoff 0.05 s doubling), so that the retry rules show in seconds, the whole call
within a ``call_timeout`` of 10 s. The deadline scenarios give the call a number of
seconds, with the default policy (backoff 0.5 s doubling, up to 0.25 s of jitter): the
whole call, retries and waits included, must end within it (``SLACK`` more at most).
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterator, Optional

from faulty_server import JSON, Action, Fault, FaultyServer, closed_port
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client._retry import RetryPolicy
from numind.openapi_client._types import RequestTimeout

#: Small timeouts and waits so that the scenarios run in seconds; the policy is the default
#: one otherwise (2 retries, the same methods and statuses).
CONNECT_TIMEOUT, READ_TIMEOUT = 1.0, 0.5
SYNC = Twin("sync")
#: The bound of the calls whose attempts have those timeouts.
CALL_TIMEOUT = 10.0
#: How much longer than its timeout a call may take: the thread's wake-up, the last read.
SLACK = 0.25


def fast_retry_policy(max_retry_after: float = 30.0) -> RetryPolicy:
    return RetryPolicy(
        backoff_factor=0.05, backoff_jitter=0.02, backoff_max=0.2, max_retry_after=max_retry_after
    )


USER = json.dumps({"email": "a@example.com"}).encode()
USER_TOKEN = {
    "id": "t1",
    "name": "ci",
    "token": "SECRET-USER-TOKEN",
    "userId": "u1",
    "createdAt": "2026-01-01T00:00:00Z",
    "expiresAt": "2027-01-01T00:00:00Z",
}


Call = Callable[[sdk.AuthenticationApi], Any]
GET_ME: Call = lambda api: api.get_api_auth_me()  # noqa: E731
CREATE: Call = lambda api: api.post_api_auth_user_tokens({"name": "ci"})  # noqa: E731
RENAME: Call = lambda api: api.put_api_auth_user_tokens_usertokenid("t1", {"name": "x"})  # noqa: E731
DELETE: Call = lambda api: api.delete_api_auth_user_tokens_usertokenid("t1")  # noqa: E731
LIST: Call = lambda api: api.get_api_auth_user_tokens()  # noqa: E731


@dataclass
class Scenario:
    name: str
    call: Call
    script: Callable[[], list[Action]]
    #: The exception the call must end in, or None for success.
    raises: Optional[type[BaseException]]
    #: Requests the server must have read (None: the port refuses, nothing is read).
    requests: Optional[int]
    #: Retries the client must have logged.
    retries: int
    #: A generous upper bound of the call's duration, in seconds.
    bound: float = 10.0
    default: Action = field(default_factory=lambda: Fault.ok(USER))
    max_retry_after: float = 30.0
    refused: bool = False
    #: The call's timeout: per attempt by default; a number makes it a deadline scenario.
    timeout: RequestTimeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
    #: The retry policy, by default the fast one; None for the SDK's default policy.
    fast_retries: bool = True
    #: Changes the configuration before the client is made.
    configure: Optional[Callable[[sdk.Configuration], None]] = None
    #: A context the call runs in (a held connection, a held lock), given the client.
    around: Optional[Callable[[sdk.AuthenticationApi, FaultyServer], ContextManager[Any]]] = None
    #: Words the error's message must hold.
    says: str = ""
    #: The scheme of the URL (the faulty server speaks plain HTTP, never TLS).
    scheme: str = "http"

    @property
    def deadline(self) -> float:
        """The seconds the whole call may take."""
        return self.timeout if isinstance(self.timeout, (int, float)) else CALL_TIMEOUT

    @property
    def limit(self) -> float:
        """What the call may take at most: its bound, and for a deadline its deadline."""
        if isinstance(self.timeout, (int, float)):
            return min(self.bound, self.timeout + SLACK)
        return self.bound


@dataclass
class Outcome:
    result: str
    error: Optional[BaseException]
    value: Any
    requests: Optional[int]
    connections: Optional[int]
    seconds: float
    retry_logs: list[str]


HUGE_LIST = json.dumps([{**USER_TOKEN, "id": f"t{i}"} for i in range(20_000)]).encode()
HUGE_GARBAGE = b"<html>" + b"x" * (16 * 1024 * 1024)

SCENARIOS = [
    Scenario("refused, GET", GET_ME, list, sdk.ApiConnectionError, None, 2, refused=True),
    Scenario("refused, POST", CREATE, list, sdk.ApiConnectionError, None, 2, refused=True),
    Scenario("never answers, GET", GET_ME, lambda: [Fault.hang()] * 3, sdk.ApiTimeoutError, 3, 2),
    Scenario("never answers, POST", CREATE, lambda: [Fault.hang()], sdk.ApiTimeoutError, 1, 0),
    Scenario(
        "slow headers, GET",
        GET_ME,
        lambda: [Fault.slow_headers(3.0)] * 3,
        sdk.ApiTimeoutError,
        3,
        2,
    ),
    Scenario(
        "slow body, GET",
        GET_ME,
        lambda: [Fault.stall_body(USER, 5, 3.0)],
        sdk.ApiTimeoutError,
        1,
        0,
    ),
    Scenario(
        "reset mid-body, GET",
        GET_ME,
        lambda: [Fault.cut_body(USER, 5, reset=True)],
        sdk.ApiConnectionError,
        1,
        0,
    ),
    Scenario(
        "reset before answering, GET",
        GET_ME,
        lambda: [Fault.reset(), Fault.reset()],
        None,
        3,
        2,
    ),
    Scenario(
        "reset before answering, POST",
        CREATE,
        lambda: [Fault.reset()],
        sdk.ApiConnectionError,
        1,
        0,
    ),
    Scenario("503, 503, then 200, GET", GET_ME, lambda: [Fault.status(503)] * 2, None, 3, 2),
    Scenario(
        "502, 504, then 200, PUT",
        RENAME,
        lambda: [Fault.status(502), Fault.status(504)],
        None,
        3,
        2,
        default=Fault.ok(json.dumps(USER_TOKEN).encode()),
    ),
    Scenario(
        "408, then 200, DELETE",
        DELETE,
        lambda: [Fault.status(408)],
        None,
        2,
        1,
        default=Fault.ok(b"", {}),
    ),
    Scenario(
        # The DELETE is processed, its answer lost to a reset; the retry finds it gone.
        "reset after processing, then 404, DELETE",
        DELETE,
        lambda: [Fault.reset(), Fault.status(404)],
        None,
        2,
        1,
    ),
    Scenario("404, DELETE", DELETE, lambda: [Fault.status(404)], sdk.NotFoundException, 1, 0),
    Scenario(
        "reset after processing, then 429 twice, PUT",
        RENAME,
        lambda: [Fault.reset(), Fault.status(429), Fault.status(429)],
        sdk.TooManyRequestsException,
        3,
        2,
        says="gave up after 2 retries; an earlier attempt may have been processed",
    ),
    Scenario(
        "reset after processing, then 503 twice, DELETE",
        DELETE,
        lambda: [Fault.reset(), Fault.status(503), Fault.status(503)],
        sdk.ServiceException,
        3,
        2,
        says="gave up after 2 retries; an earlier attempt may have been processed",
    ),
    Scenario("500 burst, GET", GET_ME, lambda: [Fault.status(500)] * 5, sdk.ServiceException, 3, 2),
    Scenario("500, POST", CREATE, lambda: [Fault.status(500)], sdk.ServiceException, 1, 0),
    Scenario("503, POST", CREATE, lambda: [Fault.status(503)], sdk.ServiceException, 1, 0),
    Scenario(
        "429 Retry-After: 1, GET",
        GET_ME,
        lambda: [Fault.status(429, {"Retry-After": "1"})],
        None,
        2,
        1,
    ),
    Scenario(
        "429, then 200, POST",
        CREATE,
        lambda: [Fault.status(429, {"Retry-After": "0"})],
        None,
        2,
        1,
        default=Fault.ok(json.dumps(USER_TOKEN).encode()),
    ),
    Scenario(
        "503 Retry-After: soon (unreadable), GET",
        GET_ME,
        lambda: [Fault.status(503, {"Retry-After": "soon"})] * 3,
        sdk.ServiceException,
        3,
        2,
    ),
    Scenario(
        "429 three times, GET",
        GET_ME,
        lambda: [Fault.status(429)] * 3,
        sdk.TooManyRequestsException,
        3,
        2,
    ),
    Scenario(
        "invalid JSON, GET", GET_ME, lambda: [Fault.ok(b'{"email": ')], sdk.ApiException, 1, 0
    ),
    Scenario(
        "wrong content type, GET",
        GET_ME,
        lambda: [Fault.ok(b"<html>hello</html>", {"Content-Type": "text/html"})],
        sdk.ApiException,
        1,
        0,
    ),
    Scenario(
        "truncated body, GET",
        GET_ME,
        lambda: [Fault.cut_body(USER, 10, reset=False)],
        sdk.ApiConnectionError,
        1,
        0,
    ),
    Scenario(
        "huge body (20,000 tokens, 3 MB), GET",
        LIST,
        lambda: [Fault.ok(HUGE_LIST)],
        None,
        1,
        0,
        bound=30.0,
    ),
    Scenario(
        # 3 MB that arrive as 60 kB: the last raw read leaves most of the body to decode.
        "gzip body (20,000 tokens), GET",
        LIST,
        lambda: [Fault.ok(gzip.compress(HUGE_LIST), {**JSON, "Content-Encoding": "gzip"})],
        None,
        1,
        0,
        bound=30.0,
    ),
    Scenario(
        "huge invalid body (16 MB HTML), GET",
        GET_ME,
        lambda: [Fault.ok(HUGE_GARBAGE, {"Content-Type": "text/html"})],
        sdk.ApiException,
        1,
        0,
        bound=30.0,
    ),
]


class _RetryLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("retry "):
            self.messages.append(message)


def run(scenario: Scenario, twin: Twin = SYNC) -> Outcome:
    """Make the scenario's call with the client of ``twin`` against a fresh faulty server,
    and report what happened."""
    logger = logging.getLogger("numind.openapi_client")
    handler, level = _RetryLogs(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    server = FaultyServer(scenario.script(), scenario.default)
    try:
        with server:
            host = f"http://127.0.0.1:{closed_port()}/v1" if scenario.refused else server.url
            host = host.replace("http:", f"{scenario.scheme}:", 1)
            configuration = sdk.Configuration(
                host=host,
                access_token="SECRET-ACCESS-TOKEN",
                timeout=scenario.timeout,
                call_timeout=CALL_TIMEOUT,
                retries=fast_retry_policy(scenario.max_retry_after)
                if scenario.fast_retries
                else None,
            )
            if scenario.configure is not None:
                scenario.configure(configuration)
            error: Optional[BaseException] = None
            value: Any = None
            with twin.client(configuration) as client:
                api = twin.api(client)
                around = scenario.around or (lambda api, server: contextlib.nullcontext())
                with around(api, server):
                    started = time.monotonic()
                    try:
                        value = scenario.call(api)
                    except sdk.OpenApiException as exc:
                        error = exc
                    seconds = time.monotonic() - started
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    result = "success" if error is None else type(error).__name__
    return Outcome(
        result,
        error,
        value,
        None if scenario.refused else len(server.requests),
        None if scenario.refused else server.connections,
        seconds,
        handler.messages,
    )


# -- the deadline of a call ------------------------------------------------------------


def expired_login(configuration: sdk.Configuration) -> None:
    """Sign the configuration in with a stored login whose access token has expired."""
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    host = configuration.host
    auth.CredentialStore().save(auth.StoredCredentials(host, "SECRET-AT", "SECRET-RT", past))
    configuration.access_token = None


def one_connection(configuration: sdk.Configuration) -> None:
    configuration.connection_pool_maxsize = 1


@contextlib.contextmanager
def held_connection(api: sdk.AuthenticationApi, server: FaultyServer) -> Iterator[None]:
    """Keep the pool's one connection busy with an answer that is not read yet."""
    held = api.get_api_auth_me_without_preload_content()  # its body stalls: still on the wire
    try:
        yield
    finally:
        held.close()
        held.release_conn()


_HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
"""


@contextlib.contextmanager
def lock_held_elsewhere(api: sdk.AuthenticationApi, server: FaultyServer) -> Iterator[None]:
    """Another process holds the credential file's lock (a stuck sign-in, say)."""
    lock = str(auth.credentials_path()) + ".lock"
    os.makedirs(os.path.dirname(lock), mode=0o700, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, lock], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


_GAVE_UP_AT_1_S = "gave up: the next retry was due after the 1 s deadline"

DEADLINE_SCENARIOS = [
    Scenario(
        "deadline 2 s: never answers, GET",
        GET_ME,
        lambda: [Fault.hang()],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=2.0,
        fast_retries=False,
        says="timed out: the 2 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: never answers, POST",
        CREATE,
        lambda: [Fault.hang()],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="the 1 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: TLS handshake never answered, GET",
        GET_ME,
        list,
        sdk.ApiTimeoutError,
        0,  # the server waits for a request line that never comes
        0,
        timeout=1.0,
        fast_retries=False,
        scheme="https",
        says="1 s deadline",
    ),
    Scenario(
        "deadline 1 s: slow headers (3 s), GET",
        GET_ME,
        lambda: [Fault.slow_headers(3.0)],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="timed out: the 1 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: headers trickled, a byte each 50 ms, GET",
        GET_ME,
        lambda: [Fault.trickle_headers(0.05)],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="timed out: the 1 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: slow body (3 s), GET",
        GET_ME,
        lambda: [Fault.stall_body(USER, 5, 3.0)],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="the 1 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: body trickled, a byte each 50 ms, GET",
        GET_ME,
        lambda: [Fault.trickle_body(0.05)],
        sdk.ApiTimeoutError,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="the 1 s deadline of the call passed",
    ),
    Scenario(
        "deadline 1 s: 503 storm, GET",
        GET_ME,
        list,
        sdk.ServiceException,
        2,
        1,
        timeout=1.0,
        fast_retries=False,
        default=Fault.status(503),
        says=_GAVE_UP_AT_1_S,
    ),
    Scenario(
        "deadline 1 s: 429 Retry-After: 5, GET",
        GET_ME,
        lambda: [Fault.status(429, {"Retry-After": "5"})],
        sdk.TooManyRequestsException,
        1,
        0,
        timeout=1.0,
        fast_retries=False,
        says="gave up: the server asked to wait 5 s (Retry-After), past the 1 s deadline",
    ),
    Scenario(
        "deadline 1 s: refused, retries on, GET",
        GET_ME,
        list,
        sdk.ApiConnectionError,
        None,
        1,
        timeout=1.0,
        fast_retries=False,
        refused=True,
        says=_GAVE_UP_AT_1_S,
    ),
    Scenario(
        "deadline 1 s: no free pooled connection, GET",
        GET_ME,
        lambda: [Fault.stall_body(USER, 5, 3.0)],  # the answer that holds the connection
        sdk.ApiTimeoutError,
        1,  # the answer that holds the connection
        0,
        timeout=1.0,
        fast_retries=False,
        configure=one_connection,
        around=held_connection,
        says="no free connection in the pool",
    ),
    Scenario(
        "deadline 1 s: token endpoint silent during a refresh, GET",
        GET_ME,
        list,
        sdk.ApiTimeoutError,
        1,  # the refresh, a POST, which is not sent twice
        0,
        timeout=1.0,
        fast_retries=False,
        default=Fault.hang(),
        configure=expired_login,
        says="POST",
    ),
    Scenario(
        "deadline 1 s: credential-file lock held by another process, GET",
        GET_ME,
        list,
        sdk.ApiTimeoutError,
        0,
        0,
        timeout=1.0,
        fast_retries=False,
        configure=expired_login,
        around=lock_held_elsewhere,
        says="credentials.json.lock",
    ),
]
SCENARIOS += DEADLINE_SCENARIOS
