"""Request headers, written once for the pipeline and the transport: case-insensitive
lookup and replacement, the check of what HTTP can carry, and credentials kept masked."""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, MutableMapping, Optional, Tuple

from ._redact import SECRET_HEADERS, Secret
from .exceptions import ApiValueError

__all__ = ["ACCEPT_ENCODING", "HeaderDict", "check_headers", "find_header", "set_header"]

#: The content codings both clients ask for, and the only ones they decode: an answer in
#: any other (br, zstd, "gzip, gzip", ...) is refused unread (``_transport.refused_encoding``).
ACCEPT_ENCODING = "gzip, deflate"

# CR/LF/NUL would split or end the header; http.client sends values as Latin-1, so any
# other character (a pasted smart quote, say) would fail later in a UnicodeEncodeError
# whose message holds the whole value: a token, for Authorization.
_UNSENDABLE = re.compile(r"[\r\n\x00]|[^\x00-\xff]")


class HeaderDict(Dict[str, str]):
    """A dict of headers that counts its changes, so that what is made of it (the checked
    headers of every request) is made again only when it changed."""

    version = 0

    def __setitem__(self, name: str, value: str) -> None:
        super().__setitem__(name, value)
        self.version += 1

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self.version += 1

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.version += 1

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)

    def popitem(self) -> Tuple[str, str]:
        self.version += 1
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self.version += 1

    def setdefault(self, name: str, value: str = "") -> str:
        self.version += 1
        return super().setdefault(name, value)

    def __ior__(self, other: Any) -> HeaderDict:  # type: ignore[override,misc]
        self.update(other)
        return self


def _sendable(text: str) -> bool:
    # The usual header is ASCII without a line break: two C-level checks, then the regex.
    if text.isascii() and "\r" not in text and "\n" not in text and "\x00" not in text:
        return True
    return _UNSENDABLE.search(text) is None


def find_header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """The value of header ``name`` in any spelling, or None (exact spelling checked first)."""
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lower), None)


def set_header(headers: MutableMapping[str, str], name: str, value: str) -> None:
    """Set header ``name``, replacing it under any other spelling: header names ignore case."""
    if name not in headers:
        lower = name.lower()
        for key in [key for key in headers if key.lower() == lower]:
            del headers[key]
    headers[name] = value


def check_headers(headers: MutableMapping[str, str], what: str = "Header") -> None:
    """Refuse what HTTP cannot carry, without showing the value (it may be a token), and
    mark credentials as ``Secret``, so that tracebacks that capture locals mask them."""
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS and type(value) is not Secret:
            headers[name] = Secret(value)
        if not _sendable(name) or not _sendable(value):
            raise ApiValueError(
                f"{what} {name!r} contains a line break, a NUL or a character outside "
                "Latin-1 (such as a curly quote from a paste); check that value: a token or "
                "API key is plain ASCII"
            )
