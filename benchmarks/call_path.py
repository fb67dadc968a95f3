"""Which package files one warm ``get_api_auth_me`` goes through, and how many Python calls
of the package it makes, for the sync and the async client.

    python benchmarks/call_path.py

A newcomer reads a call's path in these files: the fewer, the easier. The count is of
the package's own Python functions (``sys.setprofile``'s ``call`` events whose code lives
under ``numind/``); C functions and the dependencies' code are not counted.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import FrameType
from typing import Any, Callable, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Server, async_calls, sdk_calls

import numind

PACKAGE = str(Path(numind.__file__).resolve().parent)


class Tracer:
    def __init__(self) -> None:
        self.calls: List[Tuple[str, str]] = []

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            where = frame.f_code.co_filename[len(PACKAGE) + 1 :]
            self.calls.append((where, frame.f_code.co_name))


def report(name: str, calls: List[Tuple[str, str]]) -> None:
    files: Dict[str, int] = {}
    for where, _ in calls:
        files[where] = files.get(where, 0) + 1
    print(f"{name}: {len(files)} files, {len(calls)} Python calls")
    for where, count in files.items():
        print(f"  {where:<45} {count:>3}")


def main() -> int:
    server = Server()
    try:
        made, close = sdk_calls(server.url)
        call: Callable[[], Any] = made["me"]
        for _ in range(20):
            call()
        tracer = Tracer()
        sys.setprofile(tracer)
        call()
        sys.setprofile(None)
        close()
        report("sync get_api_auth_me", tracer.calls)

        async def run_async() -> List[Tuple[str, str]]:
            made_async, closers = async_calls(server.url)
            call_async = made_async["sdk"]["me"]
            for _ in range(20):
                await call_async()
            tracer = Tracer()
            sys.setprofile(tracer)
            await call_async()
            sys.setprofile(None)
            for closer in closers:
                await closer()
            return tracer.calls

        report("async get_api_auth_me", asyncio.run(run_async()))
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
