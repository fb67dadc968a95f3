"""CreateOrUpdateUserToken."""

from __future__ import annotations

from pydantic import StrictStr

from ._base import RequestModel

__all__ = ["CreateOrUpdateUserToken"]


class CreateOrUpdateUserToken(RequestModel):
    """The name of a user token (API key) to create, or its new name."""

    name: StrictStr
