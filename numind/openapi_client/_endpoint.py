"""How an operation is described: as data, once, for the one request pipeline.

The public methods take the per-call options as ``**options: Unpack[RequestOptions]``
(typed once, in ``_types``); ``with_option_signatures`` shows them in their run-time
signatures, and ``_request.call_options`` reads them.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Generic, Mapping, Optional, Tuple, Type, TypeVar

from ._types import RequestOptions

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class Param:
    """One parameter of an operation."""

    name: str  # Python name, as in the method signature
    wire_name: str  # name in the path template, query string or body
    location: str  # "path", "query" or "body"
    type_name: str  # "str" or the name of a model
    also_accepts: Tuple[str, ...] = ()  # other models that stand for it (oneOf variants)


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One operation of the API; ``T`` is what a successful call returns."""

    operation_id: str
    method: str
    path: str  # template relative to the host, e.g. "/api/auth/user-tokens/{userTokenId}"
    params: Tuple[Param, ...]
    response_types: Mapping[str, Optional[str]]  # status ("200", "4XX", "0") -> type name
    accept: str  # the Accept header: every media type the operation answers with
    content_types: Tuple[str, ...] = ()  # media types of the request body; first is the default
    auth: Tuple[str, ...] = ()  # security schemes, by name


def with_option_signatures(cls: Type[C]) -> Type[C]:
    """Show the options in the run-time signature of each public method of ``cls``.

    ``help()``, IPython and Jupyter read ``inspect.signature``, which would show only
    ``**options``; type checkers read ``Unpack[RequestOptions]`` instead. Both then list
    the same keyword-only options, with their types and ``None`` defaults.
    """
    hints = typing.get_type_hints(RequestOptions)
    options = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, hint in hints.items()
    ]
    for name, member in vars(cls).items():
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        signature = inspect.signature(member)
        kept = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        if len(kept) < len(signature.parameters):
            # setattr: typeshed's FunctionType declares no __signature__, inspect reads it
            setattr(member, "__signature__", signature.replace(parameters=[*kept, *options]))  # noqa: B010
    return cls
