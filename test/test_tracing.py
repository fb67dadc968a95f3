"""OpenTelemetry traces (issue 22, item 3): a span per call, a child span per attempt, the
W3C traceparent each attempt sends, and no secret in anything exported.

The spans are read as an application reads them, from opentelemetry-sdk's in-memory
exporter behind the global tracer provider (``spans``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any, Dict, Iterator, List

import pytest
from fault_scenarios import USER, fast_retry_policy
from faulty_server import Fault, FaultyServer, closed_port
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util._once import Once
from recording_server import Canned, RecordingServer
from signing_in import REDIRECT_URI, authorization_code, new_email, play_browser, sign_in
from test_auth_session import expire_locally, stored_file
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans of the test: a global tracer provider, set before the test makes its
    clients (a client decides whether it traces when it is made)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        # OpenTelemetry sets its global provider once per process; its own tests unset it
        # the same way, so that the clients of later tests do not trace.
        trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]  # pyright: ignore[reportPrivateUsage]
        trace._TRACER_PROVIDER_SET_ONCE = Once()  # pyright: ignore[reportPrivateUsage]
        provider.shutdown()


def tree(exporter: InMemorySpanExporter) -> List[Dict[str, Any]]:
    """The finished spans, in the order they started: name, kind, parent's name, status,
    attributes, events (name, attributes)."""
    finished = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    names = {s.context.span_id: s.name for s in finished if s.context is not None}
    return [
        {
            "name": s.name,
            "kind": s.kind,
            "parent": names.get(s.parent.span_id) if s.parent is not None else None,
            "status": s.status.status_code,
            "attributes": dict(s.attributes or {}),
            "events": [(e.name, dict(e.attributes or {})) for e in s.events],
        }
        for s in finished
    ]


def traceparent(span: ReadableSpan) -> str:
    context = span.context
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-"


def test_a_retried_call_is_one_span_with_a_child_span_per_attempt(
    spans: InMemorySpanExporter, twin: Twin
) -> None:
    with FaultyServer([Fault.status(503), Fault.ok(USER)]) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")
        configuration.retries = fast_retry_policy()
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email == "a@example.com"

    call, first, second = tree(spans)
    port = int(server.url.split(":")[2].split("/")[0])
    address = {
        "http.request.method": "GET",
        "server.address": "127.0.0.1",
        "server.port": port,
        "url.full": f"{server.url}/api/auth/me",
        "url.template": "/api/auth/me",
    }
    assert first == {
        "name": "GET /api/auth/me",
        "kind": SpanKind.CLIENT,
        "parent": "get_api_auth_me",
        "status": StatusCode.ERROR,
        "attributes": {**address, "http.response.status_code": 503, "error.type": "503"},
        "events": [],
    }
    assert second == {
        "name": "GET /api/auth/me",
        "kind": SpanKind.CLIENT,
        "parent": "get_api_auth_me",
        "status": StatusCode.UNSET,
        "attributes": {
            **address,
            "http.request.resend_count": 1,
            "http.response.status_code": 200,
        },
        "events": [],
    }
    assert call["name"] == "get_api_auth_me"
    assert (call["kind"], call["parent"], call["status"]) == (
        SpanKind.INTERNAL,
        None,
        StatusCode.UNSET,
    )
    [(event, attributes)] = call["events"]
    assert event == "numind.retry"
    assert attributes["numind.retry.number"] == 1
    assert 0 < attributes["numind.wait.seconds"] < 1
    assert attributes["numind.wait.reason"].startswith("status 503 on GET /")
    # each attempt sends the traceparent of its own span
    attempts = sorted(
        (s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT),
        key=lambda s: s.start_time or 0,
    )
    sent = [request.headers.get("traceparent", "") for request in server.requests]
    assert [header[:53] for header in sent] == [traceparent(s) for s in attempts]


def test_a_failed_call_records_its_typed_exception(spans: InMemorySpanExporter, twin: Twin) -> None:
    with FaultyServer([Fault.status(404)]) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")
        with twin.client(configuration) as client, pytest.raises(sdk.NotFoundException) as raised:
            twin.api(client).get_api_auth_me()

    call, attempt = tree(spans)
    assert (attempt["name"], attempt["status"]) == ("GET /api/auth/me", StatusCode.ERROR)
    assert attempt["attributes"]["error.type"] == "404"
    assert call["status"] == StatusCode.ERROR
    [(event, attributes)] = call["events"]
    assert event == "exception"
    assert attributes["exception.type"] == "numind.openapi_client.exceptions.NotFoundException"
    assert attributes["exception.message"] == str(raised.value)
    assert "NotFoundException: (404)" in attributes["exception.stacktrace"]
    [finished] = [s for s in spans.get_finished_spans() if s.name == "get_api_auth_me"]
    assert finished.status.description == f"NotFoundException: {raised.value}"


def test_an_attempt_that_fails_to_connect_names_its_error(
    spans: InMemorySpanExporter, twin: Twin
) -> None:
    configuration = sdk.Configuration(host=f"http://127.0.0.1:{closed_port()}", retries=0)
    with twin.client(configuration) as client, pytest.raises(sdk.ApiConnectionError):
        twin.api(client).get_api_auth(REDIRECT_URI)

    call, attempt = tree(spans)
    assert (call["name"], call["status"]) == ("get_api_auth", StatusCode.ERROR)
    assert (attempt["name"], attempt["parent"]) == ("GET /api/auth", "get_api_auth")
    assert attempt["status"] == StatusCode.ERROR
    assert attempt["attributes"]["error.type"] == "ApiConnectionError"
    assert "http.response.status_code" not in attempt["attributes"]


def test_a_cool_down_is_an_event_of_the_call_that_waits(
    spans: InMemorySpanExporter, twin: Twin
) -> None:
    script = [Fault.status(429, {"Retry-After": "1"}), Fault.ok(USER)]
    with FaultyServer(script) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", retries=0)
        with twin.client(configuration) as client:
            api = twin.api(client)
            with pytest.raises(sdk.TooManyRequestsException):
                api.get_api_auth_me()
            api.get_api_auth_me()  # waits out the cool-down first

    second_call = [s for s in tree(spans) if s["name"] == "get_api_auth_me"][1]
    [(event, attributes)] = second_call["events"]
    assert event == "numind.cool_down"
    assert 0 < attributes["numind.wait.seconds"] <= 1
    assert "429" in attributes["numind.wait.reason"]


def test_a_refresh_that_a_call_needs_is_a_child_call(
    own_server: LocalServer, spans: InMemorySpanExporter, twin: Twin
) -> None:
    auth.login(own_server.url, browser=lambda url: play_browser(url, None))
    before = stored_file()[own_server.url]
    expire_locally(own_server.url)
    spans.clear()  # the login's own calls

    with twin.client(sdk.Configuration(host=own_server.url)) as client:
        twin.api(client).get_api_auth_me()

    found = [(s["name"], s["kind"], s["parent"]) for s in tree(spans)]
    assert found == [
        ("get_api_auth_me", SpanKind.INTERNAL, None),
        ("post_api_auth_token", SpanKind.INTERNAL, "get_api_auth_me"),
        ("POST /api/auth/token", SpanKind.CLIENT, "post_api_auth_token"),
        ("GET /api/auth/me", SpanKind.CLIENT, "get_api_auth_me"),
    ]
    after = stored_file()[own_server.url]
    secrets = [before[k] for k in ("access_token", "refresh_token")]
    assert_no_secret(spans, secrets + [after[k] for k in ("access_token", "refresh_token")])


def test_no_token_key_or_code_is_in_any_span(
    server: LocalServer, spans: InMemorySpanExporter, twin: Twin
) -> None:
    email = new_email()
    tokens = sign_in(server, email)
    assert tokens.refresh_token is not None
    secrets = [tokens.token, tokens.refresh_token]
    with twin.client(sdk.Configuration(host=server.url, access_token=tokens.token)) as client:
        api = twin.api(client)
        key = api.post_api_auth_user_tokens({"name": "traced"}).token
        code = authorization_code(api, email)
        exchanged = api.post_api_auth_token(
            sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI)
        )
        secrets += [key, code, exchanged.token, exchanged.refresh_token or ""]
        with pytest.raises(sdk.BadRequestException):  # the code, used twice
            api.post_api_auth_token(sdk.TokenCodeRequest(code=code, redirect_uri=REDIRECT_URI))
        with pytest.raises(sdk.BadRequestException):  # a refresh token that is not one
            api.post_api_auth_token(
                sdk.TokenRefreshRequest(token=tokens.token + "x")  # type: ignore[call-arg]
            )
        api.post_api_auth_logout(exchanged.refresh_token)
        wrong = "wrong-" + tokens.token
        with pytest.raises(sdk.UnauthorizedException):
            api.get_api_auth_me(_headers={"Authorization": f"Bearer {wrong}"})
        secrets += [wrong, tokens.token + "x"]
    with twin.client(sdk.Configuration(host=server.url, access_token=key)) as client:
        assert twin.api(client).get_api_auth_me().email == email

    assert len(spans.get_finished_spans()) >= 14
    assert_no_secret(spans, secrets)


def assert_no_secret(exporter: InMemorySpanExporter, secrets: List[str]) -> None:
    """No secret in any exported span: names, attributes, events and their attributes,
    status descriptions, links, resource (all in ``to_json``)."""
    assert all(secrets)
    for span in exporter.get_finished_spans():
        exported = span.to_json()
        json.loads(exported)  # the whole span, as text
        for secret in secrets:
            assert secret not in exported, f"a secret in span {span.name}"


def test_no_traceparent_and_no_span_without_a_tracer_provider(twin: Twin) -> None:
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    with RecordingServer() as server:
        server.default = Canned(body=USER)
        with twin.client(sdk.Configuration(host=server.url, access_token="t")) as client:
            twin.api(client).get_api_auth_me()
            assert client._tracing is None  # pyright: ignore[reportPrivateUsage]
    [request] = server.requests
    assert "traceparent" not in {name.lower() for name in request.headers}


def test_without_opentelemetry_installed_nothing_of_it_is_imported(
    server: LocalServer, tokens: sdk.TokenResponse
) -> None:
    code = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoOpenTelemetry(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ImportError(f"No module named {name!r} (blocked)")
                return None

        sys.meta_path.insert(0, NoOpenTelemetry())
        import numind.openapi_client as sdk

        configuration = sdk.Configuration(host=sys.argv[1], access_token=sys.argv[2])
        with sdk.ApiClient(configuration) as client:
            print(sdk.AuthenticationApi(client).get_api_auth_me().email)
        print(sorted(m for m in sys.modules if "opentelemetry" in m or "_tracing" in m))
        """
    )
    for provider_variable in (None, "sdk_tracer_provider"):
        env = dict(os.environ)
        env.pop("OTEL_PYTHON_TRACER_PROVIDER", None)
        if provider_variable is not None:  # tells OpenTelemetry which provider to load
            env["OTEL_PYTHON_TRACER_PROVIDER"] = provider_variable
        out = subprocess.run(
            [sys.executable, "-c", code, server.url, tokens.token],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.splitlines()
        assert out[0].endswith("@example.com")
        # with the variable, the client looked for OpenTelemetry and did without it
        expected = "[]" if provider_variable is None else "['numind.openapi_client._tracing']"
        assert out[1] == expected


def test_a_copy_with_other_options_traces_as_its_client(
    server: LocalServer, tokens: sdk.TokenResponse, spans: InMemorySpanExporter, twin: Twin
) -> None:
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    with twin.client(configuration) as client:
        copy = client.with_options(timeout=5)
        twin.api(copy).get_api_auth_me()

    found = [(s["name"], s["parent"]) for s in tree(spans)]
    assert found == [("get_api_auth_me", None), ("GET /api/auth/me", "get_api_auth_me")]


def test_event_hooks_run_inside_the_attempts_span_and_see_its_traceparent(
    spans: InMemorySpanExporter, twin: Twin
) -> None:
    seen: List[str] = []

    def note(attempt: sdk.AttemptRequest) -> None:
        seen.append(attempt.headers.get("traceparent", ""))
        attempt.headers["X-Request-Id"] = f"r-{attempt.attempt}"

    configuration = sdk.Configuration(access_token="t", retries=fast_retry_policy())
    with FaultyServer([Fault.status(503, {"Retry-After": "0"})], Fault.ok(USER)) as server:
        configuration.host = server.url
        with twin.client(configuration, event_hooks={"request": [note]}) as client:
            twin.api(client).get_api_auth_me()
    attempts = sorted(
        (s for s in spans.get_finished_spans() if s.parent is not None),
        key=lambda s: s.start_time or 0,
    )
    assert [header[:53] for header in seen] == [traceparent(s) for s in attempts]
    assert [r.headers.get("x-request-id") for r in server.requests] == ["r-1", "r-2"]
