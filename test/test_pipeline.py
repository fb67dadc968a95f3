"""The request pipeline of ApiClient: arguments, headers, auth, options, decoding, pool."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest
import urllib3
from fault_scenarios import fast_retry_policy
from recording_server import Canned, RecordingServer
from signing_in import REDIRECT_URI, bearer, sign_in
from twin import Twin

import numind
import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer


def _nothing_sent(server: LocalServer, call: Callable[[], Any]) -> BaseException:
    """Run ``call``, which must fail, and check that the server never heard of it."""
    before = server.requests_handled
    with pytest.raises(sdk.OpenApiException) as caught:
        call()
    assert server.requests_handled == before
    return caught.value


# -- bad arguments are rejected before any request ---------------------------------------


@pytest.mark.parametrize(
    ("argument", "error_type", "message"),
    [
        ({"nme": "typo"}, sdk.ApiValueError, "'nme': unknown field"),
        ({}, sdk.ApiValueError, "'name': Field required"),
        ({"name": 42}, sdk.ApiValueError, "'name': Input should be a valid string"),
        ("ci-pipeline", sdk.ApiTypeError, "must be a CreateOrUpdateUserToken or a dict, not str"),
        (sdk.User(email="a@example.com"), sdk.ApiTypeError, "not User"),
    ],
)
def test_a_bad_body_argument_names_the_argument_and_the_field(
    server: LocalServer,
    api: sdk.AuthenticationApi,
    argument: Any,
    error_type: type[Exception],
    message: str,
) -> None:
    error = _nothing_sent(server, lambda: api.post_api_auth_user_tokens(argument))

    assert isinstance(error, error_type)
    assert "post_api_auth_user_tokens() argument 'create_or_update_user_token'" in str(error)
    assert message in str(error)


def test_an_unknown_token_request_type_names_the_allowed_values(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    error = _nothing_sent(
        server,
        lambda: anonymous_api.post_api_auth_token({"type": "password", "token": "t"}),
    )

    assert isinstance(error, sdk.ApiValueError)
    assert "'password'" in str(error)
    assert '"ai.numind.extract.shared.TokenCodeRequest"' in str(error)
    assert '"ai.numind.extract.shared.TokenRefreshRequest"' in str(error)


def test_a_token_request_without_its_type_names_the_two_values(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    error = _nothing_sent(server, lambda: anonymous_api.post_api_auth_token({"code": "x"}))

    assert isinstance(error, sdk.ApiValueError)
    assert str(error) == (
        "post_api_auth_token() argument 'token_request' is not a valid TokenRequest: the "
        'token request has no \'type\': give "type": "ai.numind.extract.shared.TokenCodeRequest" '
        '(with "code" and "redirectUri") or "ai.numind.extract.shared.TokenRefreshRequest" '
        '(with "token", a refresh token), or pass TokenCodeRequest(...) or '
        "TokenRefreshRequest(...), which set it"
    )


def test_a_token_request_error_never_echoes_the_secret(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    secret = "refresh-token-that-must-not-leak"
    error = _nothing_sent(
        server,
        lambda: anonymous_api.post_api_auth_token(
            {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": secret, "x": 1}
        ),
    )

    assert "'x': unknown field" in str(error)
    assert secret not in str(error)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda api: api.get_api_auth(None), "argument 'redirect_uri' must be a str, not NoneType"),
        (lambda api: api.post_api_auth_logout(b"x"), "argument 'body' must be a str, not bytes"),
        (
            lambda api: api.delete_api_auth_user_tokens_usertokenid(""),
            "argument 'user_token_id' must not be empty",
        ),
        (
            lambda api: api.put_api_auth_user_tokens_usertokenid(7, {"name": "x"}),
            "argument 'user_token_id' must be a str, not int",
        ),
        (lambda api: api.get_api_auth_me(_request_timeout=-1), "Invalid _request_timeout -1"),
        (lambda api: api.get_api_auth_me(_request_timeout=(1, "2")), "Invalid _request_timeout"),
        (lambda api: api.get_api_auth_me(_content_type="text/plain"), "takes no _content_type"),
        (
            lambda api: api.post_api_auth_user_tokens({"name": "x"}, _content_type="text/xml"),
            "Invalid _content_type 'text/xml'",
        ),
        (lambda api: api.get_api_auth_me(_host_index=3), "Invalid host index 3"),
        (
            lambda api: api.get_api_auth_me(_headers={"X-Trace": "a\r\nInjected: yes"}),
            "Header 'X-Trace' contains a line break",
        ),
        (
            lambda api: api.get_api_auth_me(_request_auth={"in": "body", "key": "k", "value": "v"}),
            "Invalid _request_auth",
        ),
    ],
)
def test_bad_arguments_and_options_are_rejected_before_sending(
    server: LocalServer, api: sdk.AuthenticationApi, call: Any, message: str
) -> None:
    error = _nothing_sent(server, lambda: call(api))

    assert isinstance(error, (sdk.ApiTypeError, sdk.ApiValueError))
    assert message in str(error)


@pytest.mark.parametrize(
    "value", ["nm_\u201cpasted\u201d-SECRET", "nm_t\u2603ken-SECRET", "nm_tab\x00SECRET"]
)
def test_a_token_that_http_cannot_carry_is_refused_without_echoing_it(
    server: LocalServer, value: str, twin: Twin
) -> None:
    # Such a value would otherwise fail inside http.client with a UnicodeEncodeError whose
    # message holds the whole header value.
    configuration = sdk.Configuration(host=server.url, access_token=value)
    with twin.client(configuration) as client:
        error = _nothing_sent(server, twin.api(client).get_api_auth_me)

    assert isinstance(error, sdk.ApiValueError)
    assert "Header 'Authorization'" in str(error) and "Latin-1" in str(error)
    assert "SECRET" not in str(error) and "SECRET" not in repr(error)


def test_a_secured_call_without_a_token_says_how_to_set_one(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    error = _nothing_sent(server, anonymous_api.get_api_auth_me)

    assert isinstance(error, sdk.ApiValueError)
    assert "NUMIND_API_KEY" in str(error) and "access_token" in str(error)


def test_unknown_keyword_options_are_a_type_error(api: sdk.AuthenticationApi) -> None:
    with pytest.raises(TypeError, match="_request_timout"):
        api.get_api_auth_me(_request_timout=5)  # type: ignore[call-arg]


# -- headers and auth --------------------------------------------------------------------


def test_headers_default_headers_and_user_agent(server: LocalServer, twin: Twin) -> None:
    tokens = sign_in(server)
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    with twin.client(configuration, header_name="X-Team", header_value="data") as client:
        client.set_default_header("X-Env", "test")
        method, url, headers, body, _ = client.param_serialize(
            "GET",
            "/api/auth/me",
            header_params={"X-Env": "per-call", "Accept": "application/json"},
            auth_settings=["oauth2Auth"],
        )

    assert (method, url, body) == ("GET", server.url + "/api/auth/me", None)
    assert headers["X-Team"] == "data"
    assert headers["X-Env"] == "per-call"
    assert headers["Authorization"] == "Bearer " + tokens.token
    assert headers["User-Agent"] == f"numind-python/{numind.__version__}"
    assert client.user_agent == f"numind-python/{numind.__version__}"


def test_default_headers_changed_between_calls_are_sent_and_checked(
    server: LocalServer, twin: Twin
) -> None:
    configuration = sdk.Configuration(host=server.url, access_token="t")
    with twin.client(configuration) as client:
        first = client.param_serialize("GET", "/api/auth/me")[2]
        client.default_headers["X-Env"] = "staging"  # the dict itself, not the setter
        second = client.param_serialize("GET", "/api/auth/me")[2]
        client.default_headers.pop("X-Env")
        client.cookie = "session=abc"
        third = client.param_serialize("GET", "/api/auth/me")[2]
        client.default_headers = {"X-Bad": "a\r\nInjected: 1"}
        with pytest.raises(sdk.ApiValueError, match="X-Bad"):
            client.param_serialize("GET", "/api/auth/me")

    assert "X-Env" not in first and "Cookie" not in first
    assert second["X-Env"] == "staging"
    assert "X-Env" not in third and third["Cookie"] == "session=abc"


def test_each_call_is_signed_by_the_steps_in_place_when_it_is_made(twin: Twin) -> None:
    # The client keeps the headers of an operation's last call; a step replaced since
    # (here on the instances; a subclass's own, below) must still make the next call's.
    with RecordingServer() as recording:
        recording.default = Canned(body=b'{"email": "a@example.com"}')
        configuration = sdk.Configuration(host=recording.url, access_token="first")
        with twin.client(configuration) as client:
            api = twin.api(client)
            api.get_api_auth_me()
            configuration.auth_settings = lambda: {  # type: ignore[method-assign]
                "oauth2Auth": {"in": "header", "key": "Authorization", "value": "Bearer second"}
            }
            api.get_api_auth_me()
            signed = client.update_params_for_auth

            def countersigned(headers: Any, *args: Any, **kwargs: Any) -> None:
                signed(headers, *args, **kwargs)
                headers["X-Countersigned"] = "yes"

            client.update_params_for_auth = countersigned
            api.get_api_auth_me()

    sent = [request.headers for request in recording.requests]
    assert [headers["Authorization"] for headers in sent] == [
        "Bearer first",
        "Bearer second",
        "Bearer second",
    ]
    assert [headers.get("X-Countersigned") for headers in sent] == [None, None, "yes"]


def test_a_subclass_that_signs_requests_its_own_way_signs_every_call() -> None:
    class Countersigned(sdk.ApiClient):  # e.g. a signature with a nonce: new each call
        calls = 0

        def update_params_for_auth(self, headers: Any, *args: Any, **kwargs: Any) -> None:
            super().update_params_for_auth(headers, *args, **kwargs)
            self.calls += 1
            headers["X-Nonce"] = str(self.calls)

    with RecordingServer() as recording:
        recording.default = Canned(body=b'{"email": "a@example.com"}')
        configuration = sdk.Configuration(host=recording.url, access_token="t")
        with Countersigned(configuration) as client:
            for _ in range(2):
                sdk.AuthenticationApi(client).get_api_auth_me()

    assert [r.headers.get("X-Nonce") for r in recording.requests] == ["1", "2"]


def test_per_call_headers_win_even_over_the_configured_token(
    server: LocalServer, api: sdk.AuthenticationApi
) -> None:
    other = sign_in(server)
    other_email = api.get_api_auth_me(_request_auth=bearer(other.token)).email

    me = api.get_api_auth_me(_headers={"authorization": "Bearer " + other.token})

    assert me.email == other_email
    assert api.get_api_auth_me().email != other_email


def test_a_per_call_authorization_header_in_any_case_is_enough_without_a_token(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    tokens = sign_in(server)

    me = anonymous_api.get_api_auth_me(_headers={"authorization": "Bearer " + tokens.token})

    assert me.email.endswith("@example.com")


def test_header_names_ignore_case_when_headers_are_merged(server: LocalServer, twin: Twin) -> None:
    with twin.client(sdk.Configuration(host=server.url, access_token="configured")) as client:
        client.set_default_header("x-team", "default")
        headers = client.param_serialize(
            "GET",
            "/api/auth/me",
            header_params={"X-Team": "per-call", "AUTHORIZATION": "Bearer per-call"},
            auth_settings=["oauth2Auth"],
        )[2]

    assert {k: v for k, v in headers.items() if k.lower() in ("x-team", "authorization")} == {
        "X-Team": "per-call",
        "AUTHORIZATION": "Bearer per-call",
    }


def test_request_auth_replaces_the_configured_token_for_one_call(
    server: LocalServer, anonymous_api: sdk.AuthenticationApi
) -> None:
    tokens = sign_in(server)

    me = anonymous_api.get_api_auth_me(_request_auth=bearer(tokens.token))

    assert me.email.endswith("@example.com")


def test_cookie_is_sent(server: LocalServer, twin: Twin) -> None:
    with twin.client(sdk.Configuration(host=server.url), cookie="session=abc") as client:
        headers = client.param_serialize("GET", "/api/auth")[2]
    assert headers["Cookie"] == "session=abc"


@pytest.mark.parametrize(
    ("call", "method", "path", "accept", "content_type", "body"),
    [
        (
            lambda api: api.get_api_auth("http://localhost:5173/cb"),
            "GET",
            "/v1/api/auth?redirectUri=http%3A%2F%2Flocalhost%3A5173%2Fcb",
            "text/plain, application/json",
            None,
            b"",
        ),
        (
            lambda api: api.post_api_auth_logout("refresh-1"),
            "POST",
            "/v1/api/auth/logout",
            "application/json, text/plain",
            "application/json",
            b'"refresh-1"',
        ),
        (
            lambda api: api.post_api_auth_token(
                {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": "r"}
            ),
            "POST",
            "/v1/api/auth/token",
            "application/json, text/plain",
            "application/json",
            b'{"token":"r","type":"ai.numind.extract.shared.TokenRefreshRequest"}',
        ),
        (
            lambda api: api.put_api_auth_user_tokens_usertokenid(
                "id 1", sdk.CreateOrUpdateUserToken(name="n")
            ),
            "PUT",
            "/v1/api/auth/user-tokens/id%201",
            "application/json, text/plain",
            "application/json",
            b'{"name":"n"}',
        ),
        (
            lambda api: api.delete_api_auth_user_tokens_usertokenid("id"),
            "DELETE",
            "/v1/api/auth/user-tokens/id",
            "application/json",
            None,
            b"",
        ),
    ],
)
def test_what_goes_on_the_wire(
    call: Any,
    method: str,
    path: str,
    accept: str,
    content_type: str | None,
    body: bytes,
    twin: Twin,
) -> None:
    with RecordingServer() as server:
        server.default = Canned(
            body=b'{"token": "t", "expiresIn": 1, "id": "i", "name": "n", '
            b'"userId": "u", "createdAt": "c", "expiresAt": "e"}'
        )
        if method == "GET":
            server.default = Canned(body=b"http://x", headers={"Content-Type": "text/plain"})
        configuration = sdk.Configuration(host=server.url, access_token="key-1")
        with twin.client(configuration) as client:
            call(twin.api(client))

    sent = server.last
    assert (sent.method, sent.path, sent.body) == (method, path, body)
    assert sent.headers["Accept"] == accept
    assert sent.headers.get("Content-Type") == content_type
    secured = not path.startswith(("/v1/api/auth?", "/v1/api/auth/token"))
    assert sent.headers.get("Authorization") == ("Bearer key-1" if secured else None)


def test_without_client_side_validation_a_dict_is_sent_as_given(twin: Twin) -> None:
    with RecordingServer() as server:
        server.default = Canned(
            body=b'{"id": "i", "name": "n", "token": "t", "userId": "u", '
            b'"createdAt": "c", "expiresAt": "e"}'
        )
        configuration = sdk.Configuration(
            host=server.url, access_token="key-1", client_side_validation=False
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            api.post_api_auth_user_tokens({"name": "n", "scopes": ["read"]})
            with pytest.raises(sdk.ApiTypeError):
                api.post_api_auth_user_tokens("not a dict")  # type: ignore[arg-type]

    assert server.last.body == b'{"name":"n","scopes":["read"]}'


def test_an_operation_without_auth_never_sends_the_token(twin: Twin) -> None:
    with RecordingServer() as server:
        server.default = Canned(body=b"http://x", headers={"Content-Type": "text/plain"})
        configuration = sdk.Configuration(host=server.url, access_token="key-1")
        with twin.client(configuration) as client:
            twin.api(client).get_api_auth("http://localhost/cb")
    assert "Authorization" not in server.last.headers


# -- timeouts ------------------------------------------------------------------------------


def test_request_timeout_bounds_a_call_to_a_server_that_never_answers(twin: Twin) -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts connections, never answers
    host = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    try:
        # The default number of retries, without the default backoff (0.5 s, then 1 s).
        configuration = sdk.Configuration(host=host, retries=fast_retry_policy())
        with twin.client(configuration) as client:
            api = twin.api(client)
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError) as caught:
                api.get_api_auth(REDIRECT_URI, _request_timeout=(1, 0.3))
            elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert elapsed < 5
    assert isinstance(caught.value, sdk.ApiConnectionError)
    assert caught.value.method == "GET"


def test_a_refused_connection_is_a_connection_error_not_a_timeout(twin: Twin) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configuration = sdk.Configuration(host=f"http://127.0.0.1:{port}/v1", retries=0)
    with twin.client(configuration) as client, pytest.raises(sdk.ApiConnectionError) as caught:
        twin.api(client).get_api_auth(REDIRECT_URI)
    assert not isinstance(caught.value, sdk.ApiTimeoutError)
    assert "could not connect" in str(caught.value)
    assert caught.value.url.startswith(f"http://127.0.0.1:{port}/v1/api/auth?")


@pytest.mark.parametrize("timeout", [5, 2.5, (1, 5), urllib3.Timeout(connect=1, read=5)])
def test_request_timeout_accepts_the_documented_forms(
    anonymous_api: sdk.AuthenticationApi, timeout: Any
) -> None:
    assert anonymous_api.get_api_auth(REDIRECT_URI, _request_timeout=timeout)


# -- the connection pool ---------------------------------------------------------------


def test_calls_reuse_one_connection_and_close_really_closes(
    own_server: LocalServer, twin: Twin
) -> None:
    tokens = sign_in(own_server)
    opened = own_server.connections_opened
    configuration = sdk.Configuration(host=own_server.url, access_token=tokens.token)
    with twin.client(configuration) as client:
        api = twin.api(client)
        for _ in range(20):
            api.get_api_auth_me()
        assert own_server.connections_opened == opened + 1

        client.close()
        api.get_api_auth_me()
        assert own_server.connections_opened == opened + 2


def test_each_host_keeps_its_connection_when_a_client_switches_between_hosts(
    own_server: LocalServer, twin: Twin
) -> None:
    with LocalServer() as other:
        hosts = [own_server, other]
        tokens = {srv.url: sign_in(srv).token for srv in hosts}
        opened = {srv.url: srv.connections_opened for srv in hosts}
        configuration = sdk.Configuration(host=own_server.url)
        with twin.client(configuration) as client:
            api = twin.api(client)
            for _ in range(3):
                for srv in hosts:
                    configuration.host = srv.url
                    configuration.access_token = tokens[srv.url]
                    assert api.get_api_auth_me().email.endswith("@example.com")

        assert [srv.connections_opened - opened[srv.url] for srv in hosts] == [1, 1]


@pytest.mark.invalid_traffic  # unauthenticated on purpose: any answer will do
@pytest.mark.parametrize("redirect", [True, False], ids=["generic", "remembered-route"])
def test_a_pool_the_manager_evicted_is_replaced(own_server: LocalServer, redirect: bool) -> None:
    # More origins than num_pools: urllib3 closes the least recently used pool. Without
    # redirects, the manager sends through the route it remembered for the URL: a route
    # to a closed pool must not be used.
    from numind.openapi_client.rest import _PoolManager

    with LocalServer() as other:
        manager = _PoolManager(num_pools=1)
        for srv in [own_server, other, own_server, other]:
            response = manager.urlopen("GET", srv.origin + "/v1/api/auth/me", redirect=redirect)
            assert response.status == 401
        manager.clear()

        assert (own_server.connections_opened, other.connections_opened) == (2, 2)


def test_one_client_shared_by_threads_returns_each_users_data(server: LocalServer) -> None:
    users = [sign_in(server) for _ in range(4)]
    emails = {}
    with sdk.ApiClient(sdk.Configuration(host=server.url)) as client:
        api = sdk.AuthenticationApi(client)
        for user in users:
            emails[user.token] = api.get_api_auth_me(_request_auth=bearer(user.token)).email
        errors: list[BaseException] = []

        def work(token: str) -> None:
            try:
                for _ in range(25):
                    assert api.get_api_auth_me(_request_auth=bearer(token)).email == emails[token]
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(u.token,)) for u in users for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


# -- the generated-style building blocks -------------------------------------------------


def test_param_serialize_call_api_and_response_deserialize_compose(
    server: LocalServer, tokens: sdk.TokenResponse, twin: Twin
) -> None:
    configuration = sdk.Configuration(host=server.url, access_token=tokens.token)
    with twin.client(configuration) as client:
        method, url, headers, body, post_params = client.param_serialize(
            "POST",
            "/api/auth/user-tokens",
            header_params={"Content-Type": "application/json", "Accept": "application/json"},
            body=sdk.CreateOrUpdateUserToken(name="built by hand"),
            auth_settings=["oauth2Auth"],
        )
        assert body == {"name": "built by hand"}
        response = client.call_api(method, url, headers, body, post_params)
        response.read()
        result = client.response_deserialize(response, {"200": "UserTokenResponse"})

    assert isinstance(result.data, sdk.UserTokenResponse)
    assert result.data.name == "built by hand"


def test_path_parameters_are_percent_encoded(server: LocalServer, twin: Twin) -> None:
    with twin.client(sdk.Configuration(host=server.url)) as client:
        url = client.param_serialize(
            "DELETE", "/api/auth/user-tokens/{userTokenId}", path_params={"userTokenId": "../a b"}
        )[1]
        dots = client.param_serialize(
            "DELETE", "/api/auth/user-tokens/{userTokenId}", path_params={"userTokenId": ".."}
        )[1]
    assert url == server.url + "/api/auth/user-tokens/..%2Fa%20b"
    assert dots == server.url + "/api/auth/user-tokens/%2E%2E"


def test_the_host_keeps_its_base_path(server: LocalServer, twin: Twin) -> None:
    with twin.client(sdk.Configuration(host=server.url + "/")) as client:
        url = client.param_serialize("GET", "/api/auth", query_params=[("redirectUri", "a b")])[1]
    assert url == server.url + "/api/auth?redirectUri=a%20b"


def test_deserialize_and_sanitize(server: LocalServer, twin: Twin) -> None:
    import datetime

    with twin.client(sdk.Configuration(host=server.url)) as client:
        users = client.deserialize(
            b'[{"email": "a@example.com"}]', "List[User]", "application/json; charset=utf-8"
        )
        text = client.deserialize(
            "caf\u00e9".encode("latin-1"), "str", "text/plain; charset=latin-1"
        )
        with pytest.raises(ValueError, match="cannot be decoded as User"):
            client.deserialize(b"<html>", "User", "text/html")
        sanitized = client.sanitize_for_serialization(
            {"when": datetime.date(2026, 11, 29), "models": [sdk.User(email="b@example.com")]}
        )
        with pytest.raises(sdk.ApiTypeError, match="Cannot serialize a object to JSON: pass a"):
            client.sanitize_for_serialization({"x": object()})
    assert users == [sdk.User(email="a@example.com")]
    assert text == "caf\u00e9"
    assert sanitized == {"when": "2026-11-29", "models": [{"email": "b@example.com"}]}


def test_a_success_body_that_is_not_the_declared_model_is_a_clear_error(
    server: LocalServer, twin: Twin
) -> None:
    with twin.client(sdk.Configuration(host=server.url)) as client:
        response = client.call_api("GET", server.url + "/api/auth?redirectUri=http://x/cb")
        response.read()
        with pytest.raises(sdk.ApiException) as caught:
            client.response_deserialize(response, {"200": "User"})
    assert caught.value.status == 200
    assert "not a valid User" in str(caught.value)
    assert (caught.value.body or "").startswith("http://127.0.0.1")


def test_default_clients(server: LocalServer) -> None:
    sdk.Configuration.set_default(sdk.Configuration(host=server.url))

    api = sdk.AuthenticationApi()

    assert api.api_client is sdk.ApiClient.get_default()
    assert api.api_client.configuration is sdk.Configuration.get_default()
    assert api.get_api_auth(REDIRECT_URI).startswith("http://127.0.0.1")
    api.api_client.close()
