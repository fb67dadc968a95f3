"""Configuration: defaults, environment, hosts, auth settings, debug report."""

from __future__ import annotations

import copy
import logging
import pathlib
import re

import pytest
from faulty_server import Fault, FaultyServer

import numind
import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


def test_defaults() -> None:
    configuration = sdk.Configuration()

    assert configuration.host == "https://api.nuextract.ai/v1"
    assert configuration.access_token is None
    assert configuration.auth_settings() == {}
    assert configuration.verify_ssl is True
    assert configuration.server_index == 0
    assert configuration.get_host_settings()[0]["url"] == "https://api.nuextract.ai/v1"


def test_the_environment_gives_the_token_and_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMIND_API_KEY", "nm_from_env")
    monkeypatch.setenv("NUMIND_BASE_URL", "http://127.0.0.1:8080/v1/")

    configuration = sdk.Configuration()

    assert configuration.access_token == "nm_from_env"
    assert configuration.host == "http://127.0.0.1:8080/v1"
    assert configuration.auth_settings()["oauth2Auth"] == {
        "type": "oauth2",
        "in": "header",
        "key": "Authorization",
        "value": "Bearer nm_from_env",
    }


def test_explicit_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMIND_API_KEY", "nm_from_env")
    monkeypatch.setenv("NUMIND_BASE_URL", "http://127.0.0.1:8080/v1")

    configuration = sdk.Configuration(host="https://example.test/v1", access_token="explicit")

    assert (configuration.host, configuration.access_token) == (
        "https://example.test/v1",
        "explicit",
    )


@pytest.mark.parametrize("host", ["api.nuextract.ai/v1", "ftp://x/v1", ""])
def test_a_host_without_scheme_is_rejected_with_the_fix(host: str) -> None:
    with pytest.raises(sdk.ApiValueError, match=re.escape("https://api.nuextract.ai/v1")):
        sdk.Configuration(host=host)
    configuration = sdk.Configuration()
    with pytest.raises(sdk.ApiValueError, match="Invalid host"):
        configuration.host = host


def test_setting_host_leaves_the_server_list() -> None:
    configuration = sdk.Configuration()
    configuration.host = "http://127.0.0.1:9/v1"
    assert (configuration.server_index, configuration.host) == (None, "http://127.0.0.1:9/v1")
    assert configuration.get_host_from_settings(0) == "https://api.nuextract.ai/v1"
    with pytest.raises(sdk.ApiValueError, match="from 0 to 0"):
        configuration.get_host_from_settings(1)


def test_host_index_per_call_selects_a_server_setting(server: LocalServer) -> None:
    configuration = sdk.Configuration(host=server.url)
    configuration.get_host_settings = lambda: [  # type: ignore[method-assign]
        {"url": "https://api.nuextract.ai/v1", "variables": {}},
        {"url": server.url, "variables": {}},
    ]
    with sdk.ApiClient(configuration) as client:
        url = sdk.AuthenticationApi(client).get_api_auth("http://localhost/cb", _host_index=1)
    assert url.startswith(server.origin)


def test_default_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    mine = sdk.Configuration(host="http://127.0.0.1:1/v1")
    sdk.Configuration.set_default(mine)
    assert sdk.Configuration.get_default() is mine
    assert sdk.Configuration.get_default_copy() is not mine
    assert sdk.Configuration.get_default_copy().host == mine.host
    sdk.Configuration.set_default(None)
    monkeypatch.setenv("NUMIND_API_KEY", "nm_default")
    assert sdk.Configuration.get_default().access_token == "nm_default"


def test_debug_report_names_versions_and_never_the_token() -> None:
    configuration = sdk.Configuration(access_token="nm_secret_value")

    report = configuration.to_debug_report()

    assert f"SDK Package Version: {numind.__version__}" in report
    assert "Python Version:" in report
    assert "nm_secret_value" not in report
    assert "Access token set: yes" in report


def test_debug_switches_the_package_logger_only() -> None:
    package_logger = logging.getLogger("numind.openapi_client")
    urllib3_level = logging.getLogger("urllib3").level
    handlers_before = list(package_logger.handlers)
    first, second = sdk.Configuration(debug=True), sdk.Configuration(debug=True)
    try:
        assert first.debug and second.debug
        assert package_logger.level == logging.DEBUG
        assert logging.getLogger("urllib3").level == urllib3_level
        # one stderr handler, however many configurations turn debug on
        assert len(package_logger.handlers) == len(handlers_before) + 1
    finally:
        first.debug = second.debug = False
        for handler in set(package_logger.handlers) - set(handlers_before):
            package_logger.removeHandler(handler)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _retried_call(configuration: sdk.Configuration) -> None:
    with FaultyServer([Fault.status(503, {"Retry-After": "0"})]) as server:
        configuration.host = server.url
        with sdk.ApiClient(configuration) as client:
            client.call_api("GET", server.url + "/api/auth/me").read()


@pytest.mark.parametrize("level_before", [logging.NOTSET, logging.INFO, logging.DEBUG])
def test_debug_off_undoes_exactly_what_debug_on_did(level_before: int) -> None:
    package_logger = logging.getLogger("numind.openapi_client")
    saved_level, handlers_before = package_logger.level, list(package_logger.handlers)
    records = _Records()
    package_logger.setLevel(level_before)
    package_logger.addHandler(records)
    first = sdk.Configuration(debug=True)
    second = sdk.Configuration(debug=True)
    try:
        assert package_logger.isEnabledFor(logging.DEBUG)
        assert len(package_logger.handlers) == len(handlers_before) + 2  # stderr + records

        first.debug = False
        # The other configuration still logs its retries.
        assert package_logger.isEnabledFor(logging.DEBUG)
        _retried_call(second)
        assert any(m.startswith("retry 1 of GET") for m in records.messages), records.messages
        assert len(package_logger.handlers) == len(handlers_before) + 2

        second.debug = False
        second.debug = False  # twice is once
        assert package_logger.level == level_before
        assert package_logger.handlers == [*handlers_before, records]
    finally:
        first.debug = second.debug = False
        package_logger.removeHandler(records)
        package_logger.setLevel(saved_level)


def test_debug_off_keeps_a_level_set_while_it_was_on() -> None:
    package_logger = logging.getLogger("numind.openapi_client")
    saved_level = package_logger.level
    configuration = sdk.Configuration(debug=True)
    try:
        package_logger.setLevel(logging.ERROR)  # the user's choice, made later
        configuration.debug = False
        assert package_logger.level == logging.ERROR
    finally:
        configuration.debug = False
        package_logger.setLevel(saved_level)


def test_logger_file_receives_the_request_log(server: LocalServer, tmp_path: pathlib.Path) -> None:
    log = tmp_path / "numind.log"
    configuration = sdk.Configuration(host=server.url, logger_file=str(log))
    package_logger = logging.getLogger("numind.openapi_client")
    try:
        package_logger.setLevel(logging.DEBUG)
        with sdk.ApiClient(configuration) as client:
            sdk.AuthenticationApi(client).get_api_auth("http://localhost/cb")
        configuration.logger_file = str(tmp_path / "other.log")
        assert configuration.logger_file_handler in package_logger.handlers
    finally:
        configuration.logger_file = None
        package_logger.setLevel(logging.NOTSET)
    assert "GET " + server.url + "/api/auth?redirectUri=" in log.read_text()
    assert not any(isinstance(h, logging.FileHandler) for h in package_logger.handlers), (
        "the file handlers are removed when logger_file is reset"
    )


def test_copy_is_independent() -> None:
    configuration = sdk.Configuration(access_token="a")
    clone = copy.copy(configuration)
    clone.access_token = "b"
    assert configuration.access_token == "a"
