"""UserTokenResponse."""

from __future__ import annotations

from typing import ClassVar, FrozenSet

from pydantic import StrictStr
from typing_extensions import Annotated

from ._base import ApiModel, wire

__all__ = ["UserTokenResponse"]


class UserTokenResponse(ApiModel):
    """A user token (API key): its ``token`` is the secret to use as an access token."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token"})

    id: StrictStr
    name: StrictStr
    token: StrictStr
    user_id: Annotated[StrictStr, wire("user_id", "userId")]
    created_at: Annotated[StrictStr, wire("created_at", "createdAt")]
    expires_at: Annotated[StrictStr, wire("expires_at", "expiresAt")]
