"""The package's imports run one way: no circle, no arrow from a lower layer to a higher one.

The graph is read from the source with ``ast``, so that it holds for imports that a run
never executes: every ``import`` and ``from ... import`` of every module of the package, at
the top, nested in a function, or under ``if TYPE_CHECKING:``, all alike. An edge goes
from the importing module to the package module it names: relative imports are resolved;
``from pkg import name`` is an import of ``pkg.name`` when that is a module, else of
``pkg`` (its ``__init__``). The implicit import of a module's parent packages is not an
edge (every module would import its ``__init__``), and neither are ``importlib`` calls:
the lazy ``__getattr__`` (PEP 562) of the package ``__init__`` modules resolves names with
``importlib.import_module``, so their ``if TYPE_CHECKING:`` blocks, which list the same
names, stand for those run-time imports and are counted as edges like any other. Nothing
is excluded from the cycle check: no ``__init__`` module needed to be.

``LAYERS`` is the house of docs/ARCHITECTURE (and docs/CONTRIBUTING.md), lowest first; a
module may import from its own layer and the ones below it. A module that the table does
not name takes the layer of its place (``auth/*`` is sign-in, ``api/*`` the sync API, and
so on, see ``layer_of``); a new private module of the core is taken as the top of the
core, which may import any of the core but nothing of the drivers, the API classes,
``auth/`` or the async package: place it lower in ``LAYERS`` when a lower module needs it.

The last tests import modules in a fresh interpreter and list what that loads: the layers
hold at run time too (the async client loads no urllib3 transport, ``configuration`` no
``auth/``). Everything is found from ``numind.__file__``, so that CI's run against the
installed wheel checks the wheel.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

import pytest

import numind

PACKAGE_DIR = pathlib.Path(numind.__file__).resolve().parent

_C = "numind.openapi_client"
_A = "numind.openapi_client_async"

#: Lowest first: (name, modules). A name that ends in ``.*`` stands for every module below
#: that package (not the package's own ``__init__``, which is named on its own).
LAYERS: Sequence[Tuple[str, Sequence[str]]] = (
    ("version", ["numind"]),
    ("models", [f"{_C}.models", f"{_C}.models.*"]),
    ("exceptions", [f"{_C}.exceptions"]),
    ("types", [f"{_C}._types"]),
    ("redaction, addresses", [f"{_C}._redact", f"{_C}._net"]),
    ("hosts", [f"{_C}._hosts"]),
    ("headers", [f"{_C}._headers"]),
    ("proxies", [f"{_C}._proxy"]),
    ("deadlines", [f"{_C}._deadline", f"{_C}._aio"]),
    ("retry policy", [f"{_C}._retry"]),
    ("operations as data", [f"{_C}._endpoint", f"{_C}._endpoints", f"{_C}.api_response"]),
    ("credentials protocol", [f"{_C}._credentials", f"{_C}._token_provider"]),
    ("credential store", [f"{_C}._credential_store"]),
    ("stored login", [f"{_C}._stored_login"]),
    ("logging", [f"{_C}._logging"]),
    ("configuration", [f"{_C}.configuration"]),
    ("prepare, decode", [f"{_C}._request", f"{_C}._decode"]),
    ("copies with other options", [f"{_C}._options"]),
    ("event hooks", [f"{_C}._hooks"]),
    # also the layer of a private core module that this table does not name yet
    ("pipeline", [f"{_C}._base_client", f"{_C}._transport", f"{_C}._tracing"]),
    ("sync driver", [f"{_C}.rest", f"{_C}.api_client"]),
    ("sync API", [f"{_C}.api", f"{_C}.api.*"]),
    ("async client", [f"{_A}.*"]),
    ("sign-in", [f"{_C}.auth", f"{_C}.auth.*"]),
    ("public names", [_C, _A]),
    ("local server", [f"{_C}.testing", f"{_C}.testing.*"]),
    ("command line", ["numind._cli", "numind.__main__"]),
)
LAYER_NAMES = [name for name, _ in LAYERS]
CORE_TOP = "pipeline"
#: testing/ never imports the client pipeline (a server that used the client to test the
#: client would prove nothing): it may import these pure layers, and itself, only.
TESTING_MAY_IMPORT = LAYER_NAMES[: LAYER_NAMES.index("operations as data") + 1]


class Import(NamedTuple):
    source: str
    target: str
    line: int
    kind: str  # "top", "nested" (in a function or class) or "typing" (if TYPE_CHECKING)


def module_names() -> Dict[str, pathlib.Path]:
    """Every module of the package: dotted name -> file."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(nodes: Sequence[ast.stmt], kind: str, nested: bool) -> Iterator[Tuple[ast.stmt, str]]:
    """Every import statement below ``nodes``, with how it runs."""
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, kind
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, "typing", nested)
            yield from _walk(node.orelse, kind, nested)
            continue
        inner = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for field in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(node, field, None)
            if not children:
                continue
            for child in children:
                body = child.body if isinstance(child, ast.ExceptHandler) else [child]
                sub = "nested" if (inner or nested) and kind != "typing" else kind
                yield from _walk(body, sub, nested or inner)


def imports_of(name: str, path: pathlib.Path, modules: Set[str]) -> List[Import]:
    """The package-internal imports of module ``name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def known(dotted: str) -> Optional[str]:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node, kind in _walk(tree.body, "top", False):
        targets: List[Optional[str]] = []
        if isinstance(node, ast.Import):
            targets = [known(alias.name) for alias in node.names]
        else:
            assert isinstance(node, ast.ImportFrom)
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                targets.append(submodule if submodule in modules else known(origin))
        for target in targets:
            if target is not None and target != name:
                found.append(Import(name, target, node.lineno, kind))
    return found


def import_graph() -> Tuple[Set[str], List[Import]]:
    files = module_names()
    modules = set(files)
    imports = [i for name, path in files.items() for i in imports_of(name, path, modules)]
    return modules, imports


def cycles(modules: Set[str], imports: Sequence[Import]) -> List[List[str]]:
    """One circle through each strongly connected set of modules (Tarjan), shortest first."""
    edges: Dict[str, Set[str]] = {m: set() for m in modules}
    for i in imports:
        edges[i.source].add(i.target)
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    components: List[Set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(modules)))
    try:
        for module in sorted(modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)

    def circle(component: Set[str]) -> List[str]:
        start = min(component)
        paths = {start: [start]}
        queue = [start]
        while queue:  # breadth first: the shortest way back to start
            node = queue.pop(0)
            for nxt in sorted(edges[node] & component):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    queue.append(nxt)
        raise AssertionError(component)

    return sorted((circle(c) for c in components), key=len)


def _matches(module: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return module.startswith(pattern[:-1])
    return module == pattern


def layer_of(module: str) -> str:
    """The layer of ``module``: its entry in ``LAYERS``, else the layer of its place."""
    for name, patterns in LAYERS:
        if any(_matches(module, p) for p in patterns if not p.endswith(".*")):
            return name
    for name, patterns in LAYERS:
        if any(_matches(module, p) for p in patterns if p.endswith(".*")):
            return name
    if module.startswith(f"{_C}."):
        return CORE_TOP  # a new module of the core: the top of the core
    return "command line"  # a new module of numind itself, beside the CLI


def _rank(module: str) -> int:
    return LAYER_NAMES.index(layer_of(module))


def upward(imports: Sequence[Import]) -> List[str]:
    return [
        f"{i.source} ({layer_of(i.source)}) imports {i.target} ({layer_of(i.target)}), "
        f"line {i.line}, {i.kind}"
        for i in imports
        if _rank(i.target) > _rank(i.source)
    ]


@pytest.fixture(scope="module")
def graph() -> Tuple[Set[str], List[Import]]:
    return import_graph()


def test_the_graph_is_read_from_the_package(graph: Tuple[Set[str], List[Import]]) -> None:
    modules, imports = graph
    assert {_C, _A, f"{_C}.configuration", f"{_C}.auth", "numind._cli"} <= modules
    edges = {(i.source, i.target) for i in imports}
    # one of each kind of import, resolved
    assert (f"{_A}.api_client", f"{_C}._base_client") in edges  # absolute
    assert (f"{_C}.api.authentication_api", f"{_C}._endpoints") in edges  # from .. import
    assert (f"{_C}.configuration", f"{_C}._stored_login") in edges  # nested and typing
    assert (f"{_C}.auth", f"{_C}._credential_store") in edges  # re-export, typing only
    assert (f"{_C}", f"{_C}.exceptions") in edges  # from . import module, nested
    assert ("numind._cli", f"{_C}.auth") in edges  # from package import subpackage
    assert ("numind._cli", _C) in edges  # from package import name: its __init__
    assert {i.kind for i in imports} == {"top", "nested", "typing"}


def test_no_import_circles(graph: Tuple[Set[str], List[Import]]) -> None:
    found = cycles(*graph)
    assert found == [], "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_circle_finder_finds_circles() -> None:
    modules = {"a", "b", "c", "d"}
    imports = [Import(s, t, 1, "top") for s, t in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]]
    assert cycles(modules, imports) == [["a", "b", "c", "a"]]


def test_every_module_has_a_layer_and_the_table_is_true_to_the_names(
    graph: Tuple[Set[str], List[Import]],
) -> None:
    modules, _ = graph
    assert len(set(LAYER_NAMES)) == len(LAYER_NAMES)
    assert all(layer_of(m) in LAYER_NAMES for m in modules)
    # the table's own entries, where they exist, are where it says
    for name, patterns in LAYERS:
        for pattern in patterns:
            if not pattern.endswith(".*") and pattern in modules:
                assert layer_of(pattern) == name, pattern
    # defaults for modules that others are adding
    assert layer_of(f"{_C}.auth._flows") == "sign-in"
    assert layer_of(f"{_C}._logging") == "logging"
    assert layer_of(f"{_C}._something_new") == CORE_TOP
    assert _rank(f"{_C}._something_new") < _rank(f"{_C}.rest")


def test_no_import_from_a_higher_layer(graph: Tuple[Set[str], List[Import]]) -> None:
    _, imports = graph
    found = upward(imports)
    assert found == [], "imports from a higher layer:\n" + "\n".join(found)


def test_the_core_imports_nothing_of_auth_api_or_the_drivers(
    graph: Tuple[Set[str], List[Import]],
) -> None:
    _, imports = graph
    above_core = (f"{_C}.auth", f"{_C}.api", f"{_C}.api_client", f"{_C}.rest", _A)
    core = [i for i in imports if _rank(i.source) <= LAYER_NAMES.index(CORE_TOP)]
    found = [
        f"{i.source} imports {i.target}, line {i.line}, {i.kind}"
        for i in core
        if any(i.target == m or i.target.startswith(m + ".") for m in above_core)
    ]
    assert found == []


def test_the_local_server_imports_nothing_of_the_client_pipeline(
    graph: Tuple[Set[str], List[Import]],
) -> None:
    _, imports = graph
    found = [
        f"{i.source} imports {i.target} ({layer_of(i.target)}), line {i.line}"
        for i in imports
        if layer_of(i.source) == "local server"
        and layer_of(i.target) not in {*TESTING_MAY_IMPORT, "local server"}
    ]
    assert found == []


def loaded_by(statements: str) -> List[str]:
    """The numind modules that ``statements`` load, in a fresh interpreter, run from the
    directory that holds the numind under test (the source tree or site-packages)."""
    code = (
        "import json, sys\n"
        f"{statements}\n"
        "import numind\n"
        "print(numind.__file__)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'numind')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMIND_API_KEY")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(PACKAGE_DIR.parent),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    *_, origin, modules = result.stdout.splitlines()
    assert pathlib.Path(origin).resolve().parent == PACKAGE_DIR, "another numind was imported"
    loaded: List[str] = json.loads(modules)
    return loaded


def _under(loaded: Sequence[str], *packages: str) -> List[str]:
    return [m for m in loaded if any(m == p or m.startswith(p + ".") for p in packages)]


SYNC_TRANSPORT = (f"{_C}.rest", f"{_C}.api_client", f"{_C}.api")


def test_importing_the_async_package_loads_no_sync_transport() -> None:
    loaded = loaded_by(
        "import numind.openapi_client_async as nx\n"
        "nx.Configuration, nx.ApiClient, nx.AuthenticationApi, nx.ApiException"
    )
    assert f"{_A}.api_client" in loaded  # the names were resolved
    assert _under(loaded, *SYNC_TRANSPORT, f"{_C}.auth") == []


def test_the_first_call_of_an_async_client_loads_no_sync_transport() -> None:
    statements = """
import asyncio, tempfile, os
os.environ["NUMIND_CONFIG_DIR"] = tempfile.mkdtemp()
from numind.openapi_client.testing import LocalServer
import numind.openapi_client_async as nx

async def main(server):
    token = server.sign_in("ada@example.com")["token"]
    configuration = nx.Configuration(host=server.url, access_token=token)
    async with nx.ApiClient(configuration) as client:
        api = nx.AuthenticationApi(client)
        await api.get_api_auth_me()
        try:
            await api.delete_api_auth_user_tokens_usertokenid("nobody")
        except nx.NotFoundException:
            pass

with LocalServer() as server:
    asyncio.run(main(server))
"""
    loaded = loaded_by(statements)
    assert f"{_A}.rest" in loaded and f"{_C}.models.user" in loaded  # it did call
    assert _under(loaded, *SYNC_TRANSPORT, f"{_C}.auth") == []


@pytest.mark.parametrize(
    "module",
    [f"{_C}.configuration", f"{_C}._base_client", f"{_C}.exceptions", f"{_C}.models", _C, _A],
)
def test_importing_the_core_loads_nothing_of_auth_or_api(module: str) -> None:
    loaded = loaded_by(f"import {module}")
    assert module in loaded
    assert _under(loaded, f"{_C}.auth", f"{_C}.api", f"{_C}.api_client", f"{_C}.rest") == []


def test_a_configuration_reads_the_stored_login_without_auth(tmp_path: pathlib.Path) -> None:
    statements = f"""
import os
os.environ["NUMIND_CONFIG_DIR"] = {str(tmp_path)!r}
os.environ["NUMIND_API_KEY"] = "nm_x"
from numind.openapi_client.configuration import Configuration
Configuration()  # looks for a stored login that the key hides, to warn of it
"""
    loaded = loaded_by(statements)
    assert f"{_C}._stored_login" in loaded  # it was looked up
    assert _under(loaded, f"{_C}.auth", *SYNC_TRANSPORT) == []
