"""Fixtures: a real local server on loopback, and users signed in over real HTTP."""

from __future__ import annotations

import os
import pathlib
import sys
from typing import Any, Iterator

import pytest
from _contract import TrafficValidator, load_spec
from signing_in import sign_in
from twin import KINDS, OLD_SSL_TRANSPORT_WARNING, Twin

import numind
import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

# The SDK reads a developer's proxy variables, as requests and curl do: they would route
# (or refuse) the suite's loopback traffic. The tests of proxies set their own.
for _name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
    os.environ.pop(_name, None)
    os.environ.pop(_name.upper(), None)


def pytest_configure(config: pytest.Config) -> None:
    if OLD_SSL_TRANSPORT_WARNING:  # see twin.py: a false alarm of Python 3.9 and 3.10
        config.addinivalue_line(
            "filterwarnings", f"ignore:{OLD_SSL_TRANSPORT_WARNING}:ResourceWarning"
        )
    if os.environ.get("NUMIND_TEST_INSTALLED") and "site-packages" not in numind.__file__:
        raise pytest.UsageError(
            f"numind was imported from {numind.__file__}, not from an installed wheel"
        )


def pytest_report_header() -> str:
    # CI checks that the installed wheel, not the source tree, is under test.
    python = sys.version.split()[0]
    return f"numind {numind.__version__} imported from {numind.__file__} (Python {python})"


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    # A developer's own NUMIND_API_KEY / NUMIND_BASE_URL / stored login must not leak
    # into the tests: each test has a credential store of its own.
    monkeypatch.delenv("NUMIND_API_KEY", raising=False)
    monkeypatch.delenv("NUMIND_BASE_URL", raising=False)
    monkeypatch.setenv("NUMIND_CONFIG_DIR", str(tmp_path / "numind-config"))
    sdk.Configuration.set_default(None)
    sdk.ApiClient.set_default(None)


@pytest.fixture(scope="session")
def traffic_validator(numind_server: LocalServer) -> TrafficValidator:
    """Checks every exchange of the session server (and of ``own_server``) against
    openapi.yaml; ``_validated_traffic`` fails the test that caused a violation."""
    validator = TrafficValidator(load_spec())
    numind_server.on_exchange = validator
    return validator


@pytest.fixture(autouse=True)
def _validated_traffic(
    request: pytest.FixtureRequest, traffic_validator: TrafficValidator
) -> Iterator[None]:
    traffic_validator.take_violations()  # a previous test's teardown traffic is not ours
    traffic_validator.expect_invalid = (
        request.node.get_closest_marker("invalid_traffic") is not None
    )
    yield
    violations = traffic_validator.take_violations()
    traffic_validator.expect_invalid = False
    if violations:
        pytest.fail("traffic that violates openapi.yaml:\n" + "\n".join(violations), pytrace=False)


@pytest.fixture(scope="session")
def server(numind_server: LocalServer, traffic_validator: TrafficValidator) -> LocalServer:
    """One local server for the session (the plugin's); tests keep apart by user."""
    return numind_server


@pytest.fixture
def own_server(traffic_validator: TrafficValidator) -> Iterator[LocalServer]:
    """A server of the test's own, for tests that move its clock or count its traffic."""
    with LocalServer() as srv:
        srv.on_exchange = traffic_validator
        yield srv


@pytest.fixture
def tokens(server: LocalServer) -> sdk.TokenResponse:
    """A fresh user's tokens."""
    return sign_in(server)


@pytest.fixture(params=KINDS)
def twin(request: pytest.FixtureRequest) -> Twin:
    """The client a test runs with: the sync one, then the async one (see twin.py)."""
    return Twin(request.param)


@pytest.fixture
def client(server: LocalServer, tokens: sdk.TokenResponse, twin: Twin) -> Iterator[sdk.ApiClient]:
    """A client (of each kind) authenticated as a fresh user."""
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    with twin.client(configuration) as api_client:
        yield api_client


@pytest.fixture
def api(client: sdk.ApiClient, twin: Twin) -> sdk.AuthenticationApi:
    return twin.api(client)  # type: ignore[no-any-return]


@pytest.fixture
def anonymous_api(server: LocalServer, twin: Twin) -> Iterator[sdk.AuthenticationApi]:
    with twin.client(sdk.Configuration(host=server.url)) as api_client:
        yield twin.api(api_client)


#: schemathesis's numbers that the pytest-xdist workers sent back (pytest_testnodedown)
_WORKERS_SUMMARY: list[str] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: its numbers go to the controller
        from test_fuzz import SUMMARY

        workeroutput["schemathesis_summary"] = list(SUMMARY)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, on the controller
def pytest_testnodedown(node: Any, error: object) -> None:
    _WORKERS_SUMMARY.extend(getattr(node, "workeroutput", {}).get("schemathesis_summary", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from test_fuzz import SUMMARY

    lines = SUMMARY + _WORKERS_SUMMARY
    if lines:
        terminalreporter.section("schemathesis against the local server")
        for line in lines:
            terminalreporter.write_line(line)
