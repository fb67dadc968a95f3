"""TokenCodeRequest."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Literal

from pydantic import Field, StrictStr

from ._base import RequestModel

__all__ = ["TokenCodeRequest"]


class TokenCodeRequest(RequestModel):
    """Exchange an authorization code (from the sign-in redirect) for tokens."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"code"})

    code: StrictStr
    redirect_uri: StrictStr = Field(alias="redirectUri")
    type: Literal["ai.numind.extract.shared.TokenCodeRequest"] = (
        "ai.numind.extract.shared.TokenCodeRequest"
    )
