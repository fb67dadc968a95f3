"""Text for a person: errors in one line, and server text that a terminal shows, never obeys.

The ``numind`` command line prints every message through these, and so does
:func:`numind.openapi_client.auth.login` (the account that signed in)::

    from numind.openapi_client.auth.messages import describe_error, printable

    print(printable(f"Signed in as {email}"))
    print("error:", describe_error(exc))
"""

from __future__ import annotations

import re

from ..exceptions import ApiException

__all__ = ["describe_error", "printable"]


def describe_error(exc: BaseException) -> str:
    """One line for a person: the status and the server's message, never a token, and no
    character that a terminal would act on (see :func:`printable`).

    The body of an answer is shown only for an error status: an undecodable success may be
    a token response. The exception's ``hint`` (a base URL without ``/v1``, a rejected
    ``NUMIND_API_KEY``) ends the line.
    """
    if not isinstance(exc, ApiException):
        return printable(" ".join(str(exc).split()) or type(exc).__name__)
    text = f"the server answered {exc.status} {exc.reason or ''}".strip()
    error = exc.error
    if error is not None:
        detail = f"{error.message}"
    elif isinstance(exc.body, str) and exc.status is not None and not 200 <= exc.status <= 299:
        detail = exc.body
    else:
        detail = ""
    detail = " ".join(detail.split())
    if detail:
        text += ": " + (detail if len(detail) <= 200 else detail[:200] + "...")
    if exc.hint:
        text += f". {exc.hint}"
    return printable(text)


# C0 and C1 controls (escape sequences start with ESC or CSI) and the bidirectional
# overrides, which reorder what a terminal shows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every character that a terminal would act on instead of showing it
    (escape sequences, other control characters, bidirectional overrides) written as an
    escape, such as ``\\x1b``: text that came from a server is shown, never obeyed."""
    return _UNPRINTABLE.sub(lambda found: found.group().encode("unicode_escape").decode(), text)
