"""What the README and the docs promise, checked against the package and the contract.

- The exception tree drawn in README.md: every name in it is importable from
  ``numind.openapi_client`` and ``numind.openapi_client_async`` (the same class), under
  the parent it is drawn under; and every exported exception is drawn.
- The endpoints: the README names each method and path of ``openapi.yaml``.
- Installing: no page tells a user to ``pip install numind`` from the index (a different
  package of that name is there) without saying so.
- The examples that rename or delete an API key act on a key they create: a user's own keys
  are as they were after the example ran.
"""

from __future__ import annotations

import builtins
import importlib
import pathlib
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml
from _examples import ROOT
from signing_in import authorization_code, new_email, sign_in
from test_docs_examples import BLOCKS, DOC_REDIRECT_URI, example_env

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

README = ROOT / "README.md"
PACKAGES = ["numind.openapi_client", "numind.openapi_client_async"]

# -- the exception tree ----------------------------------------------------------------------

#: A line of the tree: its drawing (``│``, ``├──`` ...), a class name, and maybe
#: ``(BuiltinBase)``.
TREE_LINE = re.compile(r"^(?P<indent>[│├└─ ]*)(?P<name>[A-Z]\w*)(?: \((?P<builtin>\w+)\))?")


def drawn_tree(text: str) -> list[tuple[str, str | None, str | None]]:
    """(name, parent, built-in base) of each class drawn in the README's exception tree."""
    errors = text[text.index("\n## Errors\n") :]
    block = re.search(r"^```text\n(OpenApiException\n.*?)^```", errors, re.S | re.M)
    assert block is not None, "README.md: no exception tree under ## Errors"
    drawn: list[tuple[str, str | None, str | None]] = []
    parents: list[str] = []  # the names on the path to the current depth
    for line in block.group(1).splitlines():
        match = TREE_LINE.match(line)
        if match is None or not match.group("name"):
            continue  # a continuation line of a description
        depth = len(match.group("indent")) // 4
        del parents[depth:]
        drawn.append((match.group("name"), parents[-1] if parents else None, match["builtin"]))
        parents.append(match.group("name"))
    return drawn


TREE = drawn_tree(README.read_text(encoding="utf-8"))


def test_the_tree_is_read_from_the_readme() -> None:
    names = [name for name, _, _ in TREE]
    assert names[0] == "OpenApiException" and len(names) == len(set(names))
    assert ("ApiTimeoutError", "ApiConnectionError", None) in TREE
    assert ("ApiTypeError", "OpenApiException", "TypeError") in TREE


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exception_drawn_in_the_readme_is_importable_from_the_package(package: str) -> None:
    names = [name for name, _, _ in TREE]
    # as a user writes it, in a fresh interpreter: nothing imported before helps
    code = f"from {package} import {', '.join(names)}\nprint('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr
    module = importlib.import_module(package)
    missing = [name for name in names if name not in module.__all__]
    assert missing == [], f"drawn in README.md, not in {package}.__all__"
    for name, parent, builtin in TREE:
        cls = getattr(module, name)
        assert cls is getattr(sdk, name), f"{package}.{name} is not the sync package's class"
        if parent is not None:
            assert issubclass(cls, getattr(module, parent)), f"{name} is drawn under {parent}"
        if builtin is not None:
            assert issubclass(cls, getattr(builtins, builtin)), f"{name} is drawn as {builtin}"


def test_every_exported_exception_is_drawn_in_the_readme() -> None:
    exported = {
        name
        for name in sdk.__all__
        if isinstance(value := getattr(sdk, name), type) and issubclass(value, BaseException)
    }
    # the one warning is named in the text below the tree
    assert exported - {"SessionNotRevokedWarning"} == {name for name, _, _ in TREE}


# -- the endpoints -----------------------------------------------------------------------------


def spec_operations() -> list[tuple[str, str, str]]:
    """(METHOD, path, operationId) of every operation of the contract."""
    text = (pathlib.Path(sdk.__file__).parent / "openapi.yaml").read_text(encoding="utf-8")
    paths: dict[str, dict[str, Any]] = yaml.safe_load(text)["paths"]
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return [
        (method.upper(), path, operation["operationId"])
        for path, item in paths.items()
        for method, operation in item.items()
        if method in methods
    ]


def test_the_readme_names_every_endpoint_of_the_contract() -> None:
    text = README.read_text(encoding="utf-8")
    operations = spec_operations()
    assert len(operations) == 8
    covers = re.search(r"^What the SDK covers: the (\d+) endpoints .*$", text, re.M)
    assert covers is not None, "README.md: no 'What the SDK covers' paragraph"
    assert int(covers.group(1)) == len(operations)
    rows = [line for line in text.splitlines() if line.startswith("*AuthenticationApi* |")]
    missing = []
    for method, path, operation_id in operations:
        if f"`{method} {path}`" not in covers.group(0):
            missing.append(f"{method} {path} in 'What the SDK covers'")
        if not any(f"[**{operation_id}**]" in r and f"**{method}** {path} |" in r for r in rows):
            missing.append(f"{method} {path} {operation_id} in the table of endpoints")
    assert missing == []


# -- installing --------------------------------------------------------------------------------

#: ``pip install numind``, ``uv pip install "numind[async]"``, ``pipx install numind`` ...:
#: the name on the index, not a path (``.``, ``.[async]``, ``dist/numind-...whl``).
FROM_THE_INDEX = re.compile(
    r"""\b(?:pip|pipx|uv\s+pip|uv)\s+(?:install|add)\s+(?:-\S+\s+)*["']?numind(?![\w.-])"""
)
SAYS_IT_IS_ANOTHER = re.compile(r"(?:a different|another) package", re.I)


def user_facing_files() -> list[pathlib.Path]:
    """Every page and message a user reads (CHANGELOG.md is history: not among them)."""
    return [
        README,
        *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "examples").iterdir()),
        *sorted((ROOT / "benchmarks").glob("*.md")),
        *sorted((ROOT / "benchmarks").glob("*.py")),
        *sorted((ROOT / "numind").rglob("*.py")),
    ]


def installs_from_the_index(text: str) -> list[str]:
    """The paragraphs of ``text`` that install ``numind`` from the index without saying
    that the package there is a different one."""
    return [
        paragraph.strip()
        for paragraph in re.split(r"\n\s*\n", text)
        if FROM_THE_INDEX.search(paragraph) and not SAYS_IT_IS_ANOTHER.search(paragraph)
    ]


def test_the_pattern_finds_an_install_from_the_index() -> None:
    assert installs_from_the_index("```bash\npip install numind\n```")
    assert installs_from_the_index('Needs aiohttp: `pip install "numind[async]"`.')
    assert installs_from_the_index("uv pip install -U numind")
    assert not installs_from_the_index('pip install ".[async]" or "dist/numind-0.1.0.whl"')
    assert not installs_from_the_index("`pip install numind` installs a different package")


def test_no_page_installs_numind_from_the_index_without_saying_it_is_another_package() -> None:
    found = {
        str(path.relative_to(ROOT)): paragraphs
        for path in user_facing_files()
        if path.is_file()
        and (paragraphs := installs_from_the_index(path.read_text(encoding="utf-8")))
    }
    assert found == {}
    # and the README does say it, where it says how to install
    installation = README.read_text(encoding="utf-8").split("\n## Installation & Usage\n")[1]
    installation = installation.split("\n## ")[0]
    assert "pip install ." in installation and "python -m build" in installation
    assert FROM_THE_INDEX.search(installation) and SAYS_IT_IS_ANOTHER.search(installation)


# -- examples that change a key ----------------------------------------------------------------

CHANGES_A_KEY = [
    (where, code)
    for where, code in BLOCKS
    if "put_api_auth_user_tokens_usertokenid(" in code
    or "delete_api_auth_user_tokens_usertokenid(" in code
]


def test_the_pages_that_rename_and_delete_keys_are_found() -> None:
    pages = {where.split(":")[0] for where, _ in CHANGES_A_KEY}
    assert {"README.md", "AuthenticationApi.md"} <= pages


@pytest.mark.parametrize(("where", "code"), CHANGES_A_KEY, ids=[w for w, _ in CHANGES_A_KEY])
def test_an_example_that_renames_or_deletes_a_key_leaves_your_keys_as_they_were(
    server: LocalServer, where: str, code: str, tmp_path: pathlib.Path
) -> None:
    email = new_email()
    session = sign_in(server, email)
    configuration = sdk.Configuration(host=server.url, access_token=session.token)
    with sdk.ApiClient(configuration) as client:
        api = sdk.AuthenticationApi(client)
        # the user's own keys, made before the example runs: the first listed is one of them
        key = api.post_api_auth_user_tokens({"name": "production"})
        api.post_api_auth_user_tokens({"name": "ci"})
        before = sorted((k.id, k.name) for k in api.get_api_auth_user_tokens())
        code_for_docs = authorization_code(api, email, DOC_REDIRECT_URI)
    env = example_env(server, session, key.token, code_for_docs, tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr

    # listed again with a new session: the example may have ended its own
    after_session = sign_in(server, email)
    configuration = sdk.Configuration(host=server.url, access_token=after_session.token)
    with sdk.ApiClient(configuration) as client:
        after = sorted(
            (k.id, k.name) for k in sdk.AuthenticationApi(client).get_api_auth_user_tokens()
        )
    assert after == before, f"{where} changed keys it did not create"
