"""OpenTelemetry traces of calls: a span per call of an operation, a child per attempt.

- The call's span is named after the operation (``get_api_auth_me``, kind INTERNAL). A
  call that fails ends it with status ERROR and the typed exception recorded, its text
  redacted. Each wait before a retry, or for a cool-down that a ``429`` asked of the
  client, is an event of it (``numind.retry``, ``numind.cool_down``).
- Each attempt is a child span of kind CLIENT, named ``GET /api/auth/me`` (the method and
  the operation's path template), with the stable HTTP client attributes
  (``http.request.method``, ``server.address``, ``server.port``, ``url.full``,
  ``url.template``, ``http.response.status_code``, ``error.type``,
  ``http.request.resend_count``), and sends a W3C ``traceparent`` of its own.
- A token refresh that a call needs is a call of its own (``post_api_auth_token``), a
  child of the call's span.

Off unless the application set a tracer provider (``trace.set_tracer_provider``) before it
made the client: the client decides once, when it is made (``BaseApiClient.__init__``),
and one that does not trace pays one attribute check per call and per attempt. Nothing of
OpenTelemetry is imported by this module: only when the application imported it first.

No secret reaches a span: headers and bodies are never recorded, ``url.full`` has no
userinfo and its credential parameters are redacted (``_redact``), and the text of a
recorded exception is redacted the same way.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import TYPE_CHECKING, Any, Dict, Generator, Optional, TypeVar
from urllib.parse import urlsplit, urlunsplit

from numind import __version__

from . import _endpoints
from ._endpoint import Endpoint
from ._redact import redact_url

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

    from ._request import PreparedRequest
    from ._retry import CallRetries

__all__ = ["PROVIDER_VARIABLE", "Attempt", "Tracing", "tracing_for"]

R = TypeVar("R")

#: The environment variable that names a tracer provider for OpenTelemetry to load.
PROVIDER_VARIABLE = "OTEL_PYTHON_TRACER_PROVIDER"
#: The name of the tracer (the instrumentation scope) of the spans made here.
SCOPE = "numind.openapi_client"

#: operation id -> path template (``/api/auth/user-tokens/{userTokenId}``).
_TEMPLATES: Dict[str, str] = {
    value.operation_id: value.path
    for value in vars(_endpoints).values()
    if isinstance(value, Endpoint)
}


def tracing_for() -> Optional[Tracing]:
    """The tracing of a client being made: None (off) when no tracer provider is set."""
    try:
        from opentelemetry import trace
    except ImportError:  # only OTEL_PYTHON_TRACER_PROVIDER was set, without the package
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    return Tracing(provider.get_tracer(SCOPE, __version__))


class Tracing:
    """The spans of one client's calls (see the module docstring)."""

    def __init__(self, tracer: Tracer) -> None:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self._tracer = tracer
        self._inject = propagate.inject
        self._kinds = SpanKind.INTERNAL, SpanKind.CLIENT
        self._error = Status(StatusCode.ERROR)

    def waited(self, name: str, attributes: Dict[str, Any]) -> None:
        """A wait of a call's retry loop (a ``WaitObserver``): an event of the span that is
        current then, the call's (the attempt's span has ended)."""
        from opentelemetry import trace

        trace.get_current_span().add_event(name, attributes)

    @contextlib.contextmanager
    def operation(self, name: str) -> Generator[None, None, None]:
        """The span of a call of operation ``name``: the driver's entry runs inside it."""
        with self._tracer.start_as_current_span(
            name, kind=self._kinds[0], record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield
            except BaseException as error:
                _record(span, error)
                raise

    @contextlib.contextmanager
    def attempt(
        self, request: PreparedRequest, retries: CallRetries
    ) -> Generator[Attempt, None, None]:
        """The span of one attempt of ``request``; ``Attempt.request`` carries its
        ``traceparent``."""
        method = request.method
        template = _TEMPLATES.get(request.operation)
        attributes: Dict[str, Any] = {"http.request.method": method, **_address(request.url)}
        if template is not None:
            attributes["url.template"] = template
        if retries.retries:
            attributes["http.request.resend_count"] = retries.retries
        name = f"{method} {template}" if template is not None else method
        with self._tracer.start_as_current_span(
            name,
            kind=self._kinds[1],
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            headers = dict(request.headers)
            self._inject(headers)  # the W3C traceparent of this span
            try:
                yield Attempt(span, request._replace(headers=headers), self._error)
            except BaseException as error:
                span.set_attribute("error.type", type(error).__name__)
                span.set_status(self._error)
                raise


class Attempt:
    """One attempt in its span: the request to send, and what its answer was."""

    __slots__ = ("_error", "request", "span")

    def __init__(self, span: Span, request: PreparedRequest, error: Any) -> None:
        self.span = span
        #: The request with this attempt's ``traceparent`` (the call's stays as it is).
        self.request = request
        self._error = error  # Status(StatusCode.ERROR)

    def answered(self, response: R) -> R:
        """Note the status of ``response`` (either client's) on the span; return it."""
        status: int = getattr(response, "status")  # noqa: B009 (R is either RESTResponse)
        self.span.set_attribute("http.response.status_code", status)
        if status >= 400:
            self.span.set_attribute("error.type", str(status))
            self.span.set_status(self._error)
        return response


def _address(url: str) -> Dict[str, Any]:
    """``server.address``, ``server.port`` and ``url.full`` of ``url``: no userinfo, no
    fragment, credential parameters redacted."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    full = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {
        "server.address": parts.hostname or "",
        "server.port": port,
        "url.full": redact_url(full),
    }


def _record(span: Span, error: BaseException) -> None:
    """End ``span`` as failed by ``error``: status ERROR, the exception recorded with its
    text and traceback redacted (a URL's credential parameters)."""
    from opentelemetry.trace import Status, StatusCode

    message = redact_url(str(error))
    stacktrace = redact_url(
        "".join(traceback.format_exception(type(error), error, error.__traceback__))
    )
    span.record_exception(
        error,
        attributes={"exception.message": message, "exception.stacktrace": stacktrace},
        escaped=True,
    )
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {message}"))
