"""``Configuration.debug`` and ``logger_file`` on the shared package logger: debug is
counted across configurations (the level and the one stderr handler go back when the last
one turns it off), a log file's handler is replaced and closed, and a configuration with
debug on pickles."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Iterator

import pytest

import numind.openapi_client as sdk
from numind.openapi_client._logging import STDERR

LOGGER = logging.getLogger("numind.openapi_client")


@pytest.fixture(autouse=True)
def _package_logger() -> Iterator[None]:
    """The package logger as a user's program leaves it (WARNING), and as it was after."""
    level, handlers = LOGGER.level, list(LOGGER.handlers)
    LOGGER.setLevel(logging.WARNING)
    yield
    for handler in set(LOGGER.handlers) - set(handlers):
        LOGGER.removeHandler(handler)
        handler.close()
    LOGGER.setLevel(level)


def file_handlers() -> list[logging.FileHandler]:
    return [h for h in LOGGER.handlers if isinstance(h, logging.FileHandler)]


def test_debug_sets_the_level_and_adds_one_stderr_handler_until_the_last_turns_it_off() -> None:
    first = sdk.Configuration(debug=True)
    second = sdk.Configuration()
    second.debug = True
    assert (first.debug, second.debug) == (True, True)
    assert LOGGER.level == logging.DEBUG
    assert LOGGER.handlers.count(STDERR) == 1
    assert first.logger_stream_handler is STDERR
    first.debug = False
    assert LOGGER.level == logging.DEBUG and STDERR in LOGGER.handlers  # second's still on
    assert first.logger_stream_handler is None
    second.debug = False
    assert LOGGER.level == logging.WARNING
    assert STDERR not in LOGGER.handlers


def test_turning_debug_on_twice_counts_once() -> None:
    configuration = sdk.Configuration(debug=True)
    configuration.debug = True
    configuration.debug = False
    assert LOGGER.level == logging.WARNING and STDERR not in LOGGER.handlers


def test_a_level_changed_meanwhile_is_left_alone() -> None:
    configuration = sdk.Configuration(debug=True)
    LOGGER.setLevel(logging.INFO)  # the program's own choice, after debug was turned on
    configuration.debug = False
    assert LOGGER.level == logging.INFO


def test_a_logger_already_at_debug_keeps_its_level() -> None:
    LOGGER.setLevel(logging.DEBUG)
    configuration = sdk.Configuration(debug=True)
    configuration.debug = False
    assert LOGGER.level == logging.DEBUG
    assert STDERR not in LOGGER.handlers


def test_logger_file_writes_the_records_and_debug_then_adds_no_stderr_handler(
    tmp_path: Path,
) -> None:
    log = tmp_path / "numind.log"
    configuration = sdk.Configuration(logger_file=str(log), debug=True)
    assert configuration.logger_file == str(log)
    assert STDERR not in LOGGER.handlers
    LOGGER.debug("hello %s", "file")
    configuration.debug = False
    configuration.logger_file = None
    assert file_handlers() == []
    assert log.read_text().rstrip().endswith(" DEBUG hello file")


def test_a_new_logger_file_replaces_the_previous_one_which_is_closed(tmp_path: Path) -> None:
    configuration = sdk.Configuration(logger_file=str(tmp_path / "one.log"))
    first = configuration.logger_file_handler
    assert isinstance(first, logging.FileHandler) and file_handlers() == [first]
    configuration.logger_file = str(tmp_path / "two.log")
    assert file_handlers() == [configuration.logger_file_handler]
    assert first.stream is None  # closed
    LOGGER.warning("to the second")
    configuration.logger_file = None
    assert configuration.logger_file_handler is None and file_handlers() == []
    assert (tmp_path / "one.log").read_text() == ""
    assert "WARNING to the second" in (tmp_path / "two.log").read_text()


def test_a_configuration_with_debug_on_pickles_and_its_copy_logs_too(tmp_path: Path) -> None:
    log = tmp_path / "numind.log"
    configuration = sdk.Configuration(host="https://api.example.com/v1", debug=True)
    configuration.logger_file = str(log)
    copy = pickle.loads(pickle.dumps(configuration))
    try:
        assert (copy.host, copy.debug, copy.logger_file) == (
            "https://api.example.com/v1",
            True,
            str(log),
        )
        # The copy has handlers of its own (the originals hold locks and streams).
        assert copy.logger_file_handler not in (None, configuration.logger_file_handler)
        assert len(file_handlers()) == 2
        configuration.debug = False
        configuration.logger_file = None
        assert LOGGER.level == logging.DEBUG  # the copy still has debug on
    finally:
        copy.debug = False
        copy.logger_file = None
    assert LOGGER.level == logging.WARNING and LOGGER.handlers.count(STDERR) == 0


def test_a_configuration_without_logging_pickles_without_handlers() -> None:
    copy = pickle.loads(pickle.dumps(sdk.Configuration()))
    assert (copy.debug, copy.logger_file, copy.logger_file_handler) == (False, None, None)
    assert LOGGER.level == logging.WARNING
