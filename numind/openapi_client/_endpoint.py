"""How an operation is described: as data, once, for the one request pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Mapping, NamedTuple, Optional, Tuple, TypeVar

from ._types import RequestAuth, RequestHeaders, RequestTimeout

if TYPE_CHECKING:
    from ._deadline import Deadline

T = TypeVar("T")


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


class RequestOptions(NamedTuple):
    """The per-call keyword options (``_request_timeout``, ``_headers``, ...)."""

    request_timeout: RequestTimeout = None
    request_auth: RequestAuth = None
    content_type: Optional[str] = None
    headers: RequestHeaders = None
    host_index: Optional[int] = None
    # Set by the pipeline, never by a user: a call that a call makes (the token refresh)
    # goes to the host of its login and ends within the deadline of the call that needs it.
    host: Optional[str] = None
    deadline: Optional[Deadline] = None
