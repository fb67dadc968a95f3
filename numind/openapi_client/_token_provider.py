"""A token that the user's code gives for each call: ``TokenProvider``, and its adapter
into the pipeline's ``Credentials`` (``ProvidedToken``).

``Configuration(access_token=...)`` takes a provider (an object with ``token(timeout)``,
and optionally ``refused(token)``) or a plain callable that returns the token
(``lambda: vault.read("numind")``, ``functools.partial(Path.read_text, path)``: white
space around the token, such as a file's last newline, is dropped). The token is asked
for at every call, so a rotated key is used from the next call on without a new client.
The pipeline sees only ``Credentials``, as for a stored login: ``bearer`` asks the
provider, ``refused`` tells it of a 401 and asks again.

Both clients take every form. The async client awaits what is awaitable (an
``async def token``, a callable that returns a coroutine), within the call's deadline; it
calls a sync provider on the event loop, as it is (it must not block). The sync client
refuses an awaitable answer with ``ApiTypeError``.

Pure: no socket; the async client's wait is ``_aio``'s, imported when first needed.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Union

from typing_extensions import Protocol, runtime_checkable

from ._redact import Secret
from .exceptions import ApiTimeoutError, ApiTypeError, ApiValueError
from .models._token_syntax import is_b64token

if TYPE_CHECKING:
    from ._credentials import AsyncTokenExchange, TokenExchange
    from ._deadline import Deadline

__all__ = [
    "AccessToken",
    "AsyncTokenProvider",
    "ProvidedToken",
    "TokenProvider",
    "describe_provider",
]


@runtime_checkable
class TokenProvider(Protocol):
    """Gives the bearer token of each call, e.g. an API key that a vault rotates.

    ``token(timeout)`` is called before each secured call is sent (and once more after a
    401); ``timeout`` is the seconds left of the call's timeout: a provider that waits
    (for a vault, a file lock) should give up by then. What it raises is what the call
    raises. It returns the token alone (an API key or an OAuth access token, no
    ``Bearer `` prefix).

    A provider may also define ``refused(self, token: str) -> None``: the server answered
    401 to ``token`` (revoked, expired, rotated). The provider can drop its cache there.
    Then (with or without ``refused``) ``token`` is asked for again, and the request is
    sent once more with its answer, as a stored login does after its refresh. A second 401
    is raised (``UnauthorizedException``).
    """

    def token(self, timeout: float) -> str:
        """The token to send now; ``timeout``: seconds left of the call."""
        ...


@runtime_checkable
class AsyncTokenProvider(Protocol):
    """``TokenProvider`` for the async client: ``token`` (and ``refused``, if it has one)
    may be coroutines, awaited within the call's timeout."""

    def token(self, timeout: float) -> Awaitable[str]:
        """The token to send now; ``timeout``: seconds left of the call."""
        ...


#: What ``Configuration(access_token=...)`` takes: a token, a provider, a callable that
#: returns the token (awaitable for the async client), or None.
AccessToken = Union[
    str,
    TokenProvider,
    AsyncTokenProvider,
    Callable[[], str],
    Callable[[], Awaitable[str]],
    None,
]


def describe_provider(provider: object) -> str:
    """``module.QualName`` of a provider, for messages and reprs (never its state)."""
    if isinstance(provider, functools.partial):
        inner: Any = provider.func  # pyright: ignore[reportUnknownMemberType]
        return f"functools.partial({describe_provider(inner)})"
    named: Any = provider
    if callable(getattr(provider, "token", None)) or not hasattr(provider, "__qualname__"):
        named = type(provider)
    module = getattr(named, "__module__", None)
    qualname = getattr(named, "__qualname__", type(named).__name__)
    return qualname if module in (None, "builtins") else f"{module}.{qualname}"


class ProvidedToken:
    """The pipeline's ``Credentials`` made of a token provider or a callable: each call
    asks it for the token, within the call's deadline."""

    __slots__ = ("_with_timeout", "name", "provider")

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.name = describe_provider(provider)
        #: A ``TokenProvider`` (``token(timeout)``), else a plain callable (no argument).
        self._with_timeout = callable(getattr(provider, "token", None))

    def __repr__(self) -> str:
        return f"ProvidedToken({self.name})"

    # -- Credentials --------------------------------------------------------------------

    def bearer(self, exchange: TokenExchange, deadline: Deadline) -> str:
        """The provider's token, checked."""
        return self.token(deadline)

    def token(self, deadline: Deadline) -> str:
        """The provider's token, checked (a ``Secret``); for the sync client."""
        return self._checked(self._sync(self._ask(deadline)), deadline)

    def refused(self, token: str, exchange: TokenExchange, deadline: Deadline) -> str:
        """Tell the provider (``refused``, if it has it), and ask it again."""
        refused = self._refused()
        if refused is not None:
            self._sync(refused(token))
        return self.token(deadline)

    async def bearer_async(self, exchange: AsyncTokenExchange, deadline: Deadline) -> str:
        """``bearer`` for the async client: an awaitable answer is awaited."""
        value = self._ask(deadline)
        if hasattr(value, "__await__"):
            value = await self._awaited(value, deadline)
        return self._checked(value, deadline)

    async def refused_async(
        self, token: str, exchange: AsyncTokenExchange, deadline: Deadline
    ) -> str:
        """``refused`` for the async client."""
        refused = self._refused()
        if refused is not None:
            told = refused(token)
            if hasattr(told, "__await__"):
                await self._awaited(told, deadline)
        return await self.bearer_async(exchange, deadline)

    # -- the steps ----------------------------------------------------------------------

    def _ask(self, deadline: Deadline) -> Any:
        left = deadline.remaining()
        if left <= 0:
            raise self._late(deadline)
        # What the provider raises is the call's error, as it is.
        if self._with_timeout:
            return self.provider.token(left)
        return self.provider()

    def _refused(self) -> Optional[Callable[[str], Any]]:
        refused = getattr(self.provider, "refused", None)
        return refused if callable(refused) else None

    def _sync(self, value: Any) -> Any:
        """``value``, refused if it is awaitable: the sync client cannot await it."""
        if hasattr(value, "__await__"):
            close = getattr(value, "close", None)
            if callable(close):
                close()  # not "never awaited"
            raise ApiTypeError(
                f"The token provider {self.name} returned {type(value).__name__}, which the "
                "sync ApiClient cannot await: give it a provider that returns the token, or "
                "use numind.openapi_client_async.ApiClient"
            )
        return value

    async def _awaited(self, value: Any, deadline: Deadline) -> Any:
        from ._aio import within_deadline

        return await within_deadline(value, deadline, lambda: self._late(deadline))

    def _checked(self, value: Any, deadline: Deadline) -> str:
        if not isinstance(value, str):
            raise ApiTypeError(
                f"The token provider {self.name} returned {type(value).__name__}, not a str: "
                "return the token (an API key or an access token) as a str"
            )
        # Around it, white space (the last newline of a file) is not the token's.
        value = value.strip()
        if not is_b64token(value):
            hint = (
                "return the token alone, without 'Bearer ' (the SDK adds it)"
                if value[:7].lower() == "bearer "
                else "return the API key or access token alone"
            )
            raise ApiValueError(
                f"The token that {self.name} returned is not a bearer token (RFC 6750 "
                f"b64token: letters, digits and -._~+/ then = only; it is not shown, and was "
                f"not sent): {hint}"
            )
        if deadline.remaining() <= 0:
            raise self._late(deadline)
        return Secret(value)

    def _late(self, deadline: Deadline) -> ApiTimeoutError:
        return ApiTimeoutError(
            f"The token provider {self.name} did not give a token within "
            f"{deadline.describe()} of the call: nothing was sent"
        )
