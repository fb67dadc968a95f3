"""ApiClient: the asyncio driver of the one request pipeline.

It is ``numind.openapi_client.ApiClient`` with ``await`` at the I/O: the same pure steps
(``_base_client.BaseApiClient``: arguments, request, credentials, retry decisions,
decoding) and the same loop, sending each attempt through aiohttp
(``rest.RESTClientObject``) and waiting with ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, TypeVar

import aiohttp

from numind.openapi_client._aio import WAIT_ENDS_EARLY, timeout_at
from numind.openapi_client._base_client import BaseApiClient, CallPlan
from numind.openapi_client._endpoint import CallOptions, Endpoint
from numind.openapi_client._retry import CallRetries
from numind.openapi_client._transport import connection_error
from numind.openapi_client.api_response import ApiResponse
from numind.openapi_client.configuration import Configuration
from numind.openapi_client.exceptions import ApiConnectionError

from .rest import RESTClientObject, RESTResponse

if TYPE_CHECKING:
    from types import TracebackType

    from numind.openapi_client._deadline import Deadline
    from numind.openapi_client._types import RequestTimeout
    from numind.openapi_client.models.token_response import TokenResponse

__all__ = ["ApiClient"]

T = TypeVar("T")


class ApiClient(BaseApiClient):
    """Sends the requests of the async API classes and decodes their answers.

    One client holds one aiohttp session, made in the running event loop at the first call
    and used by every task of that loop: create it once, share it, and close it when done,
    best with ``async with ApiClient(configuration) as api_client:``.

    :param configuration: settings; ``Configuration.get_default()`` when omitted.
    :param header_name: a header sent with every request ...
    :param header_value: ... and its value.
    :param cookie: a ``Cookie`` header sent with every request.
    """

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        super().__init__(configuration, header_name, header_value, cookie)
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
        if options.deadline is None:
            # The usual call: each wait of each attempt, its body's reads included, is
            # bounded by the client's watchdog (the read timeout, the deadline), and the
            # waits between attempts never pass the deadline: no scope needed, nor its timer.
            plan = self._plan(endpoint, args, options)
            if plan.login is None:
                response = await self._call(plan, watched=True)
            else:
                response = await self._signed(plan, watched=True)
            if response.read_if_received() is None:  # the usual answer came whole
                await response.read()
        else:
            response = await self._send(endpoint, args, options, read=True)
        decoded: ApiResponse[T] = self.response_deserialize(response, endpoint.response_types)
        return decoded

    async def invoke_unread(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions
    ) -> aiohttp.ClientResponse:
        """Call ``endpoint`` and return aiohttp's response with its body unread.

        The call ends here: reading the body is the caller's, each read bounded by the
        read timeout but no longer by the call's deadline.
        """
        return (await self._send(endpoint, args, options, read=False)).response

    async def _send(
        self, endpoint: Endpoint[Any], args: Sequence[Any], options: CallOptions, read: bool
    ) -> RESTResponse:
        plan = self._plan(endpoint, args, options)
        # One scope for the whole call: every attempt and wait, a refresh it needs, and
        # (``read``) the body; whatever is waiting when the deadline passes is cancelled. A
        # call made by a call (a refresh) ends a moment earlier, so that its error, which
        # says what was waiting, is the one raised.
        early = WAIT_ENDS_EARLY / 2 if options.deadline is not None else 0.0
        try:
            async with timeout_at(plan.deadline, early):
                response = await self._signed(plan)
                if read:
                    await response.read(scoped=False)
                return response
        except asyncio.TimeoutError:
            raise connection_error(
                "timeout", plan.method, plan.url, "the call's deadline", plan.deadline
            ) from None

    async def _signed(self, plan: CallPlan, watched: bool = False) -> RESTResponse:
        login = plan.login
        if login is None:
            return await self._call(plan, watched)
        exchange = functools.partial(self._refresh_tokens, login.base_url)
        token = await login.bearer_async(exchange, plan.deadline)
        plan.authorize(token)
        response = await self._call(plan, watched)
        if response.status != 401:
            return response
        # Rejected before its expiry by our clock (revoked, or the clocks differ):
        # refresh once and replay once.
        await response.read(scoped=False)
        await login.refused_async(token, exchange, plan.deadline)
        plan.authorize(await login.bearer_async(exchange, plan.deadline))
        return await self._call(plan, watched)

    async def _refresh_tokens(
        self, base_url: str, refresh_token: str, deadline: Deadline
    ) -> TokenResponse:
        """An ``AsyncTokenExchange``: a refresh sent to ``base_url``, within ``deadline``."""
        return (await self.invoke(*self._refresh_call(base_url, refresh_token, deadline))).data

    async def _call(self, plan: CallPlan, watched: bool = False) -> RESTResponse:
        """The retry loop: send one attempt, ask ``CallRetries`` what the outcome means
        (the answer, or a retry after a wait within the deadline), wait, repeat."""
        self._log_request(plan)
        retries = CallRetries(
            self._retry_policy, plan.deadline, plan.method, plan.url, self._cool_downs
        )
        while True:
            wait = retries.before_attempt()
            if wait:
                await asyncio.sleep(wait)
            started = time.perf_counter()
            try:
                response = await self.rest_client.request(
                    plan.method,
                    plan.url,
                    headers=plan.headers,
                    body=plan.body,
                    post_params=plan.post_params,
                    _request_timeout=plan.setting,
                    deadline=plan.deadline,
                    scoped=False,  # the call's scope, or the watchdog, bounds it
                    watched=watched,
                )
            except ApiConnectionError as error:
                await asyncio.sleep(retries.after_error(error))  # raises when there is no retry
                continue
            self._log_answer(plan, response, started)
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
        plan = self._plain_plan(method, url, header_params, body, post_params, _request_timeout)
        try:
            async with timeout_at(plan.deadline):
                return await self._call(plan)
        except asyncio.TimeoutError:
            raise connection_error(
                "timeout", plan.method, plan.url, "the call's deadline", plan.deadline
            ) from None
