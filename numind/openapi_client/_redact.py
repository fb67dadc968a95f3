"""What ``debug=True`` may log of a request or an answer: everything but the secrets."""

from __future__ import annotations

import json
import re
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    SupportsIndex,
    Tuple,
    Union,
    cast,
)

__all__ = [
    "REDACTED",
    "masked_headers",
    "Secret",
    "SecretBytes",
    "mask_secrets",
    "redact_body",
    "redact_headers",
    "redact_url",
]

REDACTED = "<redacted>"
#: Headers that carry credentials (lower case).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: JSON keys (wire names) whose values are credentials: access, refresh and API tokens.
SECRET_KEYS = frozenset({"token", "refreshToken", "accessToken", "apiKey"})
#: The one-time sign-in ``code`` is secret next to its ``redirectUri``; the ``code`` of an
#: ``Error`` is not.
SIGN_IN_CODE, SIGN_IN_CODE_MARK = "code", "redirectUri"


#: Query (or fragment) parameters whose values are credentials, as OAuth and APIs name
#: them: in a ``Location`` (an OAuth redirect carries ``code`` or ``access_token``) or in
#: any URL that a log shows.
_SECRET_PARAMETER = re.compile(
    r"([?&#;](?:access_token|refresh_token|id_token|token|code|api_key|apikey|key|"
    r"password|secret|client_secret|session_state)=)[^&#;\s]*",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """``url`` with the values of credential parameters replaced (``?code=<redacted>``)."""
    return _SECRET_PARAMETER.sub(r"\1" + REDACTED, url) if "=" in url else url


class Secret(str):
    """A credential (a token, an ``Authorization`` value): the real value wherever a str is
    used, but ``<redacted>`` in ``repr``, so that the locals a traceback captures (Sentry,
    ``pytest -l``, rich's ``show_locals``, ``traceback`` with ``capture_locals``) never
    show it. ``str()`` gives the real value back, as a plain str.

    What is cut from it or made of it stays masked: a slice or an item (rich's
    ``show_locals`` shows a long string as ``repr(value[:80])``), a concatenation, a format
    (``format``, ``%``). Plain str methods (``encode``, ``strip``, ``join``) give plain
    values, as they must where it is sent."""

    __slots__ = ()

    def __repr__(self) -> str:
        return REDACTED

    def __getitem__(self, key: Any) -> Secret:
        return Secret(str.__getitem__(self, key))

    def __add__(self, other: str) -> Secret:
        if not isinstance(other, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            return NotImplemented
        return Secret(str.__add__(self, other))

    def __radd__(self, other: str) -> Secret:
        if not isinstance(other, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            return NotImplemented
        return Secret(str.__add__(other, self))

    def __format__(self, format_spec: str) -> Secret:
        return Secret(str.__format__(self, format_spec))

    def __mod__(self, values: Any) -> Secret:
        return Secret(str.__mod__(self, values))


class SecretBytes(bytes):
    """A body that may hold credentials (a token request, a token answer): ``repr`` shows
    only its size."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"

    # A slice, a concatenation or a format stays masked (an item is an int, as of bytes).
    def __getitem__(self, key: Union[SupportsIndex, slice]) -> Any:
        if isinstance(key, slice):
            return SecretBytes(bytes.__getitem__(self, key))
        return bytes.__getitem__(self, key)

    def __add__(self, other: Any) -> SecretBytes:
        return SecretBytes(bytes.__add__(self, other))

    def __radd__(self, other: Any) -> SecretBytes:
        if not isinstance(other, bytes):  # a bytearray stays one, as it was
            return NotImplemented
        return SecretBytes(bytes.__add__(other, self))

    def __mod__(self, values: Any) -> SecretBytes:
        return SecretBytes(bytes.__mod__(self, values))


def mask_secrets(body: Any) -> Any:
    """A request body (JSON-ready) whose secret values are ``Secret``: the same JSON, masked
    in the locals of a captured traceback. Request bodies of this API are flat."""
    if isinstance(body, str):
        return Secret(body)  # a body that is one JSON string: the logout's refresh token
    if isinstance(body, dict):
        mapping = cast("Dict[str, Any]", body)
        secret = _secret_keys(mapping)
        return {
            k: Secret(v) if k in secret and isinstance(v, str) else v for k, v in mapping.items()
        }
    return body


def _secret_keys(value: Mapping[str, Any]) -> FrozenSet[str]:
    return SECRET_KEYS | {SIGN_IN_CODE} if SIGN_IN_CODE_MARK in value else SECRET_KEYS


def masked_headers(headers: Iterable[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """``(name, value)`` pairs with the credentials replaced: a credential header's value,
    a ``Secret`` value, and a URL's credential parameters (a ``Referer`` or ``Location``).
    What logs and event hooks see of headers."""
    return [
        (
            name,
            REDACTED
            if type(value) is Secret or name.lower() in SECRET_HEADERS
            else redact_url(str(value)),
        )
        for name, value in headers
    ]


def redact_headers(headers: Optional[Mapping[str, str]]) -> str:
    """Headers as ``{name: value}`` text with credential headers replaced."""
    return repr(dict(masked_headers((headers or {}).items())))


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
        secret = _secret_keys(mapping)
        return {k: REDACTED if k in secret else _redacted(v) for k, v in mapping.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in cast("Sequence[Any]", value)]
    # A body that is one JSON string is the refresh token of a logout.
    if top and isinstance(value, str):
        return REDACTED
    return value
