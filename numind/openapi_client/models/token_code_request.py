"""TokenCodeRequest."""

from __future__ import annotations

from typing import ClassVar, FrozenSet, Literal

from pydantic import StrictStr
from typing_extensions import Annotated, TypedDict

from ._base import RequestModel, wire

__all__ = ["TokenCodeRequest", "TokenCodeRequestDict"]


class TokenCodeRequest(RequestModel):
    """Exchange an authorization code (from the sign-in redirect) for tokens."""

    secret_fields: ClassVar[FrozenSet[str]] = frozenset({"code"})

    code: StrictStr
    redirect_uri: Annotated[StrictStr, wire("redirect_uri", "redirectUri")]
    type: Literal["ai.numind.extract.shared.TokenCodeRequest"] = (
        "ai.numind.extract.shared.TokenCodeRequest"
    )


class TokenCodeRequestDict(TypedDict):
    """``TokenCodeRequest`` as a dict (wire names); ``type`` says which request it is."""

    type: Literal["ai.numind.extract.shared.TokenCodeRequest"]
    code: str
    redirectUri: str
