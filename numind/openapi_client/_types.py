"""Type aliases shared by the public signatures (written once, used everywhere)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, TypedDict, Union

import urllib3

__all__ = [
    "NOT_GIVEN",
    "NotGiven",
    "RESTResponseType",
    "RequestAuth",
    "RequestHeaders",
    "RequestOptions",
    "RequestTimeout",
]

#: ``_request_timeout``: total seconds, ``(connect, read)`` seconds, or a urllib3 ``Timeout``.
RequestTimeout = Union[None, float, Tuple[float, float], urllib3.Timeout]
#: ``_request_auth``: one auth setting, as returned by ``Configuration.auth_settings()``.
RequestAuth = Optional[Dict[str, Any]]
#: ``_headers``: extra request headers; they win over the client's default headers.
RequestHeaders = Optional[Mapping[str, str]]
#: What ``*_without_preload_content`` returns: the transport's own response, body unread
#: (urllib3's pools declare ``BaseHTTPResponse``).
RESTResponseType = urllib3.BaseHTTPResponse


class NotGiven:
    """The type of ``NOT_GIVEN``: an option left as it is, where None has a meaning of its
    own (``timeout=None`` is the default timeout)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


#: An option that was not given (the default of ``ApiClient.with_options``' options).
NOT_GIVEN = NotGiven()


# typing's TypedDict, not typing_extensions': importing the package loads no
# typing_extensions (7 ms); Unpack, from typing_extensions, only appears in annotations.
class RequestOptions(TypedDict, total=False):
    """The keyword options that every API method takes, all optional.

    Typed once here and taken as ``**options: Unpack[RequestOptions]`` (PEP 692), so that
    checkers and editors know each of them, and a misspelt one is an error (at run time
    too: a ``TypeError`` that names it).
    """

    #: Timeout of each attempt of this call, in seconds, ``(connect, read)`` or a
    #: ``urllib3.Timeout``.
    _request_timeout: RequestTimeout
    #: Credentials for this call instead of the configured ones: an entry of
    #: ``Configuration.auth_settings()``.
    _request_auth: RequestAuth
    #: Media type of the request body (only ``application/json``).
    _content_type: Optional[str]
    #: Extra request headers; they win over the client's default headers.
    _headers: RequestHeaders
    #: Send this call to server ``_host_index`` of ``Configuration.get_host_settings()``.
    _host_index: Optional[int]
