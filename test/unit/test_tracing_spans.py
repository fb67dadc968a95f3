"""The spans of ``_tracing`` as plain values: a tracer of opentelemetry-sdk's own (not the
global one), an in-memory exporter, and requests that are never sent."""

from __future__ import annotations

from typing import Any, Iterator, List, Optional

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from unit_fakes import FakeResponse

import numind.openapi_client as sdk
from numind.openapi_client import _tracing
from numind.openapi_client._deadline import Deadline
from numind.openapi_client._request import PreparedRequest
from numind.openapi_client._retry import CallRetries, CoolDowns, RetryPolicy

URL = "https://user:pass@api.example.com/v1/api/auth?redirectUri=x&code=SECRET#frag"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    yield InMemorySpanExporter()


def tracing(exporter: InMemorySpanExporter) -> _tracing.Tracing:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return _tracing.Tracing(provider.get_tracer("test"))


def request(url: str = URL, operation: str = "get_api_auth") -> PreparedRequest:
    deadline = Deadline(10.0)
    return PreparedRequest(
        "GET",
        url,
        {"Authorization": "Bearer SECRET"},
        None,
        operation,
        None,
        deadline,  # type: ignore[arg-type]
    )


def call_retries(done: int = 0, observer: Optional[_tracing.Tracing] = None) -> CallRetries:
    retries = CallRetries(RetryPolicy(), Deadline(10.0), "GET", URL, CoolDowns(), observer)
    retries.retries = done
    return retries


def finished(exporter: InMemorySpanExporter) -> List[ReadableSpan]:
    return sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)


def test_the_address_has_no_userinfo_no_fragment_and_no_credential_parameter() -> None:
    assert _tracing._address(URL) == {  # pyright: ignore[reportPrivateUsage]
        "server.address": "api.example.com",
        "server.port": 443,
        "url.full": "https://api.example.com/v1/api/auth?redirectUri=x&code=<redacted>",
    }
    assert _tracing._address("http://[::1]:8080/v1/x")["server.port"] == 8080  # pyright: ignore[reportPrivateUsage]
    assert _tracing._address("http://localhost/x")["server.port"] == 80  # pyright: ignore[reportPrivateUsage]


def test_an_attempt_is_a_client_span_that_sends_its_own_traceparent(
    exporter: InMemorySpanExporter,
) -> None:
    traced = tracing(exporter)
    with traced.attempt(request(), call_retries(2)) as attempt:
        assert attempt.answered(FakeResponse(status=502)).status == 502
        sent = attempt.request.headers

    [span] = finished(exporter)
    assert (span.name, span.kind, span.status.status_code) == (
        "GET /api/auth",
        SpanKind.CLIENT,
        StatusCode.ERROR,
    )
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "server.address": "api.example.com",
        "server.port": 443,
        "url.full": "https://api.example.com/v1/api/auth?redirectUri=x&code=<redacted>",
        "url.template": "/api/auth",
        "http.request.resend_count": 2,
        "http.response.status_code": 502,
        "error.type": "502",
    }
    context = span.context
    assert context is not None
    assert sent["traceparent"].startswith(f"00-{context.trace_id:032x}-{context.span_id:016x}-")
    assert sent["Authorization"] == "Bearer SECRET"
    assert "traceparent" not in request().headers  # the call's request is left as it was


def test_a_request_of_call_api_is_named_by_its_method(exporter: InMemorySpanExporter) -> None:
    traced = tracing(exporter)
    with pytest.raises(sdk.ApiTimeoutError), traced.attempt(request(operation=""), call_retries()):
        raise sdk.ApiTimeoutError("no answer within 1 s")
    [span] = finished(exporter)
    assert span.name == "GET"
    assert "url.template" not in (span.attributes or {})
    assert "http.request.resend_count" not in (span.attributes or {})
    assert (span.attributes or {})["error.type"] == "ApiTimeoutError"
    assert span.status.status_code is StatusCode.ERROR


def test_a_failed_call_records_its_error_redacted(exporter: InMemorySpanExporter) -> None:
    traced = tracing(exporter)
    error = sdk.ApiConnectionError(f"refused on GET {URL}")
    with pytest.raises(sdk.ApiConnectionError), traced.operation("get_api_auth"):
        raise error

    [span] = finished(exporter)
    assert (span.name, span.kind) == ("get_api_auth", SpanKind.INTERNAL)
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is not None
    assert span.status.description.startswith("ApiConnectionError: refused on GET")
    [event] = span.events
    assert event.name == "exception"
    exported = span.to_json()
    assert "SECRET" not in exported
    assert "code=<redacted>" in exported


def test_a_wait_is_an_event_of_the_current_span(exporter: InMemorySpanExporter) -> None:
    traced = tracing(exporter)
    with traced.operation("get_api_auth_me"):
        retries = call_retries(observer=traced)
        assert retries.after_response(FakeResponse(status=503)) is not None

    [span] = finished(exporter)
    [event] = span.events
    attributes: Any = dict(event.attributes or {})
    assert event.name == "numind.retry"
    assert attributes["numind.retry.number"] == 1
    assert attributes["numind.wait.reason"] == (
        "status 503 on GET /v1/api/auth?redirectUri=x&code=<redacted>#frag"
    )


def test_no_tracing_without_a_tracer_provider() -> None:
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    assert _tracing.tracing_for() is None
