"""``NUMIND_LOG`` as plain values (issue 21, item 3): which values it takes, the warning of
any other, and what ``log_to_stderr`` sets (once, whatever the number of calls)."""

from __future__ import annotations

import logging
from typing import Iterator, Optional

import pytest

import numind.openapi_client as sdk
from numind.openapi_client import _logging
from numind.openapi_client._logging import (
    DEBUG_LOGGING,
    ENV_STDERR,
    STDERR,
    log_from_environment,
    log_to_stderr,
    parse_log_setting,
)

HOST = "https://api.example.com/v1"


@pytest.fixture
def restored() -> Iterator[logging.Logger]:
    """The ``numind`` logger, put back as it was (``log_to_stderr`` is process-wide)."""
    root = logging.getLogger("numind")
    package = logging.getLogger(_logging.PACKAGE_LOGGER)
    saved = [(logger, logger.level, list(logger.handlers)) for logger in (root, package)]
    counted = {
        logger: tuple(set(s) if isinstance(s, set) else s for s in on)
        for logger, on in DEBUG_LOGGING._on.items()
    }  # pyright: ignore[reportPrivateUsage]
    yield root
    DEBUG_LOGGING.env_level = None
    DEBUG_LOGGING._on = counted  # type: ignore[assignment]  # pyright: ignore[reportPrivateUsage]
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("debug", logging.DEBUG),
        ("INFO", logging.INFO),
        (" warning\n", logging.WARNING),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_the_values_of_numind_log(value: Optional[str], level: Optional[int]) -> None:
    assert parse_log_setting(value) == (level, None)


def test_any_other_value_is_a_warning_that_names_it_and_the_allowed_ones() -> None:
    assert parse_log_setting("verbose") == (
        None,
        "Ignoring NUMIND_LOG='verbose': give one of debug, info, warning (the SDK's log on "
        "stderr, secrets redacted), or leave it unset",
    )
    level, warning = parse_log_setting("1" * 100)
    assert level is None and warning is not None and "'" + "1" * 40 + "...'" in warning


def test_an_unknown_value_changes_nothing_and_warns_once(
    restored: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="numind.openapi_client"):
        log_from_environment({"NUMIND_LOG": "trace"})
    assert [r.getMessage()[:30] for r in caplog.records] == ["Ignoring NUMIND_LOG='trace': g"]
    assert ENV_STDERR not in restored.handlers and DEBUG_LOGGING.env_level is None


def test_debug_adds_one_handler_and_turns_debug_on_for_new_configurations(
    restored: logging.Logger,
) -> None:
    before = sdk.Configuration(host=HOST)
    log_from_environment({"NUMIND_LOG": "debug"})
    log_to_stderr("debug")  # numind --debug as well: still one handler
    assert restored.handlers.count(ENV_STDERR) == 1 and restored.level == logging.DEBUG
    assert (before.debug, sdk.Configuration(host=HOST).debug) == (False, True)
    assert sdk.Configuration(host=HOST, debug=False).debug is False
    # debug=True shows its records through that handler, not a second time
    configuration = sdk.Configuration(host=HOST, debug=True)
    assert STDERR not in logging.getLogger(_logging.PACKAGE_LOGGER).handlers
    configuration.debug = False


def test_info_and_warning_set_the_level_and_leave_debug_off(restored: logging.Logger) -> None:
    log_to_stderr("info")
    assert restored.level == logging.INFO and sdk.Configuration(host=HOST).debug is False
    log_to_stderr("warning")
    assert restored.level == logging.WARNING and restored.handlers.count(ENV_STDERR) == 1
    with pytest.raises(ValueError, match="Invalid level 'loud': give one of debug, info"):
        log_to_stderr("loud")
