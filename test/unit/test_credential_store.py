"""The credential file (``auth.CredentialStore``) in a temporary directory: written 0600
atomically, refused when unsafe or invalid, its lock bounded."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import stat
from pathlib import Path

import pytest

import numind.openapi_client as sdk
from numind.openapi_client import auth
from numind.openapi_client.auth import (
    CredentialStore,
    CredentialStoreError,
    InvalidCredentialFileError,
    StoredCredentials,
)

EXPIRES = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


def login(base_url: str = "https://api.example.com/v1", refresh: str = "r1") -> StoredCredentials:
    return StoredCredentials(base_url, "a1", refresh, EXPIRES, EXPIRES)


@pytest.fixture
def store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "numind" / "credentials.json")


def test_a_login_is_stored_0600_in_a_0700_directory_and_read_back(store: CredentialStore) -> None:
    assert store.load("https://api.example.com/v1") is None  # no directory yet
    store.save(login())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert store.load("https://api.example.com/v1") == login()
    document = json.loads(store.path.read_text())
    assert document["version"] == 1
    assert document["logins"]["https://api.example.com/v1"]["refresh_token"] == "r1"
    assert store.load("https://api.example.com/v1/") is None  # exactly that base URL


def test_other_base_urls_are_kept_and_delete_forgets_one(store: CredentialStore) -> None:
    store.save(login("https://a.example/v1"))
    store.save(login("https://b.example/v1"))
    assert sorted(store.load_all()) == ["https://a.example/v1", "https://b.example/v1"]
    assert store.delete("https://a.example/v1") is True
    assert store.delete("https://a.example/v1") is False
    assert list(store.load_all()) == ["https://b.example/v1"]


def test_delete_only_that_login_keeps_a_newer_one(store: CredentialStore) -> None:
    store.save(login(refresh="new"))
    assert store.delete("https://api.example.com/v1", only=login(refresh="old")) is False
    assert store.load("https://api.example.com/v1") is not None
    assert store.delete("https://api.example.com/v1", only=login(refresh="new")) is True


def test_the_write_is_atomic_and_leaves_no_temporary_file(store: CredentialStore) -> None:
    store.save(login())
    stale = store.path.parent / ".credentials-0123456789abcdef.tmp"
    stale.write_text("tokens of a crashed writer")
    store.save(login("https://b.example/v1"))
    names = sorted(os.listdir(store.path.parent))
    assert names == ["credentials.json", "credentials.json.lock"]


def test_reset_deletes_the_file(store: CredentialStore) -> None:
    assert store.reset() is False
    store.save(login())
    assert store.reset() is True
    assert not store.path.exists()


def test_repr_never_shows_a_token() -> None:
    text = repr(login())
    assert "a1" not in text and "r1" not in text
    assert text == (
        "StoredCredentials(base_url='https://api.example.com/v1', access_token=<redacted>, "
        "refresh_token=<redacted>, expires_at='2030-01-01T00:00:00+00:00')"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"logins": []}',
        b'{"logins": {"https://a.example/v1": "x"}}',
        b'{"logins": {"https://a.example/v1": {"base_url": "https://b.example/v1", '
        b'"access_token": "a", "refresh_token": null, "expires_at": "2030-01-01T00:00:00"}}}',
        b'{"logins": {"https://a.example/v1": {"base_url": "https://a.example/v1", '
        b'"access_token": 1, "expires_at": "2030-01-01T00:00:00"}}}',
        b'{"logins": {"https://a.example/v1": {"base_url": "https://a.example/v1", '
        b'"access_token": "a", "expires_at": "soon"}}}',
    ],
)
def test_an_invalid_file_is_refused_and_says_how_to_fix_it(
    store: CredentialStore, content: bytes
) -> None:
    store.save(login())
    store.path.write_bytes(content)
    with pytest.raises(InvalidCredentialFileError) as caught:
        store.load("https://a.example/v1")
    assert str(caught.value) == (
        f"The credential file {store.path} is not valid: run `numind auth logout` to delete "
        "it (or delete it yourself), then sign in again with `numind auth login`"
    )
    assert store.reset() is True  # a logout can still delete it


def test_a_naive_timestamp_is_taken_as_utc(store: CredentialStore) -> None:
    store.save(login())
    entry = {
        "base_url": "https://a.example/v1",
        "access_token": "a",
        "expires_at": "2030-01-01T00:00:00",
    }
    store.path.write_text(json.dumps({"logins": {"https://a.example/v1": entry}}))
    loaded = store.load("https://a.example/v1")
    assert loaded is not None and loaded.expires_at == EXPIRES and loaded.refresh_token is None


def test_a_file_others_can_read_is_refused(store: CredentialStore) -> None:
    store.save(login())
    store.path.chmod(0o644)
    with pytest.raises(
        CredentialStoreError, match=r"other users can read or write it \(mode 0644\)"
    ):
        store.load_all()


def test_a_directory_others_can_write_is_refused(store: CredentialStore) -> None:
    store.save(login())
    store.path.parent.chmod(0o777)
    with pytest.raises(CredentialStoreError, match=r"Run `chmod 700 "):
        store.load_all()


def test_a_symbolic_link_is_refused(store: CredentialStore, tmp_path: Path) -> None:
    store.save(login())
    target = tmp_path / "elsewhere.json"
    store.path.rename(target)
    store.path.symlink_to(target)
    with pytest.raises(CredentialStoreError, match="it is a symbolic link"):
        store.load_all()
    store.path.unlink()
    store.lock_path.unlink()
    store.lock_path.symlink_to(target)
    with pytest.raises(CredentialStoreError, match=r"lock file .* is a symbolic link"):
        store.save(login())


def test_a_directory_in_place_of_the_file_is_refused(store: CredentialStore) -> None:
    store.path.mkdir(parents=True)
    with pytest.raises(CredentialStoreError, match="it is not a regular file"):
        store.load_all()


def test_a_file_in_place_of_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "numind").write_text("")
    store = CredentialStore(tmp_path / "numind" / "credentials.json")
    with pytest.raises(CredentialStoreError, match="it is not a directory"):
        store.save(login())


def test_check_fails_early_on_an_unsafe_store(store: CredentialStore) -> None:
    store.check()  # creates the directory, fine
    store.path.write_text("{}")
    store.path.chmod(0o600)
    with pytest.raises(InvalidCredentialFileError):
        store.check()


def test_a_lock_held_elsewhere_times_out_naming_the_lock_file(store: CredentialStore) -> None:
    store.save(login())
    fd = os.open(store.lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another open file: another process, to flock
        with pytest.raises(sdk.ApiTimeoutError) as caught, store.locked(timeout=0.02):
            pass
        assert str(caught.value).startswith(
            f"Timed out after 0.02 s waiting for the lock file {store.lock_path}"
        )
    finally:
        os.close(fd)
    with store.locked(timeout=0.02):  # released: taken at once
        pass


def test_the_lock_is_reentrant_in_its_thread(store: CredentialStore) -> None:
    with store.locked(), store.locked(timeout=0):
        store.put(login())
    assert store.load("https://api.example.com/v1") == login()


def test_the_default_place_of_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NUMIND_CONFIG_DIR", str(tmp_path / "c"))
    assert auth.credentials_path() == tmp_path / "c" / "credentials.json"
    assert CredentialStore().path == tmp_path / "c" / "credentials.json"
    monkeypatch.delenv("NUMIND_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert auth.config_dir() == tmp_path / "xdg" / "numind"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert auth.config_dir() == tmp_path / "home" / ".config" / "numind"
    assert repr(CredentialStore(Path("/x/c.json"))) == "CredentialStore('/x/c.json')"
