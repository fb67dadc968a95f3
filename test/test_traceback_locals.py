"""No token in the locals of a captured traceback: what Sentry (with locals), ``pytest -l``
or rich's ``show_locals`` print of a failed call shows every credential as ``<redacted>``."""

from __future__ import annotations

import datetime
import os
import re
import traceback
from types import TracebackType
from typing import Iterator, Optional

import pytest
from faulty_server import Fault, FaultyServer, closed_port
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS, REFRESH, API_KEY = "SECRET-ACCESS-8c1f", "SECRET-REFRESH-77d2", "SECRET-KEY-02b9"


def _tracebacks(error: Optional[BaseException]) -> Iterator[TracebackType]:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if error.__traceback__ is not None:
            yield error.__traceback__
        error = error.__cause__ or error.__context__


def shown_locals(error: BaseException, below: str = "") -> str:
    """Every local of every frame below the test in the traceback of the error and its causes,
    as a reporter that captures locals shows them (``below``: only the frames under the
    first one of that function)."""
    parts = []
    for tb in _tracebacks(error):
        started = not below
        while tb is not None:
            frame = tb.tb_frame
            started = started or frame.f_code.co_name == below
            # Every frame but the test's own: the SDK's, urllib3's, http.client's, socket's.
            if started and os.path.dirname(frame.f_code.co_filename) != HERE:
                summary = traceback.FrameSummary(
                    frame.f_code.co_filename,
                    tb.tb_lineno,
                    frame.f_code.co_name,
                    locals=frame.f_locals,
                )
                parts += [f"{name}={value}" for name, value in (summary.locals or {}).items()]
            tb = tb.tb_next  # type: ignore[assignment]
    assert parts, "no frame below the test"
    return "\n".join(parts)


def _store(base_url: str, expired: bool) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(seconds=-1 if expired else 300)
    auth.CredentialStore().save(auth.StoredCredentials(base_url, ACCESS, REFRESH, expires))


@pytest.mark.parametrize("expired", [False, True], ids=["stored login", "login to refresh"])
def test_a_stored_login_with_the_server_down(expired: bool, twin: Twin) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    _store(url, expired)
    with twin.client(sdk.Configuration(host=url, retries=0)) as client:
        with pytest.raises(sdk.ApiConnectionError) as caught:
            twin.api(client).get_api_auth_me()
        shown = shown_locals(caught.value)
    assert "Authorization" in shown or "refresh" in shown  # the frames were looked at
    assert ACCESS not in shown
    assert REFRESH not in shown


def test_an_api_key_with_the_server_down(twin: Twin) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    configuration = sdk.Configuration(host=url, access_token=API_KEY, retries=0)
    with twin.client(configuration) as client:
        with pytest.raises(sdk.ApiConnectionError) as caught:
            twin.api(client).get_api_auth_me()
        shown = shown_locals(caught.value)
    assert "<redacted>" in shown
    assert API_KEY not in shown


def test_a_refresh_token_in_a_request_body_is_masked_from_the_retry_loop_down(twin: Twin) -> None:
    # The argument itself is the caller's object, in the caller's frame and the method's;
    # from the request loop to the socket, the body is masked.
    url = f"http://127.0.0.1:{closed_port()}/v1"
    configuration = sdk.Configuration(host=url, access_token=API_KEY, retries=0)
    with twin.client(configuration) as client:
        api = twin.api(client)
        with pytest.raises(sdk.ApiConnectionError) as logout:
            api.post_api_auth_logout(REFRESH)
        with pytest.raises(sdk.ApiConnectionError) as refresh:
            api.post_api_auth_token(sdk.TokenRefreshRequest(token=REFRESH))
    for caught in (logout, refresh):
        shown = shown_locals(caught.value, below="_send_with_retries")
        # The request's body bytes show as their size (``SecretBytes``).
        assert re.search(r"body=<\d+ bytes>", shown), shown
        assert REFRESH not in shown


def test_a_token_answer_that_cannot_be_decoded(twin: Twin) -> None:
    body = f'{{"token": "{ACCESS}", "refreshToken": "{REFRESH}", "expiresIn": "soon"}}'
    with (
        FaultyServer([Fault.ok(body.encode())]) as server,
        twin.client(sdk.Configuration(host=server.url)) as client,
    ):
        with pytest.raises(sdk.ApiException) as caught:
            twin.api(client).post_api_auth_token(
                {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": "x"}
            )
        shown = shown_locals(caught.value)
    assert "not a valid TokenResponse" in str(caught.value)
    assert ACCESS not in shown
    assert REFRESH not in shown
