"""The ``numind`` command line: sign-in and API keys. Thin: parses, calls the SDK, prints.

Exit codes: 0 success, 1 an API or sign-in error, 2 a usage error. Errors are one line
on stderr; ``--json`` prints machine-readable results on stdout. Text that came from a
server is printed with its control characters escaped (``printable``), never obeyed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Dict, NoReturn, Optional, Sequence

if TYPE_CHECKING:
    from numind.openapi_client import AuthenticationApi, Configuration, UserTokenResponse

PROG = "numind"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        self.exit(2, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


class _Failure(Exception):
    """An error to report on one line, with exit status 1."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    if not hasattr(args, "run"):
        _parser().print_help(sys.stderr)
        return 2
    from numind.openapi_client import OpenApiException
    from numind.openapi_client.auth._login import describe_error

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            args.run(args)
        for warning in caught:
            _say(f"{PROG}: warning: {warning.message}", file=sys.stderr)
    except (_Failure, OpenApiException) as exc:
        _say(f"{PROG}: error: {describe_error(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help="base URL of the API (default: $NUMIND_BASE_URL, else https://api.nuextract.ai/v1)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    parser = _Parser(prog=PROG, description="NuExtract from the command line.", parents=[common])
    groups = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    auth = groups.add_parser("auth", help="sign in and manage API keys", parents=[common])
    commands = auth.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

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
        "--timeout", type=_seconds, default=300.0, help="seconds to wait (default 300)"
    )
    login.set_defaults(run=_login)
    commands.add_parser("whoami", help="show the signed-in user", parents=[common]).set_defaults(
        run=_whoami
    )
    commands.add_parser(
        "logout", help="sign out and delete the stored tokens", parents=[common]
    ).set_defaults(run=_logout)

    tokens = commands.add_parser("tokens", help="manage API keys", parents=[common])
    keys = tokens.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    keys.add_parser("list", help="list API keys (masked)", parents=[common]).set_defaults(
        run=_tokens_list
    )
    create = keys.add_parser("create", help="create an API key", parents=[common])
    create.add_argument("name")
    create.set_defaults(run=_tokens_create)
    rename = keys.add_parser("rename", help="rename an API key", parents=[common])
    rename.add_argument("id")
    rename.add_argument("name")
    rename.set_defaults(run=_tokens_rename)
    delete = keys.add_parser("delete", help="delete (revoke) an API key", parents=[common])
    delete.add_argument("id")
    delete.set_defaults(run=_tokens_delete)
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
NUMIND_API_KEY.
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
    # prints who signed in.
    prompt_to = sys.stderr if _json(args) else sys.stdout
    with contextlib.redirect_stdout(prompt_to):
        configuration = auth.login(
            _base_url(args),
            paste=args.paste,
            open_browser=not args.no_browser and not args.paste,
            timeout=args.timeout,
        )
    if _json(args):
        user = _api(configuration).get_api_auth_me()
        _emit({"base_url": configuration.host, "email": user.email})


def _whoami(args: argparse.Namespace) -> None:
    configuration = _signed_in(args)
    user = _api(configuration).get_api_auth_me()
    _print(args, {"base_url": configuration.host, "email": user.email}, user.email)


def _logout(args: argparse.Namespace) -> None:
    from numind.openapi_client import auth

    base_url = _base_url(args)
    removed = auth.logout(base_url)
    text = f"Signed out of {base_url}" if removed else f"Not signed in to {base_url}"
    _print(args, {"base_url": base_url, "signed_out": removed}, text)


def _tokens_list(args: argparse.Namespace) -> None:
    keys = _api(_signed_in(args)).get_api_auth_user_tokens()
    if _json(args):
        _emit([_key_json(key, masked=True) for key in keys])
        return
    if not keys:
        _say("No API keys")
        return
    rows = [["ID", "NAME", "KEY", "CREATED", "EXPIRES"]]
    rows += [[k.id, k.name, _mask(k.token), k.created_at, k.expires_at] for k in keys]
    rows = [[_printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _tokens_create(args: argparse.Namespace) -> None:
    key = _api(_signed_in(args)).post_api_auth_user_tokens({"name": args.name})
    _print(
        args,
        _key_json(key, masked=False),
        f"Created API key {key.id} ({key.name}). Its secret, shown only now:",
        key.token,
        "Store it safely; use it as NUMIND_API_KEY.",
    )


def _tokens_rename(args: argparse.Namespace) -> None:
    key = _api(_signed_in(args)).put_api_auth_user_tokens_usertokenid(args.id, {"name": args.name})
    _print(args, _key_json(key, masked=True), f"Renamed API key {key.id} to {key.name}")


def _tokens_delete(args: argparse.Namespace) -> None:
    _api(_signed_in(args)).delete_api_auth_user_tokens_usertokenid(args.id)
    _print(args, {"id": args.id, "deleted": True}, f"Deleted API key {args.id}")


# -- helpers ----------------------------------------------------------------------------


def _base_url(args: argparse.Namespace) -> str:
    from numind.openapi_client.configuration import DEFAULT_HOST, ENV_BASE_URL

    url: str = getattr(args, "base_url", None) or os.environ.get(ENV_BASE_URL) or DEFAULT_HOST
    return url.rstrip("/")


def _signed_in(args: argparse.Namespace) -> Configuration:
    from numind.openapi_client import Configuration

    configuration = Configuration(host=_base_url(args))
    if configuration.access_token is None and configuration.stored_login is None:
        raise _Failure(
            f"Not signed in to {configuration.host}: run `numind auth login` "
            "(or set NUMIND_API_KEY)"
        )
    return configuration


def _api(configuration: Configuration) -> AuthenticationApi:
    from numind.openapi_client import ApiClient, AuthenticationApi

    return AuthenticationApi(ApiClient(configuration))


def _json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def _print(args: argparse.Namespace, value: Any, *lines: str) -> None:
    """``value`` as JSON with ``--json``, else ``lines``."""
    if _json(args):
        _emit(value)
    else:
        for line in lines:
            _say(line)


def _say(line: str, file: Any = None) -> None:
    """Print one line; a character in it that a terminal would obey (an escape sequence in
    a name or a message from the server, a line break) is shown escaped instead."""
    print(_printable(line), file=file)


def _printable(text: str) -> str:
    from numind.openapi_client.auth._login import printable

    return printable(text)


def _emit(value: Any) -> None:
    # json.dumps escapes every control character (ensure_ascii): safe to print as is.
    print(json.dumps(value, indent=2))


def _mask(secret: str) -> str:
    return "****" + secret[-4:] if len(secret) > 12 else "****"


def _key_json(key: UserTokenResponse, *, masked: bool) -> Dict[str, str]:
    return {
        "id": key.id,
        "name": key.name,
        "token": _mask(key.token) if masked else key.token,
        "user_id": key.user_id,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
