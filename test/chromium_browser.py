"""A ``BROWSER`` for ``numind auth login``: headless Chromium loads the URL it is given,
follows its redirects as a user's browser would, and writes the DOM of the page it ends
on to the file named by ``NUMIND_TEST_DOM`` (its log to that name + ``.log``).

Used by test_browser_login.py as ``BROWSER="python chromium_browser.py %s"``.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

#: As root, in a sandbox of its own, on a machine with no network but loopback: no
#: sandbox of Chromium's own, and none of its background connections.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def main() -> int:
    executable = chromium()
    assert executable is not None, "no chromium on PATH"
    dom = pathlib.Path(os.environ["NUMIND_TEST_DOM"])
    with tempfile.TemporaryDirectory() as profile:  # a new, empty profile
        result = subprocess.run(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", sys.argv[1]],
            capture_output=True,
            timeout=120,
        )
    dom.with_name(dom.name + ".log").write_bytes(result.stderr)
    dom.write_bytes(result.stdout)  # last: the test waits for this file
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
