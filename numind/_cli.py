"""The ``numind`` command line: sign-in and API keys. Thin: parses, calls the SDK, prints.

Exit codes: 0 success, 1 an API or sign-in error, 2 a usage error. Errors and warnings
are one line on stderr each, and say what to do next; with ``--json``, results are JSON
on stdout, and errors (``{"error": {"message": ..., "status": ...}}``) and warnings
(``{"warning": {"message": ...}}``) are JSON lines on stderr. Text that came from a
server is printed with its control characters escaped (``printable``), never obeyed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import os
import sys
import time
import warnings
from typing import TYPE_CHECKING, Any, Dict, Generator, NoReturn, Optional, Sequence
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from numind.openapi_client import AuthenticationApi, Configuration, UserTokenResponse
    from numind.openapi_client.auth import StoredCredentials

PROG = "numind"


class _Failure(Exception):
    """An error to report on one line, with exit status 1 (``exit_status`` otherwise)."""

    exit_status = 1


class _UsageError(_Failure):
    """A command line that cannot be run as given: exit status 2."""

    exit_status = 2


class _Output:
    """Where errors and warnings go: plain lines, or JSON lines with ``--json``."""

    json = False

    @classmethod
    def error(cls, message: str, status: Optional[int] = None) -> None:
        if cls.json:
            _emit_line({"error": {"message": message, "status": status}})
        else:
            _say(f"{PROG}: error: {message}", file=sys.stderr)

    @classmethod
    def warning(cls, message: str) -> None:
        if cls.json:
            _emit_line({"warning": {"message": message}})
        else:
            _say(f"{PROG}: warning: {message}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        _Output.error(f"{message} (see `{self.prog} --help`)")
        self.exit(2)


class _Warnings(logging.Handler):
    """The SDK's WARNING records (``Configuration()``'s), shown as the CLI's warnings."""

    def emit(self, record: logging.LogRecord) -> None:
        _Output.warning(record.getMessage())


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    _Output.warning(str(message))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Known before parsing, so that a usage error is JSON too.
    _Output.json = "--json" in argv
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        # `numind auth` alone: the help of `numind auth`, not of `numind`.
        getattr(args, "help_of", parser).print_help(sys.stderr)
        return 2
    from numind.openapi_client import OpenApiException

    sdk_logger = logging.getLogger("numind.openapi_client")
    handler = _Warnings(logging.WARNING)
    sdk_logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            # Shown as they happen: a warning before the browser opens must come before it.
            warnings.showwarning = _show_warning
            args.run(args)
    except _Quiet:
        return 1
    except _Failure as exc:
        _Output.error(str(exc))
        return exc.exit_status
    except OpenApiException as exc:
        _Output.error(_describe(exc, args), getattr(exc, "status", None))
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        sdk_logger.removeHandler(handler)
    return 0


def _parser() -> argparse.ArgumentParser:
    from numind import __version__

    common = _Parser(add_help=False)
    common.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help="base URL of the API (default: $NUMIND_BASE_URL, else https://api.nuextract.ai/v1)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    parser = _Parser(prog=PROG, description="NuExtract from the command line.", parents=[common])
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__} (Python {sys.version.split()[0]})",
    )
    groups = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    auth = groups.add_parser(
        "auth",
        help="sign in and manage API keys",
        description="Sign in, see which credential is used, and manage API keys.",
        parents=[common],
    )
    auth.set_defaults(help_of=auth)
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

    tokens = commands.add_parser("tokens", help="manage API keys", parents=[common])
    tokens.set_defaults(help_of=tokens)
    keys = tokens.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    keys.add_parser("list", help="list API keys (masked)", parents=[common]).set_defaults(
        run=_tokens_list
    )
    create = keys.add_parser("create", help="create an API key", parents=[common])
    create.add_argument("name")
    create.set_defaults(run=_tokens_create)
    rename = keys.add_parser("rename", help="rename an API key", parents=[common])
    rename.add_argument("key", metavar="ID_OR_NAME", help="the key's id, or its name if unique")
    rename.add_argument("name")
    rename.set_defaults(run=_tokens_rename)
    delete = keys.add_parser(
        "delete",
        help="delete (revoke) an API key",
        description="Delete (revoke) an API key, after asking on a terminal. From a script "
        "(stdin not a terminal), give --yes.",
        parents=[common],
    )
    delete.add_argument("key", metavar="ID_OR_NAME", help="the key's id, or its name if unique")
    delete.add_argument("-y", "--yes", action="store_true", help="delete without asking")
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


def _status(args: argparse.Namespace) -> None:
    from numind.openapi_client import Configuration, OpenApiException
    from numind.openapi_client.auth import CredentialStore

    configuration = args.configuration = Configuration(host=_base_url(args))
    base_url = configuration.host
    store = CredentialStore()
    logins = store.load_all()
    source = configuration.credential_source
    email: Optional[str] = None
    problem: Optional[OpenApiException] = None
    if source is not None:
        try:
            email = _api(configuration).get_api_auth_me().email
        except OpenApiException as exc:
            problem = exc
    login = configuration.stored_login
    stored = login.credentials if login is not None else logins.get(base_url)
    others = {url: found for url, found in sorted(logins.items()) if url != base_url}
    error = None if problem is None else _describe(problem, args)
    if _json(args):
        _emit(
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
            }
        )
    else:
        _say(base_url)
        if source is None:
            _say("  Not signed in: run `numind auth login` (or set NUMIND_API_KEY)")
        elif email is not None:
            _say(f"  Signed in as {email}")
        else:
            _say(f"  Not working: {error}")
        _say(f"  Credential: {_describe_source(source, configuration)}")
        if stored is not None:
            used = "" if source == "stored_login" else " (not used while NUMIND_API_KEY is set)"
            _say(f"  Stored login{used}: {_describe_login(stored)}")
        if others:
            _say("Other base URLs with a stored login (pick one with --base-url):")
            for url, found in others.items():
                _say(f"  {url}: {_describe_login(found)}")
        _say(f"Credential file: {store.path}")
    if source is None or problem is not None:
        raise _Quiet


def _whoami(args: argparse.Namespace) -> None:
    configuration = _signed_in(args)
    user = _api(configuration).get_api_auth_me()
    _print(args, {"base_url": configuration.host, "email": user.email}, user.email)


def _token(args: argparse.Namespace) -> None:
    from numind.openapi_client import auth

    configuration = _signed_in(args)
    token = auth.access_token(configuration=configuration)
    if _json(args):
        _emit(
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
    name = _key_name(args.name)
    with _name_refused(name):
        key = _api(_signed_in(args)).post_api_auth_user_tokens({"name": name})
    _print(
        args,
        _key_json(key, masked=False),
        f"Created API key {key.id} ({key.name}). Its secret, shown only now:",
        key.token,
        "Store it safely; use it as NUMIND_API_KEY.",
    )


def _tokens_rename(args: argparse.Namespace) -> None:
    name = _key_name(args.name)
    api = _api(_signed_in(args))
    key = _find_key(api, args.key)
    with _name_refused(name), _key_gone(args.key):
        key = api.put_api_auth_user_tokens_usertokenid(key.id, {"name": name})
    _print(args, _key_json(key, masked=True), f"Renamed API key {key.id} to {key.name}")


def _tokens_delete(args: argparse.Namespace) -> None:
    api = _api(_signed_in(args))
    key = _find_key(api, args.key)
    what = f"API key {key.name!r} (id {key.id})"
    if not args.yes:
        _confirm(f"Delete {what}? Programs that use it stop working at once.", what)
    with _key_gone(args.key):
        api.delete_api_auth_user_tokens_usertokenid(key.id)
    _print(args, {"id": key.id, "name": key.name, "deleted": True}, f"Deleted {what}")


# -- API keys: by id or name, and what the server refuses -------------------------------


def _key_name(name: str) -> str:
    if not name.strip():
        raise _UsageError(
            f"invalid API key name {name!r}: give a name that says where the key is used, "
            "such as `numind auth tokens create laptop`"
        )
    return name


def _find_key(api: AuthenticationApi, given: str) -> UserTokenResponse:
    """The key whose id is ``given``, else the one key named ``given``."""
    keys = api.get_api_auth_user_tokens()
    for key in keys:
        if key.id == given:
            return key
    named = [key for key in keys if key.name == given]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(key.id for key in named)
        raise _Failure(f"{len(named)} API keys are named {given!r} (ids {ids}): give the id")
    raise _Failure(_no_such_key(given))


def _no_such_key(given: str) -> str:
    return f"No API key has the id or name {given!r}: `numind auth tokens list` shows your keys"


@contextlib.contextmanager
def _key_gone(given: str) -> Generator[None, None, None]:
    """A 404: the key was deleted meanwhile (or is another user's)."""
    from numind.openapi_client import NotFoundException

    try:
        yield
    except NotFoundException:
        raise _Failure(_no_such_key(given)) from None


@contextlib.contextmanager
def _name_refused(name: str) -> Generator[None, None, None]:
    from numind.openapi_client import BadRequestException
    from numind.openapi_client.auth.messages import describe_error

    try:
        yield
    except BadRequestException as exc:
        raise _Failure(
            f"The server refused the API key name {name!r} ({describe_error(exc)}): try "
            "a shorter name"
        ) from None


def _confirm(question: str, what: str) -> None:
    """Ask on the terminal; refuse when stdin is not one (a script must say ``--yes``)."""
    if not sys.stdin.isatty():
        raise _UsageError(
            f"Refusing to delete {what} without asking, and stdin is not a terminal: "
            "add --yes to delete it from a script"
        )
    sys.stderr.write(_printable(question) + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise _Failure(f"Not deleted: {what} is kept")


# -- how an error is told ----------------------------------------------------------------


class _Quiet(_Failure):
    """Exit status 1 with nothing more to say: the command printed it already."""


def _describe(exc: BaseException, args: argparse.Namespace) -> str:
    """One line for a person: ``describe_error`` and what to do about it, when the base
    URL or the credential is a likely cause."""
    from numind.openapi_client import ApiException, OpenApiException, UnauthorizedException
    from numind.openapi_client.auth.messages import describe_error

    text = describe_error(exc)
    if not isinstance(exc, ApiException):
        return text
    base_url = _base_url(args)
    path = urlsplit(base_url).path.rstrip("/")
    if exc.status == 404 and not path.endswith("/v1"):
        fixed = base_url + "/v1"
        from_env = not getattr(args, "base_url", None) and os.environ.get("NUMIND_BASE_URL")
        how = f"NUMIND_BASE_URL={fixed}" if from_env else f"--base-url {fixed}"
        return (
            f"{text}. The base URL {base_url} lacks the /v1 that the API's paths start "
            f"with: use {how}"
        )
    configuration: Optional[Configuration] = getattr(args, "configuration", None)
    if (
        isinstance(exc, UnauthorizedException)
        and configuration is not None
        and configuration.credential_source == "NUMIND_API_KEY"
    ):
        from numind.openapi_client.auth import CredentialStore

        with contextlib.suppress(OpenApiException, OSError):
            if CredentialStore().load(configuration.host) is not None:
                return (
                    f"{text}. The token sent was NUMIND_API_KEY, which wins over your stored "
                    f"login for {configuration.host}: unset NUMIND_API_KEY to use the login, "
                    "or set it to a key of `numind auth tokens list`"
                )
        return (
            f"{text}. The token sent was NUMIND_API_KEY: set it to a valid API key "
            "(`numind auth tokens create NAME`), or unset it and run `numind auth login`"
        )
    return text


# -- helpers ----------------------------------------------------------------------------


def _base_url(args: argparse.Namespace) -> str:
    from numind.openapi_client.configuration import DEFAULT_HOST, ENV_BASE_URL

    url: str = getattr(args, "base_url", None) or os.environ.get(ENV_BASE_URL) or DEFAULT_HOST
    return url.rstrip("/")


def _signed_in(args: argparse.Namespace) -> Configuration:
    from numind.openapi_client import Configuration
    from numind.openapi_client.auth import CredentialStore

    configuration = args.configuration = Configuration(host=_base_url(args))
    if configuration.credential_source is None:
        elsewhere = sorted(set(CredentialStore().load_all()) - {configuration.host})
        if elsewhere:
            raise _Failure(
                f"Not signed in to {configuration.host}, but to {', '.join(elsewhere)}: "
                "pick one with --base-url (or NUMIND_BASE_URL), or run `numind auth login "
                f"--base-url {configuration.host}`"
            )
        raise _Failure(
            f"Not signed in to {configuration.host}: run `numind auth login` "
            "(or set NUMIND_API_KEY)"
        )
    return configuration


def _api(configuration: Configuration) -> AuthenticationApi:
    from numind.openapi_client import ApiClient, AuthenticationApi

    return AuthenticationApi(ApiClient(configuration))


def _describe_source(source: Optional[str], configuration: Configuration) -> str:
    if source == "NUMIND_API_KEY":
        return f"the API key in NUMIND_API_KEY ({_mask(configuration.access_token or '')})"
    if source == "stored_login":
        return "the login stored by `numind auth login` (refreshed automatically)"
    return "none"


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
    from numind.openapi_client.auth.messages import printable

    return printable(text)


def _emit(value: Any) -> None:
    # json.dumps escapes every control character (ensure_ascii): safe to print as is.
    print(json.dumps(value, indent=2))


def _emit_line(value: Any) -> None:
    print(json.dumps(value), file=sys.stderr)


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
