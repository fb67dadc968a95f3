"""Unit tests of the pure core: no socket, no server, no real wait.

Every test here runs with sockets forbidden (``_no_sockets``); clocks are injected
(``FakeClock``); answers are ``FakeResponse`` objects. ``pytest test/unit`` runs them
alone (``pytest.ini`` here); the whole suite runs them too, and then the fixtures below
replace the server fixtures of ``test/conftest.py``.
"""

from __future__ import annotations

import itertools
import pathlib
import socket
from typing import Any, Iterator

import pytest
from unit_fakes import FakeClock

import numind.openapi_client as sdk
from numind.openapi_client import _deadline, _retry


class _NoSocket(socket.socket):
    """``socket.socket`` that refuses to make a new socket. One made of an existing
    descriptor (``socketpair``, ``accept``: no network) is still allowed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("fileno") is None and len(args) < 4:
            raise RuntimeError("unit tests use no sockets")
        super().__init__(*args, **kwargs)


def _no_connection(*args: Any, **kwargs: Any) -> socket.socket:
    raise RuntimeError("unit tests use no sockets")


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoSocket)
    monkeypatch.setattr(socket, "create_connection", _no_connection)


@pytest.fixture(scope="session")
def _config_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    base = tmp_path_factory.mktemp("numind-config")
    yield base


_test_number = itertools.count()


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, _config_dirs: pathlib.Path) -> None:
    # As test/conftest.py's (which this replaces here): no developer's key, base URL or
    # stored login leaks into a test; each has a credential store of its own, a directory
    # that is made only if the test stores a login (cheaper than a tmp_path per test).
    monkeypatch.delenv("NUMIND_API_KEY", raising=False)
    monkeypatch.delenv("NUMIND_BASE_URL", raising=False)
    monkeypatch.setenv("NUMIND_CONFIG_DIR", str(_config_dirs / str(next(_test_number))))
    sdk.Configuration.set_default(None)
    sdk.ApiClient.set_default(None)


@pytest.fixture(autouse=True)
def _validated_traffic(request: pytest.FixtureRequest) -> Iterator[None]:
    # test/conftest.py's fixture of this name checks the traffic of its session server,
    # and starts it; unit tests make no traffic. If that fixture is renamed, this check
    # says so rather than letting every unit test start a server.
    assert "numind_server" not in request.fixturenames, (
        "a unit test pulls in the local server: rename this fixture after the autouse "
        "fixture of test/conftest.py that requests it"
    )
    yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock of deadlines and cool-downs, and a jitter of 0 (backoffs exact)."""
    fake = FakeClock()
    monkeypatch.setattr(_deadline, "_clock", fake)
    monkeypatch.setattr(_retry, "_clock", fake)
    monkeypatch.setattr(_retry, "_jitter", lambda: 0.0)
    return fake
