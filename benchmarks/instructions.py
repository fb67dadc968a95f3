"""Instructions per call, SDK and floor, counted by valgrind's callgrind: a figure that the
load of a shared machine does not move (``run.py``'s CPU times do, by 10 % and more).

    python benchmarks/instructions.py            # me, the list, create; sync and async
    python benchmarks/instructions.py me         # one operation

Each figure is (instructions of a run with N + 200 calls - those of a run with N calls) /
200, so that start-up, imports and warm-up cancel out. Needs ``valgrind`` on PATH; about
ten minutes for everything. Instructions are not time (a cache miss costs more than an
add), but the SDK and the floor run the same kind of code, so their ratio is close to the
ratio of their CPU times on a quiet machine.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Server, async_calls, floor_calls, sdk_calls  # noqa: E402

OPERATIONS = ["me", "user_tokens", "create"]
ASYNC_OPERATIONS = ["me", "user_tokens"]
WARMUP = 30
BASE_CALLS = 50
EXTRA_CALLS = 200


def calls_in_child(client: str, kind: str, op: str, url: str, calls: int) -> None:
    """In the process that callgrind watches: ``calls`` calls after a warm-up."""
    if client == "sync":
        made, close = floor_calls(url) if kind == "floor" else sdk_calls(url)
        call = made[op]
        for _ in range(WARMUP + calls):
            call()
        close()
        return

    async def main() -> None:
        made, closers = async_calls(url)
        call = made[kind][op]
        for _ in range(WARMUP + calls):
            await call()
        for close in closers:
            await close()

    asyncio.run(main())


def count(client: str, kind: str, op: str, url: str, calls: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/out",
                sys.executable,
                __file__,
                "--child",
                client,
                kind,
                op,
                url,
                str(calls),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no count from callgrind: {out.stderr[-500:]}")
    return int(found.group(1))


def per_call(client: str, kind: str, op: str, url: str) -> int:
    base = count(client, kind, op, url, BASE_CALLS)
    more = count(client, kind, op, url, BASE_CALLS + EXTRA_CALLS)
    return (more - base) // EXTRA_CALLS


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        client, kind, op, url, calls = args[1:]
        calls_in_child(client, kind, op, url, int(calls))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (e.g. apt-get install valgrind)")
        return 2
    wanted = args or OPERATIONS
    server = Server()
    try:
        for op in wanted:
            for client in ("sync", "async") if op in ASYNC_OPERATIONS else ("sync",):
                floor = per_call(client, "floor", op, server.url)
                sdk = per_call(client, "sdk", op, server.url)
                print(
                    f"{client:<6} {op:<12} floor {floor:>10,}  SDK {sdk:>10,}  "
                    f"ratio {sdk / floor:.3f}",
                    flush=True,
                )
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
