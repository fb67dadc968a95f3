"""A stored login that keeps its access token fresh: the pipeline's ``Credentials``.

``ApiClient`` asks :meth:`StoredLogin.bearer` for the token of each secured request, and
calls :meth:`StoredLogin.refused` once when the server answers 401; either may refresh,
through the ``TokenExchange`` that the client hands over (a refresh sent to this login's
base URL), within the deadline of the call that needs it. Refreshes are single-flight:
one thread refreshes while the others wait for its result. A refresh re-reads the
credential file under its lock first, so a token that another process rotated is picked
up instead of being refreshed twice. Every wait (for another thread's refresh, for the
file's lock, for the server) ends by the call's deadline.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from typing import TYPE_CHECKING, Generator, Optional

from .._redact import Secret
from ..exceptions import ApiException, ApiTimeoutError, OpenApiException
from ._store import CredentialStore, StoredCredentials

if TYPE_CHECKING:
    from .._credentials import TokenExchange
    from .._deadline import Deadline
    from ..models.token_response import TokenResponse

#: Seconds before its expiry that an access token is refreshed.
REFRESH_MARGIN = 30.0

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
        self._adopt(credentials)

    def __repr__(self) -> str:
        return f"StoredLogin(base_url={self.base_url!r}, store={self.store!r})"

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

    def bearer(self, exchange: TokenExchange, deadline: Deadline) -> str:
        """The access token to send, refreshed first if it expires within ``REFRESH_MARGIN``."""
        if self._expires - time.time() > REFRESH_MARGIN:
            return self._token  # the hot path takes no lock
        with self._refreshing(deadline):
            if self._expires - time.time() <= REFRESH_MARGIN:
                self._refresh(exchange, None, deadline)
            return self._token

    def refused(self, token: str, exchange: TokenExchange, deadline: Deadline) -> None:
        """The server answered 401 to ``token``: refresh, unless another thread has."""
        with self._refreshing(deadline):
            if self._credentials.access_token == token:
                self._refresh(exchange, token, deadline)

    @contextlib.contextmanager
    def _refreshing(self, deadline: Deadline) -> Generator[None, None, None]:
        """Hold the refresh lock, waiting for another thread's refresh at most until the
        deadline."""
        if not self._lock.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise ApiTimeoutError(
                f"Gave up waiting for another thread's refresh of the sign-in to "
                f"{self.base_url}: {deadline.describe()} of the call passed"
            )
        try:
            yield
        finally:
            self._lock.release()

    def _refresh(
        self, exchange: TokenExchange, rejected: Optional[str], deadline: Deadline
    ) -> None:
        with self.store.locked(timeout=max(deadline.remaining(), 0.0)):
            stored = self.store.load(self.base_url)
            if stored is None:
                raise LoginRequiredError(
                    f"You are signed out of {self.base_url}: sign in again with `numind auth login`"
                )
            fresh = stored.expires_at.timestamp() - time.time() > REFRESH_MARGIN
            if stored.access_token not in (self._credentials.access_token, rejected) and fresh:
                self._adopt(stored)  # another process has refreshed already
                return
            if not stored.refresh_token:
                raise LoginRequiredError(
                    f"Your sign-in to {self.base_url} has expired and cannot be refreshed: "
                    "sign in again with `numind auth login`"
                )
            try:
                tokens = exchange(Secret(stored.refresh_token), deadline)
            except ApiException as exc:
                # Only these mean the session is over; a 429 or a 5xx is the server's
                # trouble, and signing in again would not help: raise it as it is.
                if exc.status in SESSION_OVER:
                    raise LoginRequiredError(
                        f"Your sign-in to {self.base_url} has expired or was revoked "
                        f"(the refresh was answered {exc.status}): sign in again with "
                        "`numind auth login`"
                    ) from None
                raise
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
