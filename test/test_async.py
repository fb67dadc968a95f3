"""What only the async client has: its surface beside the sync one's, the event loop it
lives in, cancellation, and many tasks on one client. Everything both clients do alike is
tested once for both (the ``twin`` fixture)."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import itertools
import os
import subprocess
import sys
import threading
from typing import Any, Awaitable, Callable

import pytest
from fault_scenarios import fast_retry_policy
from faulty_server import Fault, FaultyServer
from signing_in import bearer, new_email, sign_in
from twin import event_loop

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer

# -- the surface ---------------------------------------------------------------------------


def test_the_async_package_has_the_names_of_the_sync_one_and_shares_its_objects() -> None:
    assert async_sdk.__all__ == sdk.__all__
    own = {"ApiClient", "AuthenticationApi", "__version__"}
    for name in set(sdk.__all__) - own:
        assert getattr(async_sdk, name) is getattr(sdk, name), name
    assert async_sdk.Configuration is sdk.Configuration
    assert async_sdk.ApiClient is not sdk.ApiClient
    from numind.openapi_client_async.exceptions import NotFoundException
    from numind.openapi_client_async.models import User
    from numind.openapi_client_async.rest import ApiException

    assert (ApiException, NotFoundException, User) == (
        sdk.ApiException,
        sdk.NotFoundException,
        sdk.User,
    )


def test_the_two_api_classes_have_the_same_methods_parameters_types_and_docstrings() -> None:
    sync_methods = {n: m for n, m in vars(sdk.AuthenticationApi).items() if n[0] != "_"}
    async_methods = {n: m for n, m in vars(async_sdk.AuthenticationApi).items() if n[0] != "_"}
    assert sorted(sync_methods) == sorted(async_methods)
    assert len(sync_methods) == 24
    for name, sync_method in sync_methods.items():
        async_method = async_methods[name]
        assert inspect.iscoroutinefunction(async_method), name
        assert not inspect.iscoroutinefunction(sync_method), name
        assert inspect.getdoc(async_method) == inspect.getdoc(sync_method), name
        sync_signature = inspect.signature(sync_method)
        async_signature = inspect.signature(async_method)
        assert list(async_signature.parameters) == list(sync_signature.parameters), name
        assert async_method.__annotations__.keys() == sync_method.__annotations__.keys()
        for parameter, annotation in sync_method.__annotations__.items():
            theirs = async_method.__annotations__[parameter]
            if parameter == "return" and name.endswith("_without_preload_content"):
                assert theirs == "aiohttp.ClientResponse", name  # the transport's own
            else:
                assert theirs == annotation, (name, parameter)


def test_without_aiohttp_the_import_says_what_to_install() -> None:
    code = "import sys; sys.modules['aiohttp'] = None; import numind.openapi_client_async"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: numind.openapi_client_async needs aiohttp, which is not installed: "
        'pip install ".[async]" in a checkout of this SDK (the numind on PyPI is another package)'
    )


def test_an_async_api_class_given_a_sync_client_says_which_to_pass() -> None:
    with (
        sdk.ApiClient(sdk.Configuration(host="http://127.0.0.1:9/v1")) as client,
        pytest.raises(sdk.ApiTypeError, match=r"numind.openapi_client.AuthenticationApi"),
    ):
        async_sdk.AuthenticationApi(client)  # type: ignore[arg-type]


# -- the event loop ------------------------------------------------------------------------


def run(coroutine: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``coroutine()`` on a loop of its own, which must end with nothing left open."""
    with event_loop() as loop:
        return loop.run_until_complete(coroutine())


def test_the_session_is_made_in_the_running_loop_at_the_first_call(server: LocalServer) -> None:
    tokens = sign_in(server)
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    client = async_sdk.ApiClient(configuration)  # no loop is running here
    assert "not yet opened" in repr(client.rest_client)

    async def use() -> str:
        async with client:
            return (await async_sdk.AuthenticationApi(client).get_api_auth_me()).email

    assert run(use).endswith("@example.com")
    assert "not yet opened" in repr(client.rest_client)  # closed with its context


def test_a_client_used_from_another_event_loop_says_how_to_fix_it(server: LocalServer) -> None:
    tokens = sign_in(server)
    client = async_sdk.ApiClient(sdk.Configuration(host=server.url, access_token=tokens.token))
    api = async_sdk.AuthenticationApi(client)
    with event_loop() as first:
        assert first.run_until_complete(api.get_api_auth_me()).email
        with event_loop() as second, pytest.raises(sdk.ApiValueError) as caught:
            second.run_until_complete(api.get_api_auth_me())
        first.run_until_complete(client.close())
    assert "belongs to the event loop it was first used in" in str(caught.value)
    assert "one ApiClient per event loop" in str(caught.value)

    async def again() -> str:  # once closed, the client may move to another loop
        try:
            return (await api.get_api_auth_me()).email
        finally:
            await client.close()

    assert run(again).endswith("@example.com")


_LEAK = """
import sys
sys.path.insert(0, sys.argv[2])
from twin import event_loop
import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk

url = sys.argv[1]
try:
    with event_loop() as loop:
        client = async_sdk.ApiClient(sdk.Configuration(host=url))
        loop.run_until_complete(async_sdk.AuthenticationApi(client).get_api_auth(url))
        del client  # never closed: its session is collected open
except AssertionError as exc:
    print("FAILED:", exc)
"""


def test_an_unclosed_client_fails_the_test_that_left_it(server: LocalServer) -> None:
    # In a process of its own: what the leak leaves must not reach other tests.
    here = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", _LEAK, server.url, here],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "FAILED: left unclosed or failed in the event loop:" in result.stdout, result
    assert "Unclosed client session" in result.stdout + result.stderr


# -- cancellation --------------------------------------------------------------------------


def test_a_cancelled_call_releases_its_connection_and_the_client_goes_on() -> None:
    with FaultyServer([Fault.hang()], default=Fault.ok(b'{"email": "a@example.com"}')) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", connection_pool_maxsize=1
        )

        async def cancel_then_call() -> str:
            async with async_sdk.ApiClient(configuration) as client:
                api = async_sdk.AuthenticationApi(client)
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(api.get_api_auth_me(), 0.2)
                # The one connection of the pool is free again: this call gets it.
                return (await api.get_api_auth_me(_request_timeout=5)).email

        assert run(cancel_then_call) == "a@example.com"
    assert len(server.requests) == 2


def test_a_cancelled_body_read_releases_its_connection() -> None:
    stalled = Fault.stall_body(b'{"email": "a@example.com"}', 5, 5.0)
    with FaultyServer([stalled], default=Fault.ok(b'{"email": "b@example.com"}')) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", connection_pool_maxsize=1
        )

        async def cancel_then_call() -> str:
            async with async_sdk.ApiClient(configuration) as client:
                api = async_sdk.AuthenticationApi(client)
                task = asyncio.ensure_future(api.get_api_auth_me())
                await asyncio.sleep(0.3)  # the headers are in, the body is stalled
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                return (await api.get_api_auth_me(_request_timeout=5)).email

        assert run(cancel_then_call) == "b@example.com"
    assert server.connections == 2  # the one whose body was cut is not reused


def test_a_timed_out_call_raises_its_own_error_and_leaves_its_task_uncancelled() -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(
            host=server.url,
            access_token="t",
            timeout=(1, 0.3),
            call_timeout=5,
            retries=fast_retry_policy(),  # 2 retries, without the default backoff
        )

        async def call_within_a_callers_timeout() -> str:
            async with async_sdk.ApiClient(configuration) as client:
                api = async_sdk.AuthenticationApi(client)
                # The caller's own bound must not take the call's read timeout for its own.
                with pytest.raises(sdk.ApiTimeoutError) as caught:
                    await asyncio.wait_for(api.get_api_auth_me(), 30)
                task = asyncio.current_task()
                assert task is not None
                if sys.version_info >= (3, 11):  # before 3.11 a task keeps no such count
                    assert task.cancelling() == 0  # a TaskGroup or asyncio.timeout sees none
                await asyncio.sleep(0.01)  # and nothing is pending on it
                return str(caught.value)

        message = run(call_within_a_callers_timeout)
    assert "no data within the read timeout (0.3 s)" in message
    assert len(server.requests) == 3  # each attempt's wait for the answer timed out


def test_calls_in_sequence_set_no_timer_of_their_own(server: LocalServer) -> None:
    # An asyncio timer (made, pushed on the loop's heap, cancelled, swept) costs more CPU
    # than the rest of a short call's bookkeeping; one timer of the client bounds them all.
    tokens = sign_in(server)
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)

    async def timers_set_by_50_calls() -> int:
        loop = asyncio.get_running_loop()
        timers = 0
        call_at = loop.call_at

        def counted(when: float, callback: Callable[..., object], *args: Any) -> Any:
            nonlocal timers
            timers += 1
            return call_at(when, callback, *args)

        async with async_sdk.ApiClient(configuration) as client:
            api = async_sdk.AuthenticationApi(client)
            await api.get_api_auth_me()  # the first call opens the connection
            setattr(loop, "call_at", counted)  # noqa: B010  (call_later uses it too)
            try:
                for _ in range(50):
                    await api.get_api_auth_me()
            finally:
                delattr(loop, "call_at")
        return timers

    assert run(timers_set_by_50_calls) <= 1


# -- many tasks ----------------------------------------------------------------------------


def test_1000_concurrent_tasks_on_one_client_get_each_users_data(own_server: LocalServer) -> None:
    users = [(email, sign_in(own_server, email).token) for email in (new_email() for _ in range(8))]
    maxsize = 10
    configuration = sdk.Configuration(host=own_server.url, connection_pool_maxsize=maxsize)
    counter = itertools.count()
    opened_before = own_server.connections_opened

    async def main() -> int:
        async with async_sdk.ApiClient(configuration) as client:
            api = async_sdk.AuthenticationApi(client)
            for email, token in users:
                await api.post_api_auth_user_tokens(
                    {"name": f"{email} kept"}, _request_auth=bearer(token)
                )

            async def me(email: str, auth: dict[str, str]) -> int:
                assert (await api.get_api_auth_me(_request_auth=auth)).email == email
                return 1

            async def listing(email: str, auth: dict[str, str]) -> int:
                names = [t.name for t in await api.get_api_auth_user_tokens(_request_auth=auth)]
                assert f"{email} kept" in names
                assert all(name.startswith(email + " ") for name in names)
                return 1

            async def create_rename_delete(email: str, auth: dict[str, str]) -> int:
                created = await api.post_api_auth_user_tokens(
                    {"name": f"{email} new"}, _request_auth=auth
                )
                renamed = await api.put_api_auth_user_tokens_usertokenid(
                    created.id, {"name": f"{email} renamed"}, _request_auth=auth
                )
                assert (renamed.id, renamed.user_id, renamed.name) == (
                    created.id,
                    created.user_id,
                    f"{email} renamed",
                )
                await api.delete_api_auth_user_tokens_usertokenid(created.id, _request_auth=auth)
                return 3

            operations = [me, listing, me, listing, create_rename_delete]

            async def task() -> int:
                n = next(counter)
                email, token = users[n % len(users)]
                return await operations[n % len(operations)](email, bearer(token))

            return sum(await asyncio.gather(*(task() for _ in range(1000))))

    calls = run(main)
    opened = own_server.connections_opened - opened_before
    assert calls == 1000 + 2 * 200  # 200 of the tasks made three calls
    assert 1 <= opened <= maxsize
    print(f"\n1000 tasks, {calls} calls, {opened} connections opened (pool of {maxsize})")


def test_without_a_pool_size_the_async_client_keeps_up_to_100_connections_per_host(
    own_server: LocalServer,
) -> None:
    # Tasks are cheap: the sync client's default (5 per CPU, for threads) would queue most
    # of 150 concurrent calls behind a few connections.
    configuration = sdk.Configuration(host=own_server.url, access_token=sign_in(own_server).token)
    opened_before = own_server.connections_opened

    async def main() -> int:
        async with async_sdk.ApiClient(configuration) as client:
            api = async_sdk.AuthenticationApi(client)
            return len(await asyncio.gather(*(api.get_api_auth_me() for _ in range(150))))

    assert run(main) == 150
    opened = own_server.connections_opened - opened_before
    assert 10 < opened <= async_sdk.rest.DEFAULT_POOL_MAXSIZE == 100
    assert configuration.connection_pool_maxsize == (os.cpu_count() or 1) * 5  # the sync one's


def _expire(base_url: str) -> None:
    store = auth.CredentialStore()
    stored = store.load(base_url)
    assert stored is not None
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    store.save(
        auth.StoredCredentials(stored.base_url, stored.access_token, stored.refresh_token, past)
    )


def _signed_in(server: LocalServer) -> str:
    tokens = server.sign_in(new_email())
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=300)
    credentials = auth.StoredCredentials(
        server.url, tokens["token"], tokens["refreshToken"], future
    )
    auth.CredentialStore().save(credentials)
    return str(tokens["token"])


def test_256_tasks_on_an_expiring_stored_login_cause_one_refresh(own_server: LocalServer) -> None:
    _signed_in(own_server)
    _expire(own_server.url)
    configuration = sdk.Configuration(host=own_server.url)

    async def storm() -> set[str]:
        async with async_sdk.ApiClient(configuration) as client:
            api = async_sdk.AuthenticationApi(client)
            users = await asyncio.gather(*(api.get_api_auth_me() for _ in range(256)))
            return {user.email for user in users}

    assert len(run(storm)) == 1
    assert own_server.refresh_requests == 1


def test_one_refresh_for_tasks_of_two_loops_and_two_threads_on_one_configuration(
    own_server: LocalServer,
) -> None:
    # The server refuses the access token: every caller gets a 401 and asks for a refresh.
    _signed_in(own_server)
    configuration = sdk.Configuration(host=own_server.url)
    with sdk.ApiClient(configuration) as client:
        assert sdk.AuthenticationApi(client).get_api_auth_me().email
    own_server.advance_clock(301)
    results: list[object] = []
    barrier = threading.Barrier(4)

    def loop_thread() -> None:
        async def tasks() -> list[str]:
            async with async_sdk.ApiClient(configuration) as client:
                api = async_sdk.AuthenticationApi(client)
                barrier.wait()
                return [
                    u.email
                    for u in await asyncio.gather(*(api.get_api_auth_me() for _ in range(64)))
                ]

        try:
            results.append(run(tasks))
        except BaseException as exc:
            results.append(exc)

    def sync_thread() -> None:
        with sdk.ApiClient(configuration) as client:
            barrier.wait()
            try:
                results.append([sdk.AuthenticationApi(client).get_api_auth_me().email])
            except BaseException as exc:
                results.append(exc)

    threads = [
        threading.Thread(target=f) for f in (loop_thread, loop_thread, sync_thread, sync_thread)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(r, list) for r in results), results
    assert sorted(len(r) for r in results) == [1, 1, 64, 64]  # type: ignore[arg-type]
    assert own_server.refresh_requests == 1
