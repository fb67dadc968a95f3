"""How the pipeline gets the bearer token of a call, and is told of a 401: ``Credentials``.

The pipeline defines this interface and sees nothing else: the stored login implements it
(``_stored_login.StoredLogin``, refreshed through the client), and a user's token provider
or callable is adapted into it (``_token_provider.ProvidedToken``). The pipeline imports
neither. It hands the credentials a ``TokenExchange``: a refresh sent to a base URL,
within the deadline of the call that needs it; credentials that need no refresh ignore it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from typing_extensions import Protocol

if TYPE_CHECKING:
    from ._deadline import Deadline
    from .models.token_response import TokenResponse

__all__ = ["AsyncTokenExchange", "Credentials", "TokenExchange"]

#: ``exchange(base_url, refresh_token, deadline)``: new tokens for a refresh token, from
#: the token endpoint of ``base_url``.
TokenExchange = Callable[[str, str, "Deadline"], "TokenResponse"]
#: The same, for the async client.
AsyncTokenExchange = Callable[[str, str, "Deadline"], Awaitable["TokenResponse"]]


class Credentials(Protocol):
    """The bearer token of each call: asked for before it is sent, told of a 401."""

    def bearer(self, exchange: TokenExchange, deadline: Deadline) -> str:
        """The token to send now (refreshed first, through ``exchange``, if need be)."""
        ...

    def refused(self, token: str, exchange: TokenExchange, deadline: Deadline) -> str:
        """The server answered 401 to ``token``: the token to send once more (refreshed,
        through ``exchange``, if need be)."""
        ...

    async def bearer_async(self, exchange: AsyncTokenExchange, deadline: Deadline) -> str:
        """``bearer`` for the async client, whose waits do not block the event loop."""
        ...

    async def refused_async(
        self, token: str, exchange: AsyncTokenExchange, deadline: Deadline
    ) -> str:
        """``refused`` for the async client."""
        ...
