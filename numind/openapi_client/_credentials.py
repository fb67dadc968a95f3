"""How the pipeline gets a bearer token that may need refreshing: a stored login.

The pipeline defines this interface and ``auth`` implements it (``auth.StoredLogin``), so
that the pipeline imports nothing from ``auth``. The pipeline hands the credentials a
``TokenExchange``: it sends a refresh to the login's own base URL, within the deadline
of the call that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from typing_extensions import Protocol

if TYPE_CHECKING:
    from ._deadline import Deadline
    from .models.token_response import TokenResponse

__all__ = ["AsyncTokenExchange", "Credentials", "TokenExchange"]

#: ``exchange(refresh_token, deadline)``: new tokens for a refresh token.
TokenExchange = Callable[[str, "Deadline"], "TokenResponse"]
#: The same, for the async client.
AsyncTokenExchange = Callable[[str, "Deadline"], Awaitable["TokenResponse"]]


class Credentials(Protocol):
    """Bearer tokens for one base URL, kept fresh."""

    @property
    def base_url(self) -> str:
        """The base URL these credentials are for; they are never sent anywhere else."""
        ...

    def bearer(self, exchange: TokenExchange, deadline: Deadline) -> str:
        """The token to send now, refreshed first (through ``exchange``) if it is expiring."""
        ...

    def refused(self, token: str, exchange: TokenExchange, deadline: Deadline) -> None:
        """The server answered 401 to ``token``: refresh it, unless that was done already."""
        ...

    async def bearer_async(self, exchange: AsyncTokenExchange, deadline: Deadline) -> str:
        """``bearer`` for the async client, whose waits do not block the event loop."""
        ...

    async def refused_async(
        self, token: str, exchange: AsyncTokenExchange, deadline: Deadline
    ) -> None:
        """``refused`` for the async client."""
        ...
