"""The pure part of the request pipeline, written once for both clients.

``BaseApiClient`` holds what does no I/O: checking and serializing the arguments
(``_plan`` -> ``_serialize`` -> ``param_serialize``: method, URL, headers with the
credentials, body), the call's host, timeout and deadline, the stored login that signs
it, the client's retry policy and cool-downs (each call's decisions: ``_retry.CallRetries``),
the debug log with secrets redacted, and decoding an answer by its status and media type
(``response_deserialize``). The drivers add only their I/O: ``api_client.ApiClient``
(urllib3, ``time.sleep``) and ``numind.openapi_client_async.ApiClient`` (aiohttp,
``asyncio.sleep``) send one attempt, read the body and wait, in the same loop.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import functools
import importlib
import json
import logging
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    cast,
)
from urllib.parse import quote

from numind import __version__

from ._deadline import Deadline, TimeoutSetting, parse_timeout
from ._endpoint import CallOptions, Endpoint, Param
from ._endpoints import POST_TOKEN
from ._headers import HeaderDict, check_headers, find_header, set_header
from ._redact import Secret, mask_secrets, redact_body, redact_headers, redact_url
from ._retry import CoolDowns, to_retry
from .api_response import ApiResponse
from .configuration import Configuration
from .exceptions import ApiException, ApiTypeError, ApiValueError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ._credentials import Credentials
    from ._types import RequestTimeout
    from .models.token_response import TokenResponse

__all__ = ["BaseApiClient", "CallPlan"]

T = TypeVar("T")
C = TypeVar("C", bound="BaseApiClient")
logger = logging.getLogger("numind.openapi_client")

RequestSerialized = Tuple[str, str, Dict[str, str], Any, List[Tuple[str, Any]]]
#: The type of the refresh request, in its wire form.
_REFRESH = "ai.numind.extract.shared.TokenRefreshRequest"


class CallPlan(NamedTuple):
    """One call, ready to send: the request, its timeout and deadline, and the stored
    login that signs it (when it needs one, the Authorization header is ``authorize``d)."""

    method: str
    url: str
    headers: Dict[str, str]
    body: Any
    setting: TimeoutSetting
    deadline: Deadline
    login: Optional[Credentials] = None
    post_params: Optional[List[Tuple[str, Any]]] = None

    def authorize(self, token: str) -> None:
        """Sign the request with ``token`` (a stored login's access token)."""
        set_header(self.headers, "Authorization", Secret("Bearer " + token))


class BaseApiClient:
    """What the sync and the async ``ApiClient`` share: settings, default headers, and the
    pure steps of every call. See the module docstring.

    :param configuration: settings; ``Configuration.get_default()`` when omitted.
    :param header_name: a header sent with every request ...
    :param header_value: ... and its value.
    :param cookie: a ``Cookie`` header sent with every request.
    """

    PRIMITIVE_TYPES = (float, bool, bytes, str, int)
    _default: ClassVar[Optional[BaseApiClient]] = None

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        self.configuration = Configuration.get_default() if configuration is None else configuration
        self._retry_policy = to_retry(self.configuration.retries)
        #: Rate limits the server announced to this client (shared by all its threads and
        #: tasks).
        self._cool_downs = CoolDowns()
        self._base_cache: Optional[Tuple[Any, Dict[str, str], Dict[str, str]]] = None
        #: The headers of a call with no per-call headers or credentials, by operation:
        #: (what they were made of, headers).
        self._headers_of: Dict[str, Tuple[Tuple[Any, ...], Dict[str, str]]] = {}
        self.default_headers = {}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self.cookie = cookie
        self.user_agent = f"numind-python/{__version__}"

    @property
    def default_headers(self) -> Dict[str, str]:
        """Headers sent with every request (a call's headers and credentials win)."""
        return self._default_headers

    @default_headers.setter
    def default_headers(self, headers: Mapping[str, str]) -> None:
        self._default_headers = HeaderDict(headers)
        self._base_cache = None

    def _base_headers(self) -> Tuple[Dict[str, str], Dict[str, str]]:
        """The default headers and the cookie, checked and masked once for every request
        until they change: (headers, lower-case name -> name)."""
        defaults = self._default_headers
        key = (defaults.version, self.cookie)
        cached = self._base_cache
        if cached is None or cached[0] != key:
            headers: Dict[str, str] = {}
            for name, value in defaults.items():
                set_header(headers, name, value)
            if self.cookie:
                set_header(headers, "Cookie", self.cookie)
            check_headers(headers)
            cached = self._base_cache = (key, headers, {name.lower(): name for name in headers})
        return cached[1], cached[2]

    def __repr__(self) -> str:
        # Host, credential source, timeout and the retries this client uses: never a token.
        summary = self.configuration._summary(self._retry_policy)  # pyright: ignore[reportPrivateUsage]
        return f"<{type(self).__name__} {summary}>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled (nor copied): it holds a connection "
            "pool and locks. To use the API in another process (multiprocessing, "
            "ProcessPoolExecutor), pass its Configuration, which pickles, and create the "
            "client in the child: `with ApiClient(configuration) as api_client: ...`"
        )

    @property
    def user_agent(self) -> str:
        """The ``User-Agent`` header: this package and its version."""
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send this header with every request (a call's ``_headers`` still win)."""
        self.default_headers[header_name] = header_value

    @classmethod
    def get_default(cls: type[C]) -> C:
        """The client used by API classes created without one."""
        default = cls._default
        if not isinstance(default, cls):
            default = cls._default = cls()
        return default

    @classmethod
    def set_default(cls: type[C], default: Optional[C]) -> None:
        """Make ``default`` the client of API classes created without one."""
        cls._default = default

    # -- the pure steps of a call ---------------------------------------------------------

    def _plan(self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions) -> CallPlan:
        """Check the arguments and build the call: one host and one deadline for all of it
        (the request, a refresh it needs, a replay), even if another thread changes the
        configuration meanwhile."""
        configuration = self.configuration
        host = options.host
        if host is None:
            if options.host_index is not None:
                host = configuration.get_host_from_settings(options.host_index)
            else:
                host = configuration.host
        if options.request_timeout is None:
            setting = configuration._timeout_setting  # pyright: ignore[reportPrivateUsage]
        else:
            setting = parse_timeout(options.request_timeout)
        deadline = options.deadline or setting.deadline(configuration.call_timeout)
        login = None
        if configuration.access_token is None:  # else the token signs every call
            login = self._stored_login_for(endpoint, options, host)
        method, url, headers, body, _ = self._serialize(
            endpoint, args, options, host, signed_by_login=login is not None
        )
        return CallPlan(method, url, headers, body, setting, deadline, login)

    def _refresh_call(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> Tuple[Endpoint[TokenResponse], Tuple[Any, ...], CallOptions]:
        """The call of a ``TokenExchange``: a refresh sent to ``base_url``, within the
        deadline of the call that needs it."""
        request = {"type": _REFRESH, "token": refresh_token}
        return POST_TOKEN, (request,), CallOptions(host=base_url, deadline=deadline)

    def _plain_plan(
        self,
        method: str,
        url: str,
        header_params: Optional[Mapping[str, str]],
        body: Any,
        post_params: Optional[List[Tuple[str, Any]]],
        request_timeout: RequestTimeout,
    ) -> CallPlan:
        """The plan of a ``call_api`` call, whose request ``param_serialize`` built."""
        setting = self._timeout_setting(request_timeout)
        deadline = setting.deadline(self.configuration.call_timeout)
        headers = dict(header_params or {})
        return CallPlan(method, url, headers, body, setting, deadline, None, post_params)

    def _log_request(self, plan: CallPlan) -> None:
        if self.configuration._debug:  # pyright: ignore[reportPrivateUsage]  (``debug``)
            logger.debug(
                "request %s %s headers=%s body=%s",
                plan.method,
                redact_url(plan.url),
                redact_headers(plan.headers),
                redact_body(plan.body, plan.headers.get("Content-Type")),
            )

    def _log_answer(self, plan: CallPlan, response: Any, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d %s (%.1f ms)",
                plan.method,
                redact_url(plan.url),
                response.status,
                response.reason,
                (time.perf_counter() - started) * 1000,
            )

    def _timeout_setting(self, request_timeout: RequestTimeout) -> TimeoutSetting:
        """The call's timeout: its own ``_request_timeout``, else the configuration's."""
        if request_timeout is None:
            return self.configuration._timeout_setting  # pyright: ignore[reportPrivateUsage]
        return parse_timeout(request_timeout)

    def _stored_login_for(
        self, endpoint: Endpoint[Any], options: CallOptions, host: str
    ) -> Optional[Credentials]:
        """The stored login that authenticates this call to ``host``, if any."""
        configuration = self.configuration
        if (
            configuration.access_token is not None
            or not endpoint.auth
            or options.request_auth is not None
            or (options.headers and find_header(options.headers, "Authorization") is not None)
        ):
            return None
        login = configuration.stored_login  # may read the credential store, once
        if login is None:
            return None
        return login if login.base_url == host else None

    def _serialize(
        self,
        endpoint: Endpoint[Any],
        args: Sequence[Any],
        options: CallOptions,
        host: str,
        signed_by_login: bool = False,
    ) -> RequestSerialized:
        path_params: Dict[str, str] = {}
        query_params: List[Tuple[str, Any]] = []
        body: Any = None
        validate = self.configuration.client_side_validation
        for param, given in zip(endpoint.params, args):
            value: Any = given
            if validate or not isinstance(given, dict):
                value = _checked_argument(endpoint, param, given)
            if param.location == "path":
                path_params[param.wire_name] = value
            elif param.location == "query":
                query_params.append((param.wire_name, value))
            else:
                body = value

        # The usual call (no per-call headers, content type or credentials, and no override
        # of the steps that make headers: a subclass's or an instance's own
        # ``param_serialize``, ``update_params_for_auth`` or ``auth_settings``) has the
        # headers of the last such call of its operation, unless the default headers, the
        # cookie or the token changed since.
        key: Optional[Tuple[Any, ...]] = None
        configuration = self.configuration
        if (
            not options.headers
            and options.content_type is None
            and options.request_auth is None
            and type(self).param_serialize is BaseApiClient.param_serialize
            and type(self).update_params_for_auth is BaseApiClient.update_params_for_auth
            and type(configuration).auth_settings is Configuration.auth_settings
            and "param_serialize" not in self.__dict__
            and "update_params_for_auth" not in self.__dict__
            and "auth_settings" not in configuration.__dict__
        ):
            defaults = self._default_headers
            token = configuration.access_token
            key = (defaults, defaults.version, self.cookie, token, signed_by_login)
            cached = self._headers_of.get(endpoint.operation_id)
            if cached is not None and cached[0] == key:
                if path_params or query_params or body is not None:
                    url, body = self._target(endpoint.path, path_params, query_params, host, body)
                else:
                    url = host.rstrip("/") + endpoint.path
                return endpoint.method, url, dict(cached[1]), body, []

        header_params: Dict[str, str] = {"Accept": endpoint.accept}
        if endpoint.content_types:
            header_params["Content-Type"] = _content_type(endpoint, options.content_type)
        elif options.content_type is not None:
            raise ApiValueError(
                f"{endpoint.operation_id}() sends no request body, so it takes no _content_type"
            )
        if options.headers:
            header_params.update(options.headers)

        serialized = self.param_serialize(
            endpoint.method,
            endpoint.path,
            path_params=path_params,
            query_params=query_params,
            header_params=header_params,
            body=body,
            auth_settings=list(endpoint.auth),
            _host=host,
            _request_auth=options.request_auth,
        )
        if (
            endpoint.auth
            and not signed_by_login
            and find_header(serialized[2], "Authorization") is None
        ):
            raise ApiValueError(
                f"{endpoint.operation_id}() needs an access token, and none is set: set "
                "Configuration(access_token=...) or the NUMIND_API_KEY environment variable "
                "(an API key works), or pass _request_auth, or sign in to "
                f"{host} with `numind auth login`"
            )
        if key is not None:
            self._headers_of[endpoint.operation_id] = (key, dict(serialized[2]))
        return serialized

    # -- generated-style building blocks ------------------------------------------------

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        path_params: Optional[Mapping[str, Any]] = None,
        query_params: Optional[List[Tuple[str, Any]]] = None,
        header_params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        files: Optional[Mapping[str, Any]] = None,
        auth_settings: Optional[Sequence[str]] = None,
        collection_formats: Optional[Mapping[str, str]] = None,
        _host: Optional[str] = None,
        _request_auth: Optional[Dict[str, Any]] = None,
    ) -> RequestSerialized:
        """Build ``(method, url, headers, body, post_params)`` for ``call_api``.

        Headers, lowest precedence first: the client's default headers, authentication,
        then ``header_params``. Path parameters are percent-encoded, so that no value can
        reach another path.
        """
        if files:
            raise ApiValueError("files are not supported: no operation of this API uploads files")
        # This request's own headers (credentials, then header_params) are checked here; the
        # client's default headers were checked once, and they come first.
        extra: Dict[str, str] = {}
        query: List[Tuple[str, Any]] = list(query_params or [])
        self.update_params_for_auth(
            extra, query, auth_settings, resource_path, method, body, _request_auth
        )
        for name, value in (header_params or {}).items():
            set_header(extra, name, str(value))
        check_headers(extra)
        # A plain dict: urllib3 iterates it several times per request, and an HTTPHeaderDict
        # costs a lower() and a list per access. Names are merged case-insensitively.
        base, lower_names = self._base_headers()
        headers = dict(base)
        for name, value in extra.items():
            same = lower_names.get(name.lower())
            if same is not None and same != name:
                del headers[same]
            headers[name] = value

        url, body = self._target(resource_path, path_params, query, _host, body, collection_formats)
        return method, url, headers, body, list(post_params or [])

    def _target(
        self,
        resource_path: str,
        path_params: Optional[Mapping[str, Any]],
        query: Optional[List[Tuple[str, Any]]],
        host: Optional[str],
        body: Any,
        collection_formats: Optional[Mapping[str, str]] = None,
    ) -> Tuple[str, Any]:
        """The URL (path parameters percent-encoded) and the JSON-ready body of a request."""
        for name, value in (path_params or {}).items():
            segment = _quote_path_segment(str(value), self.configuration.safe_chars_for_path_param)
            resource_path = resource_path.replace("{" + name + "}", segment)
        url = (host or self.configuration.host).rstrip("/") + resource_path
        if query:
            url += "?" + self.parameters_to_url_query(query, collection_formats)
        if body is not None:
            body = mask_secrets(self.sanitize_for_serialization(body))
        return url, body

    def response_deserialize(
        self,
        response_data: Any,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """Decode a response, its body read, by its status and media type.

        A 2xx answer gives an ``ApiResponse``; any other raises the ``ApiException``
        subclass of its status, with the decoded body (an ``Error``, or text) as ``data``.
        """
        status = response_data.status
        raw = response_data.data
        if raw is None:
            raise ApiValueError("response_deserialize() needs a response whose body is read")
        success = 200 <= status <= 299
        response_type = _response_type(response_types_map or {}, status)
        content_type = response_data.getheader("Content-Type")
        if self.configuration._debug:  # pyright: ignore[reportPrivateUsage]  (``debug``)
            logger.debug(
                "response %d headers=%s body=%s",
                status,
                redact_headers(response_data.headers),
                redact_body(raw, content_type),
            )
        data: Any = None
        if response_type is not None and (raw or not success):
            try:
                data = self.deserialize(raw, response_type, content_type)
            except (ValueError, _DecodeError) as exc:
                if success:
                    raise ApiException(
                        status=status,
                        reason=f"The response is not a valid {response_type}: {_describe(exc)}",
                        http_resp=response_data,
                    ) from None
        if not success:
            text = raw.decode("utf-8", errors="replace")
            raise ApiException.from_response(http_resp=response_data, body=text, data=data)
        return ApiResponse(
            status_code=status, data=data, headers=response_data.headers, raw_data=raw
        )

    def deserialize(
        self,
        response_text: Union[str, bytes],
        response_type: str,
        content_type: Optional[str],
    ) -> Any:
        """Decode a body as ``response_type`` (a model name, ``List[Model]``, ``str``, ``object``).

        Raises ``ValueError`` (pydantic's ``ValidationError`` among them) when it does not fit.
        """
        media = _media_type(content_type)
        if media == "application/json" or media.endswith("+json"):
            return _decoder(response_type)(response_text)
        if media.startswith("text/") and response_type == "str":
            if isinstance(response_text, bytes):
                return response_text.decode(_charset(content_type))
            return response_text
        raise _DecodeError(f"a {content_type} body cannot be decoded as {response_type}")

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models (by wire name), dates, enums and containers into JSON-ready values."""
        if obj is None or isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, enum.Enum):
            return obj.value
        # JSON scalars, the usual items and values, are kept without a call for each.
        if isinstance(obj, (list, tuple)):
            return [
                item if type(item) in _JSON_SCALARS else self.sanitize_for_serialization(item)
                for item in cast("Sequence[Any]", obj)
            ]
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {
                key: val if type(val) in _JSON_SCALARS else self.sanitize_for_serialization(val)
                for key, val in cast("Mapping[Any, Any]", obj).items()
            }
        to_dict = getattr(obj, "to_dict", None)
        if callable(to_dict):
            return self.sanitize_for_serialization(to_dict())
        raise ApiTypeError(
            f"Cannot serialize a {type(obj).__name__} to JSON: pass a model, a dict, a list, "
            "a str, a number, a bool, a date or None"
        )

    def parameters_to_url_query(
        self,
        params: Union[Mapping[str, Any], List[Tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]] = None,
    ) -> str:
        """Encode query parameters; lists follow ``collection_formats`` (default ``csv``)."""
        pairs: List[Tuple[str, str]] = []
        items = params.items() if isinstance(params, Mapping) else params
        delimiters = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}
        for name, value in items:
            if isinstance(value, bool):
                value = str(value).lower()
            elif isinstance(value, dict):
                value = json.dumps(value)
            if isinstance(value, (list, tuple)):
                fmt = (collection_formats or {}).get(name, "csv")
                elements = cast("Sequence[Any]", value)
                if fmt == "multi":
                    pairs.extend((name, str(item)) for item in elements)
                    continue
                value = delimiters[fmt].join(str(item) for item in elements)
            pairs.append((name, str(value)))
        return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)

    def update_params_for_auth(
        self,
        headers: Any,
        queries: List[Tuple[str, Any]],
        auth_settings: Optional[Sequence[str]],
        resource_path: str,
        method: str,
        body: Any,
        request_auth: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Add the credentials of ``auth_settings`` (or of ``request_auth``, which wins)."""
        if request_auth:
            _apply_auth(headers, queries, request_auth)
            return
        if not auth_settings:
            return
        settings = self.configuration.auth_settings()
        for name in auth_settings:
            if name in settings:
                _apply_auth(headers, queries, settings[name])


#: Exact types that ``sanitize_for_serialization`` returns as they are (not subclasses:
#: an enum may subclass str).
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


class _DecodeError(ValueError):
    """A body that cannot be decoded as the declared type."""


def bearer_auth(token: str) -> Dict[str, str]:
    """A ``_request_auth`` setting that sends ``token`` as the bearer (kept ``Secret``)."""
    value = Secret("Bearer " + token)
    return {"in": "header", "type": "oauth2", "key": "Authorization", "value": value}


def _apply_auth(headers: Any, queries: List[Tuple[str, Any]], setting: Mapping[str, Any]) -> None:
    where = setting.get("in")
    if where == "header":
        set_header(headers, setting["key"], setting["value"])
    elif where == "query":
        # Refused rather than redacted: urllib3 itself logs URLs (e.g. its WARNING on retry).
        raise ApiValueError(
            f"Invalid _request_auth: 'in': 'query' would put the credential "
            f"{setting.get('key')!r} in the URL, which logs, error messages and proxies "
            "show; this API takes a bearer token: use {'in': 'header', 'key': "
            "'Authorization', 'value': 'Bearer <token>'}"
        )
    elif where != "cookie":
        raise ApiValueError(
            "Invalid _request_auth: 'in' must be 'header' or 'cookie'; use an entry "
            "of Configuration.auth_settings() as a model"
        )
    else:
        set_header(headers, "Cookie", setting["value"])


def _checked_argument(endpoint: Endpoint[Any], param: Param, value: Any) -> Any:
    where = f"{endpoint.operation_id}() argument {param.name!r}"
    if param.type_name == "str":
        if not isinstance(value, str):
            raise ApiTypeError(f"{where} must be a str, not {type(value).__name__}")
        if param.location == "path" and not value:
            raise ApiValueError(f"{where} must not be empty")
        return value
    model = _model_class(param.type_name)
    if isinstance(value, model):
        return value
    accepted = [model] + [_model_class(name) for name in param.also_accepts]
    if any(isinstance(value, cls) for cls in accepted[1:]):
        return value
    if isinstance(value, dict):
        try:
            return model.from_dict(value)
        except ValueError as exc:
            raise ApiValueError(
                f"{where} is not a valid {param.type_name}: {_describe(exc)}"
            ) from None
    names = ", ".join(cls.__name__ for cls in accepted)
    raise ApiTypeError(f"{where} must be a {names} or a dict, not {type(value).__name__}")


def _describe(exc: BaseException) -> str:
    """A validation error as text that names the fields but never echoes the input values
    (they may be secrets, such as a refresh token)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts: List[str] = []
    for error in cast("ValidationError", exc).errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in error["loc"] if not str(p).startswith("ai.numind."))
        msg = error["msg"]
        if error["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{loc!r}: {msg}" if loc else msg)
    return "; ".join(parts)


def _content_type(endpoint: Endpoint[Any], requested: Optional[str]) -> str:
    if requested is None:
        return endpoint.content_types[0]
    if requested.split(";", 1)[0].strip().lower() not in endpoint.content_types:
        raise ApiValueError(
            f"Invalid _content_type {requested!r} for {endpoint.operation_id}(): "
            f"it sends {', '.join(endpoint.content_types)}"
        )
    return requested


def _quote_path_segment(value: str, safe: str) -> str:
    segment = quote(value, safe=safe)
    # "." and ".." would be resolved away by URL normalisation and reach another path.
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    return segment


def _response_type(types: Mapping[str, Optional[str]], status: int) -> Optional[str]:
    code = str(status)
    if code in types:
        return types[code]
    if code[0] + "XX" in types:
        return types[code[0] + "XX"]
    if 200 <= status <= 299:
        return types.get("200")
    return types.get("0")


def _charset(content_type: Optional[str]) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


@functools.lru_cache(maxsize=64)
def _media_type(content_type: Optional[str]) -> str:
    """``application/json`` of ``Application/JSON; charset=utf-8`` (a response has few kinds)."""
    return (content_type or "application/json").split(";", 1)[0].strip().lower()


@functools.cache
def _model_class(name: str) -> Any:
    return getattr(importlib.import_module(".models", __package__), name)


@functools.cache
def _decoder(type_name: str) -> Callable[[Union[str, bytes]], Any]:
    """The fastest way to decode a JSON body as ``type_name``: straight into the model."""
    from pydantic import ConfigDict, TypeAdapter

    # As the models' own: a validation error never shows the input (it may hold tokens).
    hidden = ConfigDict(hide_input_in_errors=True)
    if type_name == "object":
        return json.loads
    if type_name in ("bytearray", "bytes"):
        return lambda raw: raw
    builtin = {"str": str, "int": int, "float": float, "bool": bool}.get(type_name)
    if builtin is not None:
        return TypeAdapter(builtin, config=hidden).validate_json
    if type_name.startswith("List[") and type_name.endswith("]"):
        list_type: Any = List[_model_class(type_name[5:-1])]  # type: ignore[misc]
        return TypeAdapter(list_type, config=hidden).validate_json
    # The model's own validator, as ``model_validate_json`` calls it (without its wrapper).
    return cast(
        "Callable[[Union[str, bytes]], Any]",
        _model_class(type_name).__pydantic_validator__.validate_json,
    )
