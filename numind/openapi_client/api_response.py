"""The result of a ``*_with_http_info`` call."""

from __future__ import annotations

from typing import Generic, Mapping, Optional, TypeVar

import urllib3

T = TypeVar("T")

__all__ = ["ApiResponse"]


class ApiResponse(Generic[T]):
    """A decoded response together with its status code, headers and raw body.

    ``headers`` is always a mapping (names are case-insensitive), empty when none were given.
    """

    __slots__ = ("data", "headers", "raw_data", "status_code")

    status_code: int
    data: T
    headers: Mapping[str, str]
    raw_data: bytes

    def __init__(
        self,
        *,
        status_code: int,
        data: T,
        headers: Optional[Mapping[str, str]] = None,
        raw_data: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.data = data
        self.headers = urllib3.HTTPHeaderDict() if headers is None else headers
        self.raw_data = raw_data

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r})"
