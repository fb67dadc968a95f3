"""Where an SDK call spends its time: cProfile over many calls against the benchmark server.

    python benchmarks/profile_sdk.py                 # all three operations
    python benchmarks/profile_sdk.py me --top 30     # one, with a longer list

For each operation it prints the time per call spent in each stage of the pipeline
(cumulative, so nested stages are included in their parent) and the functions with the
most own time. cProfile slows Python-level code more than C code, so read the stages as
shares, not as absolute costs; ``run.py`` gives the real per-call figures.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Server, floor_calls, sdk_calls

#: stage -> (end of the file name, function name); the first match wins
STAGES: List[Tuple[str, Tuple[str, str]]] = [
    ("whole call (AuthenticationApi method)", ("authentication_api.py", "")),
    ("ApiClient.invoke", ("api_client.py", "invoke")),
    ("  prepare (the PreparedRequest)", ("_request.py", "prepare")),
    ("    _checked_argument", ("_request.py", "_checked_argument")),
    ("    build (param_serialize's core, when not reused)", ("_request.py", "build")),
    ("      sign (update_params_for_auth's core)", ("_request.py", "sign")),
    ("      check_headers", ("_headers.py", "check_headers")),
    ("      to_jsonable", ("_request.py", "to_jsonable")),
    ("  _send_with_retries", ("api_client.py", "_send_with_retries")),
    ("    RESTClientObject.send", ("rest.py", "send")),
    ("      PoolManager.urlopen", ("poolmanager.py", "urlopen")),
    ("        HTTPConnectionPool.urlopen", ("connectionpool.py", "urlopen")),
    ("  RESTResponse.read (body)", ("rest.py", "read")),
    ("  decode_response", ("_decode.py", "decode_response")),
    ("    decode_body (validate_json)", ("_decode.py", "decode_body")),
]
FLOOR_STAGES: List[Tuple[str, Tuple[str, str]]] = [
    ("whole call (floor.py)", ("floor.py", "")),
    ("  PoolManager.request", ("_request_methods.py", "request")),
    ("    PoolManager.urlopen", ("poolmanager.py", "urlopen")),
    ("      HTTPConnectionPool.urlopen", ("connectionpool.py", "urlopen")),
    ("  response.data", ("response.py", "data")),
]
CALLS = {"me": 3000, "user_tokens": 60, "create": 3000}


def stage_times(
    stats: pstats.Stats, stages: List[Tuple[str, Tuple[str, str]]], calls: int
) -> Dict[str, float]:
    """Cumulative µs per call of each stage (the top-level entry of each matching function)."""
    raw = stats.stats  # type: ignore[attr-defined]
    found: Dict[str, float] = {}
    for label, (file_end, func) in stages:
        total = 0.0
        for (filename, _, name), (_, _, _, cumulative, _) in raw.items():
            if filename.endswith(file_end) and (name == func or (not func and "." not in name)):
                if not func:
                    # the public method itself: the largest entry of the file
                    total = max(total, cumulative)
                else:
                    total += cumulative
        found[label] = total / calls * 1e6
    return found


def profile(kind: str, op: str, calls: int, url: str, top: int) -> None:
    client_calls, close = floor_calls(url) if kind == "floor" else sdk_calls(url)
    call = client_calls[op]
    for _ in range(max(calls // 10, 3)):
        call()  # warm up: imports, pools, decoders
    profiler = cProfile.Profile(time.process_time)  # CPU: waiting for the server is not ours
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    close()
    stats = pstats.Stats(profiler)
    total = stats.total_tt / calls * 1e6  # type: ignore[attr-defined]
    print(f"\n== {kind} {op}: {calls} calls, {total:.0f} µs CPU per call under cProfile")
    for label, us in stage_times(stats, STAGES if kind == "sdk" else FLOOR_STAGES, calls).items():
        print(f"  {label:<52} {us:8.1f} µs  {us / total:6.1%}")
    print(f"  -- top {top} by own time")
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("operations", nargs="*", choices=[*CALLS, []], default=list(CALLS))
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--floor", action="store_true", help="profile the floor as well")
    args = parser.parse_args()
    server = Server()
    try:
        for op in args.operations or list(CALLS):
            profile("sdk", op, CALLS[op], server.url, args.top)
            if args.floor:
                profile("floor", op, CALLS[op], server.url, args.top)
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
