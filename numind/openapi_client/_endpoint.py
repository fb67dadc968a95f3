"""How an operation is described: as data, once, for the one request pipeline.

Also the per-call options: the public methods take them as ``**options:
Unpack[RequestOptions]`` (typed once, in ``_types``), and ``call_options`` turns them into
the ``CallOptions`` that the pipeline reads.
"""

from __future__ import annotations

import inspect
import sys
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Mapping, NamedTuple, Optional, Tuple, Type, TypeVar

from ._types import RequestAuth, RequestHeaders, RequestOptions, RequestTimeout

if TYPE_CHECKING:
    from ._deadline import Deadline

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


class CallOptions(NamedTuple):
    """The per-call keyword options (``_request_timeout``, ``_headers``, ...), for the pipeline."""

    request_timeout: RequestTimeout = None
    request_auth: RequestAuth = None
    content_type: Optional[str] = None
    headers: RequestHeaders = None
    host_index: Optional[int] = None
    # Set by the pipeline, never by a user: a call that a call makes (the token refresh)
    # goes to the host of its login and ends within the deadline of the call that needs it.
    host: Optional[str] = None
    deadline: Optional[Deadline] = None


_NO_OPTIONS = CallOptions()
OPTION_NAMES: typing.FrozenSet[str] = RequestOptions.__optional_keys__


def call_options(options: RequestOptions) -> CallOptions:
    """The ``CallOptions`` of a method's ``**options``.

    A keyword that is not an option raises ``TypeError``, as Python does for a function
    that spells its keyword parameters out.
    """
    if not options:
        return _NO_OPTIONS
    if not OPTION_NAMES.issuperset(options):
        raise _unexpected_keyword(options)
    return CallOptions(
        options.get("_request_timeout"),
        options.get("_request_auth"),
        options.get("_content_type"),
        options.get("_headers"),
        options.get("_host_index"),
    )


def _unexpected_keyword(options: Mapping[str, object]) -> TypeError:
    import difflib

    # Named like Python names it: after the public method that took **options, which is
    # the caller of call_options (only looked up on this error path).
    code = sys._getframe(2).f_code  # pyright: ignore[reportPrivateUsage]
    method = getattr(code, "co_qualname", code.co_name)
    name = next(key for key in options if key not in OPTION_NAMES)
    message = f"{method}() got an unexpected keyword argument {name!r}"
    close = difflib.get_close_matches(name, sorted(OPTION_NAMES), n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return TypeError(message)


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
