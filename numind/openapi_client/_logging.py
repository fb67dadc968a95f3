"""The logging of a ``Configuration``: ``debug`` on the shared package logger (counted
across configurations), the one stderr handler that it adds, and ``logger_file``'s file
handler. ``Configuration`` gets its logging properties and its pickling from
``LoggingSettings``, its base class; this module imports nothing of ``configuration``.

Also the switch of the environment, ``NUMIND_LOG=debug|info|warning`` (read when the
package is imported, as openai-python reads ``OPENAI_LOG``), and of ``numind --debug``:
``log_to_stderr`` adds one stderr handler to the ``numind`` logger, at that level; at
``debug``, every ``Configuration`` made afterwards has ``debug`` on (unless given
``debug=False``), so its traffic is logged with the same redaction.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Dict, Mapping, Optional, Set, Tuple

#: The logger of the package, which ``Configuration.logger`` holds as "package_logger".
PACKAGE_LOGGER = "numind.openapi_client"
#: The format of ``logger_file``'s records (``Configuration.logger_format``).
FILE_FORMAT = "%(asctime)s %(levelname)s %(message)s"

#: The one stderr handler of ``debug=True``, shared by every configuration.
STDERR = logging.StreamHandler()
STDERR.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))

#: The environment variable of ``log_to_stderr``, read when the package is imported.
ENV_LOG = "NUMIND_LOG"
#: Its values, and the levels they set.
LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
#: The logger that ``log_to_stderr`` sets (the package logger is below it).
ROOT_LOGGER = "numind"
#: The one stderr handler of ``NUMIND_LOG`` and ``numind --debug``, on ``ROOT_LOGGER``.
ENV_STDERR = logging.StreamHandler()
ENV_STDERR.setFormatter(STDERR.formatter)


def parse_log_setting(value: Optional[str]) -> Tuple[Optional[int], Optional[str]]:
    """The level that a ``NUMIND_LOG`` value asks for (None: unset or empty), and the
    warning to give for a value that is not one of ``LOG_LEVELS`` (then the level is None)."""
    if value is None or not value.strip():
        return None, None
    level = LOG_LEVELS.get(value.strip().lower())
    if level is None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        return None, (
            f"Ignoring {ENV_LOG}={shown!r}: give one of {', '.join(LOG_LEVELS)} (the SDK's "
            "log on stderr, secrets redacted), or leave it unset"
        )
    return level, None


def log_to_stderr(level: str = "debug") -> None:
    """Log the SDK's records at ``level`` (``"debug"``, ``"info"`` or ``"warning"``) and
    above to stderr, through one handler on the ``numind`` logger, with secrets redacted as
    ``Configuration(debug=True)`` does. At ``"debug"``, every ``Configuration`` made
    afterwards logs its requests and answers (``debug`` on unless given ``debug=False``).
    What ``NUMIND_LOG`` and ``numind --debug`` do."""
    code = LOG_LEVELS.get(level)
    if code is None:
        raise ValueError(f"Invalid level {level!r}: give one of {', '.join(LOG_LEVELS)}")
    DEBUG_LOGGING.log_to_stderr(code)


def log_from_environment(environ: Mapping[str, str] = os.environ) -> None:
    """Apply ``NUMIND_LOG``; an unknown value is a WARNING that names the allowed ones."""
    level, warning = parse_log_setting(environ.get(ENV_LOG))
    if warning is not None:
        logging.getLogger(PACKAGE_LOGGER).warning(warning)
    elif level is not None:
        log_to_stderr(logging.getLevelName(level).lower())


class DebugLogging:
    """``debug=True`` of any number of configurations on the shared loggers.

    The first configuration that turns debug on sets the logger to DEBUG (if it is not
    already as verbose) and adds the one stderr handler (unless it logs to a file); when
    the last one turns it off, the level it found comes back (unless someone changed the
    level since) and the handler goes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Per logger: the configurations with debug on, those of them that want stderr,
        #: and the level to restore (None: the level was left alone).
        self._on: Dict[logging.Logger, Tuple[Set[int], Set[int], Optional[int]]] = {}
        #: The level of ``log_to_stderr`` (NUMIND_LOG), once called.
        self.env_level: Optional[int] = None

    def turn(self, logger: logging.Logger, owner: object, on: bool, stderr: bool) -> None:
        with self._lock:
            users, stderr_users, previous = self._on.get(logger, (set(), set(), None))
            if on:
                if not users and not logger.isEnabledFor(logging.DEBUG):
                    previous = logger.level
                    logger.setLevel(logging.DEBUG)
                users.add(id(owner))
                if stderr:
                    stderr_users.add(id(owner))
            else:
                users.discard(id(owner))
                stderr_users.discard(id(owner))
                if not users and previous is not None:
                    if logger.level == logging.DEBUG:
                        logger.setLevel(previous)
                    previous = None
            if stderr_users and STDERR not in logger.handlers and self.env_level is None:
                logger.addHandler(STDERR)
            elif not stderr_users and STDERR in logger.handlers:
                logger.removeHandler(STDERR)
            self._on[logger] = (users, stderr_users, previous)

    def log_to_stderr(self, level: int) -> None:
        """``log_to_stderr``: ``ENV_STDERR`` on the ``numind`` logger, set to ``level``."""
        root = logging.getLogger(ROOT_LOGGER)
        with self._lock:
            self.env_level = level
            root.setLevel(level)
            if ENV_STDERR not in root.handlers:
                root.addHandler(ENV_STDERR)
            # The records of debug=True are shown by that handler now, not twice.
            for logger in self._on:
                logger.removeHandler(STDERR)


DEBUG_LOGGING = DebugLogging()


class LoggingSettings:
    """The logging settings of ``Configuration``, its base class: ``debug``,
    ``logger_file``, the ``logger`` dict, ``logger_format`` and the two handlers, and
    pickling without the handlers (they hold locks and streams)."""

    logger: Dict[str, logging.Logger]
    logger_format: str
    logger_stream_handler: Optional[logging.Handler]
    logger_file_handler: Optional[logging.Handler]
    _logger_file: Optional[str]
    _debug: bool

    def _start_logging(self, logger_file: Optional[str], debug: Optional[bool]) -> None:
        """Set the logging attributes of a new configuration, then its ``logger_file`` and
        ``debug``."""
        self.logger = {"package_logger": logging.getLogger(PACKAGE_LOGGER)}
        self.logger_format = FILE_FORMAT
        self.logger_stream_handler = None
        self.logger_file_handler = None
        self._logger_file = None
        self._debug = False
        if logger_file is not None:
            self.logger_file = logger_file
        if debug is None and DEBUG_LOGGING.env_level == logging.DEBUG:
            debug = True  # NUMIND_LOG=debug, numind --debug
        if debug is not None:
            self.debug = debug

    def __getstate__(self) -> Dict[str, Any]:
        # For a child process (multiprocessing): log handlers hold locks and streams, so
        # they are made anew there from ``debug`` and ``logger_file``.
        state = dict(self.__dict__)
        state.update(logger_stream_handler=None, logger_file_handler=None, _debug=False)
        state["_pickled_logging"] = (self._debug, self._logger_file)
        state["_logger_file"] = None
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        debug, logger_file = state.pop("_pickled_logging", (False, None))
        self.__dict__.update(state)
        if logger_file is not None:
            self.logger_file = logger_file
        if debug:
            self.debug = True

    @property
    def debug(self) -> bool:
        """Log each request and response of this client at DEBUG (secrets are not logged)."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        value = bool(value)
        if value != self._debug:
            for logger in self.logger.values():
                DEBUG_LOGGING.turn(logger, self, value, stderr=not self.logger_file_handler)
        self._debug = value
        self.logger_stream_handler = STDERR if value else None

    @property
    def logger_file(self) -> Optional[str]:
        """A file that the package logger also writes to (it replaces the previous one)."""
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: Optional[str]) -> None:
        self._logger_file = value
        previous, self.logger_file_handler = self.logger_file_handler, None
        if value:
            self.logger_file_handler = logging.FileHandler(value)
            self.logger_file_handler.setFormatter(logging.Formatter(self.logger_format))
        for logger in self.logger.values():
            if previous is not None:
                logger.removeHandler(previous)
            if self.logger_file_handler is not None:
                logger.addHandler(self.logger_file_handler)
        if previous is not None:
            previous.close()
