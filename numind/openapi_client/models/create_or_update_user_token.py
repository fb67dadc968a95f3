"""CreateOrUpdateUserToken."""

from __future__ import annotations

from pydantic import StrictStr
from typing_extensions import TypedDict

from ._base import RequestModel

__all__ = ["CreateOrUpdateUserToken", "CreateOrUpdateUserTokenDict"]


class CreateOrUpdateUserToken(RequestModel):
    """The name of a user token (API key) to create, or its new name."""

    name: StrictStr


class CreateOrUpdateUserTokenDict(TypedDict):
    """``CreateOrUpdateUserToken`` as a dict (wire names), e.g. ``{"name": "ci-pipeline"}``."""

    name: str
