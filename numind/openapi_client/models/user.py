"""User."""

from __future__ import annotations

from pydantic import StrictStr

from ._base import ApiModel

__all__ = ["User"]


class User(ApiModel):
    """The signed-in user."""

    email: StrictStr
