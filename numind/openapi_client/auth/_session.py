"""A stored login that keeps its access token fresh, for ``ApiClient``.

``ApiClient`` asks :meth:`StoredLogin.bearer` for the token of each secured request, and
calls :meth:`StoredLogin.refresh_rejected` once when the server answers 401. Both refresh
single-flight: one thread refreshes while the others wait for its result. A refresh re-reads
the credential file under its lock first, so a token that another process rotated is
picked up instead of being refreshed twice.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import TYPE_CHECKING, Optional

from ..exceptions import ApiException, OpenApiException
from ._store import CredentialStore, StoredCredentials

if TYPE_CHECKING:
    from .._types import RequestTimeout
    from ..api_client import ApiClient
    from ..models.token_response import TokenResponse

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
        self._credentials = credentials
        self._expires = credentials.expires_at.timestamp()
        self._lock = threading.Lock()

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

    def bearer(self, api_client: ApiClient, timeout: RequestTimeout = None) -> str:
        """The access token to send, refreshed first if it expires within ``REFRESH_MARGIN``.

        ``timeout`` bounds the refresh (the ``_request_timeout`` of the call that needs it).
        """
        if self._expires - time.time() > REFRESH_MARGIN:
            return self._credentials.access_token  # the hot path takes no lock
        with self._lock:
            if self._expires - time.time() <= REFRESH_MARGIN:
                self._refresh(api_client, None, timeout)
            return self._credentials.access_token

    def refresh_rejected(
        self, rejected: str, api_client: ApiClient, timeout: RequestTimeout = None
    ) -> None:
        """The server answered 401 to ``rejected``: refresh, unless another thread has."""
        with self._lock:
            if self._credentials.access_token == rejected:
                self._refresh(api_client, rejected, timeout)

    def _refresh(
        self, api_client: ApiClient, rejected: Optional[str], timeout: RequestTimeout
    ) -> None:
        from ..api.authentication_api import AuthenticationApi
        from ..models.token_refresh_request import TokenRefreshRequest

        with self.store.locked():
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
            request = TokenRefreshRequest(token=stored.refresh_token)
            try:
                tokens = AuthenticationApi(api_client).post_api_auth_token(
                    request, _request_timeout=timeout
                )
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
        self._expires = credentials.expires_at.timestamp()


def _with_refresh_token(new: StoredCredentials, old: StoredCredentials) -> StoredCredentials:
    # A server that does not rotate refresh tokens keeps the old one valid.
    return StoredCredentials(
        new.base_url, new.access_token, old.refresh_token, new.expires_at, old.refresh_expires_at
    )
