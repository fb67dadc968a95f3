"""The public ``LocalServer``: the API's rules (``_rules``) carried by a stdlib HTTP
server (``_http``) on loopback, with a clock that tests can move forward.

Standard library only, and independent of the client on purpose: a server built on the
client could not catch the client's mistakes.
"""

import http.client
import json
import ssl
import threading
import time
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from numind.openapi_client._net import is_loopback
from numind.openapi_client.testing._http import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    Exchange,
    HttpServer,
    HttpServer6,
    Service,
)
from numind.openapi_client.testing._rules import (
    API_BASE_PATH,
    CODE_REQUEST_TYPE,
    ApiRules,
    normalize_email,
)
from numind.openapi_client.testing._rules import (
    REALM_AUTH_PATH as REALM_AUTH_PATH,  # where the sign-in page is (the traffic validator's)
)

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_REQUEST_TIMEOUT",
    "Exchange",
    "LocalServer",
]


_Self = TypeVar("_Self", bound="LocalServer")


class LocalServer:
    """A local, in-memory NuExtract authentication API over real HTTP/1.1.

    ``url`` (with the ``/v1`` base path) is what a client takes as its host. A connection
    that stays idle for ``idle_timeout`` seconds is closed, and so is one whose request
    (from its first byte to the end of its body) has not arrived whole within
    ``request_timeout`` seconds; at most ``max_connections`` are served at once (a thread
    each), and more wait until one closes. Bind it to loopback
    (the default): its sign-in page signs anyone in as any user.

    ``get_api_auth`` answers for any non-empty redirect URI, as the real API does; it is
    the sign-in page that refuses one it does not allow, with an error page ("Invalid
    parameter: redirect_uri") and no redirect, as the identity provider does. It allows
    any ``http`` or ``https`` URI, or, with ``redirect_uris``, only those (as a client's
    "Valid redirect URIs" in Keycloak: exact URIs, or prefixes that end in ``*``).
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
        redirect_uris: Optional[Sequence[str]] = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        for name, ttl in (
            ("access_token_ttl", access_token_ttl),
            ("refresh_token_ttl", refresh_token_ttl),
            ("code_ttl", code_ttl),
            ("idle_timeout", idle_timeout),
            ("max_connections", max_connections),
            ("request_timeout", request_timeout),
        ):
            if not ttl > 0:  # a lifetime, or a limit
                raise ValueError(f"{name} must be positive, got {ttl}")
        if not normalize_email(default_email):
            raise ValueError("default_email must not be empty")
        self._host = host
        self._requested_port = port
        self._bound_port: Optional[int] = None
        self._ssl_context = ssl_context
        self._verbose = verbose
        self._idle_timeout = idle_timeout
        self._max_connections = int(max_connections)
        self._request_timeout = request_timeout
        if isinstance(redirect_uris, str):
            raise TypeError("redirect_uris must be a list of URIs (or patterns), not one str")
        self._rules = ApiRules(
            access_token_ttl=access_token_ttl,
            refresh_token_ttl=refresh_token_ttl,
            code_ttl=code_ttl,
            default_email=default_email,
            redirect_uris=redirect_uris,
        )
        self._clock_offset = 0.0
        self._service = Service(self._rules, self._now)
        self._lifecycle_lock = threading.Lock()
        self._httpd: Optional[HttpServer] = None
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
        with self._service.lock:
            return self._service.connections_opened

    @property
    def requests_handled(self) -> int:
        """Responses sent so far."""
        with self._service.lock:
            return self._service.requests_handled

    @property
    def on_exchange(self) -> Optional[Callable[[Exchange], None]]:
        """Called in the handler thread with every routed ``Exchange`` (API calls, unknown
        paths, the sign-in page), before the response is sent: e.g. to validate traffic
        against a contract. A request that cannot be framed never gets here. An exception
        it raises is printed to stderr; the client still gets its answer."""
        return self._service.on_exchange

    @on_exchange.setter
    def on_exchange(self, observer: Optional[Callable[[Exchange], None]]) -> None:
        self._service.on_exchange = observer

    @property
    def refresh_requests(self) -> int:
        """Refresh requests (``TokenRefreshRequest``) received so far, valid or not."""
        with self._rules.lock:
            return self._rules.refresh_requests

    def advance_clock(self, seconds: float) -> None:
        """Move the server's notion of "now" forward, to expire tokens without sleeping."""
        if not seconds >= 0:
            raise ValueError(f"the clock only moves forward, got {seconds}")
        with self._lifecycle_lock:
            self._clock_offset += seconds

    def _now(self) -> float:
        return time.time() + self._clock_offset

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
            server_class = HttpServer6 if ":" in self._host else HttpServer
            httpd = server_class(
                (self._host, self._requested_port),
                self._service,
                self._ssl_context,
                self._verbose,
                self._idle_timeout,
                self._max_connections,
                self._request_timeout,
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
            self._rules.origin = self.origin
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
