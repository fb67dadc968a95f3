"""Which failures are retried, after which wait, and when the deadline stops a retry:
``_retry`` with an injected clock and no jitter (the ``clock`` fixture), so that every wait
is checked to the millisecond without waiting for it."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any, List, Optional

import pytest
import urllib3
from unit_fakes import FakeClock, FakeResponse
from urllib3.exceptions import ConnectTimeoutError, ProtocolError, ReadTimeoutError, SSLError

import numind.openapi_client as sdk
from numind.openapi_client import _retry
from numind.openapi_client._deadline import Deadline
from numind.openapi_client._retry import CallRetries, CoolDowns, RetryPolicy, to_retry

URL = "https://api.example.com/v1/api/auth/me"


def retries(
    method: str = "GET",
    policy: Optional[urllib3.Retry] = None,
    seconds: float = 60.0,
    cool_downs: Optional[CoolDowns] = None,
    url: str = URL,
) -> CallRetries:
    return CallRetries(
        policy or RetryPolicy(), Deadline(seconds), method, url, cool_downs or CoolDowns()
    )


def status(code: int, **headers: str) -> FakeResponse:
    return FakeResponse(code, b"", {k.replace("_", "-"): v for k, v in headers.items()})


def waits(call: CallRetries, *answers: FakeResponse) -> List[Optional[float]]:
    return [call.after_response(answer) for answer in answers]


def failure(cause: Exception) -> sdk.ApiConnectionError:
    error = sdk.ApiConnectionError("the request failed", method="GET", url=URL)
    error.retry_as = cause
    return error


# -- which answers are retried ---------------------------------------------------------


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_idempotent_call_is_retried_on_a_transient_status(
    clock: FakeClock, method: str, code: int
) -> None:
    assert retries(method).after_response(status(code)) == 0.5


@pytest.mark.parametrize("code", [200, 204, 400, 401, 403, 404, 409, 422, 501])
def test_success_and_client_errors_are_final(clock: FakeClock, code: int) -> None:
    assert retries().after_response(status(code)) is None


@pytest.mark.parametrize("code", [408, 500, 502, 503, 504])
def test_a_post_that_may_have_been_processed_is_not_sent_again(clock: FakeClock, code: int) -> None:
    answer = status(code)
    assert retries("POST").after_response(answer) is None
    assert answer.retry_note is None  # no retry was made, none to explain


def test_a_post_is_retried_on_429_which_says_it_was_not_processed(clock: FakeClock) -> None:
    assert retries("POST").after_response(status(429)) == 0.5
    # Whatever allowed_methods says.
    policy = RetryPolicy(allowed_methods=["GET", "POST"])
    assert retries("POST", policy).after_response(status(503)) is None


def test_the_retries_end_with_the_last_answer_and_say_how_many(clock: FakeClock) -> None:
    call = retries()
    last = status(503)
    assert waits(call, status(503), status(503), last) == [0.5, 1.0, None]
    assert last.retry_note == "gave up after 2 retries"
    one = retries(policy=RetryPolicy(1))
    final = status(500)
    assert waits(one, status(500), final) == [0.5, None]
    assert final.retry_note == "gave up after 1 retry"
    # A final answer that is not retried after a retry says so too.
    call = retries()
    not_found = status(404)
    assert waits(call, status(503), not_found) == [0.5, None]
    assert not_found.retry_note == "gave up after 1 retry"


def test_retries_zero_sends_once(clock: FakeClock) -> None:
    answer = status(503)
    assert retries(policy=to_retry(0)).after_response(answer) is None
    assert answer.retry_note is None


# -- the waits -------------------------------------------------------------------------


def test_the_backoff_doubles_from_backoff_factor_up_to_backoff_max(clock: FakeClock) -> None:
    call = retries(policy=RetryPolicy(7, backoff_factor=0.5, backoff_max=8.0), seconds=1000)
    assert waits(call, *[status(503)] * 7) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_the_jitter_adds_up_to_backoff_jitter(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retry, "_jitter", lambda: 1.0)  # its largest draw
    call = retries(policy=RetryPolicy(backoff_factor=0.5, backoff_jitter=0.25, backoff_max=8))
    assert waits(call, status(503), status(503)) == [0.75, 1.25]
    capped = retries(policy=RetryPolicy(backoff_factor=0.5, backoff_jitter=0.25, backoff_max=0.6))
    assert capped.after_response(status(503)) == 0.6  # the jitter does not pass the cap


def test_retry_after_seconds_replace_the_backoff(clock: FakeClock) -> None:
    assert retries().after_response(status(503, Retry_After="3")) == 3.0
    assert retries().after_response(status(429, Retry_After="0")) == 0.0


def test_retry_after_as_an_http_date(clock: FakeClock) -> None:
    # urllib3 reads the date against the wall clock; the header has 1 s resolution.
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    wait = retries().after_response(status(429, Retry_After=date))
    assert wait is not None and 18.5 <= wait <= 20.0


@pytest.mark.parametrize(
    ("max_retry_after", "expected"), [(30.0, 30.0), (0.5, 0.5), (120.0, 100.0)]
)
def test_retry_after_is_capped_at_max_retry_after(
    clock: FakeClock, max_retry_after: float, expected: float
) -> None:
    policy = RetryPolicy(max_retry_after=max_retry_after)
    assert retries(policy=policy, seconds=600).after_response(
        status(429, Retry_After="100")
    ) == pytest.approx(expected)
    # Also the cap of a policy made from it.
    assert policy.new(total=5).max_retry_after == max_retry_after


def test_an_unreadable_retry_after_falls_back_to_the_backoff(clock: FakeClock) -> None:
    call = retries()
    assert waits(call, status(503, Retry_After="soon"), status(503, Retry_After="soon")) == [
        0.5,
        1.0,
    ]


def test_a_plain_retry_that_chokes_on_an_unreadable_retry_after_still_backs_off(
    clock: FakeClock,
) -> None:
    class Strict(urllib3.Retry):  # a user's subclass: keeps its rules and urllib3's parsing
        pass

    policy = to_retry(Strict(total=2, backoff_factor=0.1, status_forcelist=[503]))
    call = retries(policy=policy)
    wait = call.after_response(status(503, Retry_After="soon"))
    assert wait == pytest.approx(0.0)  # urllib3's own backoff: none before the first retry


# -- the deadline ----------------------------------------------------------------------


def test_a_backoff_that_would_pass_the_deadline_is_not_begun(clock: FakeClock) -> None:
    call = retries(seconds=1.0)
    clock.advance(0.6)  # the first attempt took 0.6 s: 0.4 s left, the backoff is 0.5 s
    answer = status(503)
    assert call.after_response(answer) is None
    assert answer.retry_note == "gave up: the next retry was due after the 1 s deadline"


def test_a_retry_after_past_the_deadline_ends_the_call_at_once(clock: FakeClock) -> None:
    answer = status(429, Retry_After="5")
    assert retries(seconds=1.0).after_response(answer) is None
    assert answer.retry_note == (
        "gave up: the server asked to wait 5 s (Retry-After), past the 1 s deadline"
    )


def test_waits_within_the_deadline_are_taken(clock: FakeClock) -> None:
    call = retries(seconds=2.0)
    assert call.after_response(status(503)) == 0.5
    clock.advance(0.5)
    assert call.after_response(status(503)) == 1.0  # 1.5 s left
    assert call.after_response(status(503)) is None  # no retries left


# -- errors without an answer ------------------------------------------------------------


def test_a_connection_error_is_retried_for_every_method(clock: FakeClock) -> None:
    for method in ("GET", "POST"):
        assert retries(method).after_error(failure(ConnectTimeoutError("connect"))) == 0.5


def test_a_read_error_is_retried_for_get_but_not_for_post(clock: FakeClock) -> None:
    assert retries("GET").after_error(failure(ProtocolError("reset"))) == 0.5
    error = failure(ProtocolError("reset"))
    with pytest.raises(sdk.ApiConnectionError) as caught:
        retries("POST").after_error(error)
    assert caught.value is error
    assert error.retry_note is None
    assert str(error) == "the request failed"


def test_a_tls_failure_is_not_retried(clock: FakeClock) -> None:
    with pytest.raises(sdk.ApiConnectionError):
        retries().after_error(failure(SSLError("certificate verify failed")))


def test_an_error_with_no_known_cause_counts_as_another_failure(clock: FakeClock) -> None:
    error = sdk.ApiConnectionError("broken", method="GET", url=URL)
    with pytest.raises(sdk.ApiConnectionError):
        retries().after_error(error)  # ``other=0``: not retried


def test_connection_errors_end_after_the_retries_and_say_so(clock: FakeClock) -> None:
    call = retries()
    assert call.after_error(failure(ConnectTimeoutError("1"))) == 0.5
    assert call.after_error(failure(ConnectTimeoutError("2"))) == 1.0
    last = failure(ConnectTimeoutError("3"))
    with pytest.raises(sdk.ApiConnectionError) as caught:
        call.after_error(last)
    assert str(caught.value) == "the request failed (gave up after 2 retries)"


def test_an_error_whose_retry_would_pass_the_deadline(clock: FakeClock) -> None:
    call = retries(seconds=1.0)
    clock.advance(0.7)
    error = failure(ConnectTimeoutError("connect"))
    with pytest.raises(sdk.ApiConnectionError):
        call.after_error(error)
    assert error.retry_note == "gave up: the next retry was due after the 1 s deadline"
    # An attempt that ran into the deadline itself says nothing more.
    spent = retries(seconds=1.0)
    clock.advance(1.0)
    late = failure(ConnectTimeoutError("connect"))
    with pytest.raises(sdk.ApiConnectionError):
        spent.after_error(late)
    assert late.retry_note is None


def test_a_urllib3_cause_is_what_the_policy_classifies(clock: FakeClock) -> None:
    error = sdk.ApiConnectionError("reset", method="POST", url=URL)
    error.__cause__ = ProtocolError("reset")
    with pytest.raises(sdk.ApiConnectionError):
        retries("POST").after_error(error)


# -- cool-downs: a 429 slows the whole client --------------------------------------------


def test_a_429_with_retry_after_cools_every_call_to_that_origin(clock: FakeClock) -> None:
    cool = CoolDowns()
    assert retries(cool_downs=cool).after_response(status(429, Retry_After="5")) == 5.0
    other_call = retries(cool_downs=cool, url="https://api.example.com/v1/api/auth/user-tokens")
    assert other_call.before_attempt() == 5.0
    clock.advance(3)
    assert other_call.before_attempt() == pytest.approx(2.0)
    elsewhere = retries(cool_downs=cool, url="https://other.example.com/v1/api/auth/me")
    assert elsewhere.before_attempt() == 0.0
    clock.advance(2)
    assert other_call.before_attempt() == 0.0
    assert cool.until == {}  # the ended cool-down is forgotten


def test_a_longer_cool_down_wins_over_a_shorter_one(clock: FakeClock) -> None:
    cool = CoolDowns()
    cool.start("https://api.example.com", 5, status(429))
    cool.start("https://api.example.com", 2, status(429))  # shorter: ignored
    assert cool.remaining("https://api.example.com")[0] == 5.0
    cool.start("https://api.example.com", 8, status(429))
    assert cool.remaining("https://api.example.com")[0] == 8.0


def test_a_retry_waits_out_the_cool_down_if_it_is_longer_than_the_backoff(
    clock: FakeClock,
) -> None:
    cool = CoolDowns()
    cool.start("https://api.example.com", 4, status(429))
    assert retries(cool_downs=cool).after_response(status(503)) == 4.0


def test_a_429_without_retry_after_starts_no_cool_down(clock: FakeClock) -> None:
    cool = CoolDowns()
    assert retries(cool_downs=cool).after_response(status(429)) == 0.5
    assert cool.until == {}


def test_a_call_whose_deadline_ends_before_the_cool_down_is_not_sent(clock: FakeClock) -> None:
    cool = CoolDowns()
    asked_by = FakeResponse(
        429, b"slow down", {"Retry-After": "3"}, reason="Too Many Requests", url=URL
    )
    retries(cool_downs=cool).after_response(asked_by)
    call = retries(seconds=1.0, cool_downs=cool)
    with pytest.raises(sdk.TooManyRequestsException) as caught:
        call.before_attempt()
    error = caught.value
    assert (error.status, error.method, error.url) == (429, "GET", URL)
    assert error.headers == {"Retry-After": "3"}
    assert error.retry_note == (
        "not sent: the server asked this client to wait 3.00 s more, past the 1 s deadline"
    )
    assert "not sent: the server asked" in str(error)


def test_no_cool_down_no_wait(clock: FakeClock) -> None:
    assert retries().before_attempt() == 0.0


# -- the policy itself -------------------------------------------------------------------


def test_a_retry_is_logged_with_its_number_wait_and_reason(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "numind.openapi_client")
    call = retries(url="https://api.example.com/v1/api/auth?code=SECRET")
    call.after_response(status(503))
    call.after_error(failure(ConnectTimeoutError("connect")))
    assert [r.getMessage() for r in caplog.records] == [
        "retry 1 of GET in 0.50 s after status 503 on GET /v1/api/auth?code=<redacted>",
        "retry 2 of GET in 1.00 s after ConnectTimeoutError on GET /v1/api/auth?code=<redacted>",
    ]


def test_to_retry_reads_every_form_of_the_setting() -> None:
    default = to_retry(None)
    assert type(default) is RetryPolicy and default.total == 2
    assert to_retry(5).total == 5
    plain = to_retry(urllib3.Retry(total=3, backoff_factor=0.01, status_forcelist=[429, 503]))
    assert type(plain) is RetryPolicy
    assert (plain.total, plain.backoff_factor) == (3, 0.01)
    assert plain.allowed_methods == RetryPolicy.ALLOWED_METHODS
    assert (plain.other, plain.raise_on_status, plain.redirect) == (0, False, False)
    own = to_retry(RetryPolicy(4, max_retry_after=1.0))
    assert (own.total, own.max_retry_after) == (4, 1.0)  # type: ignore[attr-defined]
    assert repr(own) == (
        "RetryPolicy(total=4, backoff_factor=0.5, backoff_max=8.0, max_retry_after=1.0)"
    )


@pytest.mark.parametrize("value", ["2", 2.0, True])
def test_to_retry_refuses_what_is_not_a_number_of_retries(value: Any) -> None:
    with pytest.raises(sdk.ApiTypeError, match="give a number of retries"):
        to_retry(value)


def test_to_retry_refuses_a_negative_number() -> None:
    with pytest.raises(sdk.ApiValueError, match="give a number of retries >= 0"):
        to_retry(-1)


# -- a DELETE whose earlier attempt may have been processed -----------------------------


def test_a_404_to_the_retry_of_a_delete_that_may_have_been_processed_is_success(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    call = retries("DELETE")
    assert call.after_error(failure(ProtocolError("reset after sending"))) == 0.5
    gone = status(404)
    with caplog.at_level(logging.INFO, logger="numind.openapi_client"):
        assert call.after_response(gone) is None
    assert (gone.status, gone.reason) == (204, "No Content")
    note = "404 on retry 1: an earlier attempt, its answer lost, deleted it"
    assert gone.retry_note == note
    (record,) = [r for r in caplog.records if r.levelno == logging.INFO]
    assert record.getMessage() == f"DELETE /v1/api/auth/me succeeded: {note}"
    # A gateway that lost the answer (504) counts as well.
    call = retries("DELETE")
    assert call.after_response(status(504)) == 0.5
    after_gateway = status(404)
    assert call.after_response(after_gateway) is None
    assert after_gateway.status == 204


def test_a_404_to_a_delete_that_cannot_have_been_processed_still_fails(clock: FakeClock) -> None:
    first = status(404)
    assert retries("DELETE").after_response(first) is None
    assert (first.status, first.retry_note) == (404, None)
    # The earlier attempt was not sent (refused, connect timeout) or not processed (503).
    for earlier in (ConnectTimeoutError("connect"), None):
        call = retries("DELETE")
        if earlier is None:
            assert call.after_response(status(503)) == 0.5
        else:
            assert call.after_error(failure(earlier)) == 0.5
        not_found = status(404)
        assert call.after_response(not_found) is None
        assert (not_found.status, not_found.retry_note) == (404, "gave up after 1 retry")
    # Another method: a 404 to a GET or PUT is an answer, not an earlier success.
    for method in ("GET", "PUT"):
        call = retries(method)
        assert call.after_error(failure(ProtocolError("reset"))) == 0.5
        answer = status(404)
        assert call.after_response(answer) is None
        assert answer.status == 404


@pytest.mark.parametrize("code", [429, 503])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_call_that_fails_after_a_maybe_processed_attempt_says_so(
    clock: FakeClock, method: str, code: int
) -> None:
    call = retries(method)
    assert call.after_error(failure(ProtocolError("reset after sending"))) == 0.5
    assert call.after_response(status(code)) == 1.0
    last = status(code)
    assert call.after_response(last) is None
    assert last.retry_note == "gave up after 2 retries; an earlier attempt may have been processed"
    # Past the deadline too, and for a final connection error.
    late = retries(method, seconds=2.0)
    assert late.after_error(failure(ReadTimeoutError(None, URL, "read timed out"))) == 0.5
    answer = status(code, Retry_After="5")
    assert late.after_response(answer) is None
    assert answer.retry_note == (
        "gave up: the server asked to wait 5 s (Retry-After), past the 2 s deadline; "
        "an earlier attempt may have been processed"
    )
    refused = retries(method)
    refused.after_error(failure(ProtocolError("reset")))
    refused.after_error(failure(ConnectTimeoutError("refused")))
    error = failure(ConnectTimeoutError("refused"))
    with pytest.raises(sdk.ApiConnectionError):
        refused.after_error(error)
    assert str(error) == (
        "the request failed (gave up after 2 retries; an earlier attempt may have been processed)"
    )


def test_a_failure_after_attempts_that_were_not_processed_says_only_how_many(
    clock: FakeClock,
) -> None:
    call = retries("PUT")
    assert call.after_error(failure(ConnectTimeoutError("refused"))) == 0.5
    assert call.after_response(status(503)) == 1.0
    last = status(429)
    assert call.after_response(last) is None
    assert last.retry_note == "gave up after 2 retries"


# -- the promise: never a POST that may have been processed -----------------------------


class _EveryMethod(urllib3.Retry):
    """A user's own policy, as in the chaos soak: it retries every method."""


@pytest.mark.parametrize(
    "policy",
    [
        _EveryMethod(total=2, allowed_methods=None),
        _EveryMethod(total=2, allowed_methods=["GET", "post"]),
    ],
    ids=["allowed_methods=None", "allowed_methods with POST"],
)
def test_a_policy_that_would_send_a_post_again_is_refused(policy: urllib3.Retry) -> None:
    with pytest.raises(sdk.ApiValueError) as caught:
        to_retry(policy)
    message = str(caught.value)
    assert "allowed_methods=" in message
    assert "would send a POST again that may have been processed" in message
    assert "Give allowed_methods without POST" in message
    with pytest.raises(sdk.ApiValueError, match="allowed_methods="):
        sdk.Configuration(host="https://api.example.com", retries=policy)


def test_policies_that_keep_the_promise_are_taken() -> None:
    # A subclass without POST; RetryPolicy (or a subclass) whatever its allowed_methods, as
    # it retries a POST only on 429; a plain Retry, which becomes a RetryPolicy.
    assert type(to_retry(_EveryMethod(total=2))) is _EveryMethod
    assert to_retry(RetryPolicy(allowed_methods=None)).allowed_methods is None
    assert type(to_retry(urllib3.Retry(allowed_methods=None))) is RetryPolicy
    assert (
        retries("POST", to_retry(urllib3.Retry(allowed_methods=None))).after_response(status(503))
        is None
    )
