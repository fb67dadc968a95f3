"""Every exception the client raises.

::

    OpenApiException
    ├── ApiTypeError (TypeError)          an argument of the wrong type; nothing was sent
    ├── ApiValueError (ValueError)        an argument with a bad value; nothing was sent
    ├── ApiKeyError (KeyError)
    ├── ApiAttributeError (AttributeError)
    ├── ApiConnectionError                the server could not be reached or the connection failed
    │   └── ApiTimeoutError               no answer within the timeout
    ├── ApiException                      the server answered with an error status, or an
    │   │                                 answer that could not be decoded
    │   ├── BadRequestException           400
    │   ├── UnauthorizedException         401
    │   ├── ForbiddenException            403
    │   ├── NotFoundException             404
    │   ├── ConflictException             409
    │   ├── UnprocessableEntityException  422
    │   ├── TooManyRequestsException      429 (after the retries; see ``Retry-After``)
    │   └── ServiceException              5xx
    ├── LoginError                        ``auth.login()`` did not complete
    ├── LoginRequiredError                no usable login: sign in again
    └── CredentialStoreError              the credential file is unsafe or unreadable

The last three are the errors of signing in: they live in ``numind.openapi_client.auth``
(which this module must not import) and are exported by ``numind.openapi_client`` too,
with ``auth.SessionNotRevokedWarning``.

``ApiException.from_response`` is the one place that maps a status to its class, and
``ApiException.hint`` says what to do about the usual mistakes (a base URL without
``/v1``, a rejected ``NUMIND_API_KEY``).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from typing import (
    Any,
    Collection,
    FrozenSet,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Type,
    Union,
)
from urllib.parse import urlsplit

#: The response header that carries the server's id of a request (quote it to support).
REQUEST_ID_HEADER = "X-Request-Id"
#: Where every path of the API starts, after the base URL (``/v1/api/auth/me``).
API_PATHS = "/api/"

__all__ = [
    "OpenApiException",
    "ApiTypeError",
    "ApiValueError",
    "ApiKeyError",
    "ApiAttributeError",
    "ApiConnectionError",
    "ApiTimeoutError",
    "ApiException",
    "BadRequestException",
    "UnauthorizedException",
    "ForbiddenException",
    "NotFoundException",
    "ConflictException",
    "UnprocessableEntityException",
    "TooManyRequestsException",
    "ServiceException",
]

PathToItem = Optional[Sequence[Union[str, int]]]


class ResponseLike(Protocol):
    """What ``ApiException`` reads of an answer: either client's ``RESTResponse`` is one.

    Written here so that the exceptions name no transport (this module is below them).
    """

    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def data(self) -> Optional[bytes]: ...
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def retry_note(self) -> Optional[str]: ...
    def getheaders(self) -> Mapping[str, str]: ...


def render_path(path_to_item: Sequence[Union[str, int]]) -> str:
    """Render a path such as ``["a", 0, "b"]`` as ``['a'][0]['b']``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in path_to_item)


class OpenApiException(Exception):
    """The base class of every exception raised by this package."""


class _PathMixin:
    def _with_path(self, msg: str, path_to_item: PathToItem) -> str:
        self.path_to_item = path_to_item
        return f"{msg} at {render_path(path_to_item)}" if path_to_item else msg


class ApiTypeError(OpenApiException, TypeError, _PathMixin):
    """An argument has the wrong type. Raised before any request is sent."""

    def __init__(
        self,
        msg: str,
        path_to_item: PathToItem = None,
        valid_classes: Optional[Sequence[type]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.valid_classes = valid_classes
        self.key_type = key_type
        super().__init__(self._with_path(msg, path_to_item))


class ApiValueError(OpenApiException, ValueError, _PathMixin):
    """An argument has a bad value. Raised before any request is sent."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        super().__init__(self._with_path(msg, path_to_item))


class ApiAttributeError(OpenApiException, AttributeError, _PathMixin):
    """An attribute that does not exist was asked for."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        super().__init__(self._with_path(msg, path_to_item))


class ApiKeyError(OpenApiException, KeyError, _PathMixin):
    """A key that does not exist was asked for."""

    def __init__(self, msg: str, path_to_item: PathToItem = None) -> None:
        super().__init__(self._with_path(msg, path_to_item))


class ApiConnectionError(OpenApiException):
    """The request did not get a whole answer: connection refused or reset, DNS, TLS or proxy
    failure, or a body cut short.

    ``method`` and ``url`` say which request failed; ``__cause__`` is the transport's error.
    When the failure came after the status line, ``status`` and ``headers`` are those of
    the answer and ``body`` is the part of the body that arrived (text); otherwise None.
    ``retry_note`` says why the call stopped retrying, when it had retried or had time left
    (``gave up: the next retry was due after the 2 s deadline``); it ends ``str()``.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status: Optional[int] = None
        self.headers: Optional[Mapping[str, str]] = None
        self.body: Optional[str] = None
        self.retry_note: Optional[str] = None
        #: The urllib3 error this failure stands for, which a ``urllib3.Retry`` policy
        #: classifies (nothing was sent; sent, maybe processed; anything else): set by a
        #: transport whose own errors are not urllib3's (the async client's).
        self.retry_as: Optional[Exception] = None

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} ({self.retry_note})" if self.retry_note else text

    def add_answer(self, status: int, headers: Mapping[str, str], received: bytes) -> None:
        """Record the answer that was being read when the connection failed."""
        self.status = status
        self.headers = headers
        self.body = received.decode("utf-8", errors="replace")
        self.args = (f"{self.args[0]} (status {status}, {len(received)} bytes of body received)",)


class ApiTimeoutError(ApiConnectionError):
    """The server did not answer (connect or read) within the timeout."""


class ApiException(OpenApiException):
    """The server answered with an error status, or with an answer that could not be decoded.

    Attributes: ``status`` (int), ``reason`` (str), ``body`` (the raw body as text),
    ``data`` (the decoded body: an ``Error`` model, or the text of a ``text/plain`` answer,
    or None), ``error`` (``data`` when it is an ``Error``, with ``code`` and ``message``),
    ``headers`` (the response headers), ``method`` and ``url`` of the request, and
    ``request_id`` (the ``X-Request-Id`` header, when the server sent one), and
    ``retry_note``: why the call stopped retrying, when it had retried
    (``gave up after 2 retries``) or could not for its deadline; ``hint``: what to do when
    the cause is a usual mistake (a 404 from a base URL without ``/v1``, whose corrected
    URL is ``suggested_host``; a 401 to the key of ``NUMIND_API_KEY``), else None.
    ``str()`` is one short line, the hint at its end; the full body stays in ``body``.
    """

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Optional[ResponseLike] = None,
        *,
        body: Optional[str] = None,
        data: Any = None,
        credential: Optional[str] = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        self.data = data
        self.headers: Optional[Mapping[str, str]] = None
        self.method: Optional[str] = None
        self.url: Optional[str] = None
        self.retry_note: Optional[str] = None
        if http_resp is not None:
            if self.status is None:
                self.status = http_resp.status
            if self.reason is None:
                self.reason = http_resp.reason
            if self.body is None and http_resp.data is not None:
                self.body = http_resp.data.decode("utf-8", errors="replace")
            self.headers = http_resp.getheaders()
            self.method = http_resp.method or None
            self.url = http_resp.url or None
            self.retry_note = http_resp.retry_note
        #: The base URL to use instead, when the 404 came from a base URL without ``/v1``.
        self.suggested_host: Optional[str] = None
        #: What to do about it, when the cause is a usual mistake; it ends ``str()`` too.
        self.hint: Optional[str] = None
        if self.url is not None and self.status in (401, 404):
            self.hint, self.suggested_host = error_hint(self.status, self.url, credential)
        super().__init__(self.__str__())

    @property
    def request_id(self) -> Optional[str]:
        """The server's id of the request (``X-Request-Id``), or None."""
        return self.headers.get(REQUEST_ID_HEADER) if self.headers is not None else None

    @property
    def error(self) -> Any:
        """The ``Error`` (``code``, ``message``) of the body, or None when it is not one."""
        return self.data if hasattr(self.data, "code") and hasattr(self.data, "message") else None

    @classmethod
    def from_response(
        cls,
        *,
        http_resp: ResponseLike,
        body: Optional[str],
        data: Any,
        credential: Optional[str] = None,
    ) -> ApiException:
        """Build the exception that matches ``http_resp.status`` (the one status -> class map).
        ``credential``: ``"NUMIND_API_KEY"`` when that variable's key signed the request."""
        return _class_for_status(http_resp.status)(
            http_resp=http_resp, body=body, data=data, credential=credential
        )

    def __str__(self) -> str:
        text = f"({self.status}) {self.reason or ''}".rstrip()
        if self.method and self.url:
            text += f" on {self.method} {self.url}"
        error = self.error
        detail = f"{error.code}: {error.message}" if error is not None else self.data or self.body
        if detail and self.status is not None and 200 <= self.status <= 299:
            # An undecodable success may be a token response: never echo it.
            detail = f"the body ({len(self.body or '')} chars) is kept in .body"
        if detail:
            detail = " ".join(str(detail).split())
            text += ": " + (detail if len(detail) <= 200 else detail[:200] + "...")
        if getattr(self, "hint", None):
            text += f". {self.hint}"
        if self.retry_note:
            text += f" ({self.retry_note})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestException(ApiException):
    """400 Bad Request: the server rejected a value; ``body`` says which."""


class UnauthorizedException(ApiException):
    """401 Unauthorized: the access token or API key is missing, expired or revoked."""


class ForbiddenException(ApiException):
    """403 Forbidden."""


class NotFoundException(ApiException):
    """404 Not Found."""


class ConflictException(ApiException):
    """409 Conflict."""


class UnprocessableEntityException(ApiException):
    """422 Unprocessable Entity."""


class TooManyRequestsException(ApiException):
    """429 Too Many Requests, still after the retries: slow down; ``headers`` may hold a
    ``Retry-After``."""


class ServiceException(ApiException):
    """5xx: the server failed."""


_BY_STATUS = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    422: UnprocessableEntityException,
    429: TooManyRequestsException,
}


def _class_for_status(status: int) -> Type[ApiException]:
    if 500 <= status <= 599:
        return ServiceException
    return _BY_STATUS.get(status, ApiException)


# -- hints: what to do about the usual mistakes (pure, on the request's URL) ---------------


def base_url_of(url: str) -> str:
    """The base URL that a request URL was built on: up to the API's paths (``/api/...``),
    else its origin (``https://host:port``)."""
    parts = urlsplit(url)
    cut = parts.path.find(API_PATHS)
    return f"{parts.scheme}://{parts.netloc}{parts.path[:cut] if cut > 0 else ''}"


def error_hint(
    status: Optional[int], url: str, credential: Optional[str] = None
) -> Tuple[Optional[str], Optional[str]]:
    """(hint, suggested host) for an error answer to ``url``: a 404 whose base URL lacks
    the ``/v1`` the API's paths start with, a 401 to the key of ``NUMIND_API_KEY``."""
    if status == 404 and API_PATHS in urlsplit(url).path:
        base = base_url_of(url)
        if not base.endswith("/v1"):
            fixed = base + "/v1"
            return (
                f"The base URL {base} lacks the /v1 that the API's paths start with: use {fixed}",
                fixed,
            )
    if status == 401 and credential == "NUMIND_API_KEY":
        return (
            "The token sent was NUMIND_API_KEY: set it to a valid API key (`numind auth "
            "tokens create NAME`), or unset it to use your login; `numind auth status` "
            "shows which credential is used",
            None,
        )
    return None, None


def unexpected_keyword(
    where: str, name: str, known: Collection[str], advice: Optional[str] = None
) -> TypeError:
    """The ``TypeError`` of a keyword argument ``name`` that ``where`` does not take, as
    Python words it, with ``advice`` or else the closest of the ``known`` names."""
    message = f"{where}() got an unexpected keyword argument {name!r}"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if advice is not None:
        message += f": {advice}"
    elif close:
        message += f"; did you mean {close[0]!r}?"
    return TypeError(message)


def unknown_keyword(
    cls: type, given: Collection[str], advice: Mapping[str, str]
) -> Optional[TypeError]:
    """The ``TypeError`` of the first of the ``given`` keywords that ``cls()`` does not take
    (with ``advice[name]``, or the closest name it takes), or None when it takes them all."""
    known = _keywords(cls)
    for name in given:
        if known is not None and name not in known:
            return unexpected_keyword(cls.__name__, name, known, advice.get(name))
    return None


@functools.cache
def _keywords(cls: type) -> Optional[FrozenSet[str]]:
    """The keyword parameters of ``cls.__init__`` (None: it takes ``**kwargs``)."""
    init = cls.__init__  # type: ignore[misc]  # the class's own, read from the class
    parameters = list(inspect.signature(init).parameters.values())[1:]
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return frozenset(
        p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
