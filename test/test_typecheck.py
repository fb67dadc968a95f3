"""Code written against the SDK type-checks as a user's project would.

Every Python example (the ```python blocks of README.md and docs/*.md,
examples/quickstart.py, the code cells of examples/notebook.ipynb) passes ``mypy --strict``
and pyright in strict mode, with no pydantic plugin, against the installed package. And
``typecheck/wrong_usage.py`` gets exactly the errors that its ``# expect:`` comments name,
from both: the checks are seen to fail, not only to pass.

All of them are checked in one mypy run and one pyright run (side by side), each in a
project of its own in a temporary directory, as a user's would be.
"""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, NamedTuple

import pytest
from _examples import ROOT
from test_docs_examples import BLOCKS

import numind

WRONG_USAGE = pathlib.Path(__file__).parent / "typecheck" / "wrong_usage.py"
EXPECT = re.compile(r"^\s*# expect: mypy\[([^\]]*)\] pyright\[([^\]]*)\]$")


class Diagnostic(NamedTuple):
    checker: str  # "mypy" or "pyright"
    line: int  # 1-based
    code: str  # mypy's error code, pyright's rule
    message: str


def _module_name(where: str) -> str:
    """``README.md:52#1`` -> ``readme_md_line52``: a file name of its own for each block."""
    page, _, rest = where.partition(":")
    return re.sub(r"\W", "_", page.lower()) + "_line" + rest.split("#")[0]


def _notebook_code() -> str:
    notebook = json.loads((ROOT / "examples" / "notebook.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    return "\n\n\n".join(_as_module_code(cell, n) for n, cell in enumerate(cells)) + "\n"


def _as_module_code(cell: str, number: int) -> str:
    """A cell as a module's code: one with top-level ``await`` (which Jupyter runs in its
    event loop) is checked as the body of a coroutine, as IPython runs it."""
    if not re.search(r"^(\s*)(await |async (with|for) )", cell, re.M):
        return cell
    body = "\n".join("    " + line if line else line for line in cell.splitlines())
    return f"async def cell_{number}() -> None:\n{body}"


def sources() -> Dict[str, str]:
    """What is checked: module file name -> code."""
    found = {f"{_module_name(where)}.py": code for where, code in BLOCKS}
    assert len(found) == len(BLOCKS), "two blocks map to one module name"
    found["quickstart.py"] = (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8")
    found["notebook.py"] = _notebook_code()
    found["wrong_usage.py"] = WRONG_USAGE.read_text(encoding="utf-8")
    return found


SOURCES = sources()


def _package_path() -> List[str]:
    """Where the checkers find ``numind``: nothing to add for an installed wheel; the source
    tree for an editable install, whose import hook neither checker can follow."""
    root = pathlib.Path(numind.__file__).resolve().parent.parent
    installed = {pathlib.Path(p).resolve() for p in sysconfig.get_paths().values()}
    return [] if root in installed else [str(root)]


def _mypy(project: pathlib.Path) -> List[Diagnostic]:
    extra = _package_path()
    config = "[mypy]\nstrict = True\n"
    if extra:
        # as installed: the package's own code is not the user's to fix
        config += f"mypy_path = {extra[0]}\n\n[mypy-numind.*]\nfollow_imports = silent\n"
    (project / "mypy.ini").write_text(config)
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "-O", "json"]
    command += ["--cache-dir", str(project / ".mypy_cache"), "--python-executable", sys.executable]
    result = subprocess.run(
        [*command, *sorted(SOURCES)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    found = []
    for line in result.stdout.splitlines():
        error = json.loads(line)
        if error["severity"] == "error":
            text = f"{error['file']}:{error['line']}: {error['message']}  [{error['code']}]"
            found.append(Diagnostic("mypy", error["line"], str(error["code"]), text))
    return found


def _pyright(project: pathlib.Path) -> List[Diagnostic]:
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}",
        "include": sorted(SOURCES),
        "extraPaths": _package_path(),
    }
    (project / "pyrightconfig.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == len(SOURCES), report["summary"]
    return [
        Diagnostic(
            "pyright",
            d["range"]["start"]["line"] + 1,
            d.get("rule", ""),
            f"{pathlib.Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d['message']}"
            f"  ({d.get('rule', '')})",
        )
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]


@pytest.fixture(scope="module")
def diagnostics(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, List[Diagnostic]]:
    """Every error of both checkers, by module file name."""
    project = tmp_path_factory.mktemp("user_project")
    for name, code in SOURCES.items():
        (project / name).write_text(code, encoding="utf-8")
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(_mypy, project), pool.submit(_pyright, project)]
        found = [d for run in runs for d in run.result()]
    by_file: Dict[str, List[Diagnostic]] = {name: [] for name in SOURCES}
    for diagnostic in found:
        by_file[diagnostic.message.split(":")[0]].append(diagnostic)
    return by_file


EXAMPLES = sorted(name for name in SOURCES if name != "wrong_usage.py")


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_example_type_checks(diagnostics: Dict[str, List[Diagnostic]], name: str) -> None:
    assert diagnostics[name] == []


def expected_errors() -> List[tuple[str, int, frozenset[str]]]:
    """(checker, line, codes) of every error that ``wrong_usage.py`` announces; ``a|b``
    accepts either code (where mypy versions name one error differently)."""
    expected = []
    lines = WRONG_USAGE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        match = EXPECT.match(line)
        if match is None:
            continue
        for checker, codes in zip(("mypy", "pyright"), match.groups(), strict=True):
            for code in filter(None, (c.strip() for c in codes.split(","))):
                expected.append((checker, number + 1, frozenset(code.split("|"))))
    return expected


def test_wrong_usage_gets_exactly_the_expected_errors(
    diagnostics: Dict[str, List[Diagnostic]],
) -> None:
    missing = expected_errors()
    assert len(missing) >= 20  # the file announces its mistakes
    unexpected = []
    for found in diagnostics["wrong_usage.py"]:
        match = next(
            (e for e in missing if e[:2] == (found.checker, found.line) and found.code in e[2]),
            None,
        )
        if match is None:
            unexpected.append(found)
        else:
            missing.remove(match)
    messages = "\n".join(d.message for d in diagnostics["wrong_usage.py"])
    assert unexpected == [], f"unexpected errors:\n{messages}"
    assert missing == [], f"errors not reported:\n{messages}"


def test_every_example_is_checked() -> None:
    assert {"quickstart.py", "notebook.py"} <= set(SOURCES)
    pages = {where.split(":")[0] for where, _ in BLOCKS}
    assert "README.md" in pages and "AuthenticationApi.md" in pages
