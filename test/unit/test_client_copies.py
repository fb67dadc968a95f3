"""``ApiClient.with_options``: which settings a copy has of its own, which it shares with
its client, how default headers merge, and bad options refused before anything is sent;
through a fake transport (the pool, the login and the cool-downs shared over real HTTP:
test/test_with_options.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import urllib3
from unit_fakes import FakeTransport, client_with, json_answer

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk
from numind.openapi_client import _options
from numind.openapi_client._request import ClientHeaders
from numind.openapi_client._types import NOT_GIVEN
from numind.openapi_client.auth import CredentialStore, StoredCredentials

HOST = "https://api.example.com/v1"
USER = b'{"email": "a@example.com"}'


def configuration(**settings: Any) -> sdk.Configuration:
    settings.setdefault("access_token", "tok-1")
    return sdk.Configuration(host=HOST, **settings)


def sent(client: sdk.ApiClient) -> Any:
    """The request that ``get_api_auth_me`` sends through ``client``'s fake transport."""
    transport = client.rest_client
    assert isinstance(transport, FakeTransport)
    transport.answers.append(json_answer(USER))
    sdk.AuthenticationApi(client).get_api_auth_me()
    return transport.last["request"]


# -- the options --------------------------------------------------------------------------


def test_configured_sets_the_options_given_on_a_copy_and_leaves_the_others() -> None:
    original = configuration(timeout=30, call_timeout=90, retries=3)
    copy = _options.configured(original, timeout=(1, 2), retries=urllib3.Retry(1))
    assert copy is not original
    assert isinstance(copy.timeout, urllib3.Timeout) and copy.timeout.connect_timeout == 1
    assert copy.call_timeout == 90 and isinstance(copy.retries, urllib3.Retry)
    assert (original.timeout, original.call_timeout, original.retries) == (30, 90, 3)
    assert copy.access_token == "tok-1" and copy.host == HOST


def test_none_is_an_option_given_the_default_and_not_given_leaves_it() -> None:
    original = configuration(timeout=30, call_timeout=90, retries=3)
    copy = _options.configured(original, timeout=None, call_timeout=None, retries=None)
    assert (copy.timeout, copy.call_timeout, copy.retries) == (None, None, None)
    same = _options.configured(original, NOT_GIVEN, NOT_GIVEN, NOT_GIVEN)
    assert (same.timeout, same.call_timeout, same.retries) == (30, 90, 3)
    assert repr(NOT_GIVEN) == "NOT_GIVEN" and not NOT_GIVEN


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("timeout", -1, "Invalid timeout -1"),
        ("timeout", "5", "Invalid timeout '5'"),
        ("call_timeout", 0, "call_timeout"),
        ("retries", -2, "retries"),
    ],
)
def test_a_bad_option_is_refused_by_name_and_the_client_is_left(
    option: str, value: Any, named: str
) -> None:
    client = client_with(configuration())
    with pytest.raises((sdk.ApiValueError, sdk.ApiTypeError), match=named):
        client.with_options(**{option: value})
    assert client.configuration.timeout is None and client.configuration.retries is None


def test_an_unknown_option_is_a_type_error() -> None:
    client = client_with(configuration())
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_retries'"):
        client.with_options(max_retries=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'proxy'"):
        client.with_options(proxy="http://127.0.0.1:3128")  # the pool's: not a copy's


# -- default headers -----------------------------------------------------------------------


def test_default_headers_merge_in_any_spelling_and_keep_the_cookie() -> None:
    headers = ClientHeaders()
    headers.defaults = {"User-Agent": "numind-python/1", "X-Team": "search"}
    headers.cookie = "s=1"
    merged = _options.merged_headers(headers, {"user-agent": "batch/2", "X-Job": "nightly"})
    assert dict(merged.defaults) == {
        "X-Team": "search",
        "user-agent": "batch/2",
        "X-Job": "nightly",
    }
    assert merged.cookie == "s=1"
    assert dict(headers.defaults) == {"User-Agent": "numind-python/1", "X-Team": "search"}
    assert dict(_options.merged_headers(headers, None).defaults) == dict(headers.defaults)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ({"X-Job": "a\r\nb"}, sdk.ApiValueError),
        ({"X-Job": 1}, sdk.ApiTypeError),
        ([("X-Job", "1")], sdk.ApiTypeError),
    ],
)
def test_a_header_that_cannot_be_sent_is_refused_when_the_copy_is_made(
    header: Any, error: type
) -> None:
    with pytest.raises(error, match=r"X-Job|default_headers is a list") as caught:
        client_with(configuration()).with_options(default_headers=header)
    assert "a\r\nb" not in str(caught.value)


def test_the_copy_sends_its_options_and_headers_and_the_client_its_own() -> None:
    client = client_with(configuration(timeout=30))
    client.set_default_header("X-Team", "search")
    copy = client.with_options(timeout=2, default_headers={"X-Job": "1"})
    assert copy.rest_client is client.rest_client
    request = sent(copy)
    assert request.headers["X-Job"] == "1" and request.headers["X-Team"] == "search"
    assert request.timeout.total == 2
    request = sent(client)
    assert "X-Job" not in request.headers and request.timeout.total == 30
    copy.default_headers = {"X-Only": "1"}  # replaced on the copy alone
    assert "X-Only" not in sent(client).headers and "X-Only" in sent(copy).headers


# -- what is shared -------------------------------------------------------------------------


def test_the_copy_shares_the_transport_and_cool_downs_and_has_its_own_retries() -> None:
    client = client_with(configuration(retries=4))
    copy = client.with_options(retries=0)
    assert copy.rest_client is client.rest_client
    assert copy._cool_downs is client._cool_downs
    assert (copy._retry_policy.total, client._retry_policy.total) == (0, 4)
    assert client.with_options(timeout=1)._retry_policy is client._retry_policy
    assert "retries='0'" in repr(copy) and "retries='4'" in repr(client)


def test_a_login_not_yet_read_is_read_once_for_the_client_and_its_copies() -> None:
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    CredentialStore().save(StoredCredentials(HOST, "a1", "r1", expires))
    client = sdk.ApiClient(sdk.Configuration(host=HOST))
    copy = client.with_options(timeout=5)
    copy_of_copy = copy.with_options(retries=0)
    login = copy_of_copy.configuration.stored_login
    assert login is not None
    assert login is client.configuration.stored_login is copy.configuration.stored_login
    read = client.configuration.stored_login
    assert client.with_options().configuration.stored_login is read  # read: shared as is


def test_a_copy_whose_host_is_changed_has_no_login_of_its_client() -> None:
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    CredentialStore().save(StoredCredentials(HOST, "a1", "r1", expires))
    client = sdk.ApiClient(sdk.Configuration(host=HOST))
    copy = client.with_options()
    copy.configuration.host = "https://other.example.com/v1"
    assert copy.configuration.stored_login is None
    assert client.configuration.stored_login is not None
    other = client.with_options()
    client.configuration.host = "https://other.example.com/v1"  # the client moves, not the copy
    assert other.configuration.stored_login is not None


def test_a_copy_with_a_token_set_reads_no_login() -> None:
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    CredentialStore().save(StoredCredentials(HOST, "a1", "r1", expires))
    copy = sdk.ApiClient(sdk.Configuration(host=HOST)).with_options()
    copy.configuration.access_token = "tok-2"
    assert copy.configuration.stored_login is None


# -- subclasses, the async client -------------------------------------------------------------


class Signing(sdk.ApiClient):
    """A subclass with an attribute and a signing step of its own."""

    tenant = "t1"

    def update_params_for_auth(self, headers: Any, *args: Any, **kwargs: Any) -> None:
        super().update_params_for_auth(headers, *args, **kwargs)
        headers["X-Timeout"] = str(self.configuration.timeout)


def test_a_subclass_copy_is_of_its_class_and_signs_with_the_copys_settings() -> None:
    client = Signing(configuration(timeout=30))
    client.rest_client = FakeTransport()  # type: ignore[assignment]
    client.tenant = "t2"
    copy = client.with_options(timeout=2)
    assert type(copy) is Signing and copy.tenant == "t2"
    assert sent(copy).headers["X-Timeout"] == "2.0"
    assert sent(client).headers["X-Timeout"] == "30.0"


def test_an_instance_signing_step_is_kept_by_the_copy() -> None:
    client = client_with(configuration())
    sdk_sign = client.update_params_for_auth

    def sign(headers: Any, *args: Any) -> None:
        sdk_sign(headers, *args)
        headers["X-Signed"] = "1"

    client.update_params_for_auth = sign  # type: ignore[method-assign]
    assert sent(client.with_options(timeout=2)).headers["X-Signed"] == "1"


def test_the_async_client_makes_async_copies_over_its_session() -> None:
    client = async_sdk.ApiClient(configuration())
    copy = client.with_options(timeout=2, default_headers={"X-Job": "1"})
    assert type(copy) is async_sdk.ApiClient
    assert copy.rest_client is client.rest_client and copy._cool_downs is client._cool_downs
    assert copy.configuration.timeout == 2 and client.configuration.timeout is None
