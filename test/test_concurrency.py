"""One ApiClient shared by 32 threads: 2,000 mixed calls of several users, each answered with
its own user's data, over at most ``connection_pool_maxsize`` reused connections."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
from signing_in import bearer, new_email, sign_in

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

THREADS, CALLS, USERS = 32, 2_000, 8


@pytest.mark.parametrize("maxsize", [4, 10])
def test_32_threads_share_one_client(own_server: LocalServer, maxsize: int) -> None:
    users = []
    for _ in range(USERS):
        email = new_email()
        token = sign_in(own_server, email).token
        users.append((email, token))
    configuration = sdk.Configuration(host=own_server.url, connection_pool_maxsize=maxsize)
    counter = itertools.count()
    calls_made = [0]
    lock = threading.Lock()

    opened_before = own_server.connections_opened
    with sdk.ApiClient(configuration) as client:
        api = sdk.AuthenticationApi(client)
        for email, token in users:
            api.post_api_auth_user_tokens({"name": f"{email} kept"}, _request_auth=bearer(token))

        def me(email: str, auth: dict[str, str]) -> int:
            assert api.get_api_auth_me(_request_auth=auth).email == email
            return 1

        def listing(email: str, auth: dict[str, str]) -> int:
            names = [t.name for t in api.get_api_auth_user_tokens(_request_auth=auth)]
            assert f"{email} kept" in names
            assert all(name.startswith(email + " ") for name in names)
            return 1

        def create_rename_delete(email: str, auth: dict[str, str]) -> int:
            created = api.post_api_auth_user_tokens({"name": f"{email} new"}, _request_auth=auth)
            renamed = api.put_api_auth_user_tokens_usertokenid(
                created.id, {"name": f"{email} renamed"}, _request_auth=auth
            )
            assert (renamed.id, renamed.user_id) == (created.id, created.user_id)
            assert renamed.name == f"{email} renamed"
            api.delete_api_auth_user_tokens_usertokenid(created.id, _request_auth=auth)
            return 3

        operations: list[Callable[[str, dict[str, str]], int]] = [me, listing, me, listing]
        operations.append(create_rename_delete)

        def worker() -> None:
            while True:
                n = next(counter)
                email, token = users[n % USERS]
                calls = operations[n % len(operations)](email, bearer(token))
                with lock:
                    calls_made[0] += calls
                    if calls_made[0] >= CALLS:
                        return

        started = time.monotonic()
        with ThreadPoolExecutor(THREADS) as pool:
            for future in [pool.submit(worker) for _ in range(THREADS)]:
                future.result()  # re-raises a failed assertion or an error of any thread
        seconds = time.monotonic() - started
        opened = own_server.connections_opened - opened_before

    assert calls_made[0] >= CALLS
    assert 1 <= opened <= maxsize
    print(
        f"\n{calls_made[0]} calls, {THREADS} threads, maxsize {maxsize}: {seconds:.2f} s, "
        f"{calls_made[0] / seconds:.0f} calls/s, {opened} connections opened"
    )
