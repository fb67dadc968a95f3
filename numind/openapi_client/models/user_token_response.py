"""UserTokenResponse."""

from __future__ import annotations

from typing import ClassVar, FrozenSet

from pydantic import Field, StrictStr

from ._base import ApiModel

__all__ = ["UserTokenResponse"]


class UserTokenResponse(ApiModel):
    """A user token (API key): its ``token`` is the secret to use as an access token."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token"})

    id: StrictStr
    name: StrictStr
    token: StrictStr
    user_id: StrictStr = Field(alias="userId")
    created_at: StrictStr = Field(alias="createdAt")
    expires_at: StrictStr = Field(alias="expiresAt")
