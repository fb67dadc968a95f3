"""What a notebook shows of a Configuration and an ApiClient, what a child process gets of
them, and where their credential comes from (``credential_source``)."""

from __future__ import annotations

import multiprocessing
import pathlib
import pickle
import urllib.request

import pytest

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.testing import LocalServer


def test_reprs_show_host_auth_kind_timeout_and_retries_never_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configuration = sdk.Configuration(
        host="http://127.0.0.1:9/v1", access_token="nm_secret_value", timeout=5, retries=3
    )
    assert repr(configuration) == (
        "<Configuration host='http://127.0.0.1:9/v1' auth='access_token' "
        "timeout='5 s per call' retries='3'>"
    )
    with sdk.ApiClient(configuration) as client:
        configuration.retries = 0  # the client keeps the retries it was made with
        assert repr(client) == (
            "<ApiClient host='http://127.0.0.1:9/v1' auth='access_token' "
            "timeout='5 s per call' retries='3'>"
        )
    monkeypatch.setenv("NUMIND_API_KEY", "nm_from_the_environment")
    from_env = sdk.Configuration(host="http://127.0.0.1:9/v1")
    assert "auth='NUMIND_API_KEY'" in repr(from_env)
    assert "retries='default (2)'" in repr(from_env)
    assert "timeout='default (each attempt connect 10 s, read 20 s; 60 s per call)'" in repr(
        from_env
    )
    for shown in (repr(configuration), repr(from_env), str(from_env)):
        assert "nm_secret" not in shown and "nm_from" not in shown
    monkeypatch.delenv("NUMIND_API_KEY")
    assert "auth='none'" in repr(sdk.Configuration(host="http://127.0.0.1:9/v1"))


def test_credential_source_names_where_the_credential_comes_from(
    monkeypatch: pytest.MonkeyPatch, server: LocalServer
) -> None:
    assert sdk.Configuration(host=server.url).credential_source is None
    assert sdk.Configuration(host=server.url, access_token="t").credential_source == "access_token"
    monkeypatch.setenv("NUMIND_API_KEY", "nm_key")
    configuration = sdk.Configuration(host=server.url)
    assert configuration.credential_source == "NUMIND_API_KEY"
    configuration.access_token = "set in code"
    assert configuration.credential_source == "access_token"
    monkeypatch.delenv("NUMIND_API_KEY")
    signed_in = auth.login(server.url, browser=click)
    assert signed_in.credential_source == "stored_login"
    assert sdk.Configuration(host=server.url).credential_source == "stored_login"
    assert "auth='stored login'" in repr(signed_in)


def test_a_bearer_prefix_is_refused_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch, server: LocalServer
) -> None:
    with pytest.raises(sdk.ApiValueError, match="access_token starts with 'Bearer '") as caught:
        sdk.Configuration(access_token="Bearer nm_secret_value")
    assert "nm_secret" not in str(caught.value)
    monkeypatch.setenv("NUMIND_API_KEY", "bearer nm_secret_value")
    configuration = sdk.Configuration(host=server.url)  # a logout, say, still works
    before = server.requests_handled
    refused = pytest.raises(sdk.ApiValueError, match="set NUMIND_API_KEY to the API key alone")
    with sdk.ApiClient(configuration) as client, refused:
        sdk.AuthenticationApi(client).get_api_auth_me()
    assert server.requests_handled == before
    with pytest.raises(sdk.ApiValueError, match="NUMIND_API_KEY starts with 'Bearer '"):
        auth.access_token(configuration=configuration)


def click(url: str) -> None:
    """The user, clicking the sign-in link (the local server signs in at once)."""
    urllib.request.urlopen(url, timeout=30).read()


def email_in_a_child(configuration: sdk.Configuration) -> str:
    """What a worker process does: build its own client from the configuration."""
    with sdk.ApiClient(configuration) as api_client:
        return sdk.AuthenticationApi(api_client).get_api_auth_me().email


def test_an_api_client_refuses_pickling_with_the_workaround_and_its_configuration_pickles(
    server: LocalServer, tmp_path: pathlib.Path
) -> None:
    store = auth.CredentialStore(tmp_path / "elsewhere" / "credentials.json")
    configuration = auth.login(server.url, browser=click, store=store)  # a store of its own
    configuration.logger_file = str(tmp_path / "sdk.log")
    with sdk.ApiClient(configuration) as client, pytest.raises(TypeError) as caught:
        pickle.dumps(client)
    assert str(caught.value) == (
        "ApiClient cannot be pickled (nor copied): it holds a connection pool and locks. To "
        "use the API in another process (multiprocessing, ProcessPoolExecutor), pass its "
        "Configuration, which pickles, and create the client in the child: `with "
        "ApiClient(configuration) as api_client: ...`. For a client with other timeouts, "
        "retries or headers over the same pool, use `api_client.with_options(...)`"
    )
    # the workaround works, with spawn (the default on macOS and Windows)
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        email = pool.apply(email_in_a_child, (configuration,))
    assert email == "user@example.com"
    copy = pickle.loads(pickle.dumps(configuration))
    assert copy.stored_login is not None and copy.stored_login.store.path == store.path
    assert copy.logger_file == configuration.logger_file
    assert copy.logger_file_handler is not configuration.logger_file_handler
    for done in (copy, configuration):
        done.logger_file = None
