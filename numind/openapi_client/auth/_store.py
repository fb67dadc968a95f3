"""The credential store: one JSON file per user, keyed by base URL.

``$NUMIND_CONFIG_DIR/credentials.json``, else ``$XDG_CONFIG_HOME/numind/credentials.json``,
else ``~/.config/numind/credentials.json`` (on Windows ``%APPDATA%\\numind``). The directory
is created 0700 and the file is written 0600, atomically (temp file, fsync, rename, fsync of
the directory). A file that other users can read or write, or a symbolic link, is refused.
Read-modify-write cycles hold an exclusive ``flock`` on ``credentials.json.lock``, so
processes that sign in, refresh or sign out at the same time lose no update.

On Windows there is no ``flock`` and POSIX modes mean little: the file is still written
atomically, but neither the lock nor the mode check applies.

Standard library only: ``Configuration`` reads this on creation.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Generator, Optional, cast

from ..exceptions import ApiTimeoutError, OpenApiException

ENV_CONFIG_DIR = "NUMIND_CONFIG_DIR"
#: Seconds that a read-modify-write waits for another process's lock, when no call's
#: deadline says less.
LOCK_TIMEOUT = 60.0
FILE_NAME = "credentials.json"
_FORMAT_VERSION = 1


class CredentialStoreError(OpenApiException):
    """The credential file is unsafe or unreadable; the message names the file and the fix."""


@dataclass(frozen=True)
class StoredCredentials:
    """The tokens of one login. ``repr`` never shows the tokens."""

    base_url: str
    access_token: str
    refresh_token: Optional[str]
    expires_at: datetime.datetime
    refresh_expires_at: Optional[datetime.datetime] = None

    def __repr__(self) -> str:
        return (
            f"StoredCredentials(base_url={self.base_url!r}, access_token=<redacted>, "
            f"refresh_token={'<redacted>' if self.refresh_token else None}, "
            f"expires_at={self.expires_at.isoformat()!r})"
        )

    def to_json(self) -> Dict[str, Any]:
        return {
            "base_url": self.base_url,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_expires_at": (
                self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
            ),
        }

    @classmethod
    def from_json(cls, value: Dict[str, Any]) -> StoredCredentials:
        refresh_expires_at = value.get("refresh_expires_at")
        return cls(
            base_url=value["base_url"],
            access_token=value["access_token"],
            refresh_token=value.get("refresh_token"),
            expires_at=datetime.datetime.fromisoformat(value["expires_at"]),
            refresh_expires_at=(
                datetime.datetime.fromisoformat(refresh_expires_at) if refresh_expires_at else None
            ),
        )


def config_dir() -> Path:
    """The directory of the credential file (see the module docstring for the order)."""
    explicit = os.environ.get(ENV_CONFIG_DIR)
    if explicit:
        return Path(explicit)
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "numind"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "numind"


def credentials_path() -> Path:
    """The path of the credential file."""
    return config_dir() / FILE_NAME


class CredentialStore:
    """Reads and writes the credential file at ``path`` (default: :func:`credentials_path`)."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = credentials_path() if path is None else Path(path)

    def __repr__(self) -> str:
        return f"CredentialStore({str(self.path)!r})"

    def load(self, base_url: str) -> Optional[StoredCredentials]:
        """The stored login for exactly ``base_url``, or ``None``."""
        entry = self._read().get(base_url)
        if entry is None:
            return None
        try:
            return StoredCredentials.from_json(entry)
        except (KeyError, TypeError, ValueError):
            raise self._corrupt() from None

    def save(self, credentials: StoredCredentials) -> None:
        """Store ``credentials`` under their base URL (other base URLs are kept)."""
        with self.locked():
            self.put(credentials)

    def put(self, credentials: StoredCredentials) -> None:
        """``save`` for a caller that already holds :meth:`locked`."""
        logins = self._read()
        logins[credentials.base_url] = credentials.to_json()
        self._write(logins)

    def delete(self, base_url: str, *, only: Optional[StoredCredentials] = None) -> bool:
        """Forget the login for ``base_url``; ``False`` if there was none.

        With ``only``, forget it only while it is still that login (same refresh token), so
        that a sign-in another process has just stored is kept.
        """
        with self.locked():
            logins = self._read()
            current = logins.get(base_url)
            if current is None:
                return False
            if only is not None and current.get("refresh_token") != only.refresh_token:
                return False
            del logins[base_url]
            self._write(logins)
            return True

    @contextlib.contextmanager
    def locked(self, timeout: Optional[float] = None) -> Generator[None, None, None]:
        """Hold the store's exclusive lock (across processes) for a read-modify-write.

        Waits for the lock at most ``timeout`` seconds (None: ``LOCK_TIMEOUT``), then
        raises ``ApiTimeoutError`` naming the lock file.
        """
        self._make_dir()
        if sys.platform == "win32":
            yield
            return

        lock_path = str(self.path) + ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _wait_for_lock(fd, lock_path, LOCK_TIMEOUT if timeout is None else timeout)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- the file ---------------------------------------------------------------------

    def _read(self) -> Dict[str, Any]:
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return {}
        self._check_safe(info)
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise self._corrupt() from None
        logins = (
            cast("Dict[str, Any]", document).get("logins") if isinstance(document, dict) else None
        )
        if not isinstance(logins, dict):
            raise self._corrupt()
        return cast("Dict[str, Any]", logins)

    def _check_safe(self, info: os.stat_result) -> None:
        if stat.S_ISLNK(info.st_mode):
            raise CredentialStoreError(
                f"Refusing to use the credential file {self.path}: it is a symbolic link. "
                f"Delete it and sign in again with `numind auth login`"
            )
        if not stat.S_ISREG(info.st_mode):
            raise CredentialStoreError(
                f"Refusing to use the credential file {self.path}: it is not a regular file"
            )
        if sys.platform != "win32" and info.st_mode & 0o077:
            raise CredentialStoreError(
                f"Refusing to use the credential file {self.path}: other users can read or "
                f"write it (mode {stat.S_IMODE(info.st_mode):04o}). Run `chmod 600 {self.path}`"
            )

    def _corrupt(self) -> CredentialStoreError:
        return CredentialStoreError(
            f"The credential file {self.path} is not valid; delete it and sign in again "
            "with `numind auth login`"
        )

    def _make_dir(self) -> None:
        directory = self.path.parent
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _write(self, logins: Dict[str, Any]) -> None:
        directory = self.path.parent
        data = json.dumps({"version": _FORMAT_VERSION, "logins": logins}, indent=2) + "\n"
        # mkstemp creates the file 0600, so the tokens are never readable by others.
        fd, temporary = tempfile.mkstemp(dir=str(directory), prefix=".credentials-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        if sys.platform != "win32":
            # The rename is durable only once the directory entry is on disk.
            dir_fd = os.open(str(directory), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _wait_for_lock(fd: int, lock_path: str, timeout: float) -> None:
    """Take the exclusive ``flock`` of ``fd`` within ``timeout`` seconds."""
    import fcntl

    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ApiTimeoutError(
                    f"Gave up waiting {timeout:.3g} s for the lock of the credential file "
                    f"{lock_path}: another process holds it (a sign-in or refresh still "
                    "running, or a stuck process: end it, then try again)"
                ) from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
