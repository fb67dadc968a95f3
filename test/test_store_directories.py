"""The credential store's directories: created with no group or other write bit whatever
the umask, and refused under a parent that another user owns or can write without the
sticky bit, as OpenSSH's StrictModes; an ``OSError`` of the store is one line in the CLI,
not a traceback (docs/SECURITY.md, round 3, findings 8 and 10)."""

from __future__ import annotations

import datetime
import os
import pathlib
import stat
import subprocess
import sys

import pytest

from numind.openapi_client import auth

NUMIND = pathlib.Path(sys.executable).with_name("numind")
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and owners")
LATER = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)


def save(directory: pathlib.Path) -> auth.CredentialStore:
    store = auth.CredentialStore(directory / "credentials.json")
    store.save(auth.StoredCredentials("https://api.example/v1", "at", "rt", LATER))
    return store


@POSIX
def test_under_umask_000_every_directory_made_is_writable_by_no_one_else(
    tmp_path: pathlib.Path,
) -> None:
    # A fresh ~/.config made 0777 lets another user plant ~/.config/git/config.
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    script = (
        "import os, sys, datetime\n"
        "from numind.openapi_client import auth\n"
        "os.umask(0)\n"
        "later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)\n"
        "auth.CredentialStore().save(auth.StoredCredentials('https://a.example/v1', 'at', "
        "'rt', later))\n"
    )
    env = {**os.environ, "HOME": str(home)}
    env.pop("NUMIND_CONFIG_DIR")
    env.pop("XDG_CONFIG_HOME", None)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    made = [home / ".config", home / ".config" / "numind"]
    modes = {str(p.relative_to(home)): stat.S_IMODE(p.stat().st_mode) for p in made}
    assert modes == {".config": 0o700, ".config/numind": 0o700}
    assert stat.S_IMODE((made[-1] / "credentials.json").stat().st_mode) == 0o600


@POSIX
@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_parent_that_others_can_write_without_the_sticky_bit_is_refused(
    tmp_path: pathlib.Path, mode: int
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    mine = shared / "me" / "numind"
    mine.mkdir(mode=0o700, parents=True)
    (shared / "me").chmod(0o700)
    with pytest.raises(auth.CredentialStoreError, match=r"other users can write to .*shared"):
        save(mine)
    with pytest.raises(auth.CredentialStoreError, match=f"chmod go-w {shared}"):
        auth.CredentialStore(mine / "credentials.json").load_all()
    assert list(mine.iterdir()) == []  # nothing stored


@POSIX
def test_a_sticky_parent_like_tmp_is_allowed(tmp_path: pathlib.Path) -> None:
    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)
    store = save(shared / "me" / "numind")
    assert set(store.load_all()) == {"https://api.example/v1"}


@POSIX
def test_a_parent_owned_by_another_user_is_refused(tmp_path: pathlib.Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root, to give a directory to another user")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    mine = theirs / "numind"
    mine.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    with pytest.raises(auth.CredentialStoreError, match=r"belongs to another user \(uid 65534\)"):
        save(mine)
    assert list(mine.iterdir()) == []


def numind_login(config_dir: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NUMIND_CONFIG_DIR": str(config_dir)}
    return subprocess.run(
        [str(NUMIND), "auth", "login", "--no-browser", "--base-url", "http://127.0.0.1:9/v1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@POSIX
def test_the_cli_says_in_one_line_what_is_wrong_with_the_store_path(
    tmp_path: pathlib.Path,
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    lock_is_a_directory = tmp_path / "config"
    (lock_is_a_directory / "credentials.json.lock").mkdir(parents=True)
    lock_is_a_directory.chmod(0o700)
    for config_dir, named in [
        (a_file / "numind", f"Not a directory ({a_file / 'numind'})"),
        (lock_is_a_directory, f"({lock_is_a_directory / 'credentials.json.lock'})"),
    ]:
        shown = numind_login(config_dir)
        assert shown.returncode == 1
        assert "Traceback" not in shown.stderr
        lines = shown.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("numind: error: Cannot use the")
        assert named in lines[0] and "set NUMIND_CONFIG_DIR" in lines[0]
