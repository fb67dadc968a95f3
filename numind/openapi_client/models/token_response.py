"""TokenResponse."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Optional

from pydantic import StrictInt, StrictStr
from typing_extensions import Annotated

from ._base import ApiModel, wire

__all__ = ["TokenResponse"]


class TokenResponse(ApiModel):
    """An access token (``token``, valid ``expires_in`` seconds) and its refresh token.

    The refresh fields are optional in the API: a server may answer without them, and
    then the session cannot be refreshed (sign in again when ``token`` expires).
    """

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token", "refresh_token"})

    token: StrictStr
    expires_in: Annotated[StrictInt, wire("expires_in", "expiresIn")]
    refresh_token: Annotated[Optional[StrictStr], wire("refresh_token", "refreshToken")] = None
    refresh_expires_in: Annotated[
        Optional[StrictInt], wire("refresh_expires_in", "refreshExpiresIn")
    ] = None
