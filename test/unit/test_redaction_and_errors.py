"""What logs and errors may show (``_redact``), header handling (``_headers``), loopback
hosts (``_net``), the exception classes and the models' secret-safe forms."""

from __future__ import annotations

import asyncio
import pickle
import socket

import pytest
import urllib3

import numind.openapi_client as sdk
from numind.openapi_client._headers import HeaderDict, check_headers, find_header, set_header
from numind.openapi_client._net import is_loopback
from numind.openapi_client._redact import (
    Secret,
    SecretBytes,
    mask_secrets,
    redact_body,
    redact_headers,
    redact_url,
)
from numind.openapi_client.exceptions import render_path


def test_unit_tests_cannot_open_a_socket() -> None:
    with pytest.raises(RuntimeError, match="unit tests use no sockets"):
        socket.socket()
    with pytest.raises(RuntimeError, match="unit tests use no sockets"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(RuntimeError, match="unit tests use no sockets"):
        urllib3.PoolManager(retries=False).request("GET", "http://127.0.0.1:9/")
    loop = asyncio.new_event_loop()  # its internal socketpair is no network: allowed
    loop.close()


# -- redaction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://x/cb?code=abc&state=1", "https://x/cb?code=<redacted>&state=1"),
        ("https://x/#access_token=t;x=1", "https://x/#access_token=<redacted>;x=1"),
        (
            "https://x/?API_KEY=k&Refresh_Token=r",
            "https://x/?API_KEY=<redacted>&Refresh_Token=<redacted>",
        ),
        ("https://x/path", "https://x/path"),
        ("https://x/?codex=1", "https://x/?codex=1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_headers() -> None:
    headers = {
        "Authorization": "Bearer t",
        "cookie": "s=1",
        "Location": "https://x/cb?code=c",
        "Accept": "application/json",
    }
    assert redact_headers(headers) == (
        "{'Authorization': '<redacted>', 'cookie': '<redacted>', "
        "'Location': 'https://x/cb?code=<redacted>', 'Accept': 'application/json'}"
    )
    assert redact_headers(None) == "{}"


def test_redact_body() -> None:
    assert (
        redact_body(b'{"token": "t", "expiresIn": 5}') == '{"token": "<redacted>", "expiresIn": 5}'
    )
    # The sign-in code is secret next to its redirect URI, an Error's code is not.
    assert (
        redact_body({"code": "c", "redirectUri": "u"})
        == '{"code": "<redacted>", "redirectUri": "u"}'
    )
    assert redact_body(b'{"code": "E1", "message": "m"}') == '{"code": "E1", "message": "m"}'
    assert redact_body([{"token": "t"}]) == '[{"token": "<redacted>"}]'
    assert redact_body("refresh-token", "application/json") == '"<redacted>"'
    assert redact_body(b"", None) == "(no body)"
    assert redact_body(None) == "(no body)"
    assert redact_body(b"not json", "application/json") == "(8 bytes of application/json)"
    assert redact_body(b"<html>", "text/html") == "(6 bytes of text/html)"
    assert redact_body("plain", "text/plain") == "(5 chars of text/plain)"


def test_secrets_show_nothing_in_repr() -> None:
    secret = Secret("Bearer t")
    assert secret == "Bearer t" and repr(secret) == "<redacted>"
    assert type(str(secret)) is str and str(secret) == "Bearer t"
    assert repr(SecretBytes(b"abc")) == "<3 bytes>"
    masked = mask_secrets({"token": "t", "refreshToken": 1, "name": "n"})
    assert repr(masked) == "{'token': <redacted>, 'refreshToken': 1, 'name': 'n'}"
    assert repr(mask_secrets("r")) == "<redacted>"
    assert mask_secrets([1]) == [1]


# -- headers -------------------------------------------------------------------------------


def test_header_names_ignore_case() -> None:
    headers = {"content-type": "a", "X": "1"}
    assert find_header(headers, "Content-Type") == "a"
    assert find_header(headers, "Accept") is None
    set_header(headers, "Content-Type", "b")
    assert headers == {"X": "1", "Content-Type": "b"}


def test_check_headers_masks_credentials() -> None:
    headers = {"Proxy-Authorization": "Basic x", "Accept": "a"}
    check_headers(headers)
    assert repr(headers["Proxy-Authorization"]) == "<redacted>"
    assert type(headers["Accept"]) is str
    with pytest.raises(sdk.ApiValueError, match=r"^Proxy header 'X' contains"):
        check_headers({"X": "a\rb"}, "Proxy header")


def test_a_header_dict_counts_every_change() -> None:
    headers = HeaderDict({"A": "1"})
    versions = [headers.version]
    headers["B"] = "2"
    versions.append(headers.version)
    del headers["B"]
    versions.append(headers.version)
    headers.update(C="3")
    versions.append(headers.version)
    headers.pop("C")
    versions.append(headers.version)
    headers.setdefault("D", "4")
    versions.append(headers.version)
    headers |= {"E": "5"}
    versions.append(headers.version)
    headers.popitem()
    versions.append(headers.version)
    headers.clear()
    versions.append(headers.version)
    assert versions == sorted(set(versions)) and len(versions) == 9
    assert headers == {}


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost.example.com", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- exceptions ---------------------------------------------------------------------------


def test_argument_errors_say_where() -> None:
    assert render_path(["a", 0, "b"]) == "['a'][0]['b']"
    assert str(sdk.ApiTypeError("bad", path_to_item=["x", 1])) == "bad at ['x'][1]"
    assert str(sdk.ApiValueError("bad")) == "bad"
    assert str(sdk.ApiAttributeError("no", ["y"])) == "no at ['y']"
    assert "no at ['k']" in str(sdk.ApiKeyError("no", ["k"]))
    assert isinstance(sdk.ApiTypeError("x"), TypeError)
    assert isinstance(sdk.ApiValueError("x"), ValueError)


def test_a_connection_error_keeps_what_was_received() -> None:
    error = sdk.ApiTimeoutError("Read timed out", method="GET", url="https://x/me")
    error.add_answer(200, {"Content-Type": "application/json"}, b'{"email": "a')
    error.retry_note = "gave up after 2 retries"
    assert (error.status, error.body) == (200, '{"email": "a')
    assert str(error) == (
        "Read timed out (status 200, 12 bytes of body received) (gave up after 2 retries)"
    )
    assert isinstance(error, sdk.ApiConnectionError)


def test_an_api_exception_is_one_short_line() -> None:
    long_text = "x " * 300
    error = sdk.ApiException(status=500, reason="Internal Server Error", body=long_text)
    text = str(error)
    assert text.startswith("(500) Internal Server Error: x x")
    assert text.endswith("...") and len(text) < 250
    assert error.request_id is None and error.error is None
    assert str(sdk.ApiException()) == "(None)"


def test_exceptions_pickle() -> None:
    error = sdk.NotFoundException(status=404, reason="Not Found", body="gone")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is sdk.NotFoundException and str(copy) == "(404) Not Found: gone"


# -- models ----------------------------------------------------------------------------------


def test_models_hide_their_secrets_when_shown() -> None:
    response = sdk.TokenResponse(token="SECRET-A", expires_in=5, refresh_token="SECRET-R")
    for text in (repr(response), str(response), response.to_str()):
        assert "SECRET" not in text
    assert response.to_dict() == {"token": "SECRET-A", "expiresIn": 5, "refreshToken": "SECRET-R"}
    assert sdk.TokenResponse.from_json(response.to_json()) == response
    assert sdk.TokenResponse.from_dict(None) is None


def test_a_token_request_is_picked_by_its_type() -> None:
    refresh = {"type": "ai.numind.extract.shared.TokenRefreshRequest", "token": "SECRET"}
    request = sdk.TokenRequest.from_dict(refresh)
    assert isinstance(request.actual_instance, sdk.TokenRefreshRequest)
    assert request.to_dict() == refresh
    assert sdk.TokenRequest.from_json(request.to_json()) == request
    assert "SECRET" not in request.to_str()
    with pytest.raises(ValueError) as caught:
        sdk.TokenRequest.from_dict({"type": "other", "token": "SECRET"})
    assert "SECRET" not in str(caught.value)


def test_a_request_model_refuses_an_unknown_field() -> None:
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        sdk.CreateOrUpdateUserToken.from_dict({"name": "a", "nme": "b"})


def test_what_is_cut_from_or_made_of_a_secret_stays_masked() -> None:
    # rich's show_locals shows a long string as repr(value[:80]): a slice must stay masked.
    secret = Secret("Bearer " + "t" * 100)
    made = [
        secret[:80],
        secret[7],
        secret + "!",
        "x: " + secret,
        f"{secret:>120}",
        format(secret),
        Secret("%s=%d") % ("a", 1),
    ]
    for value in made:
        assert type(value) is Secret and repr(value) == "<redacted>"
    assert made[0] == "Bearer " + "t" * 73 and made[1] == "t" and made[3] == "x: " + secret
    assert made[4] == secret.rjust(120) and made[6] == "a=1"
    # The real value where a str is used: str(), encode, join, a plain format.
    assert type(str(secret)) is str and str(secret[:6]) == "Bearer"
    assert type(secret.encode()) is bytes and type("".join([secret])) is str
    assert type(f"{secret}") is Secret and type("<%s>" % secret) is str  # noqa: UP031
    # What str does not support stays refused as it was.
    with pytest.raises(TypeError):
        secret + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + secret  # type: ignore[operator]

    body = SecretBytes(b'{"token": "' + b"t" * 100 + b'"}')
    for value in (body[:80], body + b"!", b"x" + body, SecretBytes(b"%d") % 5):
        assert type(value) is SecretBytes and repr(value) == f"<{len(value)} bytes>"
    assert body[:3] == b'{"t' and body[0] == ord("{") and type(body[0]) is int
    assert type(bytearray(b"x") + body) is bytearray  # a bytearray stays one
