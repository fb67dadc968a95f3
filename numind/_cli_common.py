"""What the commands of ``numind`` share: how a failure and a result are told (lines, or
JSON with ``--json``; server text escaped), and the base URL and signed-in client they use.

Imports only the standard library at import time (``numind --help`` stays fast); the SDK
is imported when a command runs, and only through its public modules.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn, Optional

if TYPE_CHECKING:
    from numind.openapi_client import AuthenticationApi, Configuration

PROG = "numind"


class Failure(Exception):
    """An error to report on one line, with exit status 1 (``exit_status`` otherwise)."""

    exit_status = 1


class UsageError(Failure):
    """A command line that cannot be run as given: exit status 2."""

    exit_status = 2


class Output:
    """Where errors and warnings go: plain lines, or JSON lines with ``--json``."""

    json = False

    @classmethod
    def error(cls, message: str, status: Optional[int] = None) -> None:
        if cls.json:
            emit_line({"error": {"message": message, "status": status}})
        else:
            say(f"{PROG}: error: {message}", file=sys.stderr)

    @classmethod
    def warning(cls, message: str) -> None:
        if cls.json:
            emit_line({"warning": {"message": message}})
        else:
            say(f"{PROG}: warning: {message}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (JSON with ``--json``), status 2."""

    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        Output.error(f"{message} (see `{self.prog} --help`)")
        self.exit(2)


class Quiet(Failure):
    """Exit status 1 with nothing more to say: the command printed it already."""


# -- the base URL and the signed-in client ---------------------------------------------


def base_url_of(args: argparse.Namespace) -> str:
    from numind.openapi_client.configuration import DEFAULT_HOST, ENV_BASE_URL

    url: str = getattr(args, "base_url", None) or os.environ.get(ENV_BASE_URL) or DEFAULT_HOST
    return url.rstrip("/")


def signed_in(args: argparse.Namespace) -> Configuration:
    from numind.openapi_client import Configuration
    from numind.openapi_client.auth import CredentialStore

    configuration = args.configuration = Configuration(host=base_url_of(args))
    if configuration.credential_source is None:
        elsewhere = sorted(set(CredentialStore().load_all()) - {configuration.host})
        if elsewhere:
            raise Failure(
                f"Not signed in to {configuration.host}, but to {', '.join(elsewhere)}: "
                "pick one with --base-url (or NUMIND_BASE_URL), or run `numind auth login "
                f"--base-url {configuration.host}`"
            )
        raise Failure(
            f"Not signed in to {configuration.host}: run `numind auth login` "
            "(or set NUMIND_API_KEY)"
        )
    return configuration


def client_api(configuration: Configuration) -> AuthenticationApi:
    from numind.openapi_client import ApiClient, AuthenticationApi

    return AuthenticationApi(ApiClient(configuration))


# -- output -----------------------------------------------------------------------------


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def show(args: argparse.Namespace, value: Any, *lines: str) -> None:
    """``value`` as JSON with ``--json``, else ``lines``."""
    if wants_json(args):
        emit(value)
    else:
        for line in lines:
            say(line)


def say(line: str, file: Any = None) -> None:
    """Print one line; a character in it that a terminal would obey (an escape sequence in
    a name or a message from the server, a line break) is shown escaped instead."""
    print(printable(line), file=file)


def printable(text: str) -> str:
    """``text`` with the characters a terminal would obey written as escapes."""
    from numind.openapi_client.auth import messages

    return messages.printable(text)


def emit(value: Any) -> None:
    # json.dumps escapes every control character (ensure_ascii): safe to print as is.
    print(json.dumps(value, indent=2))


def emit_line(value: Any) -> None:
    print(json.dumps(value), file=sys.stderr)


def mask(secret: str) -> str:
    return "****" + secret[-4:] if len(secret) > 12 else "****"
