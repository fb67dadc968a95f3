"""``numind auth tokens``: list, create, rename and delete API keys (by id, or by a name
that is unique)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any, Dict, Generator

from numind._cli_common import (
    Failure,
    Parser,
    UsageError,
    client_api,
    emit,
    mask,
    printable,
    say,
    show,
    signed_in,
    wants_json,
)

if TYPE_CHECKING:
    from numind.openapi_client import AuthenticationApi, UserTokenResponse


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``tokens`` and its commands to ``commands``, the subparsers of ``auth``; each
    takes the options of ``common`` (``--base-url``, ``--json``)."""
    tokens = commands.add_parser("tokens", help="manage API keys", parents=[common])
    tokens.set_defaults(help_of=tokens)
    keys = tokens.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
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


def _tokens_list(args: argparse.Namespace) -> None:
    keys = client_api(signed_in(args)).get_api_auth_user_tokens()
    if wants_json(args):
        emit([_key_json(key, masked=True) for key in keys])
        return
    if not keys:
        say("No API keys")
        return
    rows = [["ID", "NAME", "KEY", "CREATED", "EXPIRES"]]
    rows += [[k.id, k.name, mask(k.token), k.created_at, k.expires_at] for k in keys]
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


def _tokens_create(args: argparse.Namespace) -> None:
    name = _key_name(args.name)
    with _name_refused(name):
        key = client_api(signed_in(args)).post_api_auth_user_tokens({"name": name})
    show(
        args,
        _key_json(key, masked=False),
        f"Created API key {key.id} ({key.name}). Its secret, shown only now:",
        key.token,
        "Store it safely; use it as NUMIND_API_KEY.",
    )


def _tokens_rename(args: argparse.Namespace) -> None:
    name = _key_name(args.name)
    api = client_api(signed_in(args))
    key = _find_key(api, args.key)
    with _name_refused(name), _key_gone(args.key):
        key = api.put_api_auth_user_tokens_usertokenid(key.id, {"name": name})
    show(args, _key_json(key, masked=True), f"Renamed API key {key.id} to {key.name}")


def _tokens_delete(args: argparse.Namespace) -> None:
    api = client_api(signed_in(args))
    key = _find_key(api, args.key)
    what = f"API key {key.name!r} (id {key.id})"
    if not args.yes:
        _confirm(f"Delete {what}? Programs that use it stop working at once.", what)
    with _key_gone(args.key):
        api.delete_api_auth_user_tokens_usertokenid(key.id)
    show(args, {"id": key.id, "name": key.name, "deleted": True}, f"Deleted {what}")


# -- API keys: by id or name, and what the server refuses -------------------------------


def _key_name(name: str) -> str:
    if not name.strip():
        raise UsageError(
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
        raise Failure(f"{len(named)} API keys are named {given!r} (ids {ids}): give the id")
    raise Failure(_no_such_key(given))


def _no_such_key(given: str) -> str:
    return f"No API key has the id or name {given!r}: `numind auth tokens list` shows your keys"


@contextlib.contextmanager
def _key_gone(given: str) -> Generator[None, None, None]:
    """A 404: the key was deleted meanwhile (or is another user's)."""
    from numind.openapi_client import NotFoundException

    try:
        yield
    except NotFoundException:
        raise Failure(_no_such_key(given)) from None


@contextlib.contextmanager
def _name_refused(name: str) -> Generator[None, None, None]:
    from numind.openapi_client import BadRequestException
    from numind.openapi_client.auth.messages import describe_error

    try:
        yield
    except BadRequestException as exc:
        raise Failure(
            f"The server refused the API key name {name!r} ({describe_error(exc)}): try "
            "a shorter name"
        ) from None


def _confirm(question: str, what: str) -> None:
    """Ask on the terminal; refuse when stdin is not one (a script must say ``--yes``)."""
    if not sys.stdin.isatty():
        raise UsageError(
            f"Refusing to delete {what} without asking, and stdin is not a terminal: "
            "add --yes to delete it from a script"
        )
    sys.stderr.write(printable(question) + " [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        raise Failure(f"Not deleted: {what} is kept")


def _key_json(key: UserTokenResponse, *, masked: bool) -> Dict[str, str]:
    return {
        "id": key.id,
        "name": key.name,
        "token": mask(key.token) if masked else key.token,
        "user_id": key.user_id,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
    }
