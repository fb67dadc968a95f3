"""What ``debug=True`` may log of a request or an answer: everything but the secrets."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence, Union, cast

__all__ = ["REDACTED", "redact_body", "redact_headers"]

REDACTED = "<redacted>"
#: Headers that carry credentials (lower case).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: JSON keys (wire names) whose values are credentials: access, refresh and API tokens.
SECRET_KEYS = frozenset({"token", "refreshToken", "accessToken", "apiKey"})
#: The one-time sign-in ``code`` is secret next to its ``redirectUri``; the ``code`` of an
#: ``Error`` is not.
SIGN_IN_CODE, SIGN_IN_CODE_MARK = "code", "redirectUri"


def redact_headers(headers: Optional[Mapping[str, str]]) -> str:
    """Headers as ``{name: value}`` text with credential headers replaced."""
    shown = {
        name: REDACTED if name.lower() in SECRET_HEADERS else value
        for name, value in (headers or {}).items()
    }
    return repr(shown)


def redact_body(body: Any, content_type: Optional[str] = None) -> str:
    """A body (bytes as received, or the value about to be sent: under a JSON media type a
    str is a JSON string) as text with secret values replaced.

    Only JSON is shown: any other body is described by its size, because it cannot be told
    whether it holds a secret.
    """
    if body is None or body == b"":
        return "(no body)"
    value: Any = body
    is_json = "json" in (content_type or "application/json")
    if isinstance(body, bytes) and is_json:
        try:
            value = json.loads(body)
        except ValueError:
            return _described(body, content_type)
    elif isinstance(body, bytes) or (isinstance(body, str) and not is_json):
        return _described(body, content_type)
    return json.dumps(_redacted(value, top=True), ensure_ascii=False)


def _described(body: Union[bytes, str], content_type: Optional[str]) -> str:
    return f"({len(body)} {'bytes' if isinstance(body, bytes) else 'chars'} of {content_type})"


def _redacted(value: Any, top: bool = False) -> Any:
    if isinstance(value, dict):
        mapping = cast("Dict[str, Any]", value)
        secret = (SECRET_KEYS | {SIGN_IN_CODE}) if SIGN_IN_CODE_MARK in mapping else SECRET_KEYS
        return {k: REDACTED if k in secret else _redacted(v) for k, v in mapping.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in cast("Sequence[Any]", value)]
    # A body that is one JSON string is the refresh token of a logout.
    if top and isinstance(value, str):
        return REDACTED
    return value
