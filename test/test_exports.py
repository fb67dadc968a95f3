"""The public surface: exported names, import paths, typing marker, variant signatures."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import os
import pathlib
import subprocess
import sys
import types

import pytest

import numind.openapi_client as sdk
from numind.openapi_client import AuthenticationApi

OPERATIONS = [
    "delete_api_auth_user_tokens_usertokenid",
    "get_api_auth",
    "get_api_auth_me",
    "get_api_auth_user_tokens",
    "post_api_auth_logout",
    "post_api_auth_token",
    "post_api_auth_user_tokens",
    "put_api_auth_user_tokens_usertokenid",
]


def test_every_exported_name_resolves() -> None:
    for name in sdk.__all__:
        assert getattr(sdk, name) is not None, name
    assert set(sdk.__all__) <= set(dir(sdk))
    with pytest.raises(AttributeError):
        sdk.NoSuchThing  # noqa: B018


def test_exceptions_are_exported_and_rest_reexports_api_exception() -> None:
    from numind.openapi_client.rest import ApiException

    assert ApiException is sdk.ApiException
    for status, name in [
        (400, "BadRequestException"),
        (401, "UnauthorizedException"),
        (403, "ForbiddenException"),
        (404, "NotFoundException"),
        (409, "ConflictException"),
        (422, "UnprocessableEntityException"),
        (429, "TooManyRequestsException"),
        (503, "ServiceException"),
    ]:
        cls = getattr(sdk, name)
        assert issubclass(cls, sdk.ApiException)
        error = cls(status=status, reason="r")
        assert error.status == status
    for name in ["ApiTypeError", "ApiValueError", "ApiKeyError", "ApiAttributeError"]:
        assert issubclass(getattr(sdk, name), sdk.OpenApiException)


def test_the_package_ships_its_typing_marker() -> None:
    assert (pathlib.Path(sdk.__file__).parent / "py.typed").is_file()
    assert "Typing :: Typed" in (importlib.metadata.metadata("numind").get_all("Classifier") or [])


def _declared_for_type_checkers(module: types.ModuleType) -> set[str]:
    """The names that the ``if TYPE_CHECKING:`` imports of a lazy package declare."""
    declared = set()
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom):
                    declared |= {alias.asname or alias.name for alias in statement.names}
    return declared


@pytest.mark.parametrize(
    "name", ["numind.openapi_client", "numind.openapi_client.models", "numind.openapi_client.auth"]
)
def test_type_checkers_see_every_public_name_and_no_lazy_hook(name: str) -> None:
    module = importlib.import_module(name)
    # The lazy __getattr__ is hidden from type checkers (a misspelt name would be Any, not an
    # error), so each public name must be declared for them, and only public names.
    assert _declared_for_type_checkers(module) == set(module.__all__) - {"__version__"}
    tree = ast.parse(inspect.getsource(module))
    hooks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    assert hooks == [], "a module-level __getattr__ that type checkers see"
    for public in module.__all__:
        assert getattr(module, public) is not None


def test_api_module_paths_of_the_generated_layout() -> None:
    assert (
        importlib.import_module("numind.openapi_client.api").AuthenticationApi is AuthenticationApi
    )
    module = importlib.import_module("numind.openapi_client.api.authentication_api")
    assert module.AuthenticationApi is AuthenticationApi
    assert (
        importlib.import_module("numind.openapi_client.api_response").ApiResponse is sdk.ApiResponse
    )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_has_three_variants_with_the_same_parameters(operation: str) -> None:
    signatures = [
        inspect.signature(getattr(AuthenticationApi, operation + suffix))
        for suffix in ("", "_with_http_info", "_without_preload_content")
    ]
    parameters = [list(s.parameters.values()) for s in signatures]
    assert parameters[0] == parameters[1] == parameters[2]
    options = [p.name for p in parameters[0] if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert options == [
        "_request_timeout",
        "_request_auth",
        "_content_type",
        "_headers",
        "_host_index",
    ]


def test_no_public_method_beyond_the_operations() -> None:
    public = {name for name in vars(AuthenticationApi) if not name.startswith("_")}
    expected = {
        op + suffix
        for op in OPERATIONS
        for suffix in ("", "_with_http_info", "_without_preload_content")
    }
    assert public == expected


def test_importing_the_package_loads_no_model_or_pydantic_until_used() -> None:
    code = (
        "import sys\n"
        "from numind.openapi_client import ApiClient, Configuration, AuthenticationApi\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('pydantic', "
        "'numind.openapi_client.models.')))\n"
        "print(loaded)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_importing_the_package_alone_loads_only_its_root() -> None:
    # What `import numind.openapi_client` costs before anything is used: its names load on
    # first use, and NUMIND_LOG unset needs no logging (it is looked up in the environment).
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import numind.openapi_client\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.startswith(('numind', 'logging'))))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMIND_LOG"}
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert output.strip() == "['numind', 'numind.openapi_client']"


#: The generated-style surface that ``.openapi-generator/FILES`` lists, exactly:
#: - the project files and the fixed modules an OpenAPI Generator client has;
#: - every public module of ``api/`` and ``models/`` (``_private.py`` ones excluded);
#: - the docs pages of the document (test_docs_contract.py: one per API group and schema).
#: Other public modules (e.g. ``testing/``) and prose pages are hand-written extras: not listed.
GENERATOR_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "numind/__init__.py",
    "numind/openapi_client/__init__.py",
    "numind/openapi_client/api_client.py",
    "numind/openapi_client/api_response.py",
    "numind/openapi_client/configuration.py",
    "numind/openapi_client/exceptions.py",
    "numind/openapi_client/py.typed",
    "numind/openapi_client/rest.py",
    # the asyncio twin, in the layout of OpenAPI Generator's asyncio client
    "numind/openapi_client_async/__init__.py",
    "numind/openapi_client_async/api_client.py",
    "numind/openapi_client_async/api_response.py",
    "numind/openapi_client_async/configuration.py",
    "numind/openapi_client_async/exceptions.py",
    "numind/openapi_client_async/py.typed",
    "numind/openapi_client_async/rest.py",
}


def generated_style_surface() -> set[str]:
    from _contract import load_spec
    from _examples import ROOT
    from test_docs_contract import expected_pages

    modules = {
        str(p.relative_to(ROOT))
        for package in (
            ROOT / "numind" / "openapi_client",
            ROOT / "numind" / "openapi_client_async",
        )
        for p in [*package.glob("api/*.py"), *package.glob("models/*.py")]
        if not p.name.startswith("_") or p.name == "__init__.py"
    }
    pages = {f"docs/{page}" for page in expected_pages(load_spec())}
    return GENERATOR_FILES | modules | pages


def test_openapi_generator_files_lists_exactly_the_generated_style_surface() -> None:
    from _examples import ROOT

    listed = (ROOT / ".openapi-generator" / "FILES").read_text().split()
    assert listed == sorted(set(listed)), "FILES is sorted, one path a line"
    assert sorted(p for p in listed if not (ROOT / p).is_file()) == []
    surface = generated_style_surface()
    assert sorted(surface - set(listed)) == [], "missing from FILES"
    assert sorted(set(listed) - surface) == [], "in FILES, not generated-style"
