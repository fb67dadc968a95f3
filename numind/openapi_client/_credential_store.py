"""The credential store: one JSON file per user, keyed by base URL.

``$NUMIND_CONFIG_DIR/credentials.json``, else ``$XDG_CONFIG_HOME/numind/credentials.json``,
else ``~/.config/numind/credentials.json`` (on Windows ``%APPDATA%\\numind``). The directory
is created 0700 (and so is each missing parent, whatever the umask) and the file is
written 0600, atomically (temp file, fsync, rename, fsync of
the directory). Read-modify-write cycles hold an exclusive ``flock`` on
``credentials.json.lock``, so processes that sign in, refresh or sign out at the same time
lose no update; a wait for it is bounded (``DEFAULT_LOCK_TIMEOUT``).

What another user of the machine cannot do, as OpenSSH's ``StrictModes``: the directory is
opened once, checked on its descriptor (owned by you or root, writable by no one else), as
is every directory above it (yours or root's, writable by no one else unless sticky), and
every file is opened relative to that descriptor, without following a symbolic link
(``O_NOFOLLOW``). A file is checked on the descriptor it is read from (a regular file of
yours, no group or other permission bits), so nothing can be swapped in between the check
and the read. Anything else is refused with ``CredentialStoreError``, which names the file
and the fix.

On Windows there is no ``flock`` and POSIX modes mean little: the file is still written
atomically, but neither the lock nor the checks apply.

Standard library only: ``Configuration`` reads this on creation.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import os
import secrets
import stat
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Generator, Optional, cast

from ._redact import Secret, SecretBytes
from .exceptions import ApiTimeoutError, ApiValueError, OpenApiException
from .models._token_syntax import NOT_A_TOKEN, is_b64token

ENV_CONFIG_DIR = "NUMIND_CONFIG_DIR"
FILE_NAME = "credentials.json"
#: Seconds that a read-modify-write waits for another process to release the lock, when
#: the caller gives no deadline of its own; then ``ApiTimeoutError``.
DEFAULT_LOCK_TIMEOUT = 60.0
_FORMAT_VERSION = 1
#: No credential file is this large; a larger one is refused, not read into memory.
_MAX_FILE_SIZE = 1 << 20
_POSIX = sys.platform != "win32"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# A FIFO swapped in for the file must not block the open (it is then refused by fstat).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_SYMLINK_ERRNOS = (errno.ELOOP, errno.EMLINK)  # what O_NOFOLLOW gives on Linux/macOS, BSD

# Per thread: the store paths whose lock this thread holds, with their directory
# descriptors; a nested ``locked()`` (a refresh inside a logout) does not wait for itself.
_HELD = threading.local()


class CredentialStoreError(OpenApiException):
    """The credential file is unsafe or unreadable; the message names the file and the fix."""


class InvalidCredentialFileError(CredentialStoreError):
    """The credential file is safe to read but is not one: ``logout`` deletes it."""


@dataclass(frozen=True)
class StoredCredentials:
    """The tokens of one login. ``repr`` never shows the tokens."""

    base_url: str
    access_token: str
    refresh_token: Optional[str]
    expires_at: datetime.datetime
    refresh_expires_at: Optional[datetime.datetime] = None

    def __post_init__(self) -> None:
        # A token that ``Authorization: Bearer`` cannot carry (CR/LF, an escape sequence)
        # is neither stored nor used, whether it comes from a token answer or the file.
        for name in ("access_token", "refresh_token"):
            value = getattr(self, name)
            if (value is not None or name == "access_token") and not is_b64token(value):
                raise ApiValueError(f"The {name.replace('_', ' ')} {NOT_A_TOKEN}")

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
    def from_json(cls, value: Any) -> StoredCredentials:
        """The credentials of one entry of the file; ``ValueError`` if it is not one."""
        if not isinstance(value, dict):
            raise ValueError("an entry is not an object")
        entry = cast("Dict[str, Any]", value)
        refresh_expires_at = _text(entry, "refresh_expires_at", optional=True)
        return cls(
            base_url=_required_text(entry, "base_url"),
            access_token=_required_text(entry, "access_token"),
            refresh_token=_text(entry, "refresh_token", optional=True),
            expires_at=_timestamp(_required_text(entry, "expires_at")),
            refresh_expires_at=(
                _timestamp(refresh_expires_at) if refresh_expires_at is not None else None
            ),
        )


def _text(value: Dict[str, Any], name: str, *, optional: bool = False) -> Optional[str]:
    field = value.get(name)
    if isinstance(field, str) or (field is None and optional):
        return field
    raise ValueError(f"{name} is not a string")


def _required_text(value: Dict[str, Any], name: str) -> str:
    field = _text(value, name)
    assert field is not None
    return field


def _timestamp(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        moment.timestamp()  # out of range fails here, not in the middle of a call
    except (OverflowError, OSError) as exc:
        raise ValueError(str(exc)) from None
    return moment


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

    @property
    def lock_path(self) -> Path:
        """The lock file that read-modify-write cycles hold (``credentials.json.lock``)."""
        return self.path.with_name(self.path.name + ".lock")

    def load(self, base_url: str) -> Optional[StoredCredentials]:
        """The stored login for exactly ``base_url``, or ``None``."""
        return self.load_all().get(base_url)

    def load_all(self) -> Dict[str, StoredCredentials]:
        """Every stored login, by base URL."""
        with self._explained(), self._directory(create=False) as directory:
            return {} if directory is None else self._read(directory)

    def check(self) -> None:
        """Raise ``CredentialStoreError`` now if a login could not be stored: the
        directory (created if needed), the lock file and the file are checked as a save
        checks them. ``login`` calls it before the browser is opened."""
        with self._explained(), self.locked(), self._directory(create=True) as directory:
            assert directory is not None
            self._read(directory)

    def reset(self) -> bool:
        """Delete the credential file, whatever it holds (every login in it); ``False`` if
        there was none. For a file that cannot be read (``InvalidCredentialFileError``)."""
        with self._explained(), self.locked(), self._directory(create=True) as directory:
            assert directory is not None
            try:
                directory.unlink(self.path.name)
            except FileNotFoundError:
                return False
            directory.sync()
            return True

    def save(self, credentials: StoredCredentials) -> None:
        """Store ``credentials`` under their base URL (other base URLs are kept)."""
        with self.locked():
            self.put(credentials)

    def put(self, credentials: StoredCredentials) -> None:
        """``save`` for a caller that already holds :meth:`locked`."""
        with self._explained(), self._directory(create=True) as directory:
            assert directory is not None
            logins = self._read(directory)
            logins[credentials.base_url] = credentials
            self._write(directory, logins)

    def delete(self, base_url: str, *, only: Optional[StoredCredentials] = None) -> bool:
        """Forget the login for ``base_url``; ``False`` if there was none.

        With ``only``, forget it only while it is still that login (same refresh token), so
        that a sign-in another process has just stored is kept.
        """
        with self._explained(), self.locked(), self._directory(create=True) as directory:
            assert directory is not None
            logins = self._read(directory)
            current = logins.get(base_url)
            if current is None:
                return False
            if only is not None and current.refresh_token != only.refresh_token:
                return False
            del logins[base_url]
            self._write(directory, logins)
            return True

    @contextlib.contextmanager
    def locked(self, timeout: Optional[float] = None) -> Generator[None, None, None]:
        """Hold the store's exclusive lock (across processes) for a read-modify-write.

        Waits at most ``timeout`` seconds for another process to release it (None:
        ``DEFAULT_LOCK_TIMEOUT``), then raises ``ApiTimeoutError`` naming the lock file.
        A thread that holds the lock already gets it at once. Temporary files that a
        crashed writer left behind (each holds tokens) are removed once the lock is held.
        """
        held: Dict[str, _Directory] = _HELD.__dict__.setdefault("stores", {})
        key = os.path.abspath(self.path)
        if key in held:
            yield
            return
        with self._directory(create=True) as directory:
            assert directory is not None
            if not _POSIX:
                held[key] = directory
                try:
                    yield
                finally:
                    del held[key]
                return
            with self._explained():
                lock_fd = self._open_lock(directory)
            try:
                with self._explained():
                    self._acquire(lock_fd, DEFAULT_LOCK_TIMEOUT if timeout is None else timeout)
                    self._remove_stale_temporary_files(directory)
                held[key] = directory
                try:
                    yield
                finally:
                    del held[key]
            finally:
                os.close(lock_fd)  # closing releases the lock

    # -- the directory ----------------------------------------------------------------

    @contextlib.contextmanager
    def _directory(self, *, create: bool) -> Generator[Optional[_Directory], None, None]:
        """The checked directory: the one this thread's lock holds, else opened and checked
        now; None if it does not exist and ``create`` is false."""
        held: Optional[_Directory] = _HELD.__dict__.get("stores", {}).get(
            os.path.abspath(self.path)
        )
        if held is not None:
            yield held
            return
        path = self.path.parent
        if not _POSIX:
            if create:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
            yield _Directory(path, None) if create or path.is_dir() else None
            return
        fd: Optional[int]
        with self._explained():
            if create:
                _make_directories(path)
            try:
                # The directory itself may be a symbolic link (dotfiles often are): what
                # counts is whose directory the descriptor ends up on, checked below.
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
            except FileNotFoundError:
                fd = None
            except NotADirectoryError:
                raise CredentialStoreError(
                    f"Refusing to use {path} as the credential directory: it is not a "
                    f"directory. Set {ENV_CONFIG_DIR} to a directory of your own"
                ) from None
        if fd is None:
            yield None
            return
        try:
            with self._explained():
                self._check_directory(path, os.fstat(fd))
                self._check_ancestors(path)
            yield _Directory(path, fd)
        finally:
            os.close(fd)

    def _check_directory(self, path: Path, info: os.stat_result) -> None:
        if info.st_uid not in (os.geteuid(), 0):
            raise CredentialStoreError(
                f"Refusing to use the credential directory {path}: it belongs to another user "
                f"(uid {info.st_uid}), who could replace the credential file. Use a directory "
                f"of your own: unset {ENV_CONFIG_DIR}, or set it to a new directory"
            )
        if info.st_mode & 0o022:
            raise CredentialStoreError(
                f"Refusing to use the credential directory {path}: other users can write to "
                f"it (mode {stat.S_IMODE(info.st_mode):04o}), so they could replace the "
                f"credential file. Run `chmod 700 {path}`"
            )

    def _check_ancestors(self, path: Path) -> None:
        # As OpenSSH's StrictModes: whoever can write to a directory above this one can
        # rename it away and put one of their own in its place. Each one must be yours or
        # root's, and writable by no one else, unless it is sticky (``/tmp``: 1777), where
        # others cannot rename what is yours.
        for ancestor in Path(os.path.realpath(path)).parents:
            info = os.stat(ancestor)
            if info.st_uid not in (os.geteuid(), 0):
                raise CredentialStoreError(
                    f"Refusing to use the credential directory {path}: {ancestor}, above it, "
                    f"belongs to another user (uid {info.st_uid}), who could replace it. Use "
                    f"a directory of your own: unset {ENV_CONFIG_DIR}, or set it to a "
                    "directory under one that only you (or root) own"
                )
            if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
                raise CredentialStoreError(
                    f"Refusing to use the credential directory {path}: other users can write "
                    f"to {ancestor}, above it (mode {stat.S_IMODE(info.st_mode):04o}, not "
                    f"sticky), so they could replace it. Run `chmod go-w {ancestor}`"
                )

    @contextlib.contextmanager
    def _explained(self) -> Generator[None, None, None]:
        """An ``OSError`` of the store (a directory you cannot write, a file where a
        directory should be) as a ``CredentialStoreError`` that names the path and the
        fix, not a traceback."""
        try:
            yield
        except OSError as exc:
            where = exc.filename if exc.filename is not None else self.path.parent
            if exc.filename is not None and not os.path.isabs(str(where)):
                where = self.path.parent / str(where)  # opened relative to the directory
            raise CredentialStoreError(
                f"Cannot use the credential file {self.path}: {exc.strerror or exc} "
                f"({where}). Fix that path, or set {ENV_CONFIG_DIR} to a directory of your "
                "own that you can write"
            ) from None

    # -- the lock ---------------------------------------------------------------------

    def _open_lock(self, directory: _Directory) -> int:
        path = self.lock_path
        try:
            fd = directory.open(
                path.name, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0o600
            )
        except OSError as exc:
            if exc.errno in _SYMLINK_ERRNOS:
                raise CredentialStoreError(
                    f"Refusing to use the lock file {path}: it is a symbolic link. "
                    f"Delete it (`rm {path}`)"
                ) from None
            raise
        try:
            # Reading it is enough to flock it: a lock file that others can open lets them
            # block every sign-in, refresh and sign-out of yours.
            self._check_file(path, os.fstat(fd), what="lock file", fix=f"`rm {path}`")
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _acquire(self, fd: int, timeout: float) -> None:
        import fcntl

        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            remaining = deadline - time.monotonic()
            if not remaining > 0:
                raise ApiTimeoutError(
                    f"Timed out after {timeout:.3g} s waiting for the lock file {self.lock_path}: "
                    "another process holds it (signing in, refreshing or signing out). Try "
                    f"again; `lsof {self.lock_path}` shows which process it is"
                )
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)

    def _remove_stale_temporary_files(self, directory: _Directory) -> None:
        # Every writer holds the lock, so a temporary file seen under it is a crashed one's.
        prefix, suffix = _temporary_affixes(self.path)
        for name in directory.names():
            if name.startswith(prefix) and name.endswith(suffix):
                with contextlib.suppress(FileNotFoundError):
                    directory.unlink(name)

    # -- the file ---------------------------------------------------------------------

    def _read(self, directory: _Directory) -> Dict[str, StoredCredentials]:
        try:
            fd = directory.open(self.path.name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            if exc.errno in _SYMLINK_ERRNOS:
                raise CredentialStoreError(
                    f"Refusing to use the credential file {self.path}: it is a symbolic link. "
                    f"Delete it and sign in again with `numind auth login`"
                ) from None
            raise
        try:
            if _POSIX:
                self._check_file(self.path, os.fstat(fd), what="credential file")
            # SecretBytes: the file's tokens are masked in the locals of a traceback.
            data = SecretBytes(_read_at_most(fd, _MAX_FILE_SIZE + 1))
        finally:
            os.close(fd)
        if len(data) > _MAX_FILE_SIZE:
            raise self._corrupt()
        try:
            parsed: Optional[Dict[str, StoredCredentials]] = _parse(data)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            parsed = None
        if parsed is None:
            # Raised outside the except clause, so that it has no context: the frames of the
            # parse (the file's text and documents, with every login's tokens) are gone.
            raise self._corrupt()
        return parsed

    def _check_file(
        self, path: Path, info: os.stat_result, *, what: str, fix: Optional[str] = None
    ) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise CredentialStoreError(
                f"Refusing to use the {what} {path}: it is not a regular file. {_fix(fix)}"
            )
        if info.st_uid != os.geteuid():
            raise CredentialStoreError(
                f"Refusing to use the {what} {path}: it belongs to another user "
                f"(uid {info.st_uid}). {_fix(fix)}"
            )
        if info.st_mode & 0o077:
            raise CredentialStoreError(
                f"Refusing to use the {what} {path}: other users can read or write it "
                f"(mode {stat.S_IMODE(info.st_mode):04o}). Run `chmod 600 {path}`"
            )

    def _corrupt(self) -> CredentialStoreError:
        return InvalidCredentialFileError(
            f"The credential file {self.path} is not valid: run `numind auth logout` to "
            "delete it (or delete it yourself), then sign in again with `numind auth login`"
        )

    def _write(self, directory: _Directory, logins: Dict[str, StoredCredentials]) -> None:
        # One expression, kept Secret: no local of this frame holds the tokens as plain text
        # when the write fails (a full disk), the new ones of a refresh included.
        data = Secret(
            json.dumps(
                {
                    "version": _FORMAT_VERSION,
                    "logins": {url: entry.to_json() for url, entry in logins.items()},
                },
                indent=2,
            )
            + "\n"
        )
        prefix, suffix = _temporary_affixes(self.path)
        temporary = prefix + secrets.token_hex(8) + suffix
        # Created 0600, so the tokens are never readable by others; O_EXCL and O_NOFOLLOW,
        # so nothing placed there beforehand is written through.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
        fd = directory.open(temporary, flags, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            directory.replace(temporary, self.path.name)
        except BaseException:
            with contextlib.suppress(OSError):
                directory.unlink(temporary)
            raise
        directory.sync()


class _Directory:
    """A checked directory: names are opened relative to its descriptor (POSIX), so the
    directory cannot be swapped under us; on Windows, relative to its path."""

    def __init__(self, path: Path, fd: Optional[int]) -> None:
        self.path = path
        self.fd = fd

    def _name(self, name: str) -> str:
        return name if self.fd is not None else str(self.path / name)

    def open(self, name: str, flags: int, mode: int = 0o600) -> int:
        return os.open(self._name(name), flags, mode, dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        os.unlink(self._name(name), dir_fd=self.fd)

    def replace(self, source: str, target: str) -> None:
        os.replace(self._name(source), self._name(target), src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def names(self) -> list[str]:
        return os.listdir(self.fd if self.fd is not None else self.path)

    def sync(self) -> None:
        # The rename is durable only once the directory entry is on disk.
        if self.fd is not None:
            os.fsync(self.fd)


def _make_directories(path: Path) -> None:
    """Create ``path`` and its missing parents 0700 (as the XDG base directory spec asks):
    ``mkdir``'s mode only loses bits to the umask, so even under ``umask 000`` no
    directory made here can be written by others (``Path.mkdir(parents=True)`` makes the
    parents ``0777 & ~umask``)."""
    missing: list[Path] = []
    current = Path(os.path.abspath(path))
    while not os.path.lexists(current):
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile, or a file: checked after
            os.mkdir(directory, 0o700)


def _parse(data: bytes) -> Dict[str, StoredCredentials]:
    """The logins of the file's bytes; ``ValueError`` (or ``RecursionError``) if it is not a
    credential file. The caller raises outside its except clause: this frame's locals hold
    every login's tokens."""
    document: Any = json.loads(data.decode("utf-8"))
    logins: Any = (
        cast("Dict[str, Any]", document).get("logins") if isinstance(document, dict) else None
    )
    if not isinstance(logins, dict):
        raise ValueError("no logins")
    entries = cast("Dict[str, Any]", logins)
    parsed = {url: StoredCredentials.from_json(entry) for url, entry in entries.items()}
    if any(url != credentials.base_url for url, credentials in parsed.items()):
        raise ValueError("an entry is filed under another base URL")
    return parsed


def _temporary_affixes(path: Path) -> tuple[str, str]:
    # ".credentials-XXXX.tmp": also the names that earlier versions left after a crash.
    return f".{path.stem}-", ".tmp"


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _fix(fix: Optional[str]) -> str:
    if fix is not None:
        return f"Delete it ({fix})"
    return "Delete it and sign in again with `numind auth login`"
