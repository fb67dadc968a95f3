"""A stored login that keeps its access token fresh: the pipeline's ``Credentials``.

``ApiClient`` asks :meth:`StoredLogin.bearer` for the token of each secured request, and
calls :meth:`StoredLogin.refused` once when the server answers 401; either may refresh,
through the ``TokenExchange`` that the client hands over (to which it gives its own base
URL), within the deadline of the call that needs it. Refreshes are single-flight:
one thread refreshes while the others wait for its result. A refresh re-reads the
credential file under its lock first, so a token that another process rotated is picked
up instead of being refreshed twice. Every wait (for another thread's refresh, for the
file's lock, for the server) ends by the call's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, AsyncGenerator, Generator, Optional, Set, Tuple

from ._credential_store import CredentialStore, StoredCredentials
from ._redact import Secret
from .exceptions import ApiException, ApiTimeoutError, OpenApiException

logger = logging.getLogger("numind.openapi_client")

if TYPE_CHECKING:
    from ._credentials import AsyncTokenExchange, TokenExchange
    from ._deadline import Deadline
    from .models.token_response import TokenResponse

#: Seconds before its expiry that an access token is refreshed.
REFRESH_MARGIN = 30.0

#: The longest lifetime of a token that is believed: a longer one (``expiresIn=1e12``) is
#: taken as this, so that it can be stored, and the token is refreshed then at the latest.
MAX_LIFETIME = 365 * 24 * 60 * 60.0

#: Answers to a token request that mean the code or refresh token is no longer good.
SESSION_OVER = frozenset({400, 401, 403})


class LoginRequiredError(OpenApiException):
    """There is no usable login: sign in again (``numind auth login``)."""


def credentials_from(
    base_url: str, tokens: TokenResponse, now: Optional[float] = None
) -> StoredCredentials:
    """The credentials to store for a token response received at ``now``."""
    now = time.time() if now is None else now

    def at(seconds: float) -> datetime.datetime:
        seconds = min(max(seconds, 0.0), MAX_LIFETIME)
        return datetime.datetime.fromtimestamp(now + seconds, datetime.timezone.utc)

    return StoredCredentials(
        base_url=base_url,
        access_token=tokens.token,
        refresh_token=tokens.refresh_token,
        expires_at=at(tokens.expires_in),
        refresh_expires_at=(
            at(tokens.refresh_expires_in) if tokens.refresh_expires_in is not None else None
        ),
    )


class StoredLogin:
    """The login stored for ``base_url``; its tokens are refreshed and stored as needed."""

    def __init__(self, store: CredentialStore, credentials: StoredCredentials) -> None:
        self.store = store
        self.base_url = credentials.base_url
        self._lock = threading.Lock()
        #: The lock of each event loop's tasks (``_refreshing_async``).
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()
        self._loop_locks_lock = threading.Lock()
        self._adopt(credentials)

    def __repr__(self) -> str:
        return f"StoredLogin(base_url={self.base_url!r}, store={self.store!r})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # For a child process (a pickled Configuration): the same store and tokens, with
        # locks of its own. The two processes' refreshes meet in the store, under its lock.
        return (StoredLogin, (self.store, self._credentials))

    @classmethod
    def load(cls, base_url: str, store: Optional[CredentialStore] = None) -> Optional[StoredLogin]:
        """The stored login for exactly ``base_url``, or ``None`` if there is none."""
        store = CredentialStore() if store is None else store
        credentials = store.load(base_url)
        return None if credentials is None else cls(store, credentials)

    @property
    def credentials(self) -> StoredCredentials:
        """The current tokens (``repr`` masks them)."""
        return self._credentials

    # -- the two entry points, for each client ----------------------------------------

    def bearer(self, exchange: TokenExchange, deadline: Deadline) -> str:
        """The access token to send, refreshed first if it expires within ``REFRESH_MARGIN``."""
        if self._fresh():
            return self._token  # the hot path takes no lock
        with self._refreshing(deadline):
            if not self._fresh():
                self._refresh(exchange, None, deadline)
            return self._token

    def refused(self, token: str, exchange: TokenExchange, deadline: Deadline) -> str:
        """The server answered 401 to ``token``: refresh, unless another thread has; the
        token to send now."""
        with self._refreshing(deadline):
            if self._credentials.access_token == token:
                self._refresh(exchange, token, deadline)
            return self._token

    async def bearer_async(self, exchange: AsyncTokenExchange, deadline: Deadline) -> str:
        """``bearer`` for the async client: no wait blocks the event loop."""
        if self._fresh():
            return self._token
        async with self._refreshing_async(deadline):
            if not self._fresh():
                await self._refresh_async(exchange, None, deadline)
            return self._token

    async def refused_async(
        self, token: str, exchange: AsyncTokenExchange, deadline: Deadline
    ) -> str:
        """``refused`` for the async client."""
        async with self._refreshing_async(deadline):
            if self._credentials.access_token == token:
                await self._refresh_async(exchange, token, deadline)
            return self._token

    # -- single flight: one refresh at a time, across threads, tasks and event loops -----

    @contextlib.contextmanager
    def _refreshing(self, deadline: Deadline) -> Generator[None, None, None]:
        """Hold the refresh lock, waiting for another thread's refresh at most until the
        deadline."""
        if not self._lock.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise self._gave_up_waiting(deadline)
        try:
            yield
        finally:
            self._lock.release()

    @contextlib.asynccontextmanager
    async def _refreshing_async(self, deadline: Deadline) -> AsyncGenerator[None, None]:
        """``_refreshing`` for a task: the tasks of one loop queue on an asyncio lock, so
        that one of them at most waits, in a thread, for the lock that threads and other
        loops share. Both waits end by the deadline."""
        from ._aio import WAIT_ENDS_EARLY, run_in_thread, timeout_at

        loop_lock = self._loop_lock()
        try:
            async with timeout_at(deadline, WAIT_ENDS_EARLY):
                await loop_lock.acquire()
        except asyncio.TimeoutError:
            raise self._gave_up_waiting(deadline) from None
        try:
            if not self._lock.acquire(blocking=False):
                left = max(deadline.remaining() - WAIT_ENDS_EARLY, 0.0)
                acquired = await run_in_thread(
                    lambda: self._lock.acquire(timeout=left), undo=self._release_if
                )
                if not acquired:
                    raise self._gave_up_waiting(deadline)
            try:
                yield
            finally:
                self._lock.release()
        finally:
            loop_lock.release()

    def _release_if(self, acquired: bool) -> None:
        if acquired:
            self._lock.release()

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._loop_locks_lock:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
        return lock

    def _gave_up_waiting(self, deadline: Deadline) -> ApiTimeoutError:
        return ApiTimeoutError(
            f"Gave up waiting for another refresh of the sign-in to {self.base_url}: "
            f"{deadline.describe()} of the call passed"
        )

    # -- a refresh: the same steps, with each client's I/O between them ----------------

    def _refresh(
        self, exchange: TokenExchange, rejected: Optional[str], deadline: Deadline
    ) -> None:
        with self.store.locked(timeout=max(deadline.remaining(), 0.0)):
            stored = self._stored_to_refresh(rejected)
            if stored is None:
                return
            try:
                tokens = exchange(self.base_url, Secret(stored.refresh_token or ""), deadline)
            except ApiException as exc:
                raise self._refused_refresh(exc) from None
            self._keep(tokens, stored)

    async def _refresh_async(
        self, exchange: AsyncTokenExchange, rejected: Optional[str], deadline: Deadline
    ) -> None:
        from ._aio import WAIT_ENDS_EARLY, run_in_thread

        # The file's lock and the file itself are waited for and read in threads; the lock
        # in one of its own, as the store takes a lock its thread holds for held already.
        locked = self.store.locked(timeout=max(deadline.remaining() - WAIT_ENDS_EARLY, 0.0))
        await run_in_thread(
            locked.__enter__, undo=lambda _: locked.__exit__(None, None, None), own_thread=True
        )
        try:
            stored = await run_in_thread(lambda: self._stored_to_refresh(rejected))
            if stored is None:
                return
            try:
                tokens = await exchange(self.base_url, Secret(stored.refresh_token or ""), deadline)
            except ApiException as exc:
                raise self._refused_refresh(exc) from None
            await run_in_thread(lambda: self._keep(tokens, stored))
        finally:
            locked.__exit__(None, None, None)

    def _fresh(self) -> bool:
        return self._expires - time.time() > REFRESH_MARGIN

    def _stored_to_refresh(self, rejected: Optional[str]) -> Optional[StoredCredentials]:
        """Under the file's lock: the stored login to refresh, or None when another process
        has refreshed it already (its tokens are adopted)."""
        stored = self.store.load(self.base_url)
        if stored is None:
            raise LoginRequiredError(
                f"You are signed out of {self.base_url}: sign in again with `numind auth login`"
            )
        fresh = stored.expires_at.timestamp() - time.time() > REFRESH_MARGIN
        if stored.access_token not in (self._credentials.access_token, rejected) and fresh:
            self._adopt(stored)
            return None
        if not stored.refresh_token:
            raise LoginRequiredError(
                f"Your sign-in to {self.base_url} has expired and cannot be refreshed: "
                "sign in again with `numind auth login`"
            )
        return stored

    def _refused_refresh(self, exc: ApiException) -> OpenApiException:
        # Only these mean the session is over; a 429 or a 5xx is the server's trouble, and
        # signing in again would not help: it is raised as it is.
        if exc.status not in SESSION_OVER:
            return exc
        return LoginRequiredError(
            f"Your sign-in to {self.base_url} has expired or was revoked (the refresh was "
            f"answered {exc.status}): sign in again with `numind auth login`"
        )

    def _keep(self, tokens: TokenResponse, stored: StoredCredentials) -> None:
        """Under the file's lock: store the refreshed tokens, and use them."""
        credentials = credentials_from(self.base_url, tokens)
        if credentials.refresh_token is None:
            credentials = _with_refresh_token(credentials, stored)
        self.store.put(credentials)
        self._adopt(credentials)

    def _adopt(self, credentials: StoredCredentials) -> None:
        self._credentials = credentials
        self._token = Secret(credentials.access_token)  # masked in captured tracebacks
        self._expires = credentials.expires_at.timestamp()


def _with_refresh_token(new: StoredCredentials, old: StoredCredentials) -> StoredCredentials:
    # A server that does not rotate refresh tokens keeps the old one valid.
    return StoredCredentials(
        new.base_url, new.access_token, old.refresh_token, new.expires_at, old.refresh_expires_at
    )


class HiddenLogin:
    """Says once a process that NUMIND_API_KEY hides a stored login; each host's store is
    read at most once for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: Set[str] = set()
        self._warned = False

    def said(self) -> None:
        """The warning was given in other words (``auth.login`` says it before a login)."""
        with self._lock:
            self._warned = True

    def check(self, host: str) -> None:
        with self._lock:
            if self._warned or host in self._checked:
                return
            self._checked.add(host)
            try:
                login = StoredLogin.load(host)
            except (OpenApiException, OSError):
                return  # an unreadable store is reported where it is used, not here
            if login is None:
                return
            self._warned = True
        logger.warning(
            "NUMIND_API_KEY is set, so it is used instead of the login stored for %s (by "
            "`numind auth login`); unset NUMIND_API_KEY to use that login. `numind auth "
            "status` shows which credential is used",
            host,
        )


#: The one of the process.
HIDDEN_LOGIN = HiddenLogin()
