"""The local reference server, tested over real HTTP with the standard library only.

The SDK client is deliberately not used here: the server is the yardstick for the
client, so it has to stand on its own.
"""

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Union
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from numind.openapi_client.testing import Exchange, LocalServer, _rules

REPO_ROOT = Path(__file__).resolve().parent.parent
REDIRECT_URI = "http://localhost:5173/callback"
CODE_REQUEST = "ai.numind.extract.shared.TokenCodeRequest"
REFRESH_REQUEST = "ai.numind.extract.shared.TokenRefreshRequest"
BAD_BODY = "Invalid value for: body"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class Reply(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        assert self.headers.get_content_type() == "application/json", self.headers
        return json.loads(self.body)

    def text(self) -> str:
        assert self.headers["Content-Type"] == "text/plain; charset=utf-8", self.headers
        return self.body.decode("utf-8")


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, server: LocalServer) -> None:
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=5)

    def request(
        self,
        method: str,
        path: str,
        body: Union[bytes, Any, None] = None,
        token: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        data: Optional[bytes] = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        self.conn.request(method, path, data, all_headers)
        response = self.conn.getresponse()
        return Reply(response.status, response.headers, response.read())

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@pytest.fixture
def server(own_server: LocalServer) -> LocalServer:
    """A server of each test's own (conftest's, with its traffic validated)."""
    return own_server


@pytest.fixture
def client(server: LocalServer) -> Iterator[Client]:
    http_client = Client(server)
    yield http_client
    http_client.close()


def authorization_url(client: Client, redirect_uri: str = REDIRECT_URI) -> str:
    reply = client.request("GET", "/v1/api/auth?redirectUri=" + quote(redirect_uri, safe=""))
    assert reply.status == 200
    return reply.text()


def sign_in(client: Client, redirect_uri: str = REDIRECT_URI, email: Optional[str] = None) -> str:
    """Open the authorization URL as a browser would; return the code."""
    url = urlsplit(authorization_url(client, redirect_uri))
    state = parse_qs(url.query)["state"][0]
    hint = f"&login_hint={quote(email)}" if email else ""
    reply = client.request("GET", f"{url.path}?{url.query}{hint}")
    assert reply.status == 302
    assert reply.body == b""
    location = parse_qs(urlsplit(reply.headers["Location"]).query)
    assert location["state"] == [state]
    return location["code"][0]


def exchange(client: Client, code: str, redirect_uri: str = REDIRECT_URI) -> Reply:
    body = {"type": CODE_REQUEST, "code": code, "redirectUri": redirect_uri}
    return client.request("POST", "/v1/api/auth/token", body)


def refresh(client: Client, refresh_token: str) -> Reply:
    body = {"type": REFRESH_REQUEST, "token": refresh_token}
    return client.request("POST", "/v1/api/auth/token", body)


def login(client: Client, email: Optional[str] = None) -> Dict[str, Any]:
    reply = exchange(client, sign_in(client, email=email))
    assert reply.status == 200
    tokens: Dict[str, Any] = reply.json()
    return tokens


def me(client: Client, token: str) -> Reply:
    return client.request("GET", "/v1/api/auth/me", token=token)


def create_user_token(client: Client, token: str, name: str = "ci") -> Dict[str, Any]:
    reply = client.request("POST", "/v1/api/auth/user-tokens", {"name": name}, token=token)
    assert reply.status == 200
    user_token: Dict[str, Any] = reply.json()
    return user_token


def assert_bad_body(reply: Reply) -> None:
    assert reply.status == 400
    assert reply.text() == BAD_BODY


def assert_error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status
    error = reply.json()
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def assert_unauthorized(reply: Reply) -> None:
    assert_error(reply, 401, "UNAUTHORIZED")
    assert reply.headers["WWW-Authenticate"] == "Bearer"


# --------------------------------------------------------------------------- lifecycle


def test_url_includes_the_v1_base_path(server: LocalServer) -> None:
    assert server.port > 0
    assert server.host == "127.0.0.1"
    assert server.origin == f"http://127.0.0.1:{server.port}"
    assert server.url == server.origin + "/v1"
    assert repr(server) == f"<LocalServer {server.url}>"


def test_properties_before_start_and_argument_checks() -> None:
    local_server = LocalServer()
    with pytest.raises(RuntimeError):
        _ = local_server.url
    local_server.stop()  # stopping a server that never started is a no-op
    with pytest.raises(ValueError):
        LocalServer(access_token_ttl=0)
    with pytest.raises(ValueError, match="idle_timeout must be positive"):
        LocalServer(idle_timeout=0)
    with pytest.raises(ValueError, match="max_connections must be positive"):
        LocalServer(max_connections=0)
    with pytest.raises(ValueError):
        local_server.advance_clock(-1)


def test_keep_alive_serves_many_requests_on_one_connection(
    server: LocalServer, client: Client
) -> None:
    request_ids = set()
    for _ in range(3):
        reply = client.request("GET", "/v1/api/auth?redirectUri=http://localhost/")
        assert reply.status == 200
        assert reply.headers["Content-Length"] == str(len(reply.body))
        request_ids.add(reply.headers["X-Request-Id"])
    assert server.connections_opened == 1
    assert server.requests_handled == 3
    assert len(request_ids) == 3


@pytest.mark.invalid_traffic
def test_connection_close_is_honoured(server: LocalServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /v1/api/auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # ends only if the server closes
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert b"\r\nConnection: close\r\n" in head + b"\r\n"
    assert json.loads(body)["code"] == "UNAUTHORIZED"


def test_stop_returns_promptly_with_an_idle_keep_alive_connection() -> None:
    threads_before = threading.active_count()
    local_server = LocalServer().start()
    idle = Client(local_server)
    assert idle.request("GET", "/v1/api/auth/me").status == 401
    started = time.monotonic()
    local_server.stop()
    assert time.monotonic() - started < 1.0
    assert threading.active_count() == threads_before
    local_server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        local_server.start()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        idle.request("GET", "/v1/api/auth/me")
    idle.close()


def test_concurrent_clients(server: LocalServer) -> None:
    def work(index: int) -> None:
        own = Client(server)
        try:
            access = login(own, f"user{index}@example.com")["token"]
            for n in range(5):
                create_user_token(own, access, f"token {n}")
            listed = own.request("GET", "/v1/api/auth/user-tokens", token=access).json()
            results[index] = [t["name"] for t in listed]
        finally:
            own.close()

    results: Dict[int, Any] = {}
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == {i: [f"token {n}" for n in range(5)] for i in range(8)}
    assert server.connections_opened == 8


@pytest.mark.invalid_traffic
def test_quiet_by_default(server: LocalServer, client: Client, capfd: Any) -> None:
    login(client)
    client.request("GET", "/nowhere")
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------- login


def test_full_login_flow(server: LocalServer, client: Client) -> None:
    url = authorization_url(client)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == server.origin
    assert parts.path == "/realms/extract-platform/protocol/openid-connect/auth"
    assert "scope=openid%20profile%20email" in parts.query
    query = parse_qs(parts.query)
    assert query["client_id"] == ["extract-platform"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["response_type"] == ["code"]
    state = query["state"][0]

    reply = client.request("GET", f"{parts.path}?{parts.query}")  # http.client never follows
    assert reply.status == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    redirect_query = parse_qs(location.query)
    assert redirect_query["state"] == [state]

    reply = exchange(client, redirect_query["code"][0])
    assert reply.status == 200
    assert reply.headers["Cache-Control"] == "no-store"
    tokens = reply.json()
    assert set(tokens) == {"token", "expiresIn", "refreshToken", "refreshExpiresIn"}
    assert tokens["expiresIn"] == 300 and tokens["refreshExpiresIn"] == 1800

    assert me(client, tokens["token"]).json() == {"email": "user@example.com"}


def test_redirect_uri_with_a_query_and_no_state(client: Client) -> None:
    path = "/realms/extract-platform/protocol/openid-connect/auth"
    redirect_uri = "http://127.0.0.1:8000/cb?x=1"
    reply = client.request(
        "GET", f"{path}?response_type=code&redirect_uri={quote(redirect_uri, safe='')}"
    )
    assert reply.status == 302
    location = reply.headers["Location"]
    assert location.startswith(redirect_uri + "&code=")
    assert "state" not in parse_qs(urlsplit(location).query)
    assert (
        exchange(client, parse_qs(urlsplit(location).query)["code"][0], redirect_uri).status == 200
    )


def test_code_is_single_use(client: Client) -> None:
    code = sign_in(client)
    assert exchange(client, code).status == 200
    assert_bad_body(exchange(client, code))


def test_code_is_bound_to_its_redirect_uri(client: Client) -> None:
    assert_bad_body(exchange(client, sign_in(client), "http://localhost:5173/other"))


def test_code_expires(server: LocalServer, client: Client) -> None:
    code = sign_in(client)
    server.advance_clock(61)
    assert_bad_body(exchange(client, code))


def test_refresh_rotates(client: Client) -> None:
    first = login(client)
    reply = refresh(client, first["refreshToken"])
    assert reply.status == 200
    second = reply.json()
    assert second["token"] != first["token"]
    assert second["refreshToken"] != first["refreshToken"]
    assert_bad_body(refresh(client, first["refreshToken"]))
    assert me(client, second["token"]).status == 200
    assert refresh(client, second["refreshToken"]).status == 200


def test_access_token_expires(server: LocalServer, client: Client) -> None:
    tokens = login(client)
    server.advance_clock(299)
    assert me(client, tokens["token"]).status == 200
    server.advance_clock(2)
    assert_unauthorized(me(client, tokens["token"]))
    assert refresh(client, tokens["refreshToken"]).status == 200


def test_refresh_token_expires(server: LocalServer, client: Client) -> None:
    tokens = login(client)
    server.advance_clock(1801)
    assert_bad_body(refresh(client, tokens["refreshToken"]))


def test_logout_revokes_the_session(client: Client) -> None:
    session = login(client)
    other_session = login(client)
    refreshed = refresh(client, session["refreshToken"]).json()
    reply = client.request(
        "POST", "/v1/api/auth/logout", refreshed["refreshToken"], token=session["token"]
    )
    assert reply.status == 200
    assert reply.json() == {}
    assert_unauthorized(me(client, session["token"]))
    assert_unauthorized(me(client, refreshed["token"]))
    assert_bad_body(refresh(client, refreshed["refreshToken"]))
    # Already revoked; the user's other session is untouched.
    assert_bad_body(
        client.request(
            "POST", "/v1/api/auth/logout", refreshed["refreshToken"], token=other_session["token"]
        )
    )
    assert me(client, other_session["token"]).status == 200


@pytest.mark.invalid_traffic
def test_logout_rejects_bad_bodies_and_other_users_tokens(client: Client) -> None:
    alice = login(client, "alice@example.com")
    bob = login(client, "bob@example.com")
    path = "/v1/api/auth/logout"
    assert_bad_body(client.request("POST", path, bob["refreshToken"], token=alice["token"]))
    assert_bad_body(client.request("POST", path, b"not-json", token=alice["token"]))
    assert_bad_body(client.request("POST", path, {"token": "x"}, token=alice["token"]))
    assert_bad_body(client.request("POST", path, "unknown", token=alice["token"]))
    assert_unauthorized(client.request("POST", path, alice["refreshToken"]))
    assert refresh(client, bob["refreshToken"]).status == 200


# --------------------------------------------------------------------------- user tokens


def test_user_token_crud(server: LocalServer, client: Client) -> None:
    access = login(client)["token"]
    created = create_user_token(client, access, "laptop")
    assert set(created) == {"id", "name", "token", "userId", "createdAt", "expiresAt"}
    assert created["name"] == "laptop"
    assert created["token"].startswith("nm_")
    assert TIMESTAMP.match(created["createdAt"]) and TIMESTAMP.match(created["expiresAt"])
    created_at = datetime.strptime(created["createdAt"], "%Y-%m-%dT%H:%M:%SZ")
    expires_at = datetime.strptime(created["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires_at - created_at == timedelta(days=365)
    second = create_user_token(client, access, "ci")

    listed = client.request("GET", "/v1/api/auth/user-tokens", token=access).json()
    assert listed == [created, second]

    item = f"/v1/api/auth/user-tokens/{created['id']}"
    reply = client.request("PUT", item, {"name": "desktop"}, token=access)
    assert reply.status == 200
    assert reply.json() == {**created, "name": "desktop"}

    reply = client.request("DELETE", item, token=access)
    assert reply.status == 200
    assert reply.body == b""
    assert reply.headers["Content-Length"] == "0"
    assert "Content-Type" not in reply.headers
    listed = client.request("GET", "/v1/api/auth/user-tokens", token=access).json()
    assert [t["id"] for t in listed] == [second["id"]]
    assert_error(client.request("DELETE", item, token=access), 404, "NOT_FOUND")
    assert_error(client.request("PUT", item, {"name": "x"}, token=access), 404, "NOT_FOUND")


def test_user_token_authenticates_until_deleted(client: Client) -> None:
    access = login(client)["token"]
    user_token = create_user_token(client, access)
    assert me(client, user_token["token"]).json() == {"email": "user@example.com"}
    listed = client.request("GET", "/v1/api/auth/user-tokens", token=user_token["token"])
    assert [t["id"] for t in listed.json()] == [user_token["id"]]
    path = f"/v1/api/auth/user-tokens/{user_token['id']}"
    assert client.request("DELETE", path, token=user_token["token"]).status == 200
    assert_unauthorized(me(client, user_token["token"]))


def test_user_token_expires_after_a_year(server: LocalServer, client: Client) -> None:
    secret = create_user_token(client, login(client)["token"])["token"]
    server.advance_clock(364 * 24 * 3600)
    assert me(client, secret).status == 200
    server.advance_clock(2 * 24 * 3600)
    assert_unauthorized(me(client, secret))


def test_users_are_isolated(client: Client) -> None:
    alice = login(client, "alice@example.com")["token"]
    bob = login(client, "bob@example.com")["token"]
    assert me(client, alice).json() == {"email": "alice@example.com"}
    assert me(client, bob).json() == {"email": "bob@example.com"}
    alice_token = create_user_token(client, alice, "alice's")
    bob_token = create_user_token(client, bob, "bob's")
    assert alice_token["userId"] != bob_token["userId"]

    item = f"/v1/api/auth/user-tokens/{alice_token['id']}"
    unknown = "/v1/api/auth/user-tokens/00000000-0000-0000-0000-000000000000"
    for path in (item, unknown):  # another user's token looks exactly like a missing one
        put = client.request("PUT", path, {"name": "mine"}, token=bob)
        assert_error(put, 404, "NOT_FOUND")
        assert put.json()["message"] == "User token not found"
        assert_error(client.request("DELETE", path, token=bob), 404, "NOT_FOUND")
    listed = client.request("GET", "/v1/api/auth/user-tokens", token=bob).json()
    assert listed == [bob_token]
    assert client.request("GET", "/v1/api/auth/user-tokens", token=alice).json() == [alice_token]

    alice_again = login(client, "alice@example.com")["token"]
    assert create_user_token(client, alice_again)["userId"] == alice_token["userId"]


@pytest.mark.invalid_traffic
def test_percent_encoded_user_token_id(client: Client) -> None:
    access = login(client)["token"]
    user_token = create_user_token(client, access)
    encoded = "".join(f"%{ord(c):02X}" for c in user_token["id"])
    path = f"/v1/api/auth/user-tokens/{encoded}"
    assert client.request("PUT", path, {"name": "renamed"}, token=access).status == 200
    for method in ("PUT", "DELETE"):  # "a/b" is one segment: a missing token, not a route
        reply = client.request(method, "/v1/api/auth/user-tokens/a%2Fb", {"name": "x"}, access)
        assert_error(reply, 404, "NOT_FOUND")
    assert_error(
        client.request("GET", "/v1/api/auth/user-tokens/a/b", token=access), 404, "NOT_FOUND"
    )


# --------------------------------------------------------------------------- errors


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"a string"',
        {},
        {"type": "ai.numind.extract.shared.Unknown", "code": "x", "redirectUri": REDIRECT_URI},
        {"code": "x", "redirectUri": REDIRECT_URI},
        {"type": CODE_REQUEST, "code": 1, "redirectUri": REDIRECT_URI},
        {"type": CODE_REQUEST, "code": "unknown", "redirectUri": REDIRECT_URI},
        {"type": CODE_REQUEST, "redirectUri": REDIRECT_URI},
        {"type": REFRESH_REQUEST},
        {"type": REFRESH_REQUEST, "token": None},
        {"type": REFRESH_REQUEST, "token": "unknown"},
    ],
)
def test_token_endpoint_rejects_invalid_bodies(client: Client, body: Any) -> None:
    assert_bad_body(client.request("POST", "/v1/api/auth/token", body))


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", {}, {"name": ""}, {"name": "x" * 101}, {"name": 3}, {"nom": "x"}]
)
def test_user_token_endpoints_reject_invalid_bodies(client: Client, body: Any) -> None:
    access = login(client)["token"]
    item = f"/v1/api/auth/user-tokens/{create_user_token(client, access)['id']}"
    assert_bad_body(client.request("POST", "/v1/api/auth/user-tokens", body, token=access))
    assert_bad_body(client.request("PUT", item, body, token=access))


def test_user_token_name_may_have_100_characters(client: Client) -> None:
    assert create_user_token(client, login(client)["token"], "x" * 100)["name"] == "x" * 100


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    "query",
    ["", "?redirectUri=", "?redirect_uri=http%3A%2F%2Flocalhost%2F", "?redirectUri=%FF"],
)
def test_get_auth_refuses_only_a_missing_or_undecodable_redirect_uri(
    client: Client, query: str
) -> None:
    reply = client.request("GET", "/v1/api/auth" + query)
    assert reply.status == 400
    assert reply.text() == "Invalid value for: query parameter redirectUri"


@pytest.mark.parametrize(
    "redirect_uri",
    ["redirect_uri_example", "/callback", "ftp://example.com/", "http://", "javascript:alert(1)"],
)
def test_get_auth_answers_any_redirect_uri_and_the_sign_in_page_refuses_it(
    client: Client, redirect_uri: str
) -> None:
    # As the real API: the seed's own example ('redirect_uri_example') gets its URL, and it
    # is the identity provider's page that refuses to send a code there.
    url = urlsplit(authorization_url(client, redirect_uri))
    assert parse_qs(url.query)["redirect_uri"] == [redirect_uri]
    reply = client.request("GET", f"{url.path}?{url.query}")
    assert reply.status == 400
    assert "Location" not in reply.headers  # no redirect to a URI that is not trusted
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    page = reply.body.decode()
    assert "We are sorry..." in page and "Invalid parameter: redirect_uri" in page


def test_the_sign_in_page_accepts_only_the_redirect_uris_it_is_given() -> None:
    allowed = ["https://app.example.com/callback", "http://127.0.0.1:8000/*"]
    with LocalServer(redirect_uris=allowed) as local_server, Client(local_server) as client:
        for redirect_uri, status in [
            ("https://app.example.com/callback", 302),
            ("https://app.example.com/callback/x", 400),
            ("http://127.0.0.1:8000/any/path?x=1", 302),
            ("http://127.0.0.1:8001/", 400),
        ]:
            url = urlsplit(authorization_url(client, redirect_uri))
            assert client.request("GET", f"{url.path}?{url.query}").status == status, redirect_uri
    with pytest.raises(TypeError, match="a list of URIs"):
        LocalServer(redirect_uris="https://app.example.com/callback")


@pytest.mark.parametrize(
    "query",
    [
        "response_type=code",
        "response_type=code&redirect_uri=nowhere",
        "response_type=token&redirect_uri=http%3A%2F%2Flocalhost%2F",
        "redirect_uri=http%3A%2F%2Flocalhost%2F",
    ],
)
def test_authorization_endpoint_rejects_bad_requests(client: Client, query: str) -> None:
    reply = client.request("GET", f"/realms/extract-platform/protocol/openid-connect/auth?{query}")
    assert reply.status == 400
    assert "Location" not in reply.headers
    assert "We are sorry..." in reply.body.decode()


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    "authorization", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer x"]
)
def test_bad_bearer_is_401(client: Client, authorization: Optional[str]) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [
        ("GET", "/v1/api/auth/me"),
        ("GET", "/v1/api/auth/user-tokens"),
        ("DELETE", "/v1/api/auth/user-tokens/some-id"),
    ]:
        assert_unauthorized(client.request(method, path, headers=headers))


def test_bearer_scheme_is_case_insensitive(client: Client) -> None:
    access = login(client)["token"]
    headers = {"Authorization": f"bearer {access}"}
    assert client.request("GET", "/v1/api/auth/me", headers=headers).status == 200


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/api/auth/me", "GET"),
        ("GET", "/v1/api/auth/token", "POST"),
        ("POST", "/v1/api/auth", "GET"),
        ("PATCH", "/v1/api/auth/user-tokens", "GET, POST"),
        ("GET", "/v1/api/auth/user-tokens/some-id", "PUT, DELETE"),
    ],
)
def test_wrong_method_is_405(client: Client, method: str, path: str, allow: str) -> None:
    reply = client.request(method, path)
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")
    assert reply.headers["Allow"] == allow


@pytest.mark.invalid_traffic
@pytest.mark.parametrize(
    "path", ["/", "/v1", "/v1/nowhere", "/api/auth/me", "/v1/api/auth/me/", "/v2/api/auth"]
)
def test_unknown_path_is_404(client: Client, path: str) -> None:
    assert_error(client.request("GET", path), 404, "NOT_FOUND")


def test_garbage_requests_do_not_break_the_server(server: LocalServer, client: Client) -> None:
    for raw in (
        b"NONSENSE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /v1/api/auth/token HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /v1/api/auth/token HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
        b"POST /v1/api/auth/token HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /v1/api/auth/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ):
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            sock.sendall(raw)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        assert re.match(rb"HTTP/1\.[01] (4|5)\d\d ", received), received
        assert b"X-Request-Id: " in received
    assert me(client, login(client)["token"]).status == 200


def test_chunked_request_body(client: Client) -> None:
    access = login(client)["token"]
    client.conn.request(
        "POST",
        "/v1/api/auth/user-tokens",
        body=iter([b'{"name":', b' "chunked"}']),
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
    )
    response = client.conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["name"] == "chunked"
    assert me(client, access).status == 200  # the connection is still in step


def test_unexpected_exception_is_a_500_and_the_server_survives(
    server: LocalServer, client: Client, monkeypatch: pytest.MonkeyPatch, capfd: Any
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    server.on_exchange = None  # the crash is injected: its 500 is outside the contract
    with monkeypatch.context() as patch:
        patch.setattr(_rules.ApiRules, "handle", explode)
        assert_error(client.request("GET", "/v1/api/auth/me"), 500, "INTERNAL")
    assert "RuntimeError: boom" in capfd.readouterr().err
    assert_unauthorized(client.request("GET", "/v1/api/auth/me"))
    assert server.connections_opened == 1


# --------------------------------------------------------------------------- TLS and CLI


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with LocalServer(ssl_context=server_context) as local_server:
        assert local_server.url == f"https://127.0.0.1:{local_server.port}/v1"
        conn = http.client.HTTPSConnection(
            local_server.host, local_server.port, timeout=5, context=client_context
        )
        try:
            conn.request("GET", "/v1/api/auth?redirectUri=http%3A%2F%2Flocalhost%2F")
            response = conn.getresponse()
            assert response.status == 200
            assert response.read().decode().startswith(local_server.origin + "/realms/")
            started = time.monotonic()
            local_server.stop()  # with the TLS connection idle
            assert time.monotonic() - started < 1.0
        finally:
            conn.close()


def cli_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_signalled(signum: signal.Signals) -> None:
    command = [sys.executable, "-m", "numind.openapi_client.testing", "--port", "0"]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    ) as process:
        watchdog = threading.Timer(8, process.kill)
        watchdog.start()
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url), url
            no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with no_proxy.open(url + "/api/auth?redirectUri=http%3A%2F%2Flocalhost%2F") as reply:
                assert reply.status == 200
                assert reply.read().decode().startswith(url[: -len("/v1")] + "/realms/")
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=5)
        finally:
            watchdog.cancel()
        assert process.returncode == 0
        assert "Traceback" not in stderr


@pytest.mark.invalid_traffic
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", None])
def test_a_body_that_is_not_json_is_415(client: Client, content_type: Optional[str]) -> None:
    # Found by schemathesis: the server used to parse any body as JSON, whatever its type.
    access = login(client)["token"]
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps({"name": "x"}).encode()
    client.conn.request(
        "POST", "/v1/api/auth/user-tokens", body, {**headers, "Authorization": f"Bearer {access}"}
    )
    response = client.conn.getresponse()
    reply = Reply(response.status, response.headers, response.read())
    assert_error(reply, 415, "UNSUPPORTED_MEDIA_TYPE")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert (
        client.request("POST", "/v1/api/auth/user-tokens", {"name": "x"}, access, headers).status
        == 200
    )


def test_on_exchange_sees_each_request_and_its_answer(
    server: LocalServer, client: Client, capfd: Any
) -> None:
    access = login(client)["token"]
    validate = server.on_exchange
    assert validate is not None
    seen: List[Exchange] = []
    server.on_exchange = lambda exchange: (seen.append(exchange), validate(exchange))[1]
    reply = client.request("POST", "/v1/api/auth/user-tokens", {"name": "ci"}, access)
    (exchange,) = seen
    assert (exchange.method, exchange.target, exchange.status) == (
        "POST",
        "/v1/api/auth/user-tokens",
        200,
    )
    assert ("Authorization", f"Bearer {access}") in exchange.request_headers
    assert exchange.request_body == b'{"name": "ci"}'
    assert ("Content-Type", "application/json") in exchange.response_headers
    assert exchange.response_body == reply.body

    def broken(exchange: Exchange) -> None:
        raise RuntimeError("observer bug")

    server.on_exchange = broken
    assert me(client, access).status == 200  # the answer still goes out
    assert "RuntimeError: observer bug" in capfd.readouterr().err


# --------------------------------------------------------------------------- finding 12


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with LocalServer(idle_timeout=0.5) as local_server:
        idle = socket.create_connection((local_server.host, local_server.port), timeout=10)
        half = socket.create_connection((local_server.host, local_server.port), timeout=10)
        try:
            half.sendall(b"GET /v1/api/auth/me HTTP/1.1\r\nHost: x\r\n")  # and no more
            started = time.monotonic()
            assert idle.recv(1) == b""  # closed by the server, not by our 10 s timeout
            assert half.recv(1024) == b""
            assert time.monotonic() - started < 8
        finally:
            idle.close()
            half.close()
        with Client(local_server) as client:  # it still serves
            assert authorization_url(client).startswith(local_server.origin)


def _trickle(sock: socket.socket, data: bytes, every: float, give_up: float) -> Optional[float]:
    """Send ``data`` a byte at a time, one each ``every`` seconds (each well within the idle
    timeout); the seconds after which the server closed the connection, or None."""
    started = time.monotonic()
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
            readable, _, _ = select.select([sock], [], [], every)
            if readable and sock.recv(1024) == b"":
                return time.monotonic() - started
        except OSError:  # reset, or a broken pipe: closed
            return time.monotonic() - started
        if time.monotonic() - started > give_up:
            return None
    return None


@pytest.mark.parametrize(
    "data",
    [
        b"GET /v1/api/auth/me HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200,
        b"POST /v1/api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" + b"{" * 200,
    ],
    ids=["headers", "body"],
)
def test_a_trickling_client_is_closed_within_the_request_timeout(data: bytes) -> None:
    # Before: one byte before each idle timeout kept the connection (and its thread) for
    # good, so max_connections such clients starved everyone.
    with LocalServer(idle_timeout=2, request_timeout=1) as local_server:
        with socket.create_connection((local_server.host, local_server.port), timeout=10) as sock:
            # Past the request line first, in one go: the deadline runs from the first byte.
            start = data.index(b"\n") + 1
            sock.sendall(data[:start])
            closed_after = _trickle(sock, data[start:], every=0.2, give_up=8)
        assert closed_after is not None, "still open after 8 s"
        assert 0.5 < closed_after < 4
        with Client(local_server) as client:  # it still serves
            assert authorization_url(client).startswith(local_server.origin)


def test_the_request_timeout_leaves_an_idle_keep_alive_connection_alone() -> None:
    # The deadline runs from a request's first byte: a connection idle between requests
    # for longer is only held to the idle timeout.
    with LocalServer(idle_timeout=5, request_timeout=0.5) as local_server:
        connection = http.client.HTTPConnection(local_server.host, local_server.port, timeout=10)
        try:
            for _ in range(2):
                connection.request("GET", "/v1/api/auth?redirectUri=http://127.0.0.1:1/cb")
                assert connection.getresponse().read().startswith(b"http://")
                time.sleep(1)
        finally:
            connection.close()
        assert local_server.connections_opened == 1
    with pytest.raises(ValueError, match="request_timeout must be positive"):
        LocalServer(request_timeout=0)


def connection_threads() -> int:
    return sum(t.name.startswith("LocalServer-connection-") for t in threading.enumerate())


def test_at_most_max_connections_are_served_at_once() -> None:
    with LocalServer(max_connections=4) as local_server:
        before = connection_threads()
        idle = [
            socket.create_connection((local_server.host, local_server.port), timeout=10)
            for _ in range(50)
        ]
        try:
            time.sleep(0.5)
            assert connection_threads() - before <= 4
            assert local_server.connections_opened <= 4
        finally:
            for sock in idle:
                sock.close()
        # the others waited their turn in the backlog; the server is not stuck
        with Client(local_server) as client:
            assert authorization_url(client).startswith(local_server.origin)
        assert local_server.connections_opened == 51


@pytest.mark.parametrize("host", ["0.0.0.0", ""])
def test_binding_to_an_address_that_is_not_loopback_warns(host: str) -> None:
    with pytest.warns(UserWarning, match="not loopback.*signs anyone in as any user"):
        local_server = LocalServer(host).start()
    local_server.stop()


def test_the_cli_warns_when_bound_to_an_address_that_is_not_loopback() -> None:
    command = [sys.executable, "-m", "numind.openapi_client.testing", "--host", "0.0.0.0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env()
    ) as process:
        try:
            assert process.stdout is not None
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", process.stdout.readline().strip())
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=10)
    assert stderr.startswith("warning: LocalServer is listening on '0.0.0.0'")
    assert "signs anyone in as any user" in stderr
