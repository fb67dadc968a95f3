"""A call resolves its host once: the request, the refresh it needs and its replay go to
that host and to the stored login's own base URL, even when another thread changes
``configuration.host`` in the middle of the call."""

from __future__ import annotations

import datetime
import json

import pytest
from fault_scenarios import USER
from faulty_server import JSON, Action, Fault, FaultyServer, _Connection, _head
from recording_server import Recorded, RecordingServer
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import auth


def _store_login(base_url: str, expired: bool) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = now + datetime.timedelta(seconds=-1 if expired else 300)
    store = auth.CredentialStore()
    store.save(auth.StoredCredentials(base_url, "at-old", "rt-old", expires))


def _tokens_after_moving(configuration: sdk.Configuration, to: str) -> Action:
    """Answer the refresh, but first move the configuration to another host, as another
    thread of the program might at that moment."""

    def act(conn: _Connection, request: Recorded) -> bool:
        configuration.host = to
        body = json.dumps({"token": "at-new", "expiresIn": 300, "refreshToken": "rt-new"})
        conn.send(_head(200, JSON, len(body)) + body.encode())
        return True

    return act


def _moving(configuration: sdk.Configuration, to: str, then: Action) -> Action:
    def act(conn: _Connection, request: Recorded) -> bool:
        configuration.host = to
        return then(conn, request)

    return act


@pytest.mark.parametrize("expired", [True, False], ids=["refresh first", "401, then replay"])
def test_a_host_changed_during_a_call_gets_none_of_its_tokens(expired: bool, twin: Twin) -> None:
    with RecordingServer() as elsewhere, FaultyServer() as home:
        _store_login(home.url, expired)
        configuration = sdk.Configuration(host=home.url, retries=0)
        if expired:
            # The refresh comes first; the host moves while it is answered.
            home.script = [_tokens_after_moving(configuration, elsewhere.url), Fault.ok(USER)]
        else:
            # The token is refused; the host moves, then the refresh and the replay follow.
            home.script = [
                _moving(configuration, elsewhere.url, Fault.status(401)),
                _tokens_after_moving(configuration, elsewhere.url),
                Fault.ok(USER),
            ]
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email == "a@example.com"

    assert elsewhere.requests == []
    paths = [r.path for r in home.requests]
    assert paths[-2:] == ["/v1/api/auth/token", "/v1/api/auth/me"]
    assert home.requests[-1].headers["authorization"] == "Bearer at-new"
    assert json.loads(home.requests[-2].body)["token"] == "rt-old"
