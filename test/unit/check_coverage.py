"""Check that test/unit alone covers the pure core, fast.

The pure modules are those of ``numind.openapi_client`` and ``numind.openapi_client_async``
(outside ``testing/``) that import none of urllib3, aiohttp, socket, ssl, http, select or
selectors anywhere in the file: found by reading the source, so that modules added or
split later are counted. ``pytest test/unit`` runs under coverage.py in a subprocess; the
line coverage of each pure module, their total, and the wall and CPU time of the run are
printed.

Exits non-zero when the total is under 85 %, when the run takes 5 s or more of CPU time
(user + system, of the subprocess: a loaded machine slows the wall clock, not this), or
when the tests fail. Run: ``python test/unit/check_coverage.py`` (needs the ``test`` extra).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

MIN_COVERAGE = 85.0
MAX_SECONDS = 5.0
IMPURE = frozenset({"urllib3", "aiohttp", "socket", "ssl", "http", "select", "selectors"})
PACKAGES = ("openapi_client", "openapi_client_async")
UNIT = Path(__file__).resolve().parent


def package_dir() -> Path:
    """The ``numind`` package that the tests import (the installed one, if it is)."""
    spec = importlib.util.find_spec("numind")
    assert spec is not None and spec.submodule_search_locations, "numind is not importable"
    return Path(next(iter(spec.submodule_search_locations)))


def imported_roots(path: Path) -> set[str]:
    """The top-level names of every module that ``path`` imports, at any depth."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def pure_modules(numind: Path) -> List[Path]:
    modules = []
    for package in PACKAGES:
        for path in sorted((numind / package).rglob("*.py")):
            if "testing" in path.relative_to(numind / package).parts:
                continue
            if not imported_roots(path) & IMPURE:
                modules.append(path)
    return modules


def run_tests(data_file: Path, numind: Path) -> Tuple[int, float, float]:
    """Run test/unit under coverage; (exit status, wall seconds, CPU seconds)."""
    command = [
        sys.executable,
        "-m",
        "coverage",
        "run",
        f"--data-file={data_file}",
        f"--source={','.join(str(numind / package) for package in PACKAGES)}",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        str(UNIT),
    ]
    # From test/unit: ``-m`` puts the working directory first on sys.path, and the
    # repository's root there would shadow an installed numind with the source tree.
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        # Relative entries (an empty one is the working directory) would be read from
        # test/unit there: made absolute, they name what they name here, so the tests
        # import the numind that is measured.
        env["PYTHONPATH"] = os.pathsep.join(
            os.path.abspath(entry) for entry in env["PYTHONPATH"].split(os.pathsep)
        )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    status = subprocess.call(command, cwd=UNIT, env=env)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return status, wall, cpu


def main() -> int:
    import coverage

    numind = package_dir()
    modules = pure_modules(numind)
    with tempfile.TemporaryDirectory() as work:
        data_file = Path(work) / ".coverage"
        status, wall, cpu = run_tests(data_file, numind)
        if status != 0:
            print(f"test/unit failed (exit status {status})")
            return status
        cov = coverage.Coverage(data_file=str(data_file))
        cov.load()
        measured = cov.get_data().measured_files()
        if not any(Path(name).is_relative_to(numind) for name in measured):
            print(f"FAIL: the tests did not import numind from {numind}, the one measured")
            return 1
        rows: Dict[str, Tuple[int, int]] = {}
        for path in modules:
            _, statements, _, missing, _ = cov.analysis2(str(path))
            rows[str(path.relative_to(numind.parent))] = (len(statements), len(missing))
    width = max(len(name) for name in rows)
    print(f"\nline coverage of the pure modules by test/unit ({numind}):")
    print(f"{'module':<{width}}  stmts   miss   cover")
    for name, (statements, missing) in rows.items():
        print(f"{name:<{width}}  {statements:5d}  {missing:5d}  {_percent(statements, missing)}")
    total = sum(s for s, _ in rows.values())
    total_missing = sum(m for _, m in rows.values())
    covered = 100.0 * (total - total_missing) / total if total else 100.0
    print(f"{'TOTAL':<{width}}  {total:5d}  {total_missing:5d}  {covered:5.1f}%")
    print(f"test/unit ran in {cpu:.2f} s of CPU time ({wall:.2f} s wall time), under coverage")
    failed = False
    if covered < MIN_COVERAGE:
        print(
            f"FAIL: {covered:.1f}% of the pure modules' lines are covered, under {MIN_COVERAGE:g}%"
        )
        failed = True
    if cpu >= MAX_SECONDS:
        print(f"FAIL: test/unit took {cpu:.2f} s of CPU time, not under {MAX_SECONDS:g} s")
        failed = True
    return 1 if failed else 0


def _percent(statements: int, missing: int) -> str:
    return f"{100.0 * (statements - missing) / statements:5.1f}%" if statements else "  n/a "


if __name__ == "__main__":
    os.environ.pop("COVERAGE_PROCESS_START", None)
    sys.exit(main())
