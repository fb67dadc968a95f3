"""TokenRefreshRequest."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Literal

from pydantic import StrictStr
from typing_extensions import TypedDict

from ._base import RequestModel

__all__ = ["TokenRefreshRequest", "TokenRefreshRequestDict"]


class TokenRefreshRequest(RequestModel):
    """Exchange a refresh token (``token``) for a fresh access token and refresh token."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"token"})

    token: StrictStr
    type: Literal["ai.numind.extract.shared.TokenRefreshRequest"] = (
        "ai.numind.extract.shared.TokenRefreshRequest"
    )


class TokenRefreshRequestDict(TypedDict):
    """``TokenRefreshRequest`` as a dict (wire names); ``type`` says which request it is."""

    type: Literal["ai.numind.extract.shared.TokenRefreshRequest"]
    token: str
