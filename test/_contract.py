"""The OpenAPI document, and an independent validator (openapi-core) of the local
server's traffic against it. Used by conftest.py for every integration test."""

from __future__ import annotations

import copy
import functools
import threading
from importlib import resources
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.exceptions import SecurityProviderError
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.security.providers import BaseProvider
from werkzeug.datastructures import Headers, ImmutableMultiDict

from numind.openapi_client.testing import Exchange
from numind.openapi_client.testing._server import API_BASE_PATH, REALM_AUTH_PATH

#: the documented server; local traffic is validated as if it had been sent there
SPEC_SERVER = "https://api.nuextract.ai/v1"


def load_spec() -> dict[str, Any]:
    """The document shipped in the package (a fresh copy: callers may mutate it)."""
    return copy.deepcopy(_parsed_spec())


@functools.cache
def _parsed_spec() -> dict[str, Any]:
    text = resources.files("numind.openapi_client").joinpath("openapi.yaml").read_text("utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    return spec


def closed(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy where no object schema allows undocumented properties: the SDK and the
    local server must send exactly the documented fields (the real API may add some)."""
    spec = copy.deepcopy(spec)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(spec)
    return spec


class _BearerProvider(BaseProvider):
    """oauth2 on the wire: ``Authorization: Bearer <token>`` (openapi-core leaves it out)."""

    def __call__(self, parameters: RequestParameters) -> Any:
        scheme, _, token = parameters.header.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise SecurityProviderError("no 'Authorization: Bearer <token>' header")
        return token


class _SecurityProviders(SecurityProviderFactory):
    PROVIDERS: ClassVar[dict[str, type[BaseProvider]]] = {
        **SecurityProviderFactory.PROVIDERS,
        "oauth2": _BearerProvider,
    }


class _Request:
    """An ``Exchange``'s request, as openapi-core reads one."""

    def __init__(self, exchange: Exchange) -> None:
        parts = urlsplit(exchange.target)
        headers = Headers(exchange.request_headers)
        self.host_url = urlsplit(SPEC_SERVER)._replace(path="").geturl()
        self.path = parts.path
        self.method = exchange.method.lower()
        self.body = exchange.request_body
        self.content_type = headers.get("Content-Type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
            header=headers,
            cookie=ImmutableMultiDict(),
        )


class _Response:
    """An ``Exchange``'s response, as openapi-core reads one."""

    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.headers = Headers(exchange.response_headers)
        self.content_type = self.headers.get("Content-Type", "")
        self.data = exchange.response_body


class TrafficValidator:
    """Validates each exchange of a ``LocalServer`` (``server.on_exchange = validator``)
    and keeps what violates the document, for the test that caused it to fail on.

    A test marked ``invalid_traffic`` sends requests the document forbids on purpose:
    such a request must then get a 4xx answer that the document describes.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        config = Config(security_provider_factory=_SecurityProviders())
        self.openapi = OpenAPI.from_dict(closed(spec), config=config)
        self.published = OpenAPI.from_dict(spec, config=config)
        self.expect_invalid = False
        #: check requests against the published document, which allows extra properties
        #: (for a fuzzer's requests; the SDK's must match the closed one)
        self.open_requests = False
        self.checked = 0
        self._lock = threading.Lock()
        self._violations: list[str] = []

    def take_violations(self) -> list[str]:
        with self._lock:
            violations, self._violations = self._violations, []
        return violations

    def __call__(self, exchange: Exchange) -> None:
        try:
            problems = self.check(exchange)
        except Exception as exc:  # a validator that cannot judge must not pass silently
            problems = [f"{exchange.method} {exchange.target}: validator failed: {exc!r}"]
        with self._lock:
            self.checked += 1
            self._violations.extend(problems)

    def check(self, exchange: Exchange) -> list[str]:
        """What in this exchange violates the document (nothing: an empty list)."""
        path = urlsplit(exchange.target).path
        if path == REALM_AUTH_PATH:
            return []  # the identity provider's page, not part of the API
        where = f"{exchange.method} {exchange.target} -> {exchange.status}"
        request, response = _Request(exchange), _Response(exchange)
        requests_spec = self.published if self.open_requests else self.openapi
        try:
            request_errors = [
                _describe(e) for e in requests_spec.request_validator.iter_errors(request)
            ]
        except Exception as exc:  # e.g. a discriminator that is a list: invalid anyway
            request_errors = [f"openapi-core failed on the request: {exc!r}"]
        if not path.startswith(API_BASE_PATH + "/") or _unknown_operation(request_errors):
            # Not an operation of the document: only a deliberate probe may do that.
            if self.expect_invalid and exchange.status in (404, 405):
                return []
            return [f"{where}: request: {'; '.join(request_errors) or 'outside the API'}"]
        problems = []
        if request_errors and not (self.expect_invalid and 400 <= exchange.status < 500):
            problems.append(f"{where}: request: {'; '.join(request_errors)}")
        problems += [
            f"{where}: response: {_describe(e)}"
            for e in self.openapi.response_validator.iter_errors(request, response)
        ]
        return problems


def _unknown_operation(errors: list[str]) -> bool:
    return any(
        e.startswith(("PathNotFound", "OperationNotFound", "ServerNotFound")) for e in errors
    )


def _describe(error: BaseException) -> str:
    causes = []
    cause = error.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        causes.append("; ".join(str(e.message) for e in details) if details else _text(cause))
        cause = cause.__cause__
    return f"{type(error).__name__}: {_text(error)}" + "".join(f" ({c})" for c in causes)


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # openapi-core cannot print a body that is not UTF-8
        return type(error).__name__
