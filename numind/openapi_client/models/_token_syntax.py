"""What a bearer token may hold: RFC 6750's ``b64token``. Standard library only: the
credential store checks the tokens it reads with it too."""

from __future__ import annotations

import re

__all__ = ["NOT_A_TOKEN", "is_b64token"]

#: RFC 6750, section 2.1: ``b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
#: "/" ) *"="``. A token with anything else (a space, CR/LF, an escape sequence that a
#: terminal would obey) cannot be sent in ``Authorization: Bearer`` and is refused.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

#: Why a token is refused; it never shows the token.
NOT_A_TOKEN = (
    "is not a bearer token (RFC 6750 b64token: letters, digits and -._~+/ then = only); "
    "it was refused and not stored"
)


def is_b64token(value: object) -> bool:
    """Whether ``value`` is a str that ``Authorization: Bearer`` can carry as it is."""
    return isinstance(value, str) and _B64TOKEN.fullmatch(value) is not None
