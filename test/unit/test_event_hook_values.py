"""Event hooks, the pure parts: the check of ``event_hooks``, what a hook is shown (the
credentials masked), how its changes to the headers make the attempt's request, and the
sync client's loop running them around a fake transport."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from unit_fakes import FakeResponse, FakeTransport, client_with, json_answer

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk
from numind.openapi_client import _hooks
from numind.openapi_client._deadline import Deadline, parse_timeout
from numind.openapi_client._redact import Secret
from numind.openapi_client._request import PreparedRequest
from numind.openapi_client._retry import RetryPolicy

HOST = "https://api.example.com/v1"
USER = b'{"email": "a@example.com"}'


def request(**headers: str) -> PreparedRequest:
    sent = {"Accept": "application/json", "Authorization": Secret("Bearer tok-1"), **headers}
    return PreparedRequest(
        "GET",
        HOST + "/api/auth/me?code=abc",
        sent,
        None,
        "get_api_auth_me",
        parse_timeout(None),
        Deadline(10),
    )


def edited(prepared: PreparedRequest, edit: Any) -> PreparedRequest:
    """The request that goes on the wire after a hook ran ``edit`` on what it saw."""
    seen = _hooks._seen(prepared, 1)
    shown = dict(seen.headers)
    edit(seen)
    return _hooks._sent(prepared, shown, seen.headers)


# -- the check of event_hooks ------------------------------------------------------------


def test_an_unknown_kind_of_hook_is_refused_with_the_two_kinds() -> None:
    with pytest.raises(ValueError, match=r"Unknown event_hooks key 'requests': the keys are "):
        sdk.ApiClient(sdk.Configuration(host=HOST), event_hooks={"requests": [print]})  # type: ignore[typeddict-unknown-key]


@pytest.mark.parametrize(
    ("hooks", "says"),
    [
        ({"request": ["not a function"]}, r"holds 'not a function', which is not callable"),
        ({"response": print}, r"event_hooks\['response'\] must be a list of functions"),
        ({"request": "print"}, r"must be a list of functions, not 'print'"),
        ([print], r"event_hooks must be a dict such as"),
    ],
)
def test_a_hook_that_is_not_a_function_is_refused_by_name(hooks: Any, says: str) -> None:
    with pytest.raises(TypeError, match=says):
        sdk.ApiClient(sdk.Configuration(host=HOST), event_hooks=hooks)


def test_the_sync_client_refuses_a_coroutine_hook_which_the_async_one_takes() -> None:
    async def log(seen: sdk.AttemptRequest) -> None:
        pass

    class Callable:
        async def __call__(self, seen: sdk.AttemptRequest) -> None:
            pass

    for hook in (log, Callable()):
        with pytest.raises(TypeError, match="which the sync ApiClient cannot await"):
            sdk.ApiClient(sdk.Configuration(host=HOST), event_hooks={"request": [hook]})
        client = async_sdk.ApiClient(sdk.Configuration(host=HOST), event_hooks={"request": [hook]})
        assert client.event_hooks == {"request": [hook], "response": []}


def test_no_hooks_is_no_hooks_object() -> None:
    assert _hooks.attempt_hooks({}, awaits=False) is None
    assert _hooks.attempt_hooks({"request": [], "response": None}, awaits=False) is None
    client = sdk.ApiClient(sdk.Configuration(host=HOST), event_hooks={"request": []})
    assert client._hooks is None
    assert client.event_hooks == {"request": [], "response": []}


# -- what a request hook sees, and what its changes make ----------------------------------


def test_a_request_hook_sees_no_credential() -> None:
    seen = _hooks._seen(request(Cookie="session=s3cret", **{"X-Api-Key": Secret("k3y")}), 2)
    assert (seen.operation, seen.attempt, seen.method) == ("get_api_auth_me", 2, "GET")
    assert seen.url == HOST + "/api/auth/me?code=<redacted>"
    assert seen.headers == {
        "Accept": "application/json",
        "Authorization": "<redacted>",
        "Cookie": "<redacted>",
        "X-Api-Key": "<redacted>",
    }
    assert "tok-1" not in repr(seen) and "s3cret" not in repr(seen)


def test_a_hook_that_only_looks_sends_the_request_as_it_was() -> None:
    prepared = request()
    assert edited(prepared, lambda seen: None) is prepared


def test_a_hook_adds_replaces_and_deletes_headers_of_its_attempt() -> None:
    def edit(seen: sdk.AttemptRequest) -> None:
        seen.headers["X-Request-Id"] = "r-1"
        seen.headers["accept"] = "text/plain"  # another spelling replaces it
        del seen.headers["X-Old"]

    prepared = request(**{"X-Old": "1"})
    sent = edited(prepared, edit)
    assert sent.headers == {
        "Authorization": "Bearer tok-1",
        "X-Request-Id": "r-1",
        "accept": "text/plain",
    }
    assert type(sent.headers["Authorization"]) is Secret  # still masked in tracebacks
    assert prepared.headers["Accept"] == "application/json"  # the next attempt's own


def test_a_hook_may_replace_the_credential_but_not_read_it() -> None:
    def edit(seen: sdk.AttemptRequest) -> None:
        seen.headers["Authorization"] = "Bearer other"

    sent = edited(request(), edit)
    assert sent.headers["Authorization"] == "Bearer other"
    assert repr(sent.headers["Authorization"]) == "<redacted>"


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\x00", "curly \u201cquote\u201d"])
def test_a_header_from_a_hook_that_http_cannot_carry_is_refused(value: str) -> None:
    def edit(seen: sdk.AttemptRequest) -> None:
        seen.headers["X-Trace"] = value

    with pytest.raises(sdk.ApiValueError, match="set by a request hook 'X-Trace' contains") as e:
        edited(request(), edit)
    assert value not in str(e.value)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda seen: seen.headers.__setitem__("X-Count", 3), "'X-Count' to a int"),
        (lambda seen: setattr(seen, "headers", [("X-A", "1")]), "replaced AttemptRequest.headers"),
    ],
)
def test_a_header_that_is_not_text_is_refused(edit: Any, says: str) -> None:
    with pytest.raises(TypeError, match=says):
        edited(request(), edit)


def test_a_response_hook_sees_the_headers_in_any_spelling_and_no_cookie() -> None:
    class Headers:  # as urllib3's and aiohttp's: a repeated header, item by item
        def items(self) -> List[Any]:
            return [("Content-Type", "application/json"), ("Set-Cookie", "a"), ("set-cookie", "b")]

    class Answer:
        status = 200
        headers = Headers()

    answer = _hooks._answer(request(), 1, Answer(), 0.25)
    assert (answer.operation, answer.attempt, answer.status, answer.elapsed) == (
        "get_api_auth_me",
        1,
        200,
        0.25,
    )
    assert answer.url.endswith("code=<redacted>")
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["SET-COOKIE"] == "<redacted>, <redacted>"
    assert "Content-Type" in answer.headers and 3 not in answer.headers
    assert list(answer.headers) == ["Content-Type", "Set-Cookie"] and len(answer.headers) == 2
    assert "a=1" not in repr(answer)


# -- the sync loop, around a fake transport -----------------------------------------------


def test_the_sync_loop_runs_the_hooks_on_every_attempt() -> None:
    seen: List[Any] = []
    sent: List[Dict[str, str]] = []

    def on_request(attempt: sdk.AttemptRequest) -> None:
        seen.append(attempt.attempt)
        attempt.headers["X-Attempt"] = str(attempt.attempt)

    configuration = sdk.Configuration(
        host=HOST, access_token="tok-1", retries=RetryPolicy(backoff_factor=0)
    )
    client = client_with(
        configuration, json_answer(b"{}", 503, **{"Retry-After": "0"}), json_answer(USER)
    )
    client.event_hooks = {"request": [on_request], "response": [lambda a: seen.append(a.status)]}
    assert sdk.AuthenticationApi(client).get_api_auth_me().email == "a@example.com"
    transport: FakeTransport = client.rest_client
    sent = [r["headers"]["X-Attempt"] for r in transport.requests]
    assert seen == [1, 503, 2, 200]
    assert sent == ["1", "2"]


def test_the_sync_client_refuses_a_hook_that_returns_an_awaitable() -> None:
    async def later() -> None:
        pass

    client = client_with(sdk.Configuration(host=HOST, access_token="t"), json_answer(USER))
    client.event_hooks = {"request": [lambda seen: later()]}
    with pytest.raises(TypeError, match="returned an awaitable, which the sync ApiClient"):
        sdk.AuthenticationApi(client).get_api_auth_me()
    assert client.rest_client.requests == []


def test_an_awaited_hook_is_cut_at_the_deadline() -> None:
    prepared = request()._replace(deadline=Deadline(0.05))
    hooks = _hooks.attempt_hooks({"request": [lambda seen: asyncio.sleep(5)]}, awaits=True)
    assert hooks is not None

    async def send(sent: PreparedRequest) -> FakeResponse:
        raise AssertionError("sent after the deadline")

    with pytest.raises(sdk.ApiTimeoutError, match=r"the 0\.05 s deadline of the call passed in"):
        asyncio.run(hooks.send_async(send, prepared, 1))
