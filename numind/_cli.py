"""The ``numind`` command line: sign-in and API keys. Thin: parses, calls the SDK, prints.

Exit codes: 0 success, 1 an API or sign-in error, 2 a usage error. Errors and warnings
are one line on stderr each, and say what to do next; with ``--json``, results are JSON
on stdout, and errors (``{"error": {"message": ..., "status": ...}}``) and warnings
(``{"warning": {"message": ...}}``) are JSON lines on stderr. Text that came from a
server is printed with its control characters escaped (``printable``), never obeyed.

This module parses and runs the sign-in commands; ``_cli_keys`` has ``numind auth
tokens``, and ``_cli_common`` what both share (failures, output, the signed-in client).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import logging
import os
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence

from numind import _cli_keys
from numind._cli_common import (
    PROG,
    Failure,
    Output,
    Parser,
    Quiet,
    base_url_of,
    client_api,
    emit,
    mask,
    say,
    show,
    signed_in,
    wants_json,
)

if TYPE_CHECKING:
    from numind.openapi_client import Configuration
    from numind.openapi_client.auth import StoredCredentials


_SDK_LOGGER = "numind.openapi_client"


class _Warnings(logging.Handler):
    """The SDK's WARNING records (``Configuration()``'s), shown as the CLI's warnings."""

    def emit(self, record: logging.LogRecord) -> None:
        Output.warning(record.getMessage())


def _not_shown_by_the_cli(record: logging.LogRecord) -> bool:
    """The filter of the SDK's stderr log (``--debug``, ``NUMIND_LOG``) while a command
    runs: the SDK's warnings are the CLI's own (``_Warnings``), not shown twice."""
    return record.levelno < logging.WARNING or not record.name.startswith(_SDK_LOGGER)


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    Output.warning(str(message))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Known before parsing, so that a usage error is JSON too.
    Output.json = "--json" in argv
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        # `numind auth` alone: the help of `numind auth`, not of `numind`.
        getattr(args, "help_of", parser).print_help(sys.stderr)
        return 2
    from numind.openapi_client import OpenApiException
    from numind.openapi_client._logging import ENV_STDERR
    from numind.openapi_client.configuration import log_to_stderr

    if getattr(args, "debug", False):
        log_to_stderr("debug")
    sdk_logger = logging.getLogger(_SDK_LOGGER)
    handler = _Warnings(logging.WARNING)
    sdk_logger.addHandler(handler)
    ENV_STDERR.addFilter(_not_shown_by_the_cli)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            # Shown as they happen: a warning before the browser opens must come before it.
            warnings.showwarning = _show_warning
            args.run(args)
    except Quiet:
        return 1
    except Failure as exc:
        Output.error(str(exc))
        return exc.exit_status
    except OpenApiException as exc:
        Output.error(_describe(exc, args), getattr(exc, "status", None))
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        sdk_logger.removeHandler(handler)
        ENV_STDERR.removeFilter(_not_shown_by_the_cli)
    return 0


def _parser() -> argparse.ArgumentParser:
    from numind import __version__

    common = Parser(add_help=False)
    common.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help="base URL of the API (default: $NUMIND_BASE_URL, else https://api.nuextract.ai/v1)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log each request and answer on stderr, secrets redacted (as NUMIND_LOG=debug)",
    )
    parser = Parser(prog=PROG, description="NuExtract from the command line.", parents=[common])
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__} (Python {sys.version.split()[0]})",
    )
    groups = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    auth = groups.add_parser(
        "auth",
        help="sign in and manage API keys",
        description="Sign in, see which credential is used, and manage API keys.",
        parents=[common],
    )
    auth.set_defaults(help_of=auth)
    commands = auth.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)

    login = commands.add_parser(
        "login",
        help="sign in through the browser",
        description=_LOGIN_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    login.add_argument("--no-browser", action="store_true", help="only print the URL")
    login.add_argument(
        "--paste",
        action="store_true",
        help="paste back the URL the browser was sent to (for a browser on another "
        "machine; see above for what it does not protect against)",
    )
    login.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        help="seconds to wait for the browser, or with --paste for the pasted URL (default 300)",
    )
    login.set_defaults(run=_login)
    commands.add_parser(
        "status",
        help="show which credential is used, where it comes from, and every stored login",
        description="For the base URL: the credential in use and where it comes from "
        "(NUMIND_API_KEY, or the login stored by `numind auth login`), the account it signs "
        "in, and when the access token expires; then every other base URL with a stored "
        "login. No token is shown. Exit status 1 when the credential in use does not work.",
        parents=[common],
    ).set_defaults(run=_status)
    commands.add_parser("whoami", help="show the signed-in user", parents=[common]).set_defaults(
        run=_whoami
    )
    commands.add_parser(
        "token",
        help="print the access token (the only command that prints one)",
        description="Print the access token that calls to the base URL send now: "
        "NUMIND_API_KEY if it is set, else the stored login's, refreshed first if it is "
        'about to expire. For other tools: curl -H "Authorization: Bearer $(numind auth '
        'token)" ... This is the only command that prints a token: keep its output out of '
        "logs and shared terminals.",
        parents=[common],
    ).set_defaults(run=_token)
    commands.add_parser(
        "logout",
        help="sign out and delete the stored tokens",
        description="Sign out of the base URL: end the session on the server and delete "
        "its stored tokens. A credential file that is not valid is deleted (a reset).",
        parents=[common],
    ).set_defaults(run=_logout)
    _cli_keys.add_commands(commands, common)
    return parser


_LOGIN_DESCRIPTION = """\
Sign in through the browser and store the tokens in your credential file.

By default a listener on 127.0.0.1 receives the browser's redirect. It answers only
your own user (on Linux), and the browser is given a one-time link to it, so the
sign-in's state never shows in the browser's command line, where other users of the
machine could read it. The account that signed in is printed: check it.

--paste is for a browser on another machine. The sign-in sends that browser to a port
of 127.0.0.1 picked at random for this sign-in, which this command holds so that no
other user of this machine can listen on it; you paste back the address the browser
was sent to. It does not protect against another user of the browser's machine who
listens on that port (on every port, or on the one in the sign-in URL, read from the
browser's command line): the code in that address signs in whoever uses it first.

On a machine that you share with people you do not trust, do not sign in there: create
an API key once where you can (`numind auth tokens create NAME`) and give it as
NUMIND_API_KEY. While NUMIND_API_KEY is set, it is used instead of any login.
"""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: give a positive number")
    return value


# -- commands ---------------------------------------------------------------------------


def _login(args: argparse.Namespace) -> None:
    from numind.openapi_client import auth

    # With --json, stdout carries only the result: the prompt goes to stderr. login()
    # prints who signed in, and where the tokens are.
    prompt_to = sys.stderr if wants_json(args) else sys.stdout
    with contextlib.redirect_stdout(prompt_to):
        configuration = auth.login(
            base_url_of(args),
            paste=args.paste,
            open_browser=not args.no_browser and not args.paste,
            timeout=args.timeout,
        )
    if wants_json(args):
        user = client_api(configuration).get_api_auth_me()
        emit({"base_url": configuration.host, "email": user.email})


def _status(args: argparse.Namespace) -> None:
    from numind.openapi_client import Configuration, OpenApiException
    from numind.openapi_client.auth import CredentialStore

    configuration = args.configuration = Configuration(host=base_url_of(args))
    base_url = configuration.host
    store = CredentialStore()
    logins = store.load_all()
    source = configuration.credential_source
    email: Optional[str] = None
    problem: Optional[OpenApiException] = None
    if source is not None:
        try:
            email = client_api(configuration).get_api_auth_me().email
        except OpenApiException as exc:
            problem = exc
    login = configuration.stored_login
    stored = login.credentials if login is not None else logins.get(base_url)
    others = {url: found for url, found in sorted(logins.items()) if url != base_url}
    error = None if problem is None else _describe(problem, args)
    if wants_json(args):
        emit(
            {
                "base_url": base_url,
                "credential": source,
                "account": email,
                "error": None
                if problem is None
                else {"message": error, "status": getattr(problem, "status", None)},
                "stored_login": None if stored is None else _login_json(stored),
                "other_logins": [_login_json(found) for found in others.values()],
                "credential_file": str(store.path),
                "proxy": _proxy_in_use(configuration),
            }
        )
    else:
        say(base_url)
        if source is None:
            say("  Not signed in: run `numind auth login` (or set NUMIND_API_KEY)")
        elif email is not None:
            say(f"  Signed in as {email}")
        else:
            say(f"  Not working: {error}")
        say(f"  Credential: {_describe_source(source, configuration)}")
        say(f"  Proxy: {_describe_proxy(_proxy_in_use(configuration))}")
        if stored is not None:
            used = "" if source == "stored_login" else " (not used while NUMIND_API_KEY is set)"
            say(f"  Stored login{used}: {_describe_login(stored)}")
        if others:
            say("Other base URLs with a stored login (pick one with --base-url):")
            for url, found in others.items():
                say(f"  {url}: {_describe_login(found)}")
        say(f"Credential file: {store.path}")
    if source is None or problem is not None:
        raise Quiet


def _whoami(args: argparse.Namespace) -> None:
    configuration = signed_in(args)
    user = client_api(configuration).get_api_auth_me()
    show(args, {"base_url": configuration.host, "email": user.email}, user.email)


def _token(args: argparse.Namespace) -> None:
    from numind.openapi_client import auth

    configuration = signed_in(args)
    token = auth.access_token(configuration=configuration)
    if wants_json(args):
        emit(
            {
                "base_url": configuration.host,
                "credential": configuration.credential_source,
                "token": token,
            }
        )
    else:
        print(token)


def _logout(args: argparse.Namespace) -> None:
    from numind.openapi_client import auth

    base_url = base_url_of(args)
    removed = auth.logout(base_url)
    text = f"Signed out of {base_url}" if removed else f"Not signed in to {base_url}"
    show(args, {"base_url": base_url, "signed_out": removed}, text)


# -- how an error is told ----------------------------------------------------------------


def _describe(exc: BaseException, args: argparse.Namespace) -> str:
    """One line for a person: ``describe_error`` and what to do about it, when the base
    URL or the credential is a likely cause."""
    from numind.openapi_client import ApiException, OpenApiException, UnauthorizedException
    from numind.openapi_client.auth.messages import describe_error

    text = describe_error(exc)
    if not isinstance(exc, ApiException):
        return text
    if exc.suggested_host is not None:
        # The SDK's hint, with the way to give the base URL to this command.
        from_env = not getattr(args, "base_url", None) and os.environ.get("NUMIND_BASE_URL")
        how = "NUMIND_BASE_URL=" if from_env else "--base-url "
        return text.replace(f"use {exc.suggested_host}", f"use {how}{exc.suggested_host}")
    configuration: Optional[Configuration] = getattr(args, "configuration", None)
    if (
        isinstance(exc, UnauthorizedException)
        and exc.hint is not None
        and configuration is not None
        and configuration.credential_source == "NUMIND_API_KEY"
    ):
        from numind.openapi_client.auth import CredentialStore

        with contextlib.suppress(OpenApiException, OSError):
            if CredentialStore().load(configuration.host) is not None:
                return text.replace(
                    exc.hint,
                    f"The token sent was NUMIND_API_KEY, which wins over your stored login for "
                    f"{configuration.host}: unset NUMIND_API_KEY to use the login, or set it "
                    "to a key of `numind auth tokens list`",
                )
    return text


# -- what `status` shows -----------------------------------------------------------------


def _describe_source(source: Optional[str], configuration: Configuration) -> str:
    if source == "NUMIND_API_KEY":
        token = configuration.access_token  # NUMIND_API_KEY's: a str
        return f"the API key in NUMIND_API_KEY ({mask(token if isinstance(token, str) else '')})"
    if source == "stored_login":
        return "the login stored by `numind auth login` (refreshed automatically)"
    return "none"


def _proxy_in_use(configuration: Configuration) -> Dict[str, Optional[str]]:
    """The proxy of calls to the base URL (never its credentials), and where it is set:
    "Configuration.proxy", the variable that set it, or "NO_PROXY" when it bypasses it."""
    from numind.openapi_client._proxy import proxy_routes
    from numind.openapi_client.exceptions import ApiValueError

    try:
        routes = proxy_routes(
            configuration.proxy, configuration.proxy_headers, configuration.trust_env, os.environ
        )
        proxy, source = routes.choose(configuration.host)
    except ApiValueError as exc:
        return {"url": None, "source": None, "error": str(exc)}
    return {"url": None if proxy is None else proxy.url, "source": source or None, "error": None}


def _describe_proxy(proxy: Dict[str, Optional[str]]) -> str:
    if proxy["error"] is not None:
        return proxy["error"]
    if proxy["url"] is not None:
        return f"{proxy['url']} (from {proxy['source']})"
    return "none" if proxy["source"] is None else f"none ({proxy['source']})"


def _describe_login(stored: StoredCredentials) -> str:
    text = f"access token expires {_when(stored.expires_at)}"
    if stored.refresh_expires_at is None:
        return text
    if stored.refresh_expires_at.timestamp() <= time.time():
        return f"session ended {_when(stored.refresh_expires_at)}: sign in again"
    return f"{text}, renewed until the session ends {_when(stored.refresh_expires_at)}"


def _when(moment: datetime.datetime) -> str:
    at = moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    seconds = moment.timestamp() - time.time()
    span = abs(seconds)
    amount = f"{span:.0f} s" if span < 120 else f"{span / 60:.0f} min"
    if span >= 7200:
        amount = f"{span / 3600:.0f} h" if span < 172800 else f"{span / 86400:.0f} days"
    return f"{at} ({'in ' + amount if seconds > 0 else amount + ' ago'})"


def _login_json(stored: StoredCredentials) -> Dict[str, Any]:
    ends = stored.refresh_expires_at
    return {
        "base_url": stored.base_url,
        "access_token_expires_at": stored.expires_at.isoformat(),
        "session_expires_at": None if ends is None else ends.isoformat(),
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
