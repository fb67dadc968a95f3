"""Configuration: where to connect, how to authenticate, and the transport policy."""

from __future__ import annotations

import copy
import os
import platform
import sys
import threading
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

import urllib3

from numind import __version__

from ._deadline import DEFAULT_CALL_TIMEOUT, TimeoutSetting, check_call_timeout, parse_timeout
from ._hosts import DEFAULT_HOST, checked_host, refuse_insecure_route
from ._logging import ENV_LOG, LoggingSettings, log_to_stderr
from ._redact import Secret
from ._retry import DEFAULT_RETRIES, to_retry
from ._types import RequestTimeout
from .exceptions import ApiTypeError, ApiValueError, OpenApiException, unknown_keyword

if TYPE_CHECKING:
    from typing_extensions import Literal, Self

    from ._stored_login import StoredLogin
    from ._token_provider import AccessToken, ProvidedToken

    #: Where the credential of secured calls comes from (``Configuration.credential_source``).
    CredentialSource = Literal["access_token", "token_provider", "NUMIND_API_KEY", "stored_login"]

__all__ = ["Configuration", "DEFAULT_HOST", "ENV_LOG", "log_to_stderr"]

#: Environment variable holding an access token or API key, read when none is given.
ENV_API_KEY = "NUMIND_API_KEY"
#: Environment variable holding the base URL, read when no host is given.
ENV_BASE_URL = "NUMIND_BASE_URL"

ServerVariables = Dict[str, str]

#: What to give instead of a keyword that Configuration does not take (other generated
#: clients' names); any other gets the closest name it takes.
_KEYWORD_ADVICE = {
    "api_key": 'pass the token (an API key or access token) as a str: access_token="..."'
    " (or set NUMIND_API_KEY); it is sent as a bearer token",
    "api_key_prefix": 'the token is sent as "Bearer <token>": give the token alone as '
    'access_token="..."',
    "base_url": 'the base URL is host="https://api.nuextract.ai/v1"',
}
SocketOptions = List[Tuple[int, int, Union[int, bytes]]]


def _checked_access_token(value: Any) -> AccessToken:
    """``value`` if ``access_token`` takes it: None, a str, a provider or a callable."""
    if value is None or isinstance(value, str) or callable(getattr(value, "token", value)):
        return value  # type: ignore[no-any-return]
    raise ApiTypeError(
        f"access_token must be a str (an API key or access token), got {type(value).__name__}: "
        "pass the token as a string, or a token provider (docs/EXTENDING.md)"
    )


class Configuration(LoggingSettings):
    """Settings of an ``ApiClient``.

    The host comes from ``host``, else ``NUMIND_BASE_URL``, else
    ``https://api.nuextract.ai/v1``. Credentials, first found wins: ``access_token``;
    the ``NUMIND_API_KEY`` environment variable; the login that ``numind auth login`` (or
    ``numind.openapi_client.auth.login()``) stored for exactly this host, whose access
    token is then refreshed automatically (``stored_login``). ``credential_source`` says
    which one is used (``numind auth status`` too); when ``NUMIND_API_KEY`` hides a stored
    login, the first such ``Configuration`` of the process logs a WARNING that says so::

        configuration = Configuration(host="https://api.nuextract.ai/v1",
                                      access_token=os.environ["NUMIND_API_KEY"])

    :param host: base URL of the API, including its base path (``/v1``). It must be
        ``https://``, or ``http://`` to a loopback host (``localhost``, 127.0.0.0/8, ``::1``):
        plain ``http://`` to another host is refused with ``ApiValueError`` unless
        ``allow_insecure_http`` is set.
    :param allow_insecure_http: accept a plain ``http://`` host that is not loopback. The
        token and every answer then cross the network unencrypted, readable and changeable
        by anyone on the path (a proxy, the Wi-Fi): only for a server you run on a network
        you trust. Read whenever the host is set, so set it first (or pass both here).
    :param access_token: OAuth access token or user token (API key), sent as a bearer token
        (give the token alone: a ``Bearer `` prefix is refused with ``ApiValueError``); or
        a ``TokenProvider`` or callable that gives it at every call (docs/EXTENDING.md).
    :param timeout: the timeout of every call; a call's ``_request_timeout`` overrides it.
        Seconds: the whole call ends within them, retries, waits and a token refresh
        included. A ``(connect, read)`` pair or a ``urllib3.Timeout`` (unset parts keep
        their default) bounds each attempt, and the whole call ends within
        ``call_timeout``. None: each attempt connects within 10 s and waits at most 20 s
        for data (``rest.DEFAULT_TIMEOUT``), the whole call ends within ``call_timeout``.
    :param call_timeout: the most seconds a whole call takes when ``timeout`` is not a
        number of seconds; None means 60 s.
    :param retries: how often a failed call is retried: an int (0 turns retries off) or a
        ``urllib3.Retry`` such as ``RetryPolicy(5)`` (a plain ``Retry`` becomes a
        ``RetryPolicy`` with its settings); None means ``RetryPolicy()``, 2 retries (see
        docs/RELIABILITY.md).

    ``timeout`` and ``call_timeout`` apply from the next call; ``retries``, the TLS, proxy
    and pool settings are read when an ``ApiClient`` is created: set them before.
    :param ssl_ca_cert: path of a CA bundle that signs the server's certificate.
    :param ca_cert_data: the same, as PEM text or DER bytes.
    :param cert_file: client certificate (PEM) for mutual TLS.
    :param key_file: private key of ``cert_file``.
    :param verify_ssl: verify the server's TLS certificate (keep it on outside tests).
    :param proxy: URL of an HTTP(S) proxy; ``proxy_headers`` are sent to it. With a plain
        ``http://`` host the proxy reads each request whole, token included, so it must be
        on this machine (loopback) unless ``allow_insecure_http`` is set: a proxy on
        another machine is refused with ``ApiValueError`` (checked when the host or the
        proxy is given here, and when a client is made). It wins over the environment.
    :param trust_env: read the proxies of the environment when a client is made, as
        requests, httpx and curl do: ``HTTPS_PROXY`` / ``HTTP_PROXY`` by the scheme of the
        target, else ``ALL_PROXY``, except for the hosts of ``NO_PROXY`` (lower-case names
        win over upper-case ones). On by default; False ignores them. The same plain-http
        rule holds as for ``proxy`` (see docs/RELIABILITY.md, "Proxies").
    :param connection_pool_maxsize: connections per host; when not set, 5 per CPU for the
        sync client (for its threads) and 100 for the async client (for its tasks, as
        aiohttp's own default).
    :param max_response_size: the largest answer read, in bytes once decoded; a larger one
        raises ``ApiException`` and is not read to its end. None means 32 MiB
        (``rest.DEFAULT_MAX_RESPONSE_SIZE``), far above any answer of this API.
    :param client_side_validation: check dict arguments against their model before sending
        (on by default); turn it off to send a dict exactly as given, e.g. with a field that
        a newer API accepts and this SDK does not know yet.
    :param debug: log requests and responses of this client at DEBUG (the package logger
        is set to DEBUG and gets a stderr handler while any configuration has debug on).
    :param logger_file: also write the package's log records to this file.
    """

    _default: ClassVar[Optional[Configuration]] = None
    #: Whether ``auth_settings`` is a subclass's or an instance's own: then it makes the
    #: credentials of every call (none are reused from an earlier call).
    _own_auth_settings: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_auth_settings = cls.auth_settings is not Configuration.auth_settings

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # Before __init__, whose TypeError would not say what to give instead (type checkers
        # read __init__'s signature: a *args/**kwargs __new__ is transparent to them).
        wrong = unknown_keyword(cls, kwargs, _KEYWORD_ADVICE) if kwargs else None
        if wrong is not None:
            raise wrong
        return super().__new__(cls)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "auth_settings":  # ``configuration.auth_settings = ...``
            object.__setattr__(self, "_own_auth_settings", True)

    def __init__(
        self,
        host: Optional[str] = None,
        *,
        access_token: AccessToken = None,
        server_index: Optional[int] = None,
        server_variables: Optional[ServerVariables] = None,
        timeout: RequestTimeout = None,
        call_timeout: Optional[float] = None,
        retries: Union[int, urllib3.Retry, None] = None,
        ssl_ca_cert: Optional[str] = None,
        ca_cert_data: Union[str, bytes, None] = None,
        cert_file: Optional[str] = None,
        key_file: Optional[str] = None,
        verify_ssl: bool = True,
        assert_hostname: Union[bool, str, None] = None,
        tls_server_name: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_headers: Optional[Mapping[str, str]] = None,
        connection_pool_maxsize: Optional[int] = None,
        max_response_size: Optional[int] = None,
        socket_options: Optional[SocketOptions] = None,
        safe_chars_for_path_param: str = "",
        client_side_validation: bool = True,
        debug: Optional[bool] = None,
        logger_file: Optional[str] = None,
        allow_insecure_http: bool = False,
        trust_env: bool = True,
    ) -> None:
        self.allow_insecure_http = allow_insecure_http
        if host is None:
            host = os.environ.get(ENV_BASE_URL) or None
        if host is None and server_index is None:
            server_index = 0
        self._base_path = DEFAULT_HOST if host is None else checked_host(host, allow_insecure_http)
        self.server_index = server_index
        self.server_variables: ServerVariables = dict(server_variables or {})
        self._access_token: Optional[str] = None
        self._provided_token: Optional[ProvidedToken] = None
        self._token_source: Optional[CredentialSource] = None
        #: Why the token must not be sent (NUMIND_API_KEY's is refused at the first secured
        #: call, so that a command that does not send it, such as a logout, still works).
        self._token_refusal: Optional[str] = None
        if access_token is not None:
            self.access_token = access_token
        else:
            self._access_token = _env_token()
            if self._access_token is not None:
                self._token_source = "NUMIND_API_KEY"
                self._token_refusal = _bearer_prefix(self._access_token, ENV_API_KEY)
        self.timeout = timeout
        self.call_timeout = call_timeout
        # Read from the credential store when first needed, so that a Configuration that
        # never makes a secured call never touches the store (nor fails on it).
        self._stored_login: Union[StoredLogin, _Unread, None] = _UNREAD
        self.retries = retries
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.cert_file = cert_file
        self.key_file = key_file
        self.verify_ssl = verify_ssl
        self.assert_hostname = assert_hostname
        self.tls_server_name = tls_server_name
        self.proxy = proxy
        self.proxy_headers = dict(proxy_headers) if proxy_headers else None
        self._refuse_insecure_proxy()
        self.connection_pool_maxsize = connection_pool_maxsize
        self.max_response_size = max_response_size
        self.socket_options = socket_options
        self.safe_chars_for_path_param = safe_chars_for_path_param
        self.client_side_validation = client_side_validation
        self.datetime_format = "%Y-%m-%dT%H:%M:%S.%f%z"
        self.date_format = "%Y-%m-%d"
        self._start_logging(logger_file, debug)
        if self._token_source == ENV_API_KEY:
            from ._stored_login import HIDDEN_LOGIN

            HIDDEN_LOGIN.check(self.host)
        #: Whether a client made with this configuration reads the environment's proxies.
        self.trust_env = trust_env

    def __repr__(self) -> str:
        return f"<Configuration {self._summary()}>"

    def _summary(self, retries: Union[int, urllib3.Retry, None] = None) -> str:
        """Host, credential source, timeout and retries (of a client: ``retries``) in one
        line, for reprs: never a token."""
        retries = self.retries if retries is None else retries
        shown = f"default ({DEFAULT_RETRIES})" if retries is None else _retries_text(retries)
        return (
            f"host={self.host!r} auth={self._describe_auth()!r} "
            f"timeout={self._describe_timeout()!r} retries={shown!r}"
        )

    def __copy__(self) -> Configuration:
        # A shallow copy, as before: it shares the stored login (and its refreshes).
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    # -- transport policy ---------------------------------------------------------------

    @property
    def timeout(self) -> Union[float, urllib3.Timeout, None]:
        """The timeout of every call, as checked: seconds for the whole call, or the
        ``urllib3.Timeout`` of each attempt (a pair becomes one); None for the default."""
        return self._timeout_setting.given

    @timeout.setter
    def timeout(self, value: RequestTimeout) -> None:
        self._timeout_setting: TimeoutSetting = parse_timeout(value, "timeout")

    @property
    def call_timeout(self) -> Optional[float]:
        """The most seconds a whole call takes when ``timeout`` is not a number (None: 60)."""
        return self._call_timeout

    @call_timeout.setter
    def call_timeout(self, value: Optional[float]) -> None:
        self._call_timeout = check_call_timeout(value)

    @property
    def connection_pool_maxsize(self) -> int:
        """Connections per host: the value set, else the sync client's default, 5 per CPU
        (the async client's, when none is set, is 100)."""
        if self._pool_maxsize is None:
            return (os.cpu_count() or 1) * 5
        return self._pool_maxsize

    @connection_pool_maxsize.setter
    def connection_pool_maxsize(self, value: Optional[int]) -> None:
        self._pool_maxsize = value or None

    def _pool_maxsize_for(self, default: int) -> int:
        """The pool size set, else ``default`` (the async client's)."""
        return self._pool_maxsize if self._pool_maxsize is not None else default

    @property
    def retries(self) -> Union[int, urllib3.Retry, None]:
        """Retries of every call, as given (None: the default ``RetryPolicy``, 2 retries)."""
        return self._retries

    @retries.setter
    def retries(self, value: Union[int, urllib3.Retry, None]) -> None:
        to_retry(value)  # check it now, not at the first call
        self._retries = value

    @property
    def max_response_size(self) -> Optional[int]:
        """The largest answer read, in bytes once decoded (None: 32 MiB)."""
        return self._max_response_size

    @max_response_size.setter
    def max_response_size(self, value: Optional[int]) -> None:
        if value is not None and (type(value) is not int or value < 1):
            raise ApiValueError(
                f"Invalid max_response_size {value!r}: give a number of bytes >= 1, such as "
                "64 * 1024 * 1024, or None for the default of 32 MiB"
            )
        self._max_response_size = value

    @property
    def stored_login(self) -> Optional[StoredLogin]:
        """The login that ``numind auth login`` stored for this host, used (and kept fresh)
        when no access token is set; None when there is none or a token is set.

        Read from the credential store on first use; ``CredentialStoreError`` if the store
        is unsafe (readable by others, or a symbolic link).
        """
        login = self._stored_login
        if isinstance(login, _Unread) and login.origin and login.origin.host == self.host:
            login = None if self.access_token is not None else login.origin.stored_login
            self._stored_login = login  # the same object: refreshed once for both
        if isinstance(login, _Unread):
            with _STORE_READ:
                login = self._stored_login
                if isinstance(login, _Unread):
                    login = None if self.access_token is not None else _stored_login(self.host)
                    self._stored_login = login
        return login

    @stored_login.setter
    def stored_login(self, login: Optional[StoredLogin]) -> None:
        self._stored_login = login

    # -- host ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The base URL that request paths are joined to (its base path is kept)."""
        if self.server_index is None:
            return self._base_path
        return self.get_host_from_settings(self.server_index, self.server_variables)

    @host.setter
    def host(self, value: str) -> None:
        self._base_path = checked_host(value, self.allow_insecure_http)
        if self.proxy:
            refuse_insecure_route(self._base_path, self.proxy, self.allow_insecure_http)
        self.server_index = None
        # A stored login is only ever sent to the base URL it was made for.
        self._stored_login = _UNREAD

    def _refuse_insecure_proxy(self) -> None:
        """Refuse a plain ``http://`` host reached through a proxy on another machine (run
        when a client is made, and when the host or the proxy is set here)."""
        if self.proxy:
            refuse_insecure_route(self.host, self.proxy, self.allow_insecure_http)

    def get_host_settings(self) -> List[Dict[str, Any]]:
        """The servers of the API, as in the OpenAPI document."""
        return [{"url": DEFAULT_HOST, "description": "NuExtract API", "variables": {}}]

    def get_host_from_settings(
        self,
        index: Optional[int],
        variables: Optional[ServerVariables] = None,
        servers: Optional[List[Dict[str, Any]]] = None,
    ) -> str:
        """The URL of server ``index`` with its ``variables`` filled in."""
        if index is None:
            return self._base_path
        servers = self.get_host_settings() if servers is None else servers
        if not 0 <= index < len(servers):
            raise ApiValueError(
                f"Invalid host index {index}: there are {len(servers)} host settings, "
                f"so use an index from 0 to {len(servers) - 1}"
            )
        server = servers[index]
        url: str = server["url"]
        for name, spec in server.get("variables", {}).items():
            default: str = spec["default_value"]
            value = (variables or {}).get(name, default)
            allowed = spec.get("enum_values")
            if allowed and value not in allowed:
                raise ApiValueError(
                    f"Invalid value {value!r} for host variable {name!r}: use one of {allowed}"
                )
            url = url.replace("{" + name + "}", value)
        url = checked_host(url, self.allow_insecure_http)
        if self.proxy and not url.startswith("https://"):  # no call for the usual https
            refuse_insecure_route(url, self.proxy, self.allow_insecure_http)
        return url

    # -- authentication -----------------------------------------------------------------

    @property
    def access_token(self) -> AccessToken:
        """The token sent as ``Authorization: Bearer <token>`` (an OAuth access token or an
        API key) or the provider of it, as set; None: the stored login, if any, is used."""
        return self._access_token if self._provided_token is None else self._provided_token.provider

    @access_token.setter
    def access_token(self, value: AccessToken) -> None:
        value = _checked_access_token(value)
        refusal = _bearer_prefix(value, "access_token")
        if refusal is not None:
            raise ApiValueError(refusal)
        self._access_token, self._provided_token = (value if isinstance(value, str) else None), None
        self._token_source = None if value is None else "access_token"
        if value is not None and not isinstance(value, str):  # a provider, asked at each call
            from ._token_provider import ProvidedToken

            self._provided_token, self._token_source = ProvidedToken(value), "token_provider"
        self._token_refusal = None

    def _check_token(self) -> None:
        """Raise ``ApiValueError`` if the token is not one to send (a ``Bearer `` prefix)."""
        if self._token_refusal is not None:
            raise ApiValueError(self._token_refusal)

    @property
    def credential_source(self) -> Optional[CredentialSource]:
        """Where the credential of secured calls comes from: ``"access_token"`` (set in
        code), ``"token_provider"`` (one set as ``access_token``), ``"NUMIND_API_KEY"``,
        ``"stored_login"`` (the login stored for exactly this host), or None (there is
        none: secured calls are answered 401). May read the credential store."""
        if self._access_token is not None or self._provided_token is not None:
            return self._token_source or "access_token"
        return "stored_login" if self.stored_login is not None else None

    def _describe_auth(self) -> str:
        try:
            source = self.credential_source
        except OpenApiException:  # an unsafe credential file: its message names it
            return "unreadable credential file"
        if source == "token_provider" and self._provided_token is not None:
            return f"token provider {self._provided_token.name}"
        return {None: "none", "stored_login": "stored login"}.get(source, source or "none")

    def auth_settings(self) -> Dict[str, Dict[str, Any]]:
        """The auth settings by scheme name; empty when no access token is set.

        :raises ApiValueError: ``NUMIND_API_KEY`` starts with ``Bearer ``.
        """
        if not (token := self._access_token):  # a provider's is asked for at each call
            return {}
        self._check_token()
        return {
            "oauth2Auth": {
                "type": "oauth2",
                "in": "header",
                "key": "Authorization",
                "value": Secret("Bearer " + token),
            }
        }

    # -- defaults -----------------------------------------------------------------------

    @classmethod
    def set_default(cls, default: Optional[Configuration]) -> None:
        """Make ``default`` the configuration of clients created without one."""
        cls._default = default

    @classmethod
    def get_default(cls) -> Configuration:
        """The default configuration (created from the environment on first use)."""
        if cls._default is None:
            cls._default = cls()
        return cls._default

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """A copy of the default configuration."""
        return copy.copy(cls.get_default())

    def to_debug_report(self) -> str:
        """Versions and settings to paste in a bug report. It never contains secrets."""
        retries = f"default ({DEFAULT_RETRIES})"
        if self.retries is not None:
            retries = repr(to_retry(self.retries))  # what is used, also for a plain Retry
        credential = {"access_token": "access_token (set in code)"}.get(
            self._describe_auth(), self._describe_auth()
        )
        return (
            "Python SDK Debug Report:\n"
            f"OS: {sys.platform} ({platform.platform()})\n"
            f"Python Version: {sys.version.split()[0]}\n"
            "Version of the API: 1.0.0\n"
            f"SDK Package Version: {__version__}\n"
            f"urllib3 Version: {urllib3.__version__}\n"  # type: ignore[attr-defined]
            f"Host: {self.host}\n"
            f"Timeout: {self._describe_timeout()}; retries: {retries}\n"
            f"Access token set: {'yes' if self.access_token else 'no'}\n"
            f"Stored login: {self._describe_stored_login()}\n"
            f"Credential in use: {credential}"
        )

    def _describe_timeout(self) -> str:
        setting = self._timeout_setting
        if setting.total is not None:
            return f"{setting.total:g} s per call"
        call = DEFAULT_CALL_TIMEOUT if self.call_timeout is None else self.call_timeout
        if setting.given is None:
            return f"default (each attempt connect 10 s, read 20 s; {call:g} s per call)"
        attempt = setting.attempt
        if attempt.total is not None:
            each = f"{attempt.total} s"
        else:
            each = f"connect {attempt.connect_timeout} s, read {attempt.read_timeout} s"
        return f"each attempt {each}; {call:g} s per call"

    def _describe_stored_login(self) -> str:
        try:
            return "yes" if self.stored_login is not None else "no"
        except OpenApiException as exc:  # an unsafe store: its message names the file and fix
            return f"unreadable ({exc})"


def _env_token() -> Optional[str]:
    return os.environ.get(ENV_API_KEY) or None


def _bearer_prefix(token: object, source: str) -> Optional[str]:
    """What is wrong with ``token`` if it carries the ``Bearer `` prefix that the SDK adds
    itself (the server would answer "Malformed Authorization header"); the value is never
    shown."""
    if not isinstance(token, str) or token.strip()[:7].lower() != "bearer ":
        return None
    fix = (
        "set NUMIND_API_KEY to the API key alone (export NUMIND_API_KEY=nm_...)"
        if source == ENV_API_KEY
        else "give access_token the token alone"
    )
    return (
        f"{source} starts with 'Bearer ' (the value is not shown): {fix}, without the "
        "prefix; the SDK sends 'Authorization: Bearer <token>' itself"
    )


def _retries_text(retries: Union[int, urllib3.Retry]) -> str:
    total = retries if isinstance(retries, int) else retries.total
    if isinstance(total, int) and not isinstance(total, bool):
        return str(total)
    return repr(to_retry(retries))


class _Unread:
    """The stored login has not been looked up yet (``origin``: look it up there)."""

    def __init__(self, origin: Optional[Configuration] = None) -> None:
        self.origin = origin  # the client's, for a copy (``ApiClient.with_options``)


_UNREAD = _Unread()
_STORE_READ = threading.Lock()


def _stored_login(host: str) -> Optional[StoredLogin]:
    from ._stored_login import StoredLogin

    return StoredLogin.load(host)
