"""The transport over real sockets: timeouts, the retry setting, redirects, TLS with
certificates from trustme, and a forwarding proxy."""

from __future__ import annotations

import base64
import json
import logging
import ssl
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest
import trustme
import urllib3
from fault_scenarios import USER_TOKEN, fast_retry_policy
from faulty_server import Fault, FaultyServer, closed_port
from forward_proxy import ForwardProxy
from recording_server import Canned, RecordingServer
from signing_in import REDIRECT_URI, bearer, new_email
from timing import no_later, on_time
from twin import Twin

import numind.openapi_client as sdk
from numind.openapi_client import _deadline, rest
from numind.openapi_client._deadline import DEFAULT_CALL_TIMEOUT
from numind.openapi_client._retry import to_retry
from numind.openapi_client.rest import DEFAULT_TIMEOUT
from numind.openapi_client.testing import LocalServer

# -- timeouts ---------------------------------------------------------------------------


def test_the_defaults_are_10_s_to_connect_20_s_to_read_and_60_s_per_call() -> None:
    assert (DEFAULT_TIMEOUT.connect_timeout, DEFAULT_TIMEOUT.read_timeout) == (10.0, 20.0)
    assert DEFAULT_CALL_TIMEOUT == 60.0
    configuration = sdk.Configuration(host="http://127.0.0.1:9/v1")
    assert (configuration.timeout, configuration.call_timeout) == (None, None)
    assert (
        "Timeout: default (each attempt connect 10 s, read 20 s; 60 s per call)"
        in configuration.to_debug_report()
    )


def test_configuration_timeout_bounds_a_call_that_never_answers(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", timeout=0.3, retries=0)
        with twin.client(configuration) as client:
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError, match="timed out"):
                twin.api(client).get_api_auth_me()
            assert time.monotonic() - started < 5
    assert len(server.requests) == 1


def test_request_timeout_overrides_the_configuration_for_one_call(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", timeout=(5, 120), retries=0
        )
        with twin.client(configuration) as client:
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError):
                twin.api(client).get_api_auth_me(_request_timeout=(1, 0.3))
            assert time.monotonic() - started < 5


@on_time
def test_seconds_bound_the_whole_call_and_a_pair_each_attempt(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")  # 2 retries
        with twin.client(configuration) as client:
            api = twin.api(client)
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError, match=r"the 0\.5 s deadline of the call"):
                api.get_api_auth_me(_request_timeout=0.5)
            took = time.monotonic() - started
            assert took >= 0.5
            no_later(took, 0.75)
            assert len(server.requests) == 1  # no time was left for a retry

            # A pair bounds each attempt: three of them, on three connections, with the
            # backoff between them, the whole call within call_timeout.
            configuration.call_timeout = 30
            with pytest.raises(sdk.ApiTimeoutError, match="gave up after 2 retries"):
                api.get_api_auth_me(_request_timeout=(1, 0.3))
    assert len(server.requests) == 4
    assert server.connections == 4


@on_time
def test_call_timeout_bounds_the_retries_of_per_attempt_timeouts(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", timeout=(1, 0.4), call_timeout=0.6, retries=5
        )
        with twin.client(configuration) as client:
            started = time.monotonic()
            with pytest.raises(sdk.ApiTimeoutError, match=r"the 0\.6 s deadline"):
                twin.api(client).get_api_auth_me()
            # After the first attempt's 0.4 s, the 0.5 s backoff would pass the deadline:
            # the call ends at once instead of waiting for nothing.
            took = time.monotonic() - started
            assert took >= 0.4
            no_later(took, 0.6)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("given", "connect", "read"),
    [
        (urllib3.Timeout(connect=5), 5, 20.0),
        (urllib3.Timeout(connect=1, read=None), 1, 20.0),
        (urllib3.Timeout(read=2), 10.0, 2),
        (urllib3.Timeout(), 10.0, 20.0),
    ],
)
def test_a_partial_urllib3_timeout_takes_the_rest_from_the_default(
    given: urllib3.Timeout, connect: float, read: float
) -> None:
    configuration = sdk.Configuration(timeout=given)
    assert isinstance(configuration.timeout, urllib3.Timeout)
    assert (configuration.timeout.connect_timeout, configuration.timeout.read_timeout) == (
        connect,
        read,
    )
    assert (
        f"Timeout: each attempt connect {connect} s, read {read} s; 60 s per call;"
        in configuration.to_debug_report()
    )


def _ends_within(seconds: float, call: Callable[[], object]) -> Optional[BaseException]:
    """Run ``call`` in a thread; fail if it is still waiting after ``seconds``."""
    outcome: list[Optional[BaseException]] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still waiting after {seconds} s"
    return outcome[0]


@pytest.fixture
def short_default_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A default of connect 1 s, read 0.3 s, so that falling back to it shows in a test."""
    monkeypatch.setattr(_deadline, "DEFAULT_TIMEOUT", urllib3.Timeout(connect=1, read=0.3))


@pytest.mark.usefixtures("short_default_timeout")
def test_a_timeout_without_read_still_bounds_the_wait_for_an_answer(twin: Twin) -> None:
    with FaultyServer(default=Fault.hang()) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", timeout=urllib3.Timeout(connect=1), retries=0
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            error = _ends_within(10, api.get_api_auth_me)
            assert isinstance(error, sdk.ApiTimeoutError), error
            assert "timed out" in str(error)
            error = _ends_within(
                10, lambda: api.get_api_auth_me(_request_timeout=urllib3.Timeout(connect=1))
            )
            assert isinstance(error, sdk.ApiTimeoutError), error


@pytest.mark.usefixtures("short_default_timeout")
def test_a_timeout_without_read_still_bounds_the_wait_for_a_pooled_connection(twin: Twin) -> None:
    stalled = Fault.stall_body(b'{"email": "a@example.com"}', 5, 5.0)  # holds its connection
    with FaultyServer([stalled], default=Fault.ok(b'{"email": "a@example.com"}')) as server:
        configuration = sdk.Configuration(
            host=server.url,
            access_token="t",
            timeout=urllib3.Timeout(connect=0.5),
            connection_pool_maxsize=1,
            retries=fast_retry_policy(),  # 2 retries, without the default backoff
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            held = api.get_api_auth_me_without_preload_content()  # keeps the one connection
            error = _ends_within(10, api.get_api_auth_me)
            assert isinstance(error, sdk.ApiTimeoutError), error
            assert "no free connection in the pool" in str(error)
            held.close()  # its connection too
            held.release_conn()
            assert api.get_api_auth_me().email == "a@example.com"


def test_the_debug_report_names_timeout_and_retries() -> None:
    report = sdk.Configuration(timeout=(3, 20), retries=sdk.RetryPolicy(4)).to_debug_report()
    assert "Timeout: each attempt connect 3 s, read 20 s; 60 s per call; retries: Retry" in report
    assert "Timeout: 2.5 s per call;" in sdk.Configuration(timeout=2.5).to_debug_report()
    report = sdk.Configuration(timeout=urllib3.Timeout(total=4), call_timeout=9).to_debug_report()
    assert "Timeout: each attempt 4 s; 9 s per call; retries: default (2)" in report


@pytest.mark.parametrize("value", [0, -1, "5", True, float("nan")])
def test_a_bad_call_timeout_is_refused_with_the_fix(value: object) -> None:
    with pytest.raises(sdk.ApiValueError, match=r"Invalid call_timeout .*the most seconds"):
        sdk.Configuration(call_timeout=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, "5", (1, 2, 3), True])
def test_a_bad_timeout_is_refused_with_the_fix(value: object) -> None:
    with pytest.raises(sdk.ApiValueError, match=r"Invalid timeout .*\(connect, read\)"):
        sdk.Configuration(timeout=value)  # type: ignore[arg-type]


# -- the retry setting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries", "requests"),
    [(None, 3), (0, 1), (1, 2), (urllib3.Retry(total=3, status_forcelist=[503]), 4)],
)
def test_retries_setting(retries: object, requests: int, twin: Twin) -> None:
    with FaultyServer(default=Fault.status(503, {"Retry-After": "0"})) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", retries=retries)  # type: ignore[arg-type]
        # The last 503 is a typed error, never urllib3's MaxRetryError.
        with twin.client(configuration) as client, pytest.raises(sdk.ServiceException) as caught:
            twin.api(client).get_api_auth_me()
    assert len(server.requests) == requests
    assert caught.value.status == 503
    assert caught.value.error.code == "E503"


def _retry_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("retry ")]


def test_a_plain_urllib3_retry_keeps_its_numbers_and_gains_the_sdk_rules(
    caplog: pytest.LogCaptureFixture, twin: Twin
) -> None:
    caplog.set_level(logging.DEBUG, logger="numind.openapi_client")
    plain = urllib3.Retry(total=3, backoff_factor=0.01, status_forcelist=[429, 503])
    script = [Fault.status(429), Fault.status(429)]
    with FaultyServer(script, default=Fault.ok(json.dumps(USER_TOKEN).encode())) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", retries=plain)
        with twin.client(configuration) as client:
            api = twin.api(client)
            # POST is retried on 429, which says it was not processed...
            assert api.post_api_auth_user_tokens({"name": "ci"}).id == "t1"
            assert len(server.requests) == 3
            # ... and on nothing else, even in the status list.
            server.script[:] = [Fault.status(503)]
            with pytest.raises(sdk.ServiceException):
                api.post_api_auth_user_tokens({"name": "ci"})
            assert len(server.requests) == 4
    logs = _retry_logs(caplog)
    assert [m.split(" in ")[0] for m in logs] == ["retry 1 of POST", "retry 2 of POST"]
    assert all("status 429 on POST /v1/api/auth/user-tokens" in m for m in logs)
    policy = to_retry(plain)
    assert (policy.total, policy.backoff_factor) == (3, 0.01)
    assert policy.allowed_methods == {"GET", "PUT", "DELETE"}
    assert "retries: RetryPolicy(total=3, backoff_factor=0.01" in configuration.to_debug_report()


@pytest.mark.parametrize("allowed_methods", [None, ["GET", "POST", "TRACE"]])
def test_post_is_not_resent_after_a_read_error_whatever_allowed_methods_says(
    allowed_methods: object, twin: Twin
) -> None:
    retries = urllib3.Retry(total=3, allowed_methods=allowed_methods, status_forcelist=[503])
    with FaultyServer([Fault.reset(), Fault.status(503)]) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t", retries=retries)
        with twin.client(configuration) as client:
            api = twin.api(client)
            with pytest.raises(sdk.ApiConnectionError):
                api.post_api_auth_user_tokens({"name": "ci"})
            with pytest.raises(sdk.ServiceException):
                api.post_api_auth_user_tokens({"name": "ci"})
    assert len(server.requests) == 2


def test_a_retry_subclass_of_your_own_keeps_its_rules(twin: Twin) -> None:
    class EveryStatus(urllib3.Retry):
        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            return status_code >= 400

    with FaultyServer(
        [Fault.status(404)], default=Fault.ok(b'{"email": "a@example.com"}')
    ) as server:
        configuration = sdk.Configuration(
            host=server.url, access_token="t", retries=EveryStatus(total=1)
        )
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email == "a@example.com"
    assert len(server.requests) == 2


def test_the_policy_retries_exactly_get_put_and_delete(twin: Twin) -> None:
    assert sdk.RetryPolicy().allowed_methods == {"GET", "PUT", "DELETE"}
    assert to_retry(urllib3.Retry(2)).allowed_methods == {"GET", "PUT", "DELETE"}
    # A method outside the list is not retried (TRACE is in urllib3's default list).
    with FaultyServer(default=Fault.status(503)) as server:
        configuration = sdk.Configuration(host=server.url, access_token="t")
        with twin.client(configuration) as client:
            answer = client.call_api("TRACE", server.url + "/api/auth/me")
            assert answer.status == 503
    assert len(server.requests) == 1


def test_an_unreachable_proxy_is_retried_like_a_refused_connection(
    caplog: pytest.LogCaptureFixture, twin: Twin
) -> None:
    caplog.set_level(logging.DEBUG, logger="numind.openapi_client")
    configuration = sdk.Configuration(
        host="http://127.0.0.1:9/v1",
        access_token="t",
        proxy=f"http://127.0.0.1:{closed_port()}",
        retries=fast_retry_policy(),
    )
    with (
        twin.client(configuration) as client,
        pytest.raises(sdk.ApiConnectionError, match="proxy failed"),
    ):
        # Nothing reached the proxy, so even a POST is sent again.
        twin.api(client).post_api_auth_user_tokens({"name": "ci"})
    logs = _retry_logs(caplog)
    assert len(logs) == 2
    assert all("after ProxyError on POST" in m for m in logs), logs


def test_a_proxy_that_refuses_the_tunnel_is_not_retried(twin: Twin) -> None:
    with FaultyServer(default=Fault.status(407)) as proxy:
        configuration = sdk.Configuration(
            host="https://127.0.0.1:9/v1", access_token="t", proxy=f"http://127.0.0.1:{proxy.port}"
        )
        with (
            twin.client(configuration) as client,
            pytest.raises(sdk.ApiConnectionError, match=r"proxy failed.*407"),
        ):
            twin.api(client).get_api_auth_me()
    assert [r.method for r in proxy.requests] == ["CONNECT"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (True, sdk.ApiTypeError),
        ("2", sdk.ApiTypeError),
        (2.0, sdk.ApiTypeError),
        (-1, sdk.ApiValueError),
    ],
)
def test_a_bad_retries_value_is_refused_with_the_fix(value: object, error: type) -> None:
    with pytest.raises(error, match=rf"Invalid retries {value!r}: give a number of retries"):
        sdk.Configuration(retries=value)  # type: ignore[arg-type]
    configuration = sdk.Configuration()
    with pytest.raises(error):
        configuration.retries = value  # type: ignore[assignment]


# -- redirects --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_redirect_is_not_followed_so_the_token_stays_on_its_host(
    server: LocalServer, method: str, twin: Twin
) -> None:
    # The same machine under another name is another host for the browser rules.
    elsewhere = server.url.replace("127.0.0.1", "localhost")
    with RecordingServer() as redirecting:
        redirecting.default = Canned(307, b"", {"Location": elsewhere + "/api/auth/me"})
        configuration = sdk.Configuration(host=redirecting.url, access_token="SECRET")
        with twin.client(configuration) as client:
            api = twin.api(client)
            before = server.requests_handled
            with pytest.raises(sdk.ApiException) as caught:
                if method == "GET":
                    api.get_api_auth_me()
                else:
                    api.post_api_auth_user_tokens({"name": "x"})
    assert caught.value.status == 307
    assert caught.value.headers is not None
    assert caught.value.headers["Location"].startswith(elsewhere)
    assert server.requests_handled == before
    assert len(redirecting.requests) == 1


# -- TLS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _https_server(ca: trustme.CA, require_client_cert: bool = False) -> LocalServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
    return LocalServer(ssl_context=context)


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[LocalServer]:
    with _https_server(ca) as srv:
        yield srv


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_tls_is_verified_by_default(https_server: LocalServer, twin: Twin) -> None:
    opened = https_server.connections_opened
    configuration = sdk.Configuration(host=https_server.url)
    with (
        twin.client(configuration) as client,
        pytest.raises(sdk.ApiConnectionError, match=r"TLS failed.*CERTIFICATE_VERIFY_FAILED"),
    ):
        twin.api(client).get_api_auth(REDIRECT_URI)
    # A certificate that cannot be verified is not retried, also under a plain urllib3.Retry.
    assert https_server.connections_opened == opened + 1
    configuration.retries = urllib3.Retry(3)
    with twin.client(configuration) as client, pytest.raises(sdk.ApiConnectionError):
        twin.api(client).get_api_auth(REDIRECT_URI)
    assert https_server.connections_opened == opened + 2


def test_ssl_ca_cert_trusts_a_private_ca(
    https_server: LocalServer, ca: trustme.CA, tmp_path: Path, twin: Twin
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    tokens = https_server.sign_in(new_email(), client_ssl_context=_client_context(ca))
    configuration = sdk.Configuration(
        host=https_server.url, access_token=tokens["token"], ssl_ca_cert=str(bundle)
    )
    with twin.client(configuration) as client:
        assert twin.api(client).get_api_auth_me().email.endswith("@example.com")


def test_ca_cert_data_trusts_a_private_ca(
    https_server: LocalServer, ca: trustme.CA, twin: Twin
) -> None:
    configuration = sdk.Configuration(
        host=https_server.url, ca_cert_data=ca.cert_pem.bytes().decode()
    )
    with twin.client(configuration) as client:
        assert twin.api(client).get_api_auth(REDIRECT_URI).startswith("https://")


def test_client_certificates_for_a_server_that_requires_them(
    ca: trustme.CA, tmp_path: Path, twin: Twin
) -> None:
    bundle, cert, key = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    ca.cert_pem.write_to_path(str(bundle))
    client_cert = ca.issue_cert("client@example.com")
    client_cert.cert_chain_pems[0].write_to_path(str(cert))
    client_cert.private_key_pem.write_to_path(str(key))
    with _https_server(ca, require_client_cert=True) as srv:
        without = sdk.Configuration(
            host=srv.url, ssl_ca_cert=str(bundle), retries=fast_retry_policy()
        )
        with twin.client(without) as client, pytest.raises(sdk.ApiConnectionError):
            twin.api(client).get_api_auth(REDIRECT_URI)
        with_cert = sdk.Configuration(
            host=srv.url, ssl_ca_cert=str(bundle), cert_file=str(cert), key_file=str(key)
        )
        with twin.client(with_cert) as client:
            assert twin.api(client).get_api_auth(REDIRECT_URI).startswith("https://")


def test_verify_ssl_false_connects_and_urllib3_warns(https_server: LocalServer, twin: Twin) -> None:
    configuration = sdk.Configuration(host=https_server.url, verify_ssl=False)
    with (
        twin.client(configuration) as client,
        pytest.warns(urllib3.exceptions.InsecureRequestWarning),
    ):
        url = twin.api(client).get_api_auth(REDIRECT_URI)
    assert url.startswith("https://")


# -- proxies ----------------------------------------------------------------------------


def test_an_http_proxy_forwards_the_calls(server: LocalServer, twin: Twin) -> None:
    tokens = server.sign_in(new_email())
    with ForwardProxy() as proxy:
        configuration = sdk.Configuration(
            host=server.url,
            access_token=tokens["token"],
            proxy=proxy.url,
            proxy_headers=urllib3.make_headers(proxy_basic_auth="me:pw"),
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            me = api.get_api_auth_me()
            created = api.post_api_auth_user_tokens({"name": "via proxy"})
            api.delete_api_auth_user_tokens_usertokenid(created.id)
    assert me.email.endswith("@example.com")
    assert proxy.seen == [
        f"GET {server.url}/api/auth/me",
        f"POST {server.url}/api/auth/user-tokens",
        f"DELETE {server.url}/api/auth/user-tokens/{created.id}",
    ]
    assert all(h["proxy-authorization"] == "Basic bWU6cHc=" for h in proxy.headers)


def test_credentials_in_the_proxy_url_are_sent_as_proxy_authorization(
    server: LocalServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    twin: Twin,
) -> None:
    # urllib3 alone would drop them without a word, and the proxy would answer 407.
    tokens = server.sign_in(new_email())
    caplog.set_level(logging.DEBUG)
    with ForwardProxy() as proxy:
        port = proxy.url.rsplit(":", 1)[1]
        configuration = sdk.Configuration(
            host=server.url,
            access_token=tokens["token"],
            proxy=f"http://me:p%40ss-SECRET@127.0.0.1:{port}",
            debug=True,
        )
        with twin.client(configuration) as client:
            assert twin.api(client).get_api_auth_me().email
            shown = repr(client.rest_client) + configuration.to_debug_report()
        configuration.debug = False
    (headers,) = proxy.headers
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"me:p@ss-SECRET").decode()
    output = caplog.text + shown + "".join(capfd.readouterr())
    assert "SECRET" not in output


def test_an_https_call_goes_through_a_connect_tunnel(
    https_server: LocalServer, ca: trustme.CA, twin: Twin
) -> None:
    tokens = https_server.sign_in(new_email(), client_ssl_context=_client_context(ca))
    with ForwardProxy() as proxy:
        configuration = sdk.Configuration(
            host=https_server.url,
            ca_cert_data=ca.cert_pem.bytes().decode(),
            proxy=proxy.url,
            proxy_headers={"Proxy-Authorization": "Basic bWU6cHc="},
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            assert api.get_api_auth_me(_request_auth=bearer(tokens["token"])).email
            assert api.get_api_auth_user_tokens(_request_auth=bearer(tokens["token"])) == []
    assert proxy.seen == [f"CONNECT 127.0.0.1:{https_server.port}"]
    (headers,) = proxy.headers
    assert headers["proxy-authorization"] == "Basic bWU6cHc="
    # Inside the tunnel: the proxy never sees the bearer token.
    assert "authorization" not in headers


# -- the size of an answer --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_an_answer_larger_than_max_response_size_is_refused_unread(
    encoding: str, twin: Twin
) -> None:
    import gzip

    huge = b'{"email": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    body, headers = huge, {"Content-Type": "application/json"}
    if encoding == "gzip":  # 3 MB that arrive as 3 kB: the limit is on what it decodes to
        body, headers = gzip.compress(huge), {**headers, "Content-Encoding": "gzip"}
    with FaultyServer([Fault.ok(body, headers)], default=Fault.ok(b'{"email": "a@x.io"}')) as srv:
        configuration = sdk.Configuration(
            host=srv.url, access_token="t", max_response_size=1024 * 1024
        )
        with twin.client(configuration) as client:
            api = twin.api(client)
            with pytest.raises(sdk.ApiException) as caught:
                api.get_api_auth_me()
            assert api.get_api_auth_me().email == "a@x.io"
    error = caught.value
    assert error.status == 200
    assert "larger than 1 MiB (Configuration.max_response_size)" in str(error)
    assert "raise that limit" in str(error)
    if encoding == "identity":
        assert srv.connections == 2  # a connection with body left unread is not reused


def test_the_default_limit_is_32_mib_and_a_bad_limit_is_refused(twin: Twin) -> None:
    assert rest.DEFAULT_MAX_RESPONSE_SIZE == 32 * 1024 * 1024
    huge = b'{"email": "' + b"a" * (33 * 1024 * 1024) + b'"}'
    with (
        FaultyServer([Fault.ok(huge)]) as srv,
        twin.client(sdk.Configuration(host=srv.url, access_token="t")) as client,
        pytest.raises(sdk.ApiException, match="larger than 32 MiB"),
    ):
        twin.api(client).get_api_auth_me()
    for bad in (0, -1, 1.5, True):
        with pytest.raises(sdk.ApiValueError, match="Invalid max_response_size"):
            sdk.Configuration(max_response_size=bad)  # type: ignore[arg-type]


# -- content codings: only gzip and deflate, asked for and decoded -----------------------


def test_both_clients_ask_for_gzip_and_deflate_and_refuse_another_coding(twin: Twin) -> None:
    answers = [
        Fault.ok(b"\x00\x01", {"Content-Type": "application/json", "Content-Encoding": "br"}),
        Fault.ok(b"{}", {"Content-Type": "application/json", "Content-Encoding": "compress"}),
    ]
    with (
        FaultyServer(answers, default=Fault.ok(b'{"email": "a@x.io"}')) as srv,
        twin.client(sdk.Configuration(host=srv.url, access_token="t")) as client,
    ):
        api = twin.api(client)
        for coding in ("br", "compress"):
            with pytest.raises(sdk.ApiException, match=f"encoded as '{coding}'"):
                api.get_api_auth_me()
        assert api.get_api_auth_me().email == "a@x.io"
    assert len(srv.requests) == 3  # a refused coding is not retried
    for request in srv.requests:
        assert request.headers["accept-encoding"] == "gzip, deflate"


BOMB_CODINGS = ["gzip", "deflate", "gzip, gzip", "br", "zstd"]


@pytest.mark.parametrize("coding", BOMB_CODINGS)
def test_bomb_a_small_answer_that_decodes_to_128_mib_stays_within_the_limit(
    coding: str, twin: Twin
) -> None:
    """In a process of its own (``bomb_call.py``): the call ends within its timeout + 1 s
    and the peak RSS grows by less than twice ``max_response_size`` (8 MiB)."""
    import subprocess
    import sys

    here = Path(__file__).parent
    kind = "async" if twin.is_async else "sync"
    run = subprocess.run(
        [sys.executable, str(here / "bomb_call.py"), kind, coding],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=here,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    if coding in ("gzip", "deflate"):
        assert "larger than 8 MiB (Configuration.max_response_size)" in result["error"]
    else:  # not asked for: refused before a byte of it is decoded
        assert f"encoded as '{coding}'" in result["error"]
    assert result["seconds"] < 10 + 1
    assert result["rss_growth_kib"] < 2 * 8 * 1024
