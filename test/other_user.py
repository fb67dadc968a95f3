"""Another local user, for the tests of what such a user must not be able to do.

The tests run as root in CI: the other user is a real process started as uid 65534
(``nobody``), running a standard-library script with a Python that this user can execute.
Elsewhere the tests that need it are skipped, and say why.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

UID = GID = 65534
_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


@functools.cache
def _python() -> str | None:
    if sys.platform == "win32" or os.geteuid() != 0:
        return None
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if not candidate:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", "import os; print(os.geteuid())"],
                user=UID,
                group=GID,
                extra_groups=[],
                capture_output=True,
                text=True,
                cwd="/",
                env=_ENV,
                timeout=30,
            )
        except OSError:  # not executable by that user (e.g. under /root)
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(UID):
            return candidate
    return None


def python() -> str:
    """A Python that uid 65534 can run; skips the test when there is no such user here."""
    found = _python()
    if found is None:
        pytest.skip(
            "needs root, to play another local user with a process started as uid 65534 "
            "(nobody) that can run a Python; not available on this machine"
        )
    return found


def start(script: str, *args: str) -> subprocess.Popen[str]:
    """Start ``script`` (Python source) as the other user; stdin and stdout are pipes."""
    return subprocess.Popen(
        [python(), "-I", "-c", script, *args],
        user=UID,
        group=GID,
        extra_groups=[],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
        env=_ENV,
    )


def run(script: str, *args: str, timeout: float = 60) -> Any:
    """Run ``script`` as the other user; what it printed last, as JSON."""
    with start(script, *args) as process:
        out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])
