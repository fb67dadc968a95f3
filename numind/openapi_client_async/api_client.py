"""ApiClient: the asyncio driver of the one request pipeline.

It is ``numind.openapi_client.ApiClient`` with ``await`` at the I/O: the same steps with
the same names (``invoke``, ``_prepare``, ``_send``, ``_send_with_retries``, ``_decode``),
sending each attempt through aiohttp (``rest.RESTClientObject.send``) and waiting with
``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, TypeVar

import aiohttp

from numind.openapi_client._base_client import BaseApiClient
from numind.openapi_client._decode import decode_response
from numind.openapi_client._endpoints import POST_TOKEN
from numind.openapi_client._request import prepare
from numind.openapi_client._retry import CallRetries
from numind.openapi_client.configuration import Configuration
from numind.openapi_client.exceptions import ApiConnectionError

from .rest import RESTClientObject, RESTResponse

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Awaitable, Callable

    from numind.openapi_client._deadline import Deadline
    from numind.openapi_client._endpoint import Endpoint
    from numind.openapi_client._hooks import EventHooks
    from numind.openapi_client._request import CallOptions, PreparedRequest
    from numind.openapi_client._types import RequestTimeout
    from numind.openapi_client.api_response import ApiResponse
    from numind.openapi_client.models.token_response import TokenResponse

__all__ = ["ApiClient"]

T = TypeVar("T")
logger = logging.getLogger("numind.openapi_client")


class ApiClient(BaseApiClient):
    """Sends the requests of the async API classes and decodes their answers.

    One client holds one aiohttp session, made in the running event loop at the first call
    and used by every task of that loop: create it once, share it, and close it when done,
    best with ``async with ApiClient(configuration) as api_client:``.

    :param configuration: settings; ``Configuration.get_default()`` when omitted.
    :param header_name: a header sent with every request ...
    :param header_value: ... and its value.
    :param cookie: a ``Cookie`` header sent with every request.
    :param event_hooks: functions run on every attempt of every call:
        ``{"request": [...], "response": [...]}`` (see ``event_hooks``).
    """

    _awaits_hooks = True

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

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session and its connections. The client can still be used; the next
        call opens a session again, in the loop that runs it."""
        await self.rest_client.close()

    # -- the pipeline of the API classes --------------------------------------------------

    async def invoke(
        self, endpoint: Endpoint[T], args: Sequence[Any], options: CallOptions
    ) -> ApiResponse[T]:
        """Call ``endpoint`` with ``args`` (in the order of ``endpoint.params``) and decode."""
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(endpoint.operation_id):
                return await self._invoke(endpoint, args, options)
        return await self._invoke(endpoint, args, options)

    async def _invoke(
        self, endpoint: Endpoint[T], args: Sequence[Any], options: CallOptions
    ) -> ApiResponse[T]:
        request = prepare(
            endpoint, args, options, self.configuration, self._headers, self._serialize
        )
        response = await self._send(request)
        if response.read_if_received() is None:  # the usual answer came whole: no await
            await response.read()
        credential = self._credential_of(request) if response.status == 401 else None
        debug = self.configuration._debug  # pyright: ignore[reportPrivateUsage]
        return decode_response(response, endpoint.response_types, debug, credential)

    async def invoke_unread(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions
    ) -> aiohttp.ClientResponse:
        """Call ``endpoint`` and return aiohttp's response with its body unread.

        The call ends here: reading the body is the caller's, each read bounded by the
        read timeout but no longer by the call's deadline.
        """
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(endpoint.operation_id):
                return await self._invoke_unread(endpoint, args, options)
        return await self._invoke_unread(endpoint, args, options)

    async def _invoke_unread(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions
    ) -> aiohttp.ClientResponse:
        request = prepare(
            endpoint, args, options, self.configuration, self._headers, self._serialize, True
        )
        response = await self._send(request)
        request.deadline.lift()
        return response.response

    async def _send(self, request: PreparedRequest) -> RESTResponse:
        """Send ``request``, signed by its credentials if it has them (a stored login or a
        token provider): a 401 tells them, and the request is replayed once with the token
        they give then, within the same deadline."""
        login = request.login
        if login is None:
            return await self._send_with_retries(request)
        token = await login.bearer_async(self._refresh_tokens, request.deadline)
        response = await self._send_with_retries(request.with_bearer(token))
        if response.status != 401:
            return response
        # Rejected before its expiry by our clock (revoked, rotated, or the clocks differ).
        await response.read()
        token = await login.refused_async(token, self._refresh_tokens, request.deadline)
        return await self._send_with_retries(request.with_bearer(token))

    async def _refresh_tokens(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> TokenResponse:
        """An ``AsyncTokenExchange``: a refresh sent to ``base_url``, within ``deadline``."""
        if self._tracing is not None:  # the call in its span (_tracing.py)
            with self._tracing.operation(POST_TOKEN.operation_id):
                return await self._refresh(base_url, refresh_token, deadline)
        return await self._refresh(base_url, refresh_token, deadline)

    async def _refresh(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> TokenResponse:
        response = await self._send(self._refresh_request(base_url, refresh_token, deadline))
        await response.read()
        decoded: ApiResponse[TokenResponse] = self._decode(response, POST_TOKEN.response_types)
        return decoded.data

    async def _send_with_retries(self, request: PreparedRequest) -> RESTResponse:
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
                await asyncio.sleep(wait)
            started = time.perf_counter()
            try:
                send: Callable[[PreparedRequest], Awaitable[RESTResponse]] = self.rest_client.send
                if self._hooks is not None:  # the user's event hooks (_hooks.py)
                    send = self._hooks.bound_async(send, retries.retries + 1)
                if self._tracing is None:
                    response = await send(request)
                else:  # the attempt in its span, with its traceparent
                    with self._tracing.attempt(request, retries) as attempt:
                        response = attempt.answered(await send(attempt.request))
            except ApiConnectionError as error:
                await asyncio.sleep(retries.after_error(error))  # raises when there is no retry
                continue
            if logger.isEnabledFor(logging.DEBUG):
                self._log_answer(request, response, started)
            delay = retries.after_response(response)
            if delay is None:
                return response
            await response.discard()
            await asyncio.sleep(delay)

    # -- generated-style building blocks ------------------------------------------------

    async def call_api(
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
        return await self._send_with_retries(request)
