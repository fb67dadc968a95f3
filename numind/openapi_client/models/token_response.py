"""TokenResponse."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Optional

from pydantic import Field, StrictInt, StrictStr

from ._base import ApiModel

__all__ = ["TokenResponse"]


class TokenResponse(ApiModel):
    """An access token (``token``, valid ``expires_in`` seconds) and its refresh token."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token", "refresh_token"})

    token: StrictStr
    expires_in: StrictInt = Field(alias="expiresIn")
    refresh_token: Optional[StrictStr] = Field(default=None, alias="refreshToken")
    refresh_expires_in: Optional[StrictInt] = Field(default=None, alias="refreshExpiresIn")
