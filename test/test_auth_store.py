"""The credential store: where it lives, file modes, refusals, atomic writes, the lock."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from typing import Iterator

import other_user
import pytest
from signing_in import new_email

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


# -- finding 3: a path is trusted only through the descriptor that is read ----------------

RACER = r"""
import os, sys

target, victim, attacker = sys.argv[1:4]
directory = os.path.dirname(target)
link, hard = os.path.join(directory, "swap-link"), os.path.join(directory, "swap-file")
while True:
    os.symlink(attacker, link)
    os.replace(link, target)  # now a symbolic link to the attacker's file...
    os.link(victim, hard)
    os.replace(hard, target)  # ...and the real file again
"""


def test_a_symlink_swapped_in_between_check_and_open_is_never_followed(
    tmp_path: pathlib.Path,
) -> None:
    store_dir = tmp_path / "store"
    path = store_dir / "credentials.json"
    CredentialStore(path).save(credentials(token="at-victim"))
    victim = store_dir / "victim-copy"
    os.link(path, victim)
    attacker = tmp_path / "attacker.json"
    CredentialStore(attacker).save(credentials(token="at-attacker"))

    racer = subprocess.Popen([sys.executable, "-c", RACER, str(path), str(victim), str(attacker)])
    seen = {"at-victim": 0, "at-attacker": 0, "refused": 0}
    try:
        store = CredentialStore(path)
        for _ in range(20_000):
            try:
                loaded = store.load("http://127.0.0.1:1/v1")
            except auth.CredentialStoreError as exc:
                assert "symbolic link" in str(exc)
                seen["refused"] += 1
            else:
                assert loaded is not None
                seen[loaded.access_token] += 1
    finally:
        racer.kill()
        racer.wait()
    print(f"20,000 loads during symlink swaps: {seen}")
    assert seen["at-attacker"] == 0
    assert seen["at-victim"] > 0 and seen["refused"] > 0  # the race did run


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722, 0o1777])
def test_a_directory_that_others_can_write_is_refused_with_the_fix(
    tmp_path: pathlib.Path, mode: int
) -> None:
    directory = tmp_path / "shared"
    CredentialStore(directory / "credentials.json").save(credentials())
    directory.chmod(mode)
    store = CredentialStore(directory / "credentials.json")

    fix = f"other users can write to it \\(mode {mode:04o}\\).*`chmod 700 {directory}`"
    with pytest.raises(auth.CredentialStoreError, match=fix):
        store.load("http://127.0.0.1:1/v1")
    with pytest.raises(auth.CredentialStoreError, match=fix):
        store.save(credentials())


def test_a_directory_of_another_user_is_refused(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root, to give a directory to another user (uid 65534)")
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o755)
    os.chown(directory, other_user.UID, other_user.GID)
    monkeypatch.setenv("NUMIND_CONFIG_DIR", str(directory))

    with pytest.raises(auth.CredentialStoreError, match=r"belongs to another user .uid 65534."):
        auth.CredentialStore().save(credentials())
    configuration = sdk.Configuration(host="http://127.0.0.1:1/v1")
    assert "belongs to another user" in configuration.to_debug_report()
    assert list(directory.iterdir()) == []  # nothing was written there


HOLD_SHARED = r"""
import fcntl, sys
with open(sys.argv[1], "rb") as lock:
    fcntl.flock(lock, fcntl.LOCK_SH)
    print("held", flush=True)
    sys.stdin.readline()
"""

SAVE = r"""
import datetime, sys
from numind.openapi_client.auth import CredentialStore, CredentialStoreError, StoredCredentials
expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
try:
    CredentialStore(sys.argv[1]).save(StoredCredentials("http://127.0.0.1:1/v1", "a", "r", expires))
except CredentialStoreError as exc:
    print(exc)
    sys.exit(3)
"""


@pytest.fixture
def reachable_dir() -> Iterator[pathlib.Path]:
    """A directory of ours that other users may pass through (0711), not list nor write."""
    directory = pathlib.Path(tempfile.mkdtemp())
    directory.chmod(0o711)
    yield directory
    shutil.rmtree(directory)


def test_a_lock_file_of_another_user_cannot_block_your_sign_in(
    reachable_dir: pathlib.Path,
) -> None:
    other_user.python()  # skips where there is no other user to play
    directory = reachable_dir / "store"
    directory.mkdir(mode=0o711)
    lock = directory / "credentials.json.lock"
    lock.touch(mode=0o644)
    os.chown(lock, other_user.UID, other_user.GID)  # left by a time the directory was shared
    holder = other_user.start(HOLD_SHARED, str(lock))
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        saving = subprocess.run(
            [sys.executable, "-c", SAVE, str(directory / "credentials.json")],
            capture_output=True,
            text=True,
            timeout=30,  # the lock it is held with would keep it waiting forever
        )
    finally:
        holder.communicate("done\n", timeout=30)
    assert saving.returncode == 3, saving.stderr
    assert f"Refusing to use the lock file {lock}: it belongs to another user" in saving.stdout
    assert f"rm {lock}" in saving.stdout


def test_a_lock_file_that_is_a_symlink_is_refused_and_its_target_never_created(
    tmp_path: pathlib.Path,
) -> None:
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    target = tmp_path / "created-by-the-victim"
    (directory / "credentials.json.lock").symlink_to(target)

    with pytest.raises(auth.CredentialStoreError, match=r"lock file .* is a symbolic link"):
        CredentialStore(directory / "credentials.json").save(credentials())
    assert not target.exists()
    assert not (directory / "credentials.json").exists()


@pytest.mark.parametrize(("mode", "owner"), [(0o644, None), (0o600, "other")])
def test_a_lock_file_that_others_can_open_is_refused(
    tmp_path: pathlib.Path, mode: int, owner: str | None
) -> None:
    if owner and os.geteuid() != 0:
        pytest.skip("needs root, to give a file to another user (uid 65534)")
    directory = tmp_path / "store"
    directory.mkdir(mode=0o700)
    lock = directory / "credentials.json.lock"
    lock.touch(mode=mode)
    lock.chmod(mode)
    if owner:
        os.chown(lock, other_user.UID, other_user.GID)
    with pytest.raises(auth.CredentialStoreError, match=f"lock file {lock}"):
        CredentialStore(directory / "credentials.json").save(credentials())


HOLD = r"""
import sys, time
from numind.openapi_client.auth import CredentialStore
with CredentialStore(sys.argv[1]).locked():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.parametrize("timeout", [0.5, None])
def test_waiting_for_a_lock_another_process_holds_ends_in_a_timeout_naming_it(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, timeout: float | None
) -> None:
    from numind.openapi_client import _credential_store as _store

    path = tmp_path / "store" / "credentials.json"
    CredentialStore(path).save(credentials())
    if timeout is None:  # no deadline given: the documented default bounds it
        monkeypatch.setattr(_store, "DEFAULT_LOCK_TIMEOUT", 0.5)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), "15"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        with pytest.raises(sdk.ApiTimeoutError) as caught, CredentialStore(path).locked(timeout):
            pass
        took = time.monotonic() - started
    finally:
        holder.kill()
        holder.communicate()
    assert f"Timed out after 0.5 s waiting for the lock file {path}.lock" in str(caught.value)
    assert 0.4 < took < 5
    with CredentialStore(path).locked(timeout=5):  # released with its process
        pass


def test_stale_temporary_files_of_a_crashed_writer_are_removed_under_the_lock(
    tmp_path: pathlib.Path,
) -> None:
    path = tmp_path / "store" / "credentials.json"
    store = CredentialStore(path)
    store.save(credentials())
    leftovers = [".credentials-k2j3_x9a.tmp", ".credentials-0123456789abcdef.tmp"]
    for name in leftovers:  # what a writer killed before its rename leaves: tokens
        (path.parent / name).write_text(json.dumps({"logins": {"x": credentials().to_json()}}))
    (path.parent / "notes.txt").write_text("mine")

    store.save(credentials(token="at-new"))

    assert sorted(p.name for p in path.parent.iterdir()) == [
        "credentials.json",
        "credentials.json.lock",
        "notes.txt",
    ]


VALID = credentials().to_json()
MALFORMED = {
    "deeply nested": b'{"logins": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a list": b'["not", "an", "object"]',
    "logins not an object": b'{"logins": []}',
    "an entry that is a string": b'{"logins": {"http://127.0.0.1:1/v1": "at-secret"}}',
    "a number for a token": json.dumps(
        {"logins": {VALID["base_url"]: {**VALID, "access_token": 12}}}
    ).encode(),
    "a list for the refresh token": json.dumps(
        {"logins": {VALID["base_url"]: {**VALID, "refresh_token": ["x"]}}}
    ).encode(),
    "a number for the expiry": json.dumps(
        {"logins": {VALID["base_url"]: {**VALID, "expires_at": 1e12}}}
    ).encode(),
    "an expiry out of range": json.dumps(
        {"logins": {VALID["base_url"]: {**VALID, "expires_at": "99999-01-01T00:00:00"}}}
    ).encode(),
    "an entry under another base URL": json.dumps(
        {"logins": {"https://elsewhere.example/v1": VALID}}
    ).encode(),
    "not UTF-8": b'{"logins": {"\xff\xfe": 1}}',
    "a null entry": json.dumps({"logins": {VALID["base_url"]: None}}).encode(),
}


@pytest.mark.parametrize("document", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_file_is_a_credential_store_error_and_never_a_crash(
    document: bytes, tmp_path: pathlib.Path
) -> None:
    path = pathlib.Path(os.environ["NUMIND_CONFIG_DIR"]) / "credentials.json"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(document)
    path.chmod(0o600)
    store = CredentialStore(path)

    for call in (
        lambda: store.load(VALID["base_url"]),
        lambda: store.save(credentials()),
        lambda: store.delete(VALID["base_url"]),
        lambda: store.check(),  # what login() does before the browser
    ):
        with pytest.raises(auth.InvalidCredentialFileError, match=f"{path} is not valid"):
            call()
    report = sdk.Configuration(host=VALID["base_url"]).to_debug_report()
    assert "Stored login: unreadable (The credential file" in report
    assert "run `numind auth logout` to delete it" in report

    # logout is the reset: it deletes the file, and says so
    with pytest.warns(auth.SessionNotRevokedWarning, match="was not valid, so it was deleted"):
        assert auth.logout(VALID["base_url"]) is True
    assert not path.exists()
    store.save(credentials())  # usable again
    assert store.load(VALID["base_url"]) == credentials()
