"""The rules of the NuExtract authentication API, as the local server applies them.

``ApiRules.handle(request, now)`` answers one ``Request`` at the time ``now``: users,
sign-in codes, sessions, access and refresh tokens, API keys. No sockets and no clock of
its own: the HTTP server (``_http``) frames requests and answers, and ``LocalServer``
(``_server``) owns the clock that ``advance_clock`` moves. So each rule can be read and
tested here, with a request and a time (``test/test_server_rules.py``).

Standard library only, and independent of the client on purpose: a server built on the
client could not catch the client's mistakes.
"""

import html
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Dict,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
    cast,
)
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ._records import (
    AccessToken,
    Call,
    Code,
    Principal,
    Session,
    UserToken,
    user_id_of,
)

__all__ = ["ApiRules", "Request", "Response", "error_response"]

API_BASE_PATH = "/v1"
REALM_AUTH_PATH = "/realms/extract-platform/protocol/openid-connect/auth"
CLIENT_ID = "extract-platform"
SCOPE = "openid profile email"
CODE_REQUEST_TYPE = "ai.numind.extract.shared.TokenCodeRequest"
REFRESH_REQUEST_TYPE = "ai.numind.extract.shared.TokenRefreshRequest"
USER_TOKEN_LIFETIME = 365 * 24 * 60 * 60
USER_TOKEN_PREFIX = "nm_"
MAX_TOKEN_NAME_LENGTH = 100
#: The longest ``login_hint`` the sign-in page takes: an email address has at most 254
#: characters (RFC 5321); a longer one is refused with an error page (400).
MAX_LOGIN_HINT_LENGTH = 254
#: What the server holds at most, so that no stream of requests exhausts its memory (each
#: cap is a few MiB at most). Past a cap the oldest entry goes first: a user (the id of a
#: user is derived from the email, so one signed in again gets the same id back), a
#: sign-in code not yet exchanged, a session (its refresh token), an access token.
MAX_USERS = 1_000
MAX_CODES = 1_000
MAX_SESSIONS = 10_000
MAX_ACCESS_TOKENS = 10_000
#: User tokens (API keys) are never dropped: past either cap, creating one is refused
#: (409 CONFLICT) until one is deleted.
MAX_USER_TOKENS_PER_USER = 1_000
MAX_USER_TOKENS = 10_000

_BAD_BODY = "Invalid value for: body"
_BAD_REDIRECT_URI = "Invalid value for: query parameter redirectUri"
#: The identity provider's error page (as Keycloak shows one: the page, not a redirect,
#: since the redirect URI is the very thing that is not trusted).
_ERROR_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Sign in to {realm}</title>"
    "</head><body><h1 id='kc-page-title'>We are sorry...</h1>"
    "<p id='kc-error-message'>{message}</p></body></html>"
)


# --------------------------------------------------------------------------- responses


class Request(NamedTuple):
    """One request, as the rules see it."""

    method: str
    target: str  # the raw request target: path and query, percent-encoded as sent
    authorization: Optional[str] = None
    body: bytes = b""
    content_type: Optional[str] = None


@dataclass
class Response:
    """The answer to a ``Request``: the HTTP server sends it as it is."""

    status: int
    body: bytes = b""
    content_type: Optional[str] = None
    headers: List[Tuple[str, str]] = field(default_factory=list[Tuple[str, str]])


def _json(status: int, value: Any, headers: Optional[List[Tuple[str, str]]] = None) -> Response:
    body = json.dumps(value).encode("utf-8")
    return Response(status, body, "application/json", headers or [])


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def _error_page(message: str) -> Response:
    page = _ERROR_PAGE.format(realm=CLIENT_ID, message=html.escape(message))
    return Response(400, page.encode("utf-8"), "text/html; charset=utf-8")


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Optional[List[Tuple[str, str]]] = None,
) -> Response:
    """An ``Error`` object ``{"code", "message"}``, as every other status of the API has."""
    return _json(status, {"code": code, "message": message}, headers)


def _bad_body() -> Response:
    return _text(400, _BAD_BODY)


def _unauthorized(message: str) -> Response:
    return error_response(401, "UNAUTHORIZED", message, [("WWW-Authenticate", "Bearer")])


def _token_not_found() -> Response:
    # Same answer for an unknown id and another user's id: never reveal that it exists.
    return error_response(404, "NOT_FOUND", "User token not found")


def normalize_email(email: str) -> str:
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


def _allowed(redirect_uri: str, patterns: Optional[Sequence[str]]) -> bool:
    """Whether the sign-in page may send a code to ``redirect_uri``: any http(s) URI, or,
    with ``patterns`` (a client's "Valid redirect URIs", as Keycloak has them), one of
    them exactly, or one that starts as a pattern ending in ``*`` does."""
    if not _valid_redirect_uri(redirect_uri):
        return False
    if patterns is None:
        return True
    return any(
        redirect_uri.startswith(p[:-1]) if p.endswith("*") else redirect_uri == p for p in patterns
    )


class ApiRules:
    """The state of the API and its rules: ``handle`` answers a request at a given time.

    Thread-safe: every access to the state holds ``lock``. ``origin`` (scheme, host and
    port) is where the authorization URLs it returns point; ``redirect_uris`` are the
    redirect URIs its sign-in page accepts (None: any http or https one).
    """

    def __init__(
        self,
        *,
        access_token_ttl: int = 300,
        refresh_token_ttl: int = 1800,
        code_ttl: int = 60,
        default_email: str = "user@example.com",
        origin: str = "",
        redirect_uris: Optional[Sequence[str]] = None,
    ) -> None:
        self.lock = threading.Lock()
        self.origin = origin
        self.redirect_uris = None if redirect_uris is None else tuple(redirect_uris)
        self.refresh_requests = 0
        self._access_token_ttl = access_token_ttl
        self._refresh_token_ttl = refresh_token_ttl
        self._code_ttl = code_ttl
        self._default_email = normalize_email(default_email)
        self._users: Dict[str, str] = {}
        self._codes: Dict[str, Code] = {}
        self._sessions: Dict[str, Session] = {}
        self._refresh_tokens: Dict[str, str] = {}
        self._access_tokens: Dict[str, AccessToken] = {}
        self._user_tokens: Dict[str, UserToken] = {}
        self._user_token_secrets: Dict[str, str] = {}

    # -- dispatch

    def handle(self, request: Request, now: float) -> Response:
        """The answer to ``request`` at the time ``now`` (seconds since the epoch)."""
        method, target = request.method, request.target
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
                return error_response(405, "METHOD_NOT_ALLOWED", message, [("Allow", allow)])
            principal: Optional[Principal] = None
            if route.secured:
                auth = self._authenticate(request.authorization, now)
                if isinstance(auth, Response):
                    return auth
                principal = auth
            if endpoint in _JSON_BODY and not _is_json(request.content_type):
                message = (
                    f"Unsupported Content-Type {request.content_type!r}; expected application/json"
                )
                return error_response(415, "UNSUPPORTED_MEDIA_TYPE", message)
            return endpoint(self, Call(params, query, request.body, principal, now))
        return error_response(404, "NOT_FOUND", f"No such resource: {path}")

    def _authenticate(self, authorization: Optional[str], now: float) -> Union[Principal, Response]:
        if authorization is None:
            return _unauthorized("Missing bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            return _unauthorized("Malformed Authorization header; expected 'Bearer <token>'")
        with self.lock:
            access = self._access_tokens.get(token)
            if access is not None and now < access.expires_at:
                return self._principal(access.email)
            token_id = self._user_token_secrets.get(token)
            if token_id is not None:
                user_token = self._user_tokens[token_id]
                if now < user_token.expires_at:
                    return self._principal(user_token.email)
        return _unauthorized("Invalid, expired or revoked token")

    def _principal(self, email: str) -> Principal:
        user_id = self._users.get(email)
        if user_id is None:
            if len(self._users) >= MAX_USERS:
                del self._users[next(iter(self._users))]
            user_id = self._users[email] = user_id_of(email)
        return Principal(email, user_id)

    # -- login

    def get_auth(self, call: Call) -> Response:
        # Any value that decodes is a redirect URI here, as in the real API: it is the
        # sign-in page that refuses one it does not allow.
        try:
            query = parse_qs(call.query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            query = {}
        redirect_uri = _first(query, "redirectUri")
        if not redirect_uri:
            return _text(400, _BAD_REDIRECT_URI)
        params = [
            ("client_id", CLIENT_ID),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", SCOPE),
            ("state", secrets.token_urlsafe(16)),
        ]
        return _text(200, f"{self.origin}{REALM_AUTH_PATH}?{urlencode(params, quote_via=quote)}")

    def sign_in(self, call: Call) -> Response:
        """The identity provider's authorization endpoint: signs in at once, or shows an
        error page (never a redirect) for a redirect URI it does not allow."""
        query = parse_qs(call.query, keep_blank_values=True)
        redirect_uri = _first(query, "redirect_uri")
        if redirect_uri is None or not _allowed(redirect_uri, self.redirect_uris):
            return _error_page("Invalid parameter: redirect_uri")
        if _first(query, "response_type") != "code":
            return _error_page("Unsupported response type")
        login_hint = _first(query, "login_hint") or ""
        if len(login_hint) > MAX_LOGIN_HINT_LENGTH:
            return _error_page(
                f"Invalid parameter: login_hint (longer than {MAX_LOGIN_HINT_LENGTH} characters)"
            )
        email = normalize_email(login_hint) or self._default_email
        state = _first(query, "state")
        code = secrets.token_urlsafe(32)
        with self.lock:
            self._prune(call.now)
            self._principal(email)
            if len(self._codes) >= MAX_CODES:  # the oldest (all live as long): dropped
                del self._codes[next(iter(self._codes))]
            self._codes[code] = Code(email, redirect_uri, call.now + self._code_ttl)
        params = [("code", code)]
        if state is not None:
            params.append(("state", state))
        separator = "" if redirect_uri.endswith(("?", "&")) else "&" if "?" in redirect_uri else "?"
        location = f"{redirect_uri}{separator}{urlencode(params)}"
        return Response(302, headers=[("Location", location)])

    def post_token(self, call: Call) -> Response:
        document = _parse_json(call.body)
        if not isinstance(document, dict):
            return _bad_body()
        request = cast("Dict[str, Any]", document)
        kind = request.get("type")
        now = call.now
        with self.lock:
            self._prune(now)
            if kind == CODE_REQUEST_TYPE:
                code, redirect_uri = request.get("code"), request.get("redirectUri")
                if not isinstance(code, str) or not isinstance(redirect_uri, str):
                    return _bad_body()
                # Consumed by any attempt, as Keycloak does: a failed exchange burns the code.
                grant = self._codes.pop(code, None)
                if grant is None or now >= grant.expires_at or grant.redirect_uri != redirect_uri:
                    return _bad_body()
                session = Session(secrets.token_hex(8), grant.email)
                if len(self._sessions) >= MAX_SESSIONS:
                    self._end_session(next(iter(self._sessions.values())))
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

    def post_logout(self, call: Call) -> Response:
        assert call.principal is not None
        refresh_token = _parse_json(call.body)
        if not isinstance(refresh_token, str):
            return _bad_body()
        with self.lock:
            session = self._live_session(refresh_token, call.now)
            if session is None or session.email != call.principal.email:
                return _bad_body()
            self._end_session(session)
        return _json(200, {})

    def _live_session(self, refresh_token: str, now: float) -> Optional[Session]:
        session_id = self._refresh_tokens.get(refresh_token)
        session = self._sessions.get(session_id) if session_id is not None else None
        if session is None or now >= session.refresh_expires_at:
            return None
        return session

    def _issue(self, session: Session, now: float) -> Dict[str, Any]:
        access_token = secrets.token_urlsafe(32)
        expires_at = now + self._access_token_ttl
        if len(self._access_tokens) >= MAX_ACCESS_TOKENS:
            oldest = next(iter(self._access_tokens))
            owner = self._sessions.get(self._access_tokens.pop(oldest).session_id)
            if owner is not None:
                owner.access_tokens.discard(oldest)
        self._access_tokens[access_token] = AccessToken(session.id, session.email, expires_at)
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

    def _end_session(self, session: Session) -> None:
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

    def get_me(self, call: Call) -> Response:
        assert call.principal is not None
        return _json(200, {"email": call.principal.email})

    def list_user_tokens(self, call: Call) -> Response:
        assert call.principal is not None
        user_id = call.principal.user_id
        with self.lock:
            tokens = [t.to_json() for t in self._user_tokens.values() if t.user_id == user_id]
        return _json(200, tokens)

    def create_user_token(self, call: Call) -> Response:
        assert call.principal is not None
        name = _parse_token_name(call.body)
        if name is None:
            return _bad_body()
        user_id = call.principal.user_id
        with self.lock:
            refusal = self._user_token_refusal(user_id)
            if refusal is not None:
                return error_response(409, "CONFLICT", refusal)
            created_at = int(call.now)
            token = UserToken(
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

    def _user_token_refusal(self, user_id: str) -> Optional[str]:
        """Why no user token can be created now, if it cannot: one of the caps is reached."""
        if len(self._user_tokens) >= MAX_USER_TOKENS:
            return f"This server holds {MAX_USER_TOKENS} user tokens, its most: delete one first"
        owned = sum(1 for t in self._user_tokens.values() if t.user_id == user_id)
        if owned >= MAX_USER_TOKENS_PER_USER:
            return f"At most {MAX_USER_TOKENS_PER_USER} user tokens per user: delete one first"
        return None

    def update_user_token(self, call: Call) -> Response:
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

    def delete_user_token(self, call: Call) -> Response:
        with self.lock:
            token = self._own_user_token(call)
            if token is None:
                return _token_not_found()
            del self._user_tokens[token.id]
            del self._user_token_secrets[token.secret]
        return Response(200)

    def _own_user_token(self, call: Call) -> Optional[UserToken]:
        assert call.principal is not None
        token = self._user_tokens.get(call.params["userTokenId"])
        if token is None or token.user_id != call.principal.user_id:
            return None
        return token


_Endpoint = Callable[[ApiRules, Call], Response]


class _Route(NamedTuple):
    pattern: Tuple[str, ...]
    methods: Dict[str, _Endpoint]
    secured: bool

    def match(self, segments: List[str]) -> Optional[Dict[str, str]]:
        """Path parameters if ``segments`` (of the raw path) match, else ``None``."""
        if len(segments) != len(self.pattern) + 1 or segments[0] != "":
            return None
        params: Dict[str, str] = {}
        for expected, segment in zip(self.pattern, segments[1:], strict=False):
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
    ApiRules.post_token,
    ApiRules.post_logout,
    ApiRules.create_user_token,
    ApiRules.update_user_token,
}

_ROUTES: Tuple[_Route, ...] = (
    _Route(_api("/api/auth"), {"GET": ApiRules.get_auth}, secured=False),
    _Route(_api("/api/auth/token"), {"POST": ApiRules.post_token}, secured=False),
    _Route(_api("/api/auth/logout"), {"POST": ApiRules.post_logout}, secured=True),
    _Route(_api("/api/auth/me"), {"GET": ApiRules.get_me}, secured=True),
    _Route(
        _api("/api/auth/user-tokens"),
        {"GET": ApiRules.list_user_tokens, "POST": ApiRules.create_user_token},
        secured=True,
    ),
    _Route(
        _api("/api/auth/user-tokens/{userTokenId}"),
        {"PUT": ApiRules.update_user_token, "DELETE": ApiRules.delete_user_token},
        secured=True,
    ),
    _Route(
        tuple(REALM_AUTH_PATH.strip("/").split("/")),
        {"GET": ApiRules.sign_in},
        secured=False,
    ),
)
