"""What the sync and the async ``ApiClient`` share: their settings and default headers,
the pure steps of a call, and the generated-style building blocks over them.

A call's request is made in one place, ``_request.prepare``, and decoded in one,
``_decode.decode_response``; the retry decisions are ``_retry.CallRetries``'. The drivers
add only their I/O: ``api_client.ApiClient`` (urllib3, ``time.sleep``) and
``numind.openapi_client_async.ApiClient`` (aiohttp, ``asyncio.sleep``) send one attempt,
read the body and wait, in the same loop with the same names.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

from numind import __version__

from . import _decode, _request
from ._endpoints import POST_TOKEN
from ._headers import find_header
from ._hosts import refuse_insecure_route
from ._options import ClientCopies
from ._redact import redact_body, redact_headers, redact_url
from ._request import CallOptions, ClientHeaders, PreparedRequest, RequestSerialized, Serialize
from ._retry import CoolDowns, to_retry
from .api_response import ApiResponse
from .configuration import Configuration

if TYPE_CHECKING:
    from ._deadline import Deadline
    from ._endpoint import Endpoint
    from ._hooks import AttemptHooks, EventHooks
    from ._tracing import Tracing
    from ._types import RequestTimeout

__all__ = ["BaseApiClient"]

T = TypeVar("T")
C = TypeVar("C", bound="BaseApiClient")
logger = logging.getLogger("numind.openapi_client")

#: The type of the refresh request, in its wire form.
_REFRESH = "ai.numind.extract.shared.TokenRefreshRequest"
#: The generated-style steps that make a request's headers: a client whose class or
#: instance has its own makes every call's headers with them.
_SIGNING_STEPS = ("param_serialize", "update_params_for_auth")


class BaseApiClient(ClientCopies):
    """What the sync and the async ``ApiClient`` share: settings, default headers, and the
    pure steps of every call. See the module docstring.

    :param configuration: settings; ``Configuration.get_default()`` when omitted.
    :param header_name: a header sent with every request ...
    :param header_value: ... and its value.
    :param cookie: a ``Cookie`` header sent with every request.
    :param event_hooks: functions run on every attempt of every call:
        ``{"request": [...], "response": [...]}`` (see ``event_hooks``).
    """

    PRIMITIVE_TYPES = (float, bool, bytes, str, int)
    _default: ClassVar[Optional[BaseApiClient]] = None
    #: Whether the class has its own ``param_serialize`` or ``update_params_for_auth``.
    _own_signing: ClassVar[bool] = False
    #: Whether the client awaits coroutine hooks (the async one).
    _awaits_hooks: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_signing = any(
            getattr(cls, name) is not getattr(BaseApiClient, name) for name in _SIGNING_STEPS
        )

    def __setattr__(self, name: str, value: Any) -> None:
        # An instance's own signing step (``client.update_params_for_auth = ...``).
        object.__setattr__(self, name, value)
        if name in _SIGNING_STEPS:
            object.__setattr__(self, "_serialize", self.param_serialize)

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
        *,
        event_hooks: Optional[EventHooks] = None,
    ) -> None:
        self.configuration = Configuration.get_default() if configuration is None else configuration
        self._retry_policy = to_retry(self.configuration.retries)
        #: Rate limits the server announced to this client (shared by all its threads and
        #: tasks).
        self._cool_downs = CoolDowns()
        self._headers = ClientHeaders()
        #: The OpenTelemetry spans of each call (``_tracing``), or None: off when no tracer
        #: provider was set, which needs OpenTelemetry imported (or its variable) first.
        self._tracing: Optional[Tracing] = None
        if "opentelemetry.trace" in sys.modules or "OTEL_PYTHON_TRACER_PROVIDER" in os.environ:
            from ._tracing import tracing_for

            self._tracing = tracing_for()
        #: The client's own ``param_serialize`` for ``prepare``; None: the SDK's.
        self._serialize: Optional[Serialize] = self.param_serialize if self._own_signing else None
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self.cookie = cookie
        self.user_agent = f"numind-python/{__version__}"
        #: The event hooks, if any: the driver sends every attempt through them.
        self._hooks: Optional[AttemptHooks] = None
        if event_hooks is not None:
            self.event_hooks = event_hooks

    @property
    def event_hooks(self) -> EventHooks:
        """The functions run on every attempt of every call, as httpx's ``event_hooks``:
        ``{"request": [...], "response": [...]}``. A request hook gets an
        ``AttemptRequest`` (the operation, the attempt's number, method, URL, headers with
        the credentials masked) and may change its ``headers``; a response hook gets an
        ``AttemptResponse`` (status, headers, the seconds it took). A hook that raises ends
        the call with its exception. Shown as new lists: to change the hooks, assign
        (``api_client.event_hooks = {...}``), which checks them as the constructor does.
        """
        hooks = self._hooks
        return {"request": [], "response": []} if hooks is None else hooks.event_hooks()

    @event_hooks.setter
    def event_hooks(self, event_hooks: EventHooks) -> None:
        from ._hooks import attempt_hooks

        self._hooks = attempt_hooks(event_hooks, self._awaits_hooks)

    @property
    def default_headers(self) -> Dict[str, str]:
        """Headers sent with every request (a call's headers and credentials win)."""
        return self._headers.defaults

    @default_headers.setter
    def default_headers(self, headers: Mapping[str, str]) -> None:
        self._headers.defaults = headers

    @property
    def cookie(self) -> Optional[str]:
        """A ``Cookie`` header sent with every request."""
        return self._headers.cookie

    @cookie.setter
    def cookie(self, value: Optional[str]) -> None:
        self._headers.cookie = value

    def __repr__(self) -> str:
        # Host, credential source, timeout and the retries this client uses: never a token.
        summary = self.configuration._summary(self._retry_policy)  # pyright: ignore[reportPrivateUsage]
        return f"<{type(self).__name__} {summary}>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            f"{type(self).__name__} cannot be pickled (nor copied): it holds a connection "
            "pool and locks. To use the API in another process (multiprocessing, "
            "ProcessPoolExecutor), pass its Configuration, which pickles, and create the "
            "client in the child: `with ApiClient(configuration) as api_client: ...`. For a "
            "client with other timeouts, retries or headers over the same pool, use "
            "`api_client.with_options(...)`"
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

    # -- the steps of a call ----------------------------------------------------------------

    def _prepare(
        self,
        endpoint: Endpoint[Any],
        args: Sequence[Any],
        options: CallOptions,
        stream: bool = False,
    ) -> PreparedRequest:
        return _request.prepare(
            endpoint, args, options, self.configuration, self._headers, self._serialize, stream
        )

    def _refresh_request(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> PreparedRequest:
        """The request of a ``TokenExchange``: a refresh sent to ``base_url``, within the
        deadline of the call that needs it."""
        body = {"type": _REFRESH, "token": refresh_token}
        options = CallOptions(host=base_url, deadline=deadline)
        return self._prepare(POST_TOKEN, (body,), options)

    def _request_of_parts(
        self,
        method: str,
        url: str,
        header_params: Optional[Mapping[str, str]],
        body: Any,
        post_params: Optional[List[Tuple[str, Any]]],
        request_timeout: RequestTimeout,
    ) -> PreparedRequest:
        """The request of a ``call_api`` call, whose parts ``param_serialize`` built."""
        from ._deadline import parse_timeout
        from ._transport import request_from_parts

        configuration = self.configuration
        if not url.startswith("https://"):
            # A URL built by hand (``param_serialize(_host=...)``) was never checked as a
            # host: held to the same plain-http rule, and to a loopback proxy's.
            refuse_insecure_route(url, configuration.proxy, configuration.allow_insecure_http)
        if request_timeout is None:
            timeout = configuration._timeout_setting  # pyright: ignore[reportPrivateUsage]
        else:
            timeout = parse_timeout(request_timeout)
        deadline = timeout.deadline(configuration.call_timeout)
        return request_from_parts(method, url, header_params, body, post_params, timeout, deadline)

    def _log_request(self, request: PreparedRequest) -> None:
        if self.configuration._debug:  # pyright: ignore[reportPrivateUsage]  (``debug``)
            logger.debug(
                "request %s %s headers=%s body=%s",
                request.method,
                redact_url(request.url),
                redact_headers(request.headers),
                redact_body(request.body, request.headers.get("Content-Type")),
            )

    def _log_answer(self, request: PreparedRequest, response: Any, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d %s (%.1f ms)",
                request.method,
                redact_url(request.url),
                response.status,
                response.reason,
                (time.perf_counter() - started) * 1000,
            )

    def _credential_of(self, request: PreparedRequest) -> Optional[str]:
        """``"NUMIND_API_KEY"`` when that variable's key signed ``request`` (the 401 that
        answers it then names the variable), else None."""
        configuration = self.configuration
        token = configuration._access_token  # pyright: ignore[reportPrivateUsage]
        if token is None or configuration._token_source != "NUMIND_API_KEY":  # pyright: ignore[reportPrivateUsage]
            return None
        sent = find_header(request.headers, "Authorization")
        return "NUMIND_API_KEY" if sent is not None and str(sent) == f"Bearer {token}" else None

    def _decode(
        self, response: Any, response_types: Mapping[str, Optional[str]]
    ) -> ApiResponse[Any]:
        debug = self.configuration._debug  # pyright: ignore[reportPrivateUsage]  (``debug``)
        return _decode.decode_response(response, response_types, debug)

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
        return _request.build(
            method,
            resource_path,
            self.configuration,
            self._headers,
            self.update_params_for_auth if self._serialize is not None else None,
            path_params,
            query_params,
            header_params,
            body,
            post_params,
            files,
            auth_settings,
            collection_formats,
            _host,
            _request_auth,
        )

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
        _request.sign(self.configuration, headers, queries, auth_settings, request_auth)

    def response_deserialize(
        self,
        response_data: Any,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """Decode a response, its body read, by its status and media type.

        A 2xx answer gives an ``ApiResponse``; any other raises the ``ApiException``
        subclass of its status, with the decoded body (an ``Error``, or text) as ``data``.
        """
        return self._decode(response_data, response_types_map or {})

    def deserialize(
        self,
        response_text: Union[str, bytes],
        response_type: str,
        content_type: Optional[str],
    ) -> Any:
        """Decode a body as ``response_type`` (a model name, ``List[Model]``, ``str``, ``object``).

        Raises ``ValueError`` (pydantic's ``ValidationError`` among them) when it does not fit.
        """
        return _decode.decode_body(response_text, response_type, content_type)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models (by wire name), dates, enums and containers into JSON-ready values."""
        return _request.to_jsonable(obj)

    def parameters_to_url_query(
        self,
        params: Union[Mapping[str, Any], List[Tuple[str, Any]]],
        collection_formats: Optional[Mapping[str, str]] = None,
    ) -> str:
        """Encode query parameters; lists follow ``collection_formats`` (default ``csv``)."""
        return _request.url_query(params, collection_formats)
