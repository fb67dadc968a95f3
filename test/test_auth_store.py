"""The credential store: where it lives, file modes, refusals, atomic writes, the lock."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import stat
import subprocess
import sys

import pytest
from conftest import new_email

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.auth import CredentialStore, StoredCredentials
from numind.openapi_client.testing import LocalServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes and flock")


def credentials(
    base_url: str = "http://127.0.0.1:1/v1", token: str = "at-secret"
) -> StoredCredentials:
    return StoredCredentials(
        base_url=base_url,
        access_token=token,
        refresh_token="rt-secret",
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),
    )


def test_the_config_dir_is_chosen_in_the_documented_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NUMIND_CONFIG_DIR", str(tmp_path / "explicit"))
    assert auth.credentials_path() == tmp_path / "explicit" / "credentials.json"
    monkeypatch.delenv("NUMIND_CONFIG_DIR")
    assert auth.credentials_path() == tmp_path / "xdg" / "numind" / "credentials.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert auth.config_dir() == tmp_path / "home" / ".config" / "numind"


def test_the_file_is_0600_in_a_0700_directory_and_holds_the_login(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "new" / "dir" / "credentials.json"
    store = CredentialStore(path)
    store.save(credentials())
    store.save(credentials("https://other.example/v1", "at-2"))

    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    document = json.loads(path.read_text())
    entry = document["logins"]["http://127.0.0.1:1/v1"]
    assert entry["access_token"] == "at-secret"
    assert entry["refresh_token"] == "rt-secret"
    assert entry["base_url"] == "http://127.0.0.1:1/v1"
    assert entry["expires_at"].startswith("2030-01-01T00:00:00")
    assert set(document["logins"]) == {"http://127.0.0.1:1/v1", "https://other.example/v1"}
    # no temporary file is left behind by the atomic write
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "credentials.json",
        "credentials.json.lock",
    ]
    assert store.load("http://127.0.0.1:1/v1") == credentials()
    assert store.load("http://127.0.0.1:1/v1/other") is None
    assert store.delete("https://other.example/v1") is True
    assert store.delete("https://other.example/v1") is False


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o606])
def test_a_file_others_can_read_is_refused_with_the_fix(tmp_path: pathlib.Path, mode: int) -> None:
    path = pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"
    CredentialStore(path).save(credentials())
    path.chmod(mode)

    message = f"chmod 600 {path}"
    with pytest.raises(auth.CredentialStoreError, match=f"{mode:04o}.*{message}"):
        CredentialStore(path).load("http://127.0.0.1:1/v1")
    # Configuration() reads the store only when a secured call needs it: then it refuses too
    configuration = sdk.Configuration(host="http://127.0.0.1:1/v1")
    assert "Stored login: unreadable (" in configuration.to_debug_report()
    assert message in configuration.to_debug_report()
    with (
        sdk.ApiClient(configuration) as client,
        pytest.raises(auth.CredentialStoreError, match=message),
    ):
        sdk.AuthenticationApi(client).get_api_auth_me()


def test_an_unsafe_store_does_not_stop_calls_that_need_no_stored_login(
    server: LocalServer,
) -> None:
    path = pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"
    CredentialStore(path).save(credentials())
    path.chmod(0o644)

    with sdk.ApiClient(sdk.Configuration(host=server.url)) as client:
        url = sdk.AuthenticationApi(client).get_api_auth("http://localhost:5173/callback")
    assert url.startswith(server.origin)
    key = server.sign_in(new_email())["token"]
    with sdk.ApiClient(sdk.Configuration(host=server.url, access_token=key)) as client:
        assert sdk.AuthenticationApi(client).get_api_auth_me().email


def test_a_symlinked_file_is_refused(tmp_path: pathlib.Path) -> None:
    real = tmp_path / "elsewhere.json"
    CredentialStore(real).save(credentials())
    link = tmp_path / "store" / "credentials.json"
    link.parent.mkdir()
    link.symlink_to(real)

    with pytest.raises(auth.CredentialStoreError, match="symbolic link"):
        CredentialStore(link).load("http://127.0.0.1:1/v1")


def test_a_corrupt_file_is_reported_with_its_path(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(auth.CredentialStoreError, match=f"{path} is not valid"):
        CredentialStore(path).load("x")


def test_reprs_never_show_the_tokens(tmp_path: pathlib.Path) -> None:
    stored = credentials()
    CredentialStore(tmp_path / "c.json").save(stored)
    login = auth.StoredLogin.load(stored.base_url, CredentialStore(tmp_path / "c.json"))
    for text in (repr(stored), str(stored), repr(login)):
        assert "secret" not in text


WRITER = """
import datetime, sys
from numind.openapi_client.auth import CredentialStore, StoredCredentials
from numind.openapi_client.testing import LocalServer
store = CredentialStore(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.save(StoredCredentials(
        base_url=f"http://{sys.argv[2]}-{i}.example/v1", access_token="a",
        refresh_token="r",
        expires_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)))
"""


def test_concurrent_processes_lose_no_update(tmp_path: pathlib.Path) -> None:
    """Two processes each add 60 logins at the same time: all 120 are in the file."""
    path = tmp_path / "credentials.json"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"])
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]

    logins = json.loads(path.read_text())["logins"]
    assert len(logins) == 120
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_every_name_of_the_auth_module_resolves() -> None:
    for name in auth.__all__:
        assert getattr(auth, name) is not None, name
    with pytest.raises(AttributeError):
        auth.no_such_name  # noqa: B018
