"""TokenResponse."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Optional

from pydantic import StrictInt, StrictStr, field_validator
from typing_extensions import Annotated

from ._base import ApiModel, wire
from ._token_syntax import NOT_A_TOKEN, is_b64token

__all__ = ["TokenResponse"]


class TokenResponse(ApiModel):
    """An access token (``token``, valid ``expires_in`` seconds) and its refresh token.

    The refresh fields are optional in the API: a server may answer without them, and
    then the session cannot be refreshed (sign in again when ``token`` expires).

    Both tokens must be RFC 6750 ``b64token``s: a token answer with anything else in them
    (CR/LF, an escape sequence) does not validate, so it is refused as it arrives, before
    it is sent, printed or stored; the error never shows it.
    """

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token", "refresh_token"})

    token: StrictStr
    expires_in: Annotated[StrictInt, wire("expires_in", "expiresIn")]
    refresh_token: Annotated[Optional[StrictStr], wire("refresh_token", "refreshToken")] = None
    refresh_expires_in: Annotated[
        Optional[StrictInt], wire("refresh_expires_in", "refreshExpiresIn")
    ] = None

    @field_validator("token", "refresh_token")
    @classmethod
    def _bearer_token(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not is_b64token(value):
            raise ValueError(NOT_A_TOKEN)
        return value
