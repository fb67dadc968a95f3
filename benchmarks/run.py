"""Measure the SDK against the floor (``floor.py``): per-call CPU and wall time, import time,
peak RSS and connections, side by side in one run.

    python benchmarks/run.py            # the full run: a few minutes
    python benchmarks/run.py --quick    # a smoke run: under a minute, rougher figures
    python benchmarks/run.py --check    # exit 1 when a target is missed

It prints a table and writes JSON (``--json PATH``, default
``benchmarks/results/latest.json``). Without ``--check`` it exits 0 whatever the figures:
timings on a shared machine are not a test. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
ACCESS_TOKEN = "bench-access-token"  # the canned server only checks that one is sent
CREATE_NAME = "bench key"

#: the issue's targets: fastest-block CPU ratio SDK / floor
RATIO_TARGETS = {"me": 1.05, "user_tokens": 1.10, "create": 1.05}
STRETCH_ME = 1.0
IMPORT_TARGET_MS = 10.0
RSS_TARGET_KB = 2048
CONNECTIONS_TARGET = 1

SDK_IMPORT = "from numind.openapi_client import ApiClient, Configuration, AuthenticationApi"
BASELINE_IMPORT = "import urllib3; from pydantic import BaseModel"
# What the first call adds: the models it decodes into (pydantic is loaded by then too).
SDK_FIRST_USE = SDK_IMPORT + "; from numind.openapi_client import User, UserTokenResponse"


@dataclass(frozen=True)
class Profile:
    trials: int
    calls: Dict[str, int]  # calls per block, by operation
    warmup: Dict[str, int]
    import_runs: int
    rss_runs: int
    rss_calls: int
    connection_calls: int


FULL = Profile(
    trials=41,
    calls={"me": 250, "user_tokens": 15, "create": 250},
    warmup={"me": 200, "user_tokens": 10, "create": 200},
    import_runs=20,
    rss_runs=3,
    rss_calls=200,
    connection_calls=1000,
)
QUICK = Profile(
    trials=5,
    calls={"me": 150, "user_tokens": 8, "create": 150},
    warmup={"me": 50, "user_tokens": 3, "create": 50},
    import_runs=8,
    rss_runs=1,
    rss_calls=50,
    connection_calls=1000,
)
OPERATIONS = {
    "me": "get_api_auth_me",
    "user_tokens": "get_api_auth_user_tokens (1,000)",
    "create": "post_api_auth_user_tokens",
}


# -- the server -------------------------------------------------------------------------


class Server:
    """``_server.py`` in a child process; ``stats()`` asks it for its counts over a pipe."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/v1"

    def stats(self) -> Dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the two clients --------------------------------------------------------------------


def floor_calls(url: str) -> Tuple[Dict[str, Callable[[], Any]], Callable[[], None]]:
    from floor import Floor

    floor = Floor(url, ACCESS_TOKEN)
    calls = {
        "me": floor.get_me,
        "user_tokens": floor.list_user_tokens,
        "create": functools.partial(floor.create_user_token, CREATE_NAME),
    }
    return calls, floor.close


def sdk_calls(
    url: str, with_http_info: bool = False
) -> Tuple[Dict[str, Callable[[], Any]], Callable[[], None]]:
    from numind.openapi_client import (
        ApiClient,
        AuthenticationApi,
        Configuration,
        CreateOrUpdateUserToken,
    )

    client = ApiClient(Configuration(host=url, access_token=ACCESS_TOKEN))
    api = AuthenticationApi(client)
    suffix = "_with_http_info" if with_http_info else ""
    body = CreateOrUpdateUserToken(name=CREATE_NAME)
    calls = {
        "me": getattr(api, "get_api_auth_me" + suffix),
        "user_tokens": getattr(api, "get_api_auth_user_tokens" + suffix),
        "create": functools.partial(getattr(api, "post_api_auth_user_tokens" + suffix), body),
    }
    return calls, client.close


def check_answers(calls: Dict[str, Callable[[], Any]]) -> None:
    """Both clients must get the same, complete answers, or the timings compare nothing."""
    for name, call in calls.items():
        result = call()
        data = getattr(result, "data", result)
        if name == "me":
            assert data.email == "bench@example.com", data
        elif name == "user_tokens":
            assert len(data) == 1000 and data[999].user_id, len(data)
        else:
            assert data.token and data.created_at, data


# -- measurements ----------------------------------------------------------------------


def time_block(call: Callable[[], Any], calls: int) -> Tuple[float, float]:
    """CPU and wall seconds per call over ``calls`` calls, after the same GC reset."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return (cpu1 - cpu0) / calls, (wall1 - wall0) / calls


def measure_calls(url: str, profile: Profile) -> Dict[str, Any]:
    clients = {
        "floor": floor_calls(url),
        "sdk": sdk_calls(url),
        "sdk_with_http_info": sdk_calls(url, with_http_info=True),
    }
    for calls, _ in clients.values():
        check_answers(calls)
    kinds = list(clients)
    samples: Dict[str, Dict[str, Dict[str, List[float]]]] = {
        op: {kind: {"cpu": [], "wall": []} for kind in kinds} for op in OPERATIONS
    }
    for op in OPERATIONS:
        for kind in kinds:
            call = clients[kind][0][op]
            for _ in range(profile.warmup[op]):
                call()
    for trial in range(profile.trials):
        # floor, SDK, SDK with_http_info; then the reverse: no side always goes first.
        order = kinds if trial % 2 == 0 else kinds[::-1]
        for op in OPERATIONS:
            for kind in order:
                cpu, wall = time_block(clients[kind][0][op], profile.calls[op])
                samples[op][kind]["cpu"].append(cpu)
                samples[op][kind]["wall"].append(wall)
    for _, close in clients.values():
        close()
    return {
        "calls_per_block": profile.calls,
        "trials": profile.trials,
        "samples_s_per_call": samples,
    }


def count_connections(server: Server, make: Callable[[], Any], calls: int) -> Dict[str, int]:
    """Connections the server accepted for ``calls`` sequential calls on one new client."""
    client_calls, close = make()
    before = server.stats()
    for _ in range(calls):
        client_calls["me"]()
    after = server.stats()
    close()
    return {
        "calls": calls,
        "connections": after["connections"] - before["connections"],
        "requests": after["requests"] - before["requests"],
    }


def measure_imports(runs: int) -> Dict[str, List[float]]:
    """Seconds spent in each import statement, each in a fresh interpreter, interleaved."""
    statements = {"baseline": BASELINE_IMPORT, "sdk": SDK_IMPORT, "sdk_first_use": SDK_FIRST_USE}
    times: Dict[str, List[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            code = (
                f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            times[name].append(float(out.stdout))
    return times


def rss_child(kind: str, url: str, calls: int) -> None:
    """In a fresh process: ``calls`` calls of each operation, then print peak RSS in KiB."""
    client_calls, close = floor_calls(url) if kind == "floor" else sdk_calls(url)
    for _ in range(calls):
        for call in client_calls.values():
            call()
    close()
    print(peak_rss_kib())


def peak_rss_kib() -> int:
    """Peak RSS of this process. On Linux from ``VmHWM``: ``ru_maxrss`` of an exec'd child
    starts at the RSS of the parent it was spawned from, which would hide the difference."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS reports bytes


def measure_rss(url: str, profile: Profile) -> Dict[str, List[int]]:
    peaks: Dict[str, List[int]] = {"floor": [], "sdk": []}
    for _ in range(profile.rss_runs):
        for kind in peaks:
            out = subprocess.run(
                [sys.executable, __file__, "--rss-child", kind, url, str(profile.rss_calls)],
                capture_output=True,
                text=True,
                check=True,
            )
            peaks[kind].append(int(out.stdout))
    return peaks


def machine() -> Dict[str, Any]:
    import pydantic
    import pydantic_core
    import urllib3

    import numind

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "urllib3": urllib3.__version__,
        "pydantic": pydantic.VERSION,
        "pydantic_core": pydantic_core.__version__,
        "numind": numind.__version__,
        "numind_from": str(Path(numind.__file__).parent),
    }


# -- the report -------------------------------------------------------------------------


def summarize(results: Dict[str, Any]) -> Dict[str, Any]:
    """Medians, fastest blocks, ratios and pass/fail against the targets."""
    rows = []
    samples = results["calls"]["samples_s_per_call"]
    for op, label in OPERATIONS.items():
        floor = samples[op]["floor"]
        for kind in ("sdk", "sdk_with_http_info"):
            sdk = samples[op][kind]
            ratio = min(sdk["cpu"]) / min(floor["cpu"])
            target = RATIO_TARGETS[op]
            rows.append(
                {
                    "operation": label + (" _with_http_info" if kind != "sdk" else ""),
                    "floor_cpu_us": {"median": _us(floor["cpu"]), "fastest": _us_min(floor["cpu"])},
                    "sdk_cpu_us": {"median": _us(sdk["cpu"]), "fastest": _us_min(sdk["cpu"])},
                    "floor_wall_us": _us(floor["wall"]),
                    "sdk_wall_us": _us(sdk["wall"]),
                    "cpu_ratio_fastest": round(ratio, 3),
                    "cpu_ratio_median": round(
                        statistics.median(sdk["cpu"]) / statistics.median(floor["cpu"]), 3
                    ),
                    "cpu_ratio_paired_median": round(
                        statistics.median(s / f for s, f in zip(sdk["cpu"], floor["cpu"])), 3
                    ),
                    "wall_ratio_median": round(
                        statistics.median(sdk["wall"]) / statistics.median(floor["wall"]), 3
                    ),
                    "target": f"<= {target:.2f}",
                    "passed": ratio <= target,
                }
            )
    imports = {name: statistics.median(ts) * 1000 for name, ts in results["imports"].items()}
    over = imports["sdk"] - imports["baseline"]
    rss = {kind: statistics.median(kbs) for kind, kbs in results["rss_kib"].items()}
    conns = results["connections"]["sdk"]["connections"]
    checks = [
        {
            "check": "import, SDK over baseline (ms)",
            "value": round(over, 1),
            "target": f"<= {IMPORT_TARGET_MS:.0f}",
            "passed": over <= IMPORT_TARGET_MS,
        },
        {
            "check": "peak RSS, SDK over floor (KiB)",
            "value": rss["sdk"] - rss["floor"],
            "target": f"<= {RSS_TARGET_KB}",
            "passed": rss["sdk"] - rss["floor"] <= RSS_TARGET_KB,
        },
        {
            "check": f"TCP connections, {results['connections']['sdk']['calls']:,} SDK calls",
            "value": conns,
            "target": f"== {CONNECTIONS_TARGET}",
            "passed": conns == CONNECTIONS_TARGET,
        },
    ]
    me_ratio = rows[0]["cpu_ratio_fastest"]
    return {
        "calls": rows,
        "checks": checks,
        "imports_ms_median": {k: round(v, 1) for k, v in imports.items()},
        "rss_kib_median": rss,
        "stretch_me_below_1": me_ratio < STRETCH_ME,
        "passed": all(r["passed"] for r in rows) and all(c["passed"] for c in checks),
    }


def _us(values: List[float]) -> float:
    return round(statistics.median(values) * 1e6, 1)


def _us_min(values: List[float]) -> float:
    return round(min(values) * 1e6, 1)


def print_report(results: Dict[str, Any], summary: Dict[str, Any]) -> None:
    m = results["machine"]
    print(
        f"\nmachine: {m['cpu']}, {m['cores']} cores, load {m['load_average']}; "
        f"Python {m['python']}, urllib3 {m['urllib3']}, pydantic {m['pydantic']} "
        f"(core {m['pydantic_core']}), numind {m['numind']} from {m['numind_from']}"
    )
    print(
        f"mode: {results['mode']}, {results['calls']['trials']} interleaved trials, "
        f"calls per block {results['calls']['calls_per_block']}\n"
    )
    head = (
        f"{'operation':<48} {'floor CPU µs':>13} {'SDK CPU µs':>13} {'ratio':>6} "
        f"{'paired':>7} {'wall f/SDK µs':>15} {'target':>7}  ok"
    )
    print(head)
    print("-" * len(head))
    for r in summary["calls"]:
        print(
            f"{r['operation']:<48} {r['floor_cpu_us']['fastest']:>13.1f} "
            f"{r['sdk_cpu_us']['fastest']:>13.1f} {r['cpu_ratio_fastest']:>6.3f} "
            f"{r['cpu_ratio_paired_median']:>7.3f} "
            f"{r['floor_wall_us']:>7.0f}/{r['sdk_wall_us']:<7.0f} {r['target']:>7}  "
            f"{'yes' if r['passed'] else 'NO'}"
        )
    print(
        "\nCPU µs per call are the fastest block; ratio = SDK / floor of the fastest blocks, "
        "paired = median of the per-trial ratios (adjacent blocks); wall = median µs per call."
    )
    imports = summary["imports_ms_median"]
    print(
        f"\nimport, median of {len(results['imports']['sdk'])} fresh processes: "
        f"baseline ({BASELINE_IMPORT}) {imports['baseline']:.1f} ms; "
        f"SDK ({SDK_IMPORT}) {imports['sdk']:.1f} ms; "
        f"SDK + models of a first call {imports['sdk_first_use']:.1f} ms"
    )
    rss = summary["rss_kib_median"]
    print(f"peak RSS: floor {rss['floor']:.0f} KiB, SDK {rss['sdk']:.0f} KiB")
    floor_conns = results["connections"]["floor"]
    print(
        f"connections for {floor_conns['calls']:,} sequential calls: "
        f"SDK {results['connections']['sdk']['connections']}, "
        f"floor {floor_conns['connections']}; whole timed run: "
        f"{results['server']['connections']} connections, {results['server']['requests']:,} "
        "requests (three clients)\n"
    )
    for c in summary["checks"]:
        ok = "yes" if c["passed"] else "NO"
        print(f"{c['check']:<48} {c['value']:>10} {c['target']:>8}  {ok}")
    print(f"stretch, get_api_auth_me below 1.0: {'yes' if summary['stretch_me_below_1'] else 'no'}")
    print(f"all targets met: {'yes' if summary['passed'] else 'NO'}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: under a minute")
    parser.add_argument(
        "--json",
        type=Path,
        default=HERE / "results" / "latest.json",
        help="where to write the results (default: benchmarks/results/latest.json)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        kind, url, calls = args.rss_child
        rss_child(kind, url, int(calls))
        return 0

    profile = QUICK if args.quick else FULL
    started = time.perf_counter()
    results: Dict[str, Any] = {"mode": "quick" if args.quick else "full", "machine": machine()}
    print("import times ...", flush=True)
    results["imports"] = measure_imports(profile.import_runs)
    server = Server()
    try:
        print(f"server at {server.url}; calls, interleaved ...", flush=True)
        before = server.stats()
        results["calls"] = measure_calls(server.url, profile)
        after = server.stats()
        results["server"] = {key: after[key] - before[key] for key in after}
        print("connections and peak RSS ...", flush=True)
        results["connections"] = {
            "sdk": count_connections(
                server, lambda: sdk_calls(server.url), profile.connection_calls
            ),
            "floor": count_connections(
                server, lambda: floor_calls(server.url), profile.connection_calls
            ),
        }
        results["rss_kib"] = measure_rss(server.url, profile)
    finally:
        server.close()
    results["machine"]["load_average_end"] = (
        list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    )
    results["seconds"] = round(time.perf_counter() - started, 1)
    summary = summarize(results)
    results["summary"] = summary
    print_report(results, summary)
    print(f"took {results['seconds']} s; JSON in {args.json}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if args.check and not summary["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
