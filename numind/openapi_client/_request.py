"""Where a request is made: ``prepare`` turns an operation, its arguments, the call's
options and the configuration into one ``PreparedRequest``.

Read top to bottom, a call's request is: the host, the timeout and the deadline; the
credentials that sign it (a token provider, a stored login), if any; the arguments
checked and placed (path, query, body); the headers (the client's defaults, then the
credentials, then the call's own), checked for what HTTP cannot carry and masked where
they are secret; the URL with its path parameters percent-encoded; the body as the bytes
sent. Transports send it as it is; the driver signs it (``with_bearer``) just before.

Pure: no socket, no HTTP library. The generated-style building blocks of ``ApiClient``
(``param_serialize``, ``update_params_for_auth``, ``sanitize_for_serialization``,
``parameters_to_url_query``) are thin adapters over the functions here.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import sys
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    FrozenSet,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)
from urllib.parse import quote

from ._deadline import parse_timeout
from ._decode import describe, model_class
from ._headers import ACCEPT_ENCODING, HeaderDict, check_headers, find_header, set_header
from ._redact import Secret, SecretBytes, mask_secrets
from ._types import RequestAuth, RequestHeaders, RequestOptions, RequestTimeout
from .exceptions import ApiTypeError, ApiValueError, unexpected_keyword

if TYPE_CHECKING:
    from ._credentials import Credentials
    from ._deadline import Deadline, TimeoutSetting
    from ._endpoint import Endpoint, Param
    from .configuration import Configuration

__all__ = [
    "CallOptions",
    "ClientHeaders",
    "PreparedRequest",
    "Serialize",
    "Sign",
    "build",
    "call_options",
    "encode_body",
    "prepare",
    "sign",
    "to_jsonable",
    "url_query",
]

#: ``param_serialize``'s answer: method, URL, headers, JSON-ready body, form parameters.
RequestSerialized = Tuple[str, str, Dict[str, str], Any, List[Tuple[str, Any]]]
#: The step that builds a request from its parts (``ApiClient.param_serialize``), when a
#: subclass or an instance has its own.
Serialize = Callable[..., RequestSerialized]
#: The step that adds credentials (``ApiClient.update_params_for_auth``).
Sign = Callable[..., None]


class PreparedRequest(NamedTuple):
    """One request, complete: what is sent, the operation it serves, and how long it may
    take. A transport sends it as it is; nothing is derived again on the way."""

    method: str
    url: str
    headers: Dict[str, str]
    #: The bytes sent (a ``SecretBytes``: it may hold a token), or None.
    body: Optional[bytes]
    #: The operation id (``get_api_auth_me``); empty for a request made by ``call_api``.
    operation: str
    #: Each attempt's timeouts (``timeout.attempt``) and the call's total, if it sets one.
    timeout: TimeoutSetting
    #: When the whole call, every attempt and wait included, must end.
    deadline: Deadline
    #: Its credentials (a token provider, a stored login): their token signs it, if any.
    login: Optional[Credentials] = None
    #: The caller reads the body (``*_without_preload_content``): the call ends with the
    #: headers, and the body's reads are bounded by the read timeout alone.
    stream: bool = False

    def with_bearer(self, token: str) -> PreparedRequest:
        """This request signed with ``token`` (its credentials' token)."""
        headers = dict(self.headers)
        # str(): a Secret would concatenate through Secret.__radd__, a Python-level call.
        set_header(headers, "Authorization", Secret("Bearer " + str(token)))
        return self._replace(headers=headers)


class CallOptions(NamedTuple):
    """The per-call keyword options (``_request_timeout``, ``_headers``, ...), for the pipeline."""

    request_timeout: RequestTimeout = None
    request_auth: RequestAuth = None
    content_type: Optional[str] = None
    headers: RequestHeaders = None
    host_index: Optional[int] = None
    # Set by the pipeline, never by a user: a call that a call makes (the token refresh)
    # goes to the host of its login and ends within the deadline of the call that needs it.
    host: Optional[str] = None
    deadline: Optional[Deadline] = None


_NO_OPTIONS = CallOptions()
OPTION_NAMES: FrozenSet[str] = RequestOptions.__optional_keys__


def call_options(options: RequestOptions) -> CallOptions:
    """The ``CallOptions`` of a method's ``**options``.

    A keyword that is not an option raises ``TypeError``, as Python does for a function
    that spells its keyword parameters out.
    """
    if not options:
        return _NO_OPTIONS
    if not OPTION_NAMES.issuperset(options):
        raise _unexpected_keyword(options)
    return CallOptions(
        options.get("_request_timeout"),
        options.get("_request_auth"),
        options.get("_content_type"),
        options.get("_headers"),
        options.get("_host_index"),
    )


def _unexpected_keyword(options: Mapping[str, object]) -> TypeError:
    # Named like Python names it: after the public method that took **options, which is
    # the caller of call_options (only looked up on this error path).
    code = sys._getframe(2).f_code  # pyright: ignore[reportPrivateUsage]
    name = next(key for key in options if key not in OPTION_NAMES)
    return unexpected_keyword(getattr(code, "co_qualname", code.co_name), name, OPTION_NAMES)


class ClientHeaders:
    """The headers every request of one client starts from, checked once per change: the
    default headers and the cookie. Also, per operation, the headers of the usual call
    (no per-call headers, content type or credentials), made once until the defaults, the
    cookie or the token change."""

    def __init__(self) -> None:
        self._defaults = HeaderDict()
        self.cookie: Optional[str] = None
        self._base: Optional[Tuple[Any, Dict[str, str], Dict[str, str]]] = None
        #: operation id -> (what its headers were made of, the headers)
        self.of_operation: Dict[str, Tuple[Tuple[Any, ...], Dict[str, str]]] = {}

    @property
    def defaults(self) -> HeaderDict:
        return self._defaults

    @defaults.setter
    def defaults(self, headers: Mapping[str, str]) -> None:
        self._defaults = HeaderDict(headers)
        self._base = None

    def base(self) -> Tuple[Dict[str, str], Dict[str, str]]:
        """The default headers and the cookie, checked and masked: (headers, lower-case
        name -> name)."""
        defaults = self._defaults
        key = (defaults.version, self.cookie)
        cached = self._base
        if cached is None or cached[0] != key:
            headers: Dict[str, str] = {}
            for name, value in defaults.items():
                set_header(headers, name, value)
            if self.cookie:
                set_header(headers, "Cookie", self.cookie)
            check_headers(headers)
            cached = self._base = (key, headers, {name.lower(): name for name in headers})
        return cached[1], cached[2]

    def usual_key(self, token: Optional[str], signed_by_login: bool) -> Tuple[Any, ...]:
        """What the headers of a usual call are made of."""
        defaults = self._defaults
        return (defaults, defaults.version, self.cookie, token, signed_by_login)


def prepare(
    endpoint: Endpoint[Any],
    args: Sequence[Any],
    options: CallOptions,
    configuration: Configuration,
    client_headers: ClientHeaders,
    serialize: Optional[Serialize] = None,
    stream: bool = False,
) -> PreparedRequest:
    """The request of one call of ``endpoint`` with ``args`` (in the order of
    ``endpoint.params``). ``serialize``: a client's own ``param_serialize`` (or one that
    calls its own ``update_params_for_auth``); None for the SDK's.

    One host and one deadline serve the whole call (the request, a refresh it needs, a
    replay), even if another thread changes the configuration meanwhile. Raises
    ``ApiTypeError`` / ``ApiValueError`` for a bad argument or option, before anything
    is sent.
    """
    # Where, and for how long. (The configuration's checked values are read as attributes,
    # not through its properties: a call makes no Python call for them.)
    host = options.host
    if host is None:
        if options.host_index is not None:
            host = configuration.get_host_from_settings(options.host_index)
        elif configuration.server_index is None:
            host = configuration._base_path  # pyright: ignore[reportPrivateUsage]
        else:
            host = configuration.host
    if options.request_timeout is None:
        timeout = configuration._timeout_setting  # pyright: ignore[reportPrivateUsage]
    else:
        timeout = parse_timeout(options.request_timeout)
    deadline = options.deadline or timeout.deadline(
        configuration._call_timeout  # pyright: ignore[reportPrivateUsage]
    )

    # Who signs it: a token set (in every call's headers), else a provider or a stored login.
    token = configuration._access_token  # pyright: ignore[reportPrivateUsage]
    login = None if token is not None else _credentials_for(endpoint, options, host, configuration)

    # The arguments, checked and placed.
    path_params: Dict[str, str] = {}
    query: List[Tuple[str, Any]] = []
    body: Any = None
    validate = configuration.client_side_validation
    for param, given in zip(endpoint.params, args, strict=True):
        value: Any = given
        if validate or not isinstance(given, dict):
            value = _checked_argument(endpoint, param, given)
        if param.location == "path":
            path_params[param.wire_name] = value
        elif param.location == "query":
            query.append((param.wire_name, value))
        else:
            body = value

    # The usual call has the headers of the last usual call of its operation.
    usual = (
        serialize is None
        and not options.headers
        and options.content_type is None
        and options.request_auth is None
        and not configuration._own_auth_settings  # pyright: ignore[reportPrivateUsage]
    )
    key: Optional[Tuple[Any, ...]] = None
    if usual:
        key = client_headers.usual_key(token, login is not None)
        cached = client_headers.of_operation.get(endpoint.operation_id)
        if cached is not None and cached[0] == key:
            headers = dict(cached[1])
            if path_params or query or body is not None:
                url, body = _target(endpoint.path, path_params, query, host, body, configuration)
            else:
                url = host.rstrip("/") + endpoint.path
            return PreparedRequest(
                endpoint.method,
                url,
                headers,
                _encoded(body, endpoint.content_types),
                endpoint.operation_id,
                timeout,
                deadline,
                login,
                stream,
            )

    header_params: Dict[str, str] = {"Accept": endpoint.accept, "Accept-Encoding": ACCEPT_ENCODING}
    if endpoint.content_types:
        header_params["Content-Type"] = _content_type(endpoint, options.content_type)
    elif options.content_type is not None:
        raise ApiValueError(
            f"{endpoint.operation_id}() sends no request body, so it takes no _content_type"
        )
    if options.headers:
        header_params.update(options.headers)
    parts: Dict[str, Any] = {
        "path_params": path_params,
        "query_params": query,
        "header_params": header_params,
        "body": body,
        "auth_settings": list(endpoint.auth),
        "_host": host,
        "_request_auth": options.request_auth,
    }
    if serialize is None:
        method, url, headers, body, _ = build(
            endpoint.method, endpoint.path, configuration, client_headers, None, **parts
        )
    else:
        method, url, headers, body, _ = serialize(endpoint.method, endpoint.path, **parts)
    if endpoint.auth and login is None and find_header(headers, "Authorization") is None:
        raise ApiValueError(
            f"{endpoint.operation_id}() needs an access token, and none is set: set "
            "Configuration(access_token=...) or the NUMIND_API_KEY environment variable "
            "(an API key works), or pass _request_auth, or sign in to "
            f"{host} with `numind auth login`"
        )
    if key is not None:
        client_headers.of_operation[endpoint.operation_id] = (key, dict(headers))
    content_type = find_header(headers, "Content-Type") or ""
    return PreparedRequest(
        method,
        url,
        headers,
        _encoded(body, (content_type,)),
        endpoint.operation_id,
        timeout,
        deadline,
        login,
        stream,
    )


def build(
    method: str,
    resource_path: str,
    configuration: Configuration,
    client_headers: ClientHeaders,
    signer: Optional[Sign],
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
    """``(method, url, headers, body, post_params)``: what ``param_serialize`` answers.

    Headers, lowest precedence first: the client's default headers, the credentials
    (``signer``: a client's own ``update_params_for_auth``; None: ``sign``), then
    ``header_params``. Path parameters are
    percent-encoded, so that no value can reach another path.
    """
    if files:
        raise ApiValueError("files are not supported: no operation of this API uploads files")
    # This request's own headers (credentials, then header_params) are checked here; the
    # client's default headers were checked once, and they come first.
    extra: Dict[str, str] = {}
    query: List[Tuple[str, Any]] = list(query_params or [])
    if signer is None:
        sign(configuration, extra, query, auth_settings, _request_auth)
    else:
        signer(extra, query, auth_settings, resource_path, method, body, _request_auth)
    for name, value in (header_params or {}).items():
        set_header(extra, name, str(value))
    check_headers(extra)
    # A plain dict: urllib3 iterates it several times per request, and an HTTPHeaderDict
    # costs a lower() and a list per access. Names are merged case-insensitively.
    base, lower_names = client_headers.base()
    headers = dict(base)
    for name, value in extra.items():
        same = lower_names.get(name.lower())
        if same is not None and same != name:
            del headers[same]
        headers[name] = value
    url, body = _target(
        resource_path, path_params, query, _host, body, configuration, collection_formats
    )
    return method, url, headers, body, list(post_params or [])


def sign(
    configuration: Configuration,
    headers: Any,
    queries: List[Tuple[str, Any]],
    auth_settings: Optional[Sequence[str]],
    request_auth: Optional[Dict[str, Any]] = None,
) -> None:
    """Add the credentials of ``auth_settings`` (or of ``request_auth``, which wins)."""
    if request_auth:
        _apply_auth(headers, queries, request_auth)
        return
    if not auth_settings:
        return
    settings = configuration.auth_settings()
    for name in auth_settings:
        if name in settings:
            _apply_auth(headers, queries, settings[name])


def encode_body(body: Any, content_type: str) -> Optional[bytes]:
    """``body`` as sent: bytes as they are, text as UTF-8, anything else as JSON."""
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str) and "json" not in content_type:
        return body.encode("utf-8")
    # A str under a JSON media type is a JSON string (the logout body is one).
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def to_jsonable(obj: Any) -> Any:
    """Turn models (by wire name), dates, enums and containers into JSON-ready values."""
    if obj is None or isinstance(obj, _PRIMITIVES):
        return obj
    if isinstance(obj, enum.Enum):
        return obj.value
    # JSON scalars, the usual items and values, are kept without a call for each.
    if isinstance(obj, (list, tuple)):
        return [
            item if type(item) in _JSON_SCALARS else to_jsonable(item)
            for item in cast("Sequence[Any]", obj)
        ]
    if isinstance(obj, (datetime.datetime, datetime.date)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, dict):
        return {
            key: val if type(val) in _JSON_SCALARS else to_jsonable(val)
            for key, val in cast("Mapping[Any, Any]", obj).items()
        }
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    raise ApiTypeError(
        f"Cannot serialize a {type(obj).__name__} to JSON: pass a model, a dict, a list, "
        "a str, a number, a bool, a date or None"
    )


def url_query(
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


# -- the pieces ---------------------------------------------------------------------------

_PRIMITIVES = (float, bool, bytes, str, int)
#: Exact types that ``to_jsonable`` returns as they are (not subclasses: an enum may
#: subclass str).
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _credentials_for(
    endpoint: Endpoint[Any], options: CallOptions, host: str, configuration: Configuration
) -> Optional[Credentials]:
    """The token provider, else the stored login for ``host``, that signs this call."""
    if (
        not endpoint.auth
        or options.request_auth is not None
        or (options.headers and find_header(options.headers, "Authorization") is not None)
    ):
        return None
    provided = configuration._provided_token  # pyright: ignore[reportPrivateUsage]
    if provided is not None:
        return provided
    login = configuration.stored_login  # may read the credential store, once
    return login if login is not None and login.base_url == host else None


def _target(
    resource_path: str,
    path_params: Optional[Mapping[str, Any]],
    query: Optional[List[Tuple[str, Any]]],
    host: Optional[str],
    body: Any,
    configuration: Configuration,
    collection_formats: Optional[Mapping[str, str]] = None,
) -> Tuple[str, Any]:
    """The URL (path parameters percent-encoded) and the JSON-ready body of a request."""
    for name, value in (path_params or {}).items():
        segment = _quote_path_segment(str(value), configuration.safe_chars_for_path_param)
        resource_path = resource_path.replace("{" + name + "}", segment)
    url = (host or configuration.host).rstrip("/") + resource_path
    if query:
        url += "?" + url_query(query, collection_formats)
    if body is not None:
        body = mask_secrets(to_jsonable(body))
    return url, body


def _encoded(body: Any, content_types: Tuple[str, ...]) -> Optional[bytes]:
    encoded = encode_body(body, content_types[0] if content_types else "")
    # A token request: masked in captured tracebacks.
    return None if encoded is None else SecretBytes(encoded)


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
        if not value.isascii():
            _check_encodable(where, value)
        return value
    model = model_class(param.type_name)
    if isinstance(value, model):
        return value
    accepted = [model] + [model_class(name) for name in param.also_accepts]
    if any(isinstance(value, cls) for cls in accepted[1:]):
        return value
    if isinstance(value, dict):
        try:
            return model.from_dict(value)
        except ValueError as exc:
            raise ApiValueError(
                f"{where} is not a valid {param.type_name}: {describe(exc)}"
            ) from None
    names = ", ".join(cls.__name__ for cls in accepted)
    raise ApiTypeError(f"{where} must be a {names} or a dict, not {type(value).__name__}")


def _check_encodable(where: str, value: str) -> None:
    # A lone surrogate ("\ud800", from a bad decode) has no UTF-8: refused here, before
    # anything is sent, rather than as a UnicodeEncodeError from deep in the encoding. The
    # message gives its place, not the value (which may be a token).
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ApiValueError(
            f"{where} cannot be sent: character {exc.start} is a lone surrogate "
            f"(U+{ord(value[exc.start]):04X}), which UTF-8 cannot encode"
        ) from None


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
