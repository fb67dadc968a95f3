"""What a timeout setting means for a call and for each attempt (``_deadline``), with an
injected clock."""

from __future__ import annotations

from typing import Any

import pytest
import urllib3
from unit_fakes import FakeClock

import numind.openapi_client as sdk
from numind.openapi_client._deadline import (
    DEFAULT_CALL_TIMEOUT,
    DEFAULT_TIMEOUT,
    Deadline,
    check_call_timeout,
    parse_timeout,
)


def test_a_deadline_counts_down_on_its_clock(clock: FakeClock) -> None:
    deadline = Deadline(2.0)
    assert deadline.remaining() == 2.0
    clock.advance(1.5)
    assert deadline.remaining() == 0.5
    assert repr(deadline) == "Deadline(2 s, 0.500 s left)"
    clock.advance(1.0)
    assert deadline.remaining() == -0.5  # passed
    assert deadline.describe() == "the 2 s deadline"


def test_a_lifted_deadline_never_passes(clock: FakeClock) -> None:
    deadline = Deadline(0.5)
    deadline.lift()
    clock.advance(1e6)
    assert deadline.remaining() == float("inf")


def test_seconds_bound_the_whole_call(clock: FakeClock) -> None:
    setting = parse_timeout(5)
    assert setting.total == 5.0 and setting.given == 5.0
    assert setting.attempt is DEFAULT_TIMEOUT
    assert setting.deadline(call_timeout=30).remaining() == 5.0  # call_timeout does not apply


def test_a_pair_bounds_each_attempt_and_call_timeout_the_call(clock: FakeClock) -> None:
    setting = parse_timeout((3.05, 27))
    assert (setting.attempt.connect_timeout, setting.attempt.read_timeout) == (3.05, 27)
    assert setting.total is None
    assert setting.longest_attempt == pytest.approx(30.05)
    assert setting.longest_read == 27
    assert setting.deadline(call_timeout=10).remaining() == 10.0
    assert setting.deadline(call_timeout=None).remaining() == DEFAULT_CALL_TIMEOUT


def test_no_setting_is_the_default_per_attempt_and_per_call(clock: FakeClock) -> None:
    setting = parse_timeout(None)
    assert (setting.attempt.connect_timeout, setting.attempt.read_timeout) == (10.0, 20.0)
    assert setting.total is None and setting.given is None
    assert setting.longest_attempt == 30.0
    assert setting.deadline(None).remaining() == 60.0


@pytest.mark.parametrize(
    ("given", "connect", "read"),
    [
        (urllib3.Timeout(connect=5), 5, 20.0),
        (urllib3.Timeout(connect=1, read=None), 1, 20.0),
        (urllib3.Timeout(read=2), 10.0, 2),
        (urllib3.Timeout(), 10.0, 20.0),
        (urllib3.Timeout(connect=2, read=3), 2, 3),
    ],
)
def test_a_partial_urllib3_timeout_takes_the_rest_from_the_default(
    given: urllib3.Timeout, connect: float, read: float
) -> None:
    setting = parse_timeout(given)
    assert (setting.attempt.connect_timeout, setting.attempt.read_timeout) == (connect, read)
    assert setting.total is None


def test_a_urllib3_timeout_with_a_total_keeps_it() -> None:
    given = urllib3.Timeout(total=4)
    setting = parse_timeout(given)
    assert setting.attempt is given
    assert setting.longest_attempt == 4.0
    assert setting.longest_read == pytest.approx(4.0, abs=0.01)  # urllib3 reads its own clock


@pytest.mark.parametrize(
    "value", [0, -1, True, "5", (1,), (1, 0), (1, "2"), (1, 2, 3), float("nan"), [1, 2]]
)
def test_a_bad_timeout_is_refused_with_the_forms_it_takes(value: Any) -> None:
    with pytest.raises(sdk.ApiValueError) as caught:
        parse_timeout(value)
    message = str(caught.value)
    assert message.startswith(f"Invalid _request_timeout {value!r}: give seconds > 0")
    assert "(connect, read) pair" in message and "urllib3.Timeout" in message


def test_the_name_of_the_setting_is_in_the_message() -> None:
    with pytest.raises(sdk.ApiValueError, match=r"^Invalid timeout -2"):
        parse_timeout(-2, "timeout")


def test_call_timeout_is_seconds_or_none() -> None:
    assert check_call_timeout(None) is None
    assert check_call_timeout(30) == 30.0
    for value in (0, -5, True, "30"):
        with pytest.raises(sdk.ApiValueError, match=r"Invalid call_timeout .*default 60 s"):
            check_call_timeout(value)  # type: ignore[arg-type]
