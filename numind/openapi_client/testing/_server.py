"""In-memory reference implementation of the NuExtract authentication API.

Standard library only, and independent of the generated client on purpose: a
server built on the client could not catch the client's mistakes.
"""

import contextlib
import http.client
import json
import secrets
import selectors
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import (
    Any,
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Set,
    Tuple,
    TypeVar,
    Union,
    cast,
)
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from numind.openapi_client._net import is_loopback

__all__ = ["Exchange", "LocalServer"]

API_BASE_PATH = "/v1"
REALM_AUTH_PATH = "/realms/extract-platform/protocol/openid-connect/auth"
CLIENT_ID = "extract-platform"
SCOPE = "openid profile email"
CODE_REQUEST_TYPE = "ai.numind.extract.shared.TokenCodeRequest"
REFRESH_REQUEST_TYPE = "ai.numind.extract.shared.TokenRefreshRequest"
USER_TOKEN_LIFETIME = 365 * 24 * 60 * 60
USER_TOKEN_PREFIX = "nm_"
MAX_TOKEN_NAME_LENGTH = 100
MAX_BODY_SIZE = 1 << 20
MAX_LINE_SIZE = 65536
#: Seconds that a connection may stay idle (between requests, or in the middle of one)
#: before the server closes it.
DEFAULT_IDLE_TIMEOUT = 60.0
#: Connections served at once; more wait in the listen backlog until one closes.
DEFAULT_MAX_CONNECTIONS = 256

_BAD_BODY = "Invalid value for: body"
_BAD_REDIRECT_URI = "Invalid value for: query parameter redirectUri"
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


# --------------------------------------------------------------------------- responses


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: Optional[str] = None
    headers: List[Tuple[str, str]] = field(default_factory=list[Tuple[str, str]])


def _json(status: int, value: Any, headers: Optional[List[Tuple[str, str]]] = None) -> _Response:
    body = json.dumps(value).encode("utf-8")
    return _Response(status, body, "application/json", headers or [])


def _text(status: int, text: str) -> _Response:
    return _Response(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def _error(
    status: int,
    code: str,
    message: str,
    headers: Optional[List[Tuple[str, str]]] = None,
) -> _Response:
    return _json(status, {"code": code, "message": message}, headers)


def _bad_body() -> _Response:
    return _text(400, _BAD_BODY)


def _unauthorized(message: str) -> _Response:
    return _error(401, "UNAUTHORIZED", message, [("WWW-Authenticate", "Bearer")])


def _token_not_found() -> _Response:
    # Same answer for an unknown id and another user's id: never reveal that it exists.
    return _error(404, "NOT_FOUND", "User token not found")


# --------------------------------------------------------------------------- state


class Exchange(NamedTuple):
    """One request that the server answered, as seen on the wire (for ``on_exchange``)."""

    method: str
    target: str  # the raw request target: path and query, percent-encoded as sent
    request_headers: List[Tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: List[Tuple[str, str]]  # Content-Type included
    response_body: bytes


class _Principal(NamedTuple):
    email: str
    user_id: str


@dataclass
class _Code:
    email: str
    redirect_uri: str
    expires_at: float


@dataclass
class _Session:
    id: str
    email: str
    refresh_token: str = ""
    refresh_expires_at: float = 0.0
    access_tokens: Set[str] = field(default_factory=set[str])


@dataclass
class _AccessToken:
    session_id: str
    email: str
    expires_at: float


@dataclass
class _UserToken:
    id: str
    name: str
    secret: str
    email: str
    user_id: str
    created_at: int
    expires_at: int

    def to_json(self) -> Dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "token": self.secret,
            "userId": self.user_id,
            "createdAt": _iso8601(self.created_at),
            "expiresAt": _iso8601(self.expires_at),
        }


class _Call(NamedTuple):
    params: Dict[str, str]
    query: str
    body: bytes
    principal: Optional[_Principal]


def _iso8601(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_id(email: str) -> str:
    # Derived from the email so that a user keeps the same id across servers.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "local-server:user:" + email))


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _valid_redirect_uri(uri: str) -> bool:
    """Absolute http(s) URL with a host, printable ASCII, no fragment."""
    # Printable ASCII only: the URI ends up in a Location header.
    if not uri or "#" in uri or not all(0x21 <= ord(c) <= 0x7E for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _parse_json(body: bytes) -> Any:
    """The decoded JSON document, or ``None`` (never a valid body here) if malformed."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _parse_token_name(body: bytes) -> Optional[str]:
    value = _parse_json(body)
    if not isinstance(value, dict):
        return None
    name = cast("Dict[str, Any]", value).get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_TOKEN_NAME_LENGTH:
        return None
    return name


def _first(query: Dict[str, List[str]], name: str) -> Optional[str]:
    values = query.get(name)
    return values[0] if values else None


class _App:
    """Routing and state of the API. Every access to the state holds ``lock``."""

    def __init__(
        self,
        *,
        access_token_ttl: int,
        refresh_token_ttl: int,
        code_ttl: int,
        default_email: str,
    ) -> None:
        self.lock = threading.Lock()
        self.origin = ""
        self.on_exchange: Optional[Callable[[Exchange], None]] = None
        self.connections_opened = 0
        self.requests_handled = 0
        self.refresh_requests = 0
        self._access_token_ttl = access_token_ttl
        self._refresh_token_ttl = refresh_token_ttl
        self._code_ttl = code_ttl
        self._default_email = _normalize_email(default_email)
        self._clock_offset = 0.0
        self._users: Dict[str, str] = {}
        self._codes: Dict[str, _Code] = {}
        self._sessions: Dict[str, _Session] = {}
        self._refresh_tokens: Dict[str, str] = {}
        self._access_tokens: Dict[str, _AccessToken] = {}
        self._user_tokens: Dict[str, _UserToken] = {}
        self._user_token_secrets: Dict[str, str] = {}

    # -- clock

    def _now(self) -> float:
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self.lock:
            self._clock_offset += seconds

    # -- dispatch

    def handle(
        self,
        method: str,
        target: str,
        authorization: Optional[str],
        body: bytes,
        content_type: Optional[str] = None,
    ) -> _Response:
        """Answer one request; ``target`` is the raw request target."""
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            path, query = parts.path, parts.query
        else:
            path, _, query = target.partition("?")
        segments = path.split("/")
        for route in _ROUTES:
            params = route.match(segments)
            if params is None:
                continue
            endpoint = route.methods.get(method)
            if endpoint is None:
                allow = ", ".join(route.methods)
                message = f"Method {method} not allowed; allowed: {allow}"
                return _error(405, "METHOD_NOT_ALLOWED", message, [("Allow", allow)])
            principal: Optional[_Principal] = None
            if route.secured:
                auth = self._authenticate(authorization)
                if isinstance(auth, _Response):
                    return auth
                principal = auth
            if endpoint in _JSON_BODY and not _is_json(content_type):
                message = f"Unsupported Content-Type {content_type!r}; expected application/json"
                return _error(415, "UNSUPPORTED_MEDIA_TYPE", message)
            return endpoint(self, _Call(params, query, body, principal))
        return _error(404, "NOT_FOUND", f"No such resource: {path}")

    def _authenticate(self, authorization: Optional[str]) -> Union[_Principal, _Response]:
        if authorization is None:
            return _unauthorized("Missing bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            return _unauthorized("Malformed Authorization header; expected 'Bearer <token>'")
        with self.lock:
            now = self._now()
            access = self._access_tokens.get(token)
            if access is not None and now < access.expires_at:
                return self._principal(access.email)
            token_id = self._user_token_secrets.get(token)
            if token_id is not None:
                user_token = self._user_tokens[token_id]
                if now < user_token.expires_at:
                    return self._principal(user_token.email)
        return _unauthorized("Invalid, expired or revoked token")

    def _principal(self, email: str) -> _Principal:
        user_id = self._users.get(email)
        if user_id is None:
            user_id = self._users[email] = _user_id(email)
        return _Principal(email, user_id)

    # -- login

    def get_auth(self, call: _Call) -> _Response:
        redirect_uri = _first(parse_qs(call.query, keep_blank_values=True), "redirectUri")
        if redirect_uri is None or not _valid_redirect_uri(redirect_uri):
            return _text(400, _BAD_REDIRECT_URI)
        params = [
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", SCOPE),
            ("state", secrets.token_urlsafe(16)),
        ]
        return _text(200, f"{self.origin}{REALM_AUTH_PATH}?{urlencode(params, quote_via=quote)}")

    def sign_in(self, call: _Call) -> _Response:
        """The identity provider's authorization endpoint: signs in at once."""
        query = parse_qs(call.query, keep_blank_values=True)
        redirect_uri = _first(query, "redirect_uri")
        if redirect_uri is None or not _valid_redirect_uri(redirect_uri):
            return _text(400, "Invalid parameter: redirect_uri")
        if _first(query, "response_type") != "code":
            return _text(400, "Unsupported response_type; expected 'code'")
        email = _normalize_email(_first(query, "login_hint") or "") or self._default_email
        state = _first(query, "state")
        code = secrets.token_urlsafe(32)
        with self.lock:
            now = self._now()
            self._prune(now)
            self._principal(email)
            self._codes[code] = _Code(email, redirect_uri, now + self._code_ttl)
        params = [("code", code)]
        if state is not None:
            params.append(("state", state))
        separator = "" if redirect_uri.endswith(("?", "&")) else "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urlencode(params)}"
        return _Response(302, headers=[("Location", location)])

    def post_token(self, call: _Call) -> _Response:
        document = _parse_json(call.body)
        if not isinstance(document, dict):
            return _bad_body()
        request = cast("Dict[str, Any]", document)
        kind = request.get("type")
        with self.lock:
            now = self._now()
            self._prune(now)
            if kind == CODE_REQUEST_TYPE:
                code, redirect_uri = request.get("code"), request.get("redirectUri")
                if not isinstance(code, str) or not isinstance(redirect_uri, str):
                    return _bad_body()
                # Consumed by any attempt, as Keycloak does: a failed exchange burns the code.
                grant = self._codes.pop(code, None)
                if grant is None or now >= grant.expires_at or grant.redirect_uri != redirect_uri:
                    return _bad_body()
                session = _Session(secrets.token_hex(8), grant.email)
                self._sessions[session.id] = session
            elif kind == REFRESH_REQUEST_TYPE:
                self.refresh_requests += 1
                refresh_token = request.get("token")
                if not isinstance(refresh_token, str):
                    return _bad_body()
                found = self._live_session(refresh_token, now)
                if found is None:
                    return _bad_body()
                session = found
                del self._refresh_tokens[refresh_token]
            else:
                return _bad_body()
            tokens = self._issue(session, now)
        return _json(200, tokens, [("Cache-Control", "no-store")])

    def post_logout(self, call: _Call) -> _Response:
        assert call.principal is not None
        refresh_token = _parse_json(call.body)
        if not isinstance(refresh_token, str):
            return _bad_body()
        with self.lock:
            session = self._live_session(refresh_token, self._now())
            if session is None or session.email != call.principal.email:
                return _bad_body()
            self._end_session(session)
        return _json(200, {})

    def _live_session(self, refresh_token: str, now: float) -> Optional[_Session]:
        session_id = self._refresh_tokens.get(refresh_token)
        session = self._sessions.get(session_id) if session_id is not None else None
        if session is None or now >= session.refresh_expires_at:
            return None
        return session

    def _issue(self, session: _Session, now: float) -> Dict[str, Any]:
        access_token = secrets.token_urlsafe(32)
        expires_at = now + self._access_token_ttl
        self._access_tokens[access_token] = _AccessToken(session.id, session.email, expires_at)
        session.access_tokens.add(access_token)
        session.refresh_token = secrets.token_urlsafe(48)
        session.refresh_expires_at = now + self._refresh_token_ttl
        self._refresh_tokens[session.refresh_token] = session.id
        return {
            "token": access_token,
            "expiresIn": self._access_token_ttl,
            "refreshToken": session.refresh_token,
            "refreshExpiresIn": self._refresh_token_ttl,
        }

    def _end_session(self, session: _Session) -> None:
        self._refresh_tokens.pop(session.refresh_token, None)
        for access_token in session.access_tokens:
            self._access_tokens.pop(access_token, None)
        self._sessions.pop(session.id, None)

    def _prune(self, now: float) -> None:
        """Forget expired codes, access tokens and sessions, so memory stays bounded."""
        for code in [c for c, grant in self._codes.items() if now >= grant.expires_at]:
            del self._codes[code]
        expired = [(t, a) for t, a in self._access_tokens.items() if now >= a.expires_at]
        for access_token, access in expired:
            del self._access_tokens[access_token]
            owner = self._sessions.get(access.session_id)
            if owner is not None:
                owner.access_tokens.discard(access_token)
        for session in [s for s in self._sessions.values() if now >= s.refresh_expires_at]:
            # Its access tokens stay valid until they expire on their own.
            self._refresh_tokens.pop(session.refresh_token, None)
            del self._sessions[session.id]

    # -- user

    def get_me(self, call: _Call) -> _Response:
        assert call.principal is not None
        return _json(200, {"email": call.principal.email})

    def list_user_tokens(self, call: _Call) -> _Response:
        assert call.principal is not None
        user_id = call.principal.user_id
        with self.lock:
            tokens = [t.to_json() for t in self._user_tokens.values() if t.user_id == user_id]
        return _json(200, tokens)

    def create_user_token(self, call: _Call) -> _Response:
        assert call.principal is not None
        name = _parse_token_name(call.body)
        if name is None:
            return _bad_body()
        with self.lock:
            created_at = int(self._now())
            token = _UserToken(
                id=str(uuid.uuid4()),
                name=name,
                secret=USER_TOKEN_PREFIX + secrets.token_urlsafe(32),
                email=call.principal.email,
                user_id=call.principal.user_id,
                created_at=created_at,
                expires_at=created_at + USER_TOKEN_LIFETIME,
            )
            self._user_tokens[token.id] = token
            self._user_token_secrets[token.secret] = token.id
            return _json(200, token.to_json())

    def update_user_token(self, call: _Call) -> _Response:
        assert call.principal is not None
        name = _parse_token_name(call.body)
        if name is None:
            return _bad_body()
        with self.lock:
            token = self._own_user_token(call)
            if token is None:
                return _token_not_found()
            token.name = name
            return _json(200, token.to_json())

    def delete_user_token(self, call: _Call) -> _Response:
        with self.lock:
            token = self._own_user_token(call)
            if token is None:
                return _token_not_found()
            del self._user_tokens[token.id]
            del self._user_token_secrets[token.secret]
        return _Response(200)

    def _own_user_token(self, call: _Call) -> Optional[_UserToken]:
        assert call.principal is not None
        token = self._user_tokens.get(call.params["userTokenId"])
        if token is None or token.user_id != call.principal.user_id:
            return None
        return token


_Endpoint = Callable[[_App, _Call], _Response]


class _Route(NamedTuple):
    pattern: Tuple[str, ...]
    methods: Dict[str, _Endpoint]
    secured: bool

    def match(self, segments: List[str]) -> Optional[Dict[str, str]]:
        """Path parameters if ``segments`` (of the raw path) match, else ``None``."""
        if len(segments) != len(self.pattern) + 1 or segments[0] != "":
            return None
        params: Dict[str, str] = {}
        for expected, segment in zip(self.pattern, segments[1:]):
            if expected.startswith("{"):
                if not segment:
                    return None
                # Decoded only after splitting, so "a%2Fb" stays one segment.
                params[expected[1:-1]] = unquote(segment)
            elif expected != segment:
                return None
        return params


def _api(path: str) -> Tuple[str, ...]:
    return tuple((API_BASE_PATH + path).strip("/").split("/"))


def _is_json(content_type: Optional[str]) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


#: the operations whose request body is JSON (the contract's requestBody media type)
_JSON_BODY: Set[_Endpoint] = {
    _App.post_token,
    _App.post_logout,
    _App.create_user_token,
    _App.update_user_token,
}

_ROUTES: Tuple[_Route, ...] = (
    _Route(_api("/api/auth"), {"GET": _App.get_auth}, secured=False),
    _Route(_api("/api/auth/token"), {"POST": _App.post_token}, secured=False),
    _Route(_api("/api/auth/logout"), {"POST": _App.post_logout}, secured=True),
    _Route(_api("/api/auth/me"), {"GET": _App.get_me}, secured=True),
    _Route(
        _api("/api/auth/user-tokens"),
        {"GET": _App.list_user_tokens, "POST": _App.create_user_token},
        secured=True,
    ),
    _Route(
        _api("/api/auth/user-tokens/{userTokenId}"),
        {"PUT": _App.update_user_token, "DELETE": _App.delete_user_token},
        secured=True,
    ),
    _Route(
        tuple(REALM_AUTH_PATH.strip("/").split("/")),
        {"GET": _App.sign_in},
        secured=False,
    ),
)


# --------------------------------------------------------------------------- HTTP


class _FramingError(Exception):
    """The request body cannot be delimited: answer with an error and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NuExtractLocal/1.0"
    # HTTP/0.9 answers have no status line; answer garbage request lines as HTTP/1.0.
    default_request_version = "HTTP/1.0"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm
    # and delayed ACKs would add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    @property
    def _app(self) -> _App:
        assert isinstance(self.server, _HTTPServer)
        return self.server.app

    def setup(self) -> None:
        assert isinstance(self.server, _HTTPServer)
        # Every read waits at most this long: an idle connection (or one stuck in the
        # middle of a request, or of its TLS handshake) is closed, and its thread ends.
        self.request.settimeout(self.server.idle_timeout)
        if isinstance(self.request, ssl.SSLSocket):
            # In this thread rather than at accept, so a slow client blocks no one else.
            self.request.do_handshake()
        super().setup()

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except _FramingError as exc:
            self.send_error(exc.status, exc.message)
            return
        try:
            response = self._app.handle(
                self.command,
                self.path,
                self.headers.get("Authorization"),
                body,
                self.headers.get("Content-Type"),
            )
        except Exception as exc:  # a bad request must never take the server down
            traceback.print_exc(file=sys.stderr)
            message = f"Internal server error ({type(exc).__name__})"
            response = _error(500, "INTERNAL", message)
        observer = self._app.on_exchange
        if observer is not None:
            # Before the write: once the client has its answer, the observer has seen it.
            headers = list(response.headers)
            if response.content_type is not None:
                headers.append(("Content-Type", response.content_type))
            exchange = Exchange(
                self.command,
                self.path,
                list(self.headers.items()),
                body,
                response.status,
                headers,
                response.body,
            )
            try:
                observer(exchange)
            except Exception:  # the observer's bug; the client still gets its answer
                traceback.print_exc(file=sys.stderr)
        self._write(response)

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE, PROPFIND, ...) is routed: a known path answers 405 with
        # Allow, as the contract expects, instead of http.server's 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        transfer_encoding = self.headers.get("Transfer-Encoding")
        if transfer_encoding is not None:
            if transfer_encoding.strip().lower() != "chunked":
                raise _FramingError(501, f"Unsupported Transfer-Encoding: {transfer_encoding}")
            return self._read_chunked()
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not (length.isascii() and length.isdigit()):
            raise _FramingError(400, "Invalid Content-Length")
        size = int(length)
        if size > MAX_BODY_SIZE:
            raise _FramingError(413, f"Request body larger than {MAX_BODY_SIZE} bytes")
        body = self.rfile.read(size)
        if len(body) != size:
            raise _FramingError(400, "Incomplete request body")
        return body

    def _read_chunked(self) -> bytes:
        chunks: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_LINE_SIZE)
            size_field = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not size_field or not _HEX_DIGITS.issuperset(size_field):
                raise _FramingError(400, "Invalid chunked body")
            size = int(size_field, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_SIZE:
                raise _FramingError(413, f"Request body larger than {MAX_BODY_SIZE} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(MAX_LINE_SIZE).strip():
                raise _FramingError(400, "Invalid chunked body")
            chunks.append(chunk)
        while True:  # trailer fields, ignored
            line = self.rfile.readline(MAX_LINE_SIZE)
            if not line.endswith(b"\n"):
                raise _FramingError(400, "Invalid chunked body")
            if not line.strip():
                return b"".join(chunks)

    def _write(self, response: _Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        super().send_response(code, message)
        self.send_header("X-Request-Id", uuid.uuid4().hex)
        with self._app.lock:
            self._app.requests_handled += 1

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        """Protocol-level errors (bad request line, framing...) as Error JSON; then close."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        error_code = "INTERNAL" if code == 500 else phrase.upper().replace(" ", "_")
        self._write(_error(code, error_code, message or phrase))

    def log_message(self, format: str, *args: Any) -> None:
        if isinstance(self.server, _HTTPServer) and self.server.verbose:
            super().log_message(format, *args)


class _HTTPServer(ThreadingHTTPServer):
    """Tracks its connections and handler threads so ``stop()`` leaves none behind, and
    serves at most ``max_connections`` at once (a thread each)."""

    daemon_threads = True
    # handle_request() is only called once the listening socket is readable: never wait.
    timeout = 0.0
    # socketserver's backlog of 5 overflows when dozens of threads connect at once: the
    # kernel then drops SYNs (a 1 s retransmit each) and can reset connections.
    request_queue_size = 128

    def __init__(
        self,
        address: Tuple[str, int],
        app: _App,
        ssl_context: Optional[ssl.SSLContext],
        verbose: bool,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self._stopping = False
        self._tracking_lock = threading.Lock()
        self._connections: Set[socket.socket] = set()
        self._handler_threads: Set[threading.Thread] = set()
        self._wakeup_recv, self._wakeup_send = socket.socketpair()
        self._wakeup_send.setblocking(False)
        try:
            super().__init__(address, _Handler)
        except BaseException:
            self._close_wakeup()
            raise

    def serve_until_woken(self) -> None:
        """Like serve_forever(), but ``wake()`` ends it at once instead of at the next poll;
        while ``max_connections`` are open, new ones wait in the backlog."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._wakeup_recv, selectors.EVENT_READ)
            accepting = False
            while True:
                with self._tracking_lock:
                    room = len(self._connections) < self.max_connections
                if room and not accepting:
                    selector.register(self, selectors.EVENT_READ)
                elif accepting and not room:
                    selector.unregister(self)
                accepting = room
                ready = selector.select()
                if any(key.fileobj is self._wakeup_recv for key, _ in ready):
                    self._wakeup_recv.recv(4096)
                    if self._stopping:
                        return
                    continue  # a connection closed: there may be room again
                self.handle_request()

    def wake(self) -> None:
        self._stopping = True
        self._notify()

    def _notify(self) -> None:
        with contextlib.suppress(OSError):  # full (it wakes anyway) or closed (stopped)
            self._wakeup_send.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._close_wakeup()

    def _close_wakeup(self) -> None:
        self._wakeup_recv.close()
        self._wakeup_send.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can be slow.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> Tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"LocalServer-connection-{client_address[1]}",
            daemon=True,
        )
        with self._tracking_lock:
            self._connections.add(request)
            self._handler_threads.add(thread)
        with self.app.lock:
            self.app.connections_opened += 1
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._tracking_lock:
                self._handler_threads.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._tracking_lock:
            self._connections.discard(request)
        super().shutdown_request(request)
        self._notify()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Only connection-level failures (peer reset, TLS handshake) get here.
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake every handler thread blocked on an idle keep-alive connection."""
        with self._tracking_lock:
            connections = list(self._connections)
        for sock in connections:
            # The plain-socket shutdown, also for TLS: it only needs the descriptor.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def join_handler_threads(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._tracking_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


# --------------------------------------------------------------------------- public API

_Self = TypeVar("_Self", bound="LocalServer")


class LocalServer:
    """A local, in-memory NuExtract authentication API over real HTTP/1.1.

    ``url`` (with the ``/v1`` base path) is what a client takes as its host. A connection
    that stays idle for ``idle_timeout`` seconds is closed; at most ``max_connections`` are
    served at once (a thread each), and more wait until one closes. Bind it to loopback
    (the default): its sign-in page signs anyone in as any user.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_token_ttl: int = 300,
        refresh_token_ttl: int = 1800,
        code_ttl: int = 60,
        default_email: str = "user@example.com",
        ssl_context: Optional[ssl.SSLContext] = None,
        verbose: bool = False,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        for name, ttl in (
            ("access_token_ttl", access_token_ttl),
            ("refresh_token_ttl", refresh_token_ttl),
            ("code_ttl", code_ttl),
            ("idle_timeout", idle_timeout),
            ("max_connections", max_connections),
        ):
            if not ttl > 0:  # a lifetime, or a limit
                raise ValueError(f"{name} must be positive, got {ttl}")
        if not _normalize_email(default_email):
            raise ValueError("default_email must not be empty")
        self._host = host
        self._requested_port = port
        self._bound_port: Optional[int] = None
        self._ssl_context = ssl_context
        self._verbose = verbose
        self._idle_timeout = idle_timeout
        self._max_connections = int(max_connections)
        self._app = _App(
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            code_ttl=code_ttl,
            default_email=default_email,
        )
        self._lifecycle_lock = threading.Lock()
        self._httpd: Optional[_HTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._stopped = False

    def __repr__(self) -> str:
        where = self.url if self._bound_port is not None else "not started"
        return f"<LocalServer {where}>"

    @property
    def host(self) -> str:
        """The host given to the constructor."""
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the free port picked when 0 was asked for)."""
        if self._bound_port is None:
            raise RuntimeError("LocalServer is not started")
        return self._bound_port

    @property
    def origin(self) -> str:
        """Scheme, host and port, e.g. ``http://127.0.0.1:54321``."""
        scheme = "https" if self._ssl_context is not None else "http"
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self._host, self._host)
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL, including the ``/v1`` base path."""
        return self.origin + API_BASE_PATH

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far."""
        with self._app.lock:
            return self._app.connections_opened

    @property
    def requests_handled(self) -> int:
        """Responses sent so far."""
        with self._app.lock:
            return self._app.requests_handled

    @property
    def on_exchange(self) -> Optional[Callable[[Exchange], None]]:
        """Called in the handler thread with every routed ``Exchange`` (API calls, unknown
        paths, the sign-in page), before the response is sent: e.g. to validate traffic
        against a contract. A request that cannot be framed never gets here. An exception
        it raises is printed to stderr; the client still gets its answer."""
        return self._app.on_exchange

    @on_exchange.setter
    def on_exchange(self, observer: Optional[Callable[[Exchange], None]]) -> None:
        self._app.on_exchange = observer

    @property
    def refresh_requests(self) -> int:
        """Refresh requests (``TokenRefreshRequest``) received so far, valid or not."""
        with self._app.lock:
            return self._app.refresh_requests

    def advance_clock(self, seconds: float) -> None:
        """Move the server's notion of "now" forward, to expire tokens without sleeping."""
        if not seconds >= 0:
            raise ValueError(f"the clock only moves forward, got {seconds}")
        self._app.advance_clock(seconds)

    def sign_in(
        self,
        email: Optional[str] = None,
        *,
        redirect_uri: str = "http://localhost:5173/callback",
        client_ssl_context: Optional[ssl.SSLContext] = None,
    ) -> Dict[str, Any]:
        """Sign ``email`` in over HTTP, as a browser and an app would, and return the token
        response: ``{"token", "expiresIn", "refreshToken", "refreshExpiresIn"}``.

        For tests of code that needs an access token::

            Configuration(host=server.url, access_token=server.sign_in("ada@example.com")["token"])
        """
        query = urlencode({"redirectUri": redirect_uri})
        status, _, body = self._request(
            "GET", f"{API_BASE_PATH}/api/auth?{query}", None, client_ssl_context
        )
        if status != 200:
            raise RuntimeError(f"GET /api/auth answered {status}: {body!r}")
        authorization = urlsplit(body.decode("utf-8"))
        target = f"{authorization.path}?{authorization.query}"
        if email is not None:
            target += "&" + urlencode({"login_hint": email})
        status, location, _ = self._request("GET", target, None, client_ssl_context)
        code = parse_qs(urlsplit(location or "").query).get("code")
        if status != 302 or not code:
            raise RuntimeError(f"the authorization URL answered {status}, not a redirect")
        request = {"type": CODE_REQUEST_TYPE, "code": code[0], "redirectUri": redirect_uri}
        status, _, body = self._request(
            "POST",
            f"{API_BASE_PATH}/api/auth/token",
            json.dumps(request).encode(),
            client_ssl_context,
        )
        if status != 200:
            raise RuntimeError(f"POST /api/auth/token answered {status}: {body!r}")
        tokens: Dict[str, Any] = json.loads(body)
        return tokens

    def _request(
        self,
        method: str,
        target: str,
        body: Optional[bytes],
        client_ssl_context: Optional[ssl.SSLContext],
    ) -> Tuple[int, Optional[str], bytes]:
        """One request to this server: (status, Location header, body)."""
        connection: http.client.HTTPConnection
        if self._ssl_context is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        else:
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=10, context=client_ssl_context
            )
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Location"), response.read()
        finally:
            connection.close()

    def start(self: _Self) -> _Self:
        """Bind and serve in a daemon thread. Does nothing if already running.

        Warns (``UserWarning``) when the address is not loopback: the server signs anyone
        who can reach it in as any user they name.
        """
        with self._lifecycle_lock:
            if self._stopped:
                raise RuntimeError("a stopped LocalServer cannot be restarted")
            if self._httpd is not None:
                return self
            server_class = _HTTPServer6 if ":" in self._host else _HTTPServer
            httpd = server_class(
                (self._host, self._requested_port),
                self._app,
                self._ssl_context,
                self._verbose,
                self._idle_timeout,
                self._max_connections,
            )
            self._bound_port = int(httpd.server_address[1])
            if not is_loopback(self._host):
                warnings.warn(
                    f"LocalServer is listening on {self._host or 'every address'!r} (port "
                    f"{self._bound_port}), which is not loopback: other machines may reach "
                    "it, and its sign-in page signs anyone in as any user they name "
                    "(login_hint), with that user's tokens and API keys. Bind to 127.0.0.1 "
                    "unless you mean to share it with everyone who can reach it",
                    stacklevel=2,
                )
            self._app.origin = self.origin
            thread = threading.Thread(
                target=httpd.serve_until_woken,
                name=f"LocalServer-{self._bound_port}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving and close every connection, idle keep-alive ones included."""
        with self._lifecycle_lock:
            httpd, thread = self._httpd, self._thread
            if httpd is None or thread is None or self._stopped:
                return
            self._stopped = True
            httpd.wake()
            thread.join()
            httpd.server_close()
            httpd.close_connections()
            httpd.join_handler_threads(timeout=5.0)

    def __enter__(self: _Self) -> _Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
