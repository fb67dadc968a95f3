"""Error."""

from __future__ import annotations

from pydantic import StrictStr

from ._base import ApiModel

__all__ = ["Error"]


class Error(ApiModel):
    """The body of an error answer: a machine-readable ``code`` and a ``message`` for people."""

    code: StrictStr
    message: StrictStr
