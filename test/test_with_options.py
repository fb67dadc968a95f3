"""``ApiClient.with_options``: a copy with its own timeout, retries and default headers that
shares its client's connections, stored login and 429 cool-downs; over real HTTP, for both
clients (the option merging itself: test/unit/test_client_copies.py)."""

from __future__ import annotations

import time

import pytest
from fault_scenarios import USER, fast_retry_policy
from faulty_server import Fault, FaultyServer
from signing_in import new_email
from test_auth_session import log_in
from timing import no_later, on_time
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


def configuration(server: FaultyServer, **settings: object) -> sdk.Configuration:
    return sdk.Configuration(host=server.url, access_token="t", **settings)  # type: ignore[arg-type]


def test_calls_on_the_client_and_its_copy_share_one_connection(twin: Twin) -> None:
    with (
        FaultyServer(default=Fault.ok(USER)) as server,
        twin.client(configuration(server)) as client,
    ):
        copy = client.with_options(timeout=5, retries=1, default_headers={"X-Job": "1"})
        for api in [twin.api(client), twin.api(copy)] * 3:
            assert api.get_api_auth_me().email == "a@example.com"
    assert len(server.requests) == 6
    assert server.connections == 1


def test_the_copy_is_of_the_clients_kind_and_leaves_the_client_as_it_was(twin: Twin) -> None:
    settings = sdk.Configuration(host="http://127.0.0.1:9/v1", access_token="t", timeout=30)
    with twin.client(settings) as client:
        copy = client.with_options(timeout=2, retries=0, default_headers={"X-Job": "1"})
        assert type(copy.target if twin.is_async else copy) is twin.sdk.ApiClient
        assert "timeout='2 s per call' retries='0'" in repr(copy)
        assert "timeout='30 s per call' retries='2'" in repr(client)
        assert settings.timeout == 30 and settings.retries is None
        assert client.configuration is settings and copy.configuration is not settings
        assert "X-Job" not in client.default_headers


@on_time
def test_the_copys_timeout_applies_to_its_calls_and_the_clients_to_its_own(twin: Twin) -> None:
    # Every answer takes 0.6 s: too long for the copy's 0.3 s, within the client's 5 s.
    with (
        FaultyServer(default=Fault.slow_headers(0.6, USER)) as server,
        twin.client(configuration(server, timeout=5)) as client,
    ):
        quick = twin.api(client.with_options(timeout=0.3))
        started = time.monotonic()
        with pytest.raises(sdk.ApiTimeoutError, match=r"0\.3 s"):
            quick.get_api_auth_me()
        no_later(time.monotonic() - started, 0.3 + 0.25)
        assert twin.api(client).get_api_auth_me().email == "a@example.com"
        assert time.monotonic() - started >= 0.6 + 0.3


def test_the_copys_retries_apply_to_its_calls_and_the_clients_to_its_own(twin: Twin) -> None:
    script = [Fault.status(503), Fault.status(503)]
    with (
        FaultyServer(script, default=Fault.ok(USER)) as server,
        twin.client(configuration(server, retries=fast_retry_policy())) as client,
    ):
        with pytest.raises(sdk.ServiceException) as caught:
            twin.api(client.with_options(retries=0)).get_api_auth_me()
        assert caught.value.status == 503
        assert len(server.requests) == 1  # not retried
        assert twin.api(client).get_api_auth_me().email == "a@example.com"  # 503, 200
    assert len(server.requests) == 3


def test_the_copys_default_headers_are_merged_and_sent_by_the_copy_alone(twin: Twin) -> None:
    with (
        FaultyServer(default=Fault.ok(USER)) as server,
        twin.client(configuration(server), "X-Team", "search") as client,
    ):
        copy = client.with_options(default_headers={"X-Job": "batch", "user-agent": "b/1"})
        twin.api(copy).get_api_auth_me()
        twin.api(client).get_api_auth_me()
        copy.set_default_header("X-Later", "1")  # the copy's own headers, from then on
        twin.api(client).get_api_auth_me()
    by_copy, by_client, later = server.requests
    assert (by_copy.headers["x-job"], by_copy.headers["user-agent"]) == ("batch", "b/1")
    assert by_copy.headers["x-team"] == "search"  # merged: the client's are kept
    assert by_copy.headers["authorization"] == "Bearer t"
    assert "x-job" not in by_client.headers and "x-later" not in later.headers
    assert by_client.headers["user-agent"].startswith("numind-python/")


@on_time
def test_a_429_heard_by_the_copy_holds_back_the_client(twin: Twin) -> None:
    script = [Fault.status(429, {"Retry-After": "3"})]
    with (
        FaultyServer(script, default=Fault.ok(USER)) as server,
        twin.client(configuration(server, timeout=1)) as client,
    ):
        with pytest.raises(sdk.TooManyRequestsException):
            twin.api(client.with_options(retries=0)).get_api_auth_me()
        started = time.monotonic()
        with pytest.raises(sdk.TooManyRequestsException, match="not sent: the server"):
            twin.api(client).get_api_auth_me()  # the 3 s wait is past its 1 s deadline
        no_later(time.monotonic() - started, 0.1)
        # and the other way round: a copy made later waits it out too
        with pytest.raises(sdk.TooManyRequestsException, match="not sent: the server"):
            twin.api(client.with_options(timeout=2)).get_api_auth_me()
    assert len(server.requests) == 1


def test_a_login_refreshed_through_the_copy_is_refreshed_for_the_client(
    own_server: LocalServer, twin: Twin
) -> None:
    email = new_email()
    log_in(own_server, email)
    with twin.client(sdk.Configuration(host=own_server.url)) as client:
        copy = client.with_options(timeout=10)  # before the client has read its login
        assert twin.api(client).get_api_auth_me().email == email
        assert twin.api(copy).get_api_auth_me().email == email
        own_server.advance_clock(301)  # the access token expired on the server
        before = own_server.requests_handled
        assert twin.api(copy).get_api_auth_me().email == email  # 401, refresh, replay
        assert own_server.requests_handled - before == 3
        assert twin.api(client).get_api_auth_me().email == email  # the new token at once
        assert own_server.requests_handled - before == 4
    assert own_server.refresh_requests == 1


def test_after_the_client_is_closed_its_copy_reconnects(twin: Twin) -> None:
    with (
        FaultyServer(default=Fault.ok(USER)) as server,
        twin.client(configuration(server)) as client,
    ):
        copy = client.with_options(timeout=5)
        assert twin.api(client).get_api_auth_me().email == "a@example.com"
        client.close()  # closes the connections of both
        assert twin.api(copy).get_api_auth_me().email == "a@example.com"
        assert server.connections == 2
        copy.close()  # the same: the client reconnects
        assert twin.api(client).get_api_auth_me().email == "a@example.com"
        assert server.connections == 3
