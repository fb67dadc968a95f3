"""ApiClient: the sync driver of the one request pipeline that every API method goes through.

Where each step happens, in the order a call takes them:

- ``invoke`` / ``invoke_unread``: the entry of every ``AuthenticationApi`` method.
- ``_prepare`` (``_request.prepare``, pure, shared with the async client): checks the
  arguments and makes the ``PreparedRequest``: method, URL, headers, body bytes, the
  operation, its timeout and deadline, the stored login that signs it.
- ``_send``: for credentials (``_credentials.Credentials``: a stored login, a token
  provider) gets the token first and, on a 401, tells them and replays once with the
  token they give then, within the same deadline.
- ``_send_with_retries``: the retry loop. It sends one attempt
  (``rest.RESTClientObject.send``), asks ``_retry.CallRetries`` whether and after which
  wait to retry, and sleeps; a wait that would pass the deadline is not begun.
- ``_decode`` (``_decode.decode_response``, pure): picks the type for the status, decodes
  the body once with a cached pydantic validator, and raises the ``ApiException``
  subclass of an error status.

``numind.openapi_client_async.ApiClient`` is the same driver, with the same steps and
names, with ``await`` at the I/O.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, TypeVar

import urllib3

from ._base_client import BaseApiClient
from ._decode import decode_response
from ._endpoints import POST_TOKEN
from ._request import prepare
from ._retry import CallRetries
from .configuration import Configuration
from .exceptions import ApiConnectionError
from .rest import RESTClientObject, RESTResponse

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Callable

    from ._deadline import Deadline
    from ._endpoint import Endpoint
    from ._hooks import EventHooks
    from ._request import CallOptions, PreparedRequest
    from ._types import RequestTimeout
    from .api_response import ApiResponse
    from .models.token_response import TokenResponse

__all__ = ["ApiClient"]

T = TypeVar("T")
logger = logging.getLogger("numind.openapi_client")


class ApiClient(BaseApiClient):
    """Sends the requests of the API classes and decodes their answers.

    One client holds one connection pool: create it once, share it (it is thread-safe),
    and close it when done, best with ``with ApiClient(configuration) as api_client:``.

    :param configuration: settings; ``Configuration.get_default()`` when omitted.
    :param header_name: a header sent with every request ...
    :param header_value: ... and its value.
    :param cookie: a ``Cookie`` header sent with every request.
    :param event_hooks: functions run on every attempt of every call:
        ``{"request": [...], "response": [...]}`` (see ``event_hooks``).
    """

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
        *,
        event_hooks: Optional[EventHooks] = None,
    ) -> None:
        super().__init__(configuration, header_name, header_value, cookie, event_hooks=event_hooks)
        self.rest_client = RESTClientObject(self.configuration)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: Optional[type],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections. The client can still be used; it reconnects."""
        self.rest_client.close()

    # -- the pipeline of the API classes --------------------------------------------------

    def invoke(
        self, endpoint: Endpoint[T], args: Sequence[Any], options: CallOptions
    ) -> ApiResponse[T]:
        """Call ``endpoint`` with ``args`` (in the order of ``endpoint.params``) and decode."""
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(endpoint.operation_id):
                return self._invoke(endpoint, args, options)
        return self._invoke(endpoint, args, options)

    def _invoke(
        self, endpoint: Endpoint[T], args: Sequence[Any], options: CallOptions
    ) -> ApiResponse[T]:
        request = prepare(
            endpoint, args, options, self.configuration, self._headers, self._serialize
        )
        response = self._send(request)
        response.read()
        credential = self._credential_of(request) if response.status == 401 else None
        debug = self.configuration._debug  # pyright: ignore[reportPrivateUsage]
        return decode_response(response, endpoint.response_types, debug, credential)

    def invoke_unread(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions
    ) -> urllib3.BaseHTTPResponse:
        """Call ``endpoint`` and return urllib3's response with its body unread.

        The call ends here: reading the body is the caller's, each read bounded by the
        read timeout but no longer by the call's deadline.
        """
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(endpoint.operation_id):
                return self._invoke_unread(endpoint, args, options)
        return self._invoke_unread(endpoint, args, options)

    def _invoke_unread(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions
    ) -> urllib3.BaseHTTPResponse:
        request = prepare(
            endpoint, args, options, self.configuration, self._headers, self._serialize, True
        )
        response = self._send(request)
        request.deadline.lift()
        return response.response

    def _send(self, request: PreparedRequest) -> RESTResponse:
        """Send ``request``, signed by its credentials if it has them (a stored login or a
        token provider): a 401 tells them, and the request is replayed once with the token
        they give then, within the same deadline."""
        login = request.login
        if login is None:
            return self._send_with_retries(request)
        token = login.bearer(self._refresh_tokens, request.deadline)
        response = self._send_with_retries(request.with_bearer(token))
        if response.status != 401:
            return response
        # Rejected before its expiry by our clock (revoked, rotated, or the clocks differ).
        response.read()
        token = login.refused(token, self._refresh_tokens, request.deadline)
        return self._send_with_retries(request.with_bearer(token))

    def _refresh_tokens(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> TokenResponse:
        """A ``TokenExchange``: a refresh sent to ``base_url``, within ``deadline``."""
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(POST_TOKEN.operation_id):
                return self._refresh(base_url, refresh_token, deadline)
        return self._refresh(base_url, refresh_token, deadline)

    def _refresh(self, base_url: str, refresh_token: str, deadline: Deadline) -> TokenResponse:
        response = self._send(self._refresh_request(base_url, refresh_token, deadline))
        response.read()
        decoded: ApiResponse[TokenResponse] = self._decode(response, POST_TOKEN.response_types)
        return decoded.data

    def _send_with_retries(self, request: PreparedRequest) -> RESTResponse:
        """The retry loop: send one attempt, ask ``CallRetries`` what the outcome means
        (the answer, or a retry after a wait within the deadline), wait, repeat."""
        if self.configuration._debug:  # pyright: ignore[reportPrivateUsage]
            self._log_request(request)
        retries = CallRetries(
            self._retry_policy,
            request.deadline,
            request.method,
            request.url,
            self._cool_downs,
            self._tracing,  # the waits: events of the call's span
        )
        while True:
            wait = retries.before_attempt()
            if wait:
                time.sleep(wait)
            started = time.perf_counter()
            try:
                send: Callable[[PreparedRequest], RESTResponse] = self.rest_client.send
                if self._hooks is not None:  # the user's event hooks (_hooks.py)
                    send = self._hooks.bound(send, retries.retries + 1)
                if self._tracing is None:
                    response = send(request)
                else:  # the attempt in its span, with its traceparent
                    with self._tracing.attempt(request, retries) as attempt:
                        response = attempt.answered(send(attempt.request))
            except ApiConnectionError as error:
                time.sleep(retries.after_error(error))  # raises when there is no retry
                continue
            if logger.isEnabledFor(logging.DEBUG):
                self._log_answer(request, response, started)
            delay = retries.after_response(response)
            if delay is None:
                return response
            response.discard()
            time.sleep(delay)

    # -- generated-style building blocks ------------------------------------------------

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Optional[Mapping[str, str]] = None,
        body: Any = None,
        post_params: Optional[List[Tuple[str, Any]]] = None,
        _request_timeout: RequestTimeout = None,
    ) -> RESTResponse:
        """Send a request built by ``param_serialize``, retried as ``Configuration.retries``
        says, within the call's deadline; the body of the answer is unread.

        ``_request_timeout`` (else ``Configuration.timeout``) is the call's timeout: seconds
        for the whole call, or a ``(connect, read)`` pair / ``urllib3.Timeout`` for each
        attempt, the whole call then within ``Configuration.call_timeout``.
        """
        request = self._request_of_parts(
            method, url, header_params, body, post_params, _request_timeout
        )
        return self._send_with_retries(request)

    def response_deserialize(
        self,
        response_data: RESTResponse,
        response_types_map: Optional[Mapping[str, Optional[str]]] = None,
    ) -> ApiResponse[Any]:
        """Read the response (if it is not yet) and decode it by its status and media type.

        A 2xx answer gives an ``ApiResponse``; any other raises the ``ApiException``
        subclass of its status, with the decoded body (an ``Error``, or text) as ``data``.
        """
        response_data.read()
        return self._decode(response_data, response_types_map or {})
