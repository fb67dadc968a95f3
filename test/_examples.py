"""Where the examples live: in the source tree next to the tests."""

from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
