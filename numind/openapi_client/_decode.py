"""Decoding an answer: its status and media type say what it becomes, a model (with the
``ApiResponse`` around it) or the ``ApiException`` subclass of its status.

Pure: it reads a response whose body is read (``status``, ``headers``, ``data``) and
touches no socket; both clients use it.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
from typing import TYPE_CHECKING, Any, Callable, List, Mapping, Optional, Union, cast

from ._redact import redact_body, redact_headers
from .api_response import ApiResponse
from .exceptions import ApiException, ApiValueError

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["DecodeError", "decode_body", "decode_response", "describe", "model_class"]

logger = logging.getLogger("numind.openapi_client")

#: The package of the models: imported on the first call that needs one.
_MODELS = "numind.openapi_client.models"


class DecodeError(ValueError):
    """A body that cannot be decoded as the declared type."""


def decode_response(
    response: Any,
    response_types: Mapping[str, Optional[str]],
    log_bodies: bool = False,
    credential: Optional[str] = None,
) -> ApiResponse[Any]:
    """Decode a response, its body read, by its status and media type.

    A 2xx answer gives an ``ApiResponse``; any other raises the ``ApiException`` subclass
    of its status, with the decoded body (an ``Error``, or text) as ``data`` (and, with
    ``credential``, where the token came from, the hint of a 401).
    """
    status = response.status
    raw = response.data
    if raw is None:
        raise ApiValueError("response_deserialize() needs a response whose body is read")
    success = 200 <= status <= 299
    response_type = response_type_for(response_types, status)
    content_type = response.getheader("Content-Type")
    if log_bodies:
        logger.debug(
            "response %d headers=%s body=%s",
            status,
            redact_headers(response.headers),
            redact_body(raw, content_type),
        )
    data: Any = None
    if response_type is not None and (raw or not success):
        try:
            data = decode_body(raw, response_type, content_type)
        except ValueError as exc:  # pydantic's ValidationError and DecodeError among them
            if success:
                raise ApiException(
                    status=status,
                    reason=f"The response is not a valid {response_type}: {describe(exc)}",
                    http_resp=response,
                ) from None
    if not success:
        text = raw.decode("utf-8", errors="replace")
        raise ApiException.from_response(
            http_resp=response, body=text, data=data, credential=credential
        )
    return ApiResponse(status_code=status, data=data, headers=response.headers, raw_data=raw)


def decode_body(raw: Union[str, bytes], response_type: str, content_type: Optional[str]) -> Any:
    """Decode a body as ``response_type`` (a model name, ``List[Model]``, ``str``, ``object``).

    Raises ``ValueError`` (pydantic's ``ValidationError`` among them) when it does not fit.
    """
    media = media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        return _decoder(response_type)(raw)
    if media.startswith("text/") and response_type == "str":
        if isinstance(raw, bytes):
            return raw.decode(_charset(content_type))
        return raw
    raise DecodeError(f"a {content_type} body cannot be decoded as {response_type}")


def response_type_for(types: Mapping[str, Optional[str]], status: int) -> Optional[str]:
    """The type a status decodes to: its own entry, its ``4XX`` range, else the default."""
    code = str(status)
    if code in types:
        return types[code]
    if code[0] + "XX" in types:
        return types[code[0] + "XX"]
    if 200 <= status <= 299:
        return types.get("200")
    return types.get("0")


def describe(exc: BaseException) -> str:
    """A validation error as text that names the fields but never echoes the input values
    (they may be secrets, such as a refresh token)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts: List[str] = []
    for error in cast("ValidationError", exc).errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in error["loc"] if not str(p).startswith("ai.numind."))
        msg = error["msg"]
        if error["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{loc!r}: {msg}" if loc else msg)
    return "; ".join(parts)


@functools.cache
def model_class(name: str) -> Any:
    """The model class named ``name`` (imported on first use)."""
    return getattr(importlib.import_module(_MODELS), name)


@functools.lru_cache(maxsize=64)
def media_type(content_type: Optional[str]) -> str:
    """``application/json`` of ``Application/JSON; charset=utf-8`` (a response has few kinds)."""
    return (content_type or "application/json").split(";", 1)[0].strip().lower()


def _charset(content_type: Optional[str]) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


@functools.cache
def _decoder(type_name: str) -> Callable[[Union[str, bytes]], Any]:
    """The fastest way to decode a JSON body as ``type_name``: straight into the model."""
    from pydantic import ConfigDict, TypeAdapter

    # As the models' own: a validation error never shows the input (it may hold tokens).
    hidden = ConfigDict(hide_input_in_errors=True)
    if type_name == "object":
        return json.loads
    if type_name in ("bytearray", "bytes"):
        return lambda raw: raw
    builtin = {"str": str, "int": int, "float": float, "bool": bool}.get(type_name)
    if builtin is not None:
        return TypeAdapter(builtin, config=hidden).validate_json
    if type_name.startswith("List[") and type_name.endswith("]"):
        list_type: Any = List[model_class(type_name[5:-1])]  # type: ignore[misc]
        return TypeAdapter(list_type, config=hidden).validate_json
    # The model's own validator, as ``model_validate_json`` calls it (without its wrapper).
    return cast(
        "Callable[[Union[str, bytes]], Any]",
        model_class(type_name).__pydantic_validator__.validate_json,
    )
