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
import asyncio
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
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
ACCESS_TOKEN = "bench-access-token"  # the canned server only checks that one is sent
CREATE_NAME = "bench key"
AsyncCall = Callable[[], Awaitable[Any]]
AsyncClose = Callable[[], Awaitable[Any]]

#: the issue's targets: fastest-block CPU ratio SDK / floor
RATIO_TARGETS = {"me": 1.05, "user_tokens": 1.10, "create": 1.05}
STRETCH_ME = 1.0
IMPORT_TARGET_MS = 10.0
RSS_TARGET_KB = 2048
CONNECTIONS_TARGET = 1

#: issue 13's targets for the async client against the aiohttp floor
ASYNC_RATIO_TARGETS = {"me": 1.10, "user_tokens": 1.10}
IN_FLIGHT = 64
IN_FLIGHT_TARGET = 0.90  # SDK / floor calls per second, at least
CONCURRENT_TASKS = 1000

SDK_IMPORT = "from numind.openapi_client import ApiClient, Configuration, AuthenticationApi"
BASELINE_IMPORT = "import urllib3; from pydantic import BaseModel"
# What the first call adds: the models it decodes into (pydantic is loaded by then too).
SDK_FIRST_USE = SDK_IMPORT + "; from numind.openapi_client import User, UserTokenResponse"
ASYNC_SDK_IMPORT = (
    "from numind.openapi_client_async import ApiClient, Configuration, AuthenticationApi"
)
ASYNC_BASELINE_IMPORT = "import aiohttp; from pydantic import BaseModel"


@dataclass(frozen=True)
class Profile:
    trials: int
    calls: Dict[str, int]  # calls per block, by operation
    warmup: Dict[str, int]
    import_runs: int
    rss_runs: int
    rss_calls: int
    connection_calls: int
    in_flight_rounds: int  # rounds of IN_FLIGHT concurrent calls per throughput block


FULL = Profile(
    trials=41,
    calls={"me": 250, "user_tokens": 15, "create": 250},
    warmup={"me": 200, "user_tokens": 10, "create": 200},
    import_runs=20,
    rss_runs=3,
    rss_calls=200,
    connection_calls=1000,
    in_flight_rounds=8,
)
QUICK = Profile(
    trials=5,
    calls={"me": 150, "user_tokens": 8, "create": 150},
    warmup={"me": 50, "user_tokens": 3, "create": 50},
    import_runs=8,
    rss_runs=1,
    rss_calls=50,
    connection_calls=1000,
    in_flight_rounds=3,
)
OPERATIONS = {
    "me": "get_api_auth_me",
    "user_tokens": "get_api_auth_user_tokens (1,000)",
    "create": "post_api_auth_user_tokens",
}
ASYNC_OPERATIONS = {op: OPERATIONS[op] for op in ASYNC_RATIO_TARGETS}


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


# -- the async client ---------------------------------------------------------------


def has_aiohttp() -> bool:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def async_calls(url: str) -> Tuple[Dict[str, Dict[str, AsyncCall]], List[AsyncClose]]:
    """The async floor's calls and the async SDK's, made inside the running loop."""
    from floor import AsyncFloor

    import numind.openapi_client_async as nx

    floor = AsyncFloor(url, ACCESS_TOKEN)
    bounded = AsyncFloor(url, ACCESS_TOKEN, timeouts=True)
    client = nx.ApiClient(nx.Configuration(host=url, access_token=ACCESS_TOKEN))
    api = nx.AuthenticationApi(client)
    calls: Dict[str, Dict[str, AsyncCall]] = {
        "floor": {"me": floor.get_me, "user_tokens": floor.list_user_tokens},
        # for information: the floor with aiohttp's timeouts set as the SDK's defaults
        "floor_timeouts": {"me": bounded.get_me, "user_tokens": bounded.list_user_tokens},
        "sdk": {"me": api.get_api_auth_me, "user_tokens": api.get_api_auth_user_tokens},
    }
    return calls, [floor.close, bounded.close, client.close]


async def time_block_async(call: AsyncCall, calls: int) -> Tuple[float, float]:
    """As ``time_block``, awaiting each call in turn."""
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await call()
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return (cpu1 - cpu0) / calls, (wall1 - wall0) / calls


async def in_flight_block(call: AsyncCall, rounds: int) -> float:
    """Calls per second with IN_FLIGHT calls at a time, over ``rounds`` rounds."""
    gc.collect()
    wall0 = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))
    return rounds * IN_FLIGHT / (time.perf_counter() - wall0)


async def _measure_async(url: str, profile: Profile) -> Dict[str, Any]:
    clients, closers = async_calls(url)
    try:
        for kind, calls in clients.items():
            me = await calls["me"]()
            tokens = await calls["user_tokens"]()
            me, tokens = getattr(me, "data", me), getattr(tokens, "data", tokens)
            assert me.email == "bench@example.com", (kind, me)
            assert len(tokens) == 1000 and tokens[999].user_id, (kind, len(tokens))
        kinds = list(clients)
        samples: Dict[str, Dict[str, Dict[str, List[float]]]] = {
            op: {kind: {"cpu": [], "wall": []} for kind in kinds} for op in ASYNC_OPERATIONS
        }
        rates: Dict[str, List[float]] = {kind: [] for kind in kinds}
        for op in ASYNC_OPERATIONS:
            for kind in kinds:
                for _ in range(profile.warmup[op]):
                    await clients[kind][op]()
        for kind in kinds:
            await in_flight_block(clients[kind]["me"], 2)  # opens the connections
        for trial in range(profile.trials):
            order = kinds if trial % 2 == 0 else kinds[::-1]
            for op in ASYNC_OPERATIONS:
                for kind in order:
                    cpu, wall = await time_block_async(clients[kind][op], profile.calls[op])
                    samples[op][kind]["cpu"].append(cpu)
                    samples[op][kind]["wall"].append(wall)
            for kind in order:
                rates[kind].append(
                    await in_flight_block(clients[kind]["me"], profile.in_flight_rounds)
                )
    finally:
        for close in closers:
            await close()
    return {
        "calls_per_block": {op: profile.calls[op] for op in ASYNC_OPERATIONS},
        "trials": profile.trials,
        "samples_s_per_call": samples,
        "in_flight": IN_FLIGHT,
        "in_flight_calls_per_s": rates,
    }


async def _count_concurrent_connections(server: Server, tasks: int) -> Dict[str, int]:
    """Connections the server accepted for ``tasks`` concurrent calls on one new client."""
    import numind.openapi_client_async as nx

    configuration = nx.Configuration(host=server.url, access_token=ACCESS_TOKEN)
    before = server.stats()
    async with nx.ApiClient(configuration) as client:
        api = nx.AuthenticationApi(client)
        answers = await asyncio.gather(*(api.get_api_auth_me() for _ in range(tasks)))
    after = server.stats()
    assert all(me.email == "bench@example.com" for me in answers)
    return {
        "tasks": tasks,
        "pool": nx.rest.DEFAULT_POOL_MAXSIZE,  # none set: the async client's default
        "connections": after["connections"] - before["connections"],
        "requests": after["requests"] - before["requests"],
    }


def measure_async(server: Server, profile: Profile) -> Dict[str, Any]:
    results = asyncio.run(_measure_async(server.url, profile))
    results["connections"] = asyncio.run(_count_concurrent_connections(server, CONCURRENT_TASKS))
    return results


def measure_imports(runs: int) -> Dict[str, List[float]]:
    """Seconds spent in each import statement, each in a fresh interpreter, interleaved."""
    statements = {"baseline": BASELINE_IMPORT, "sdk": SDK_IMPORT, "sdk_first_use": SDK_FIRST_USE}
    if has_aiohttp():
        statements.update(async_baseline=ASYNC_BASELINE_IMPORT, async_sdk=ASYNC_SDK_IMPORT)
    times: Dict[str, List[float]] = {name: [] for name in statements}
    # As on a user's machine, where the first import writes the bytecode that the next
    # ones read: a checkout with PYTHONDONTWRITEBYTECODE set would compile the SDK's
    # modules at every import, and time the compiler (the packages it is compared with
    # were compiled when installed).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    for statement in statements.values():
        subprocess.run([sys.executable, "-c", statement], env=env, check=True)
    for _ in range(runs):
        for name, statement in statements.items():
            code = (
                f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
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
        for kind in ("sdk", "sdk_with_http_info"):
            operation = label + (" _with_http_info" if kind != "sdk" else "")
            floor, sdk = samples[op]["floor"], samples[op][kind]
            rows.append(_cpu_row(operation, floor, sdk, RATIO_TARGETS[op]))
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
    async_rows: List[Dict[str, Any]] = []
    if "async" in results:
        async_rows, async_checks = summarize_async(results["async"], results["imports"])
        checks += async_checks
    me_ratio = rows[0]["cpu_ratio_fastest"]
    return {
        "calls": rows,
        "async_calls": async_rows,
        "checks": checks,
        "imports_ms_median": {k: round(v, 1) for k, v in imports.items()},
        "rss_kib_median": rss,
        "stretch_me_below_1": me_ratio < STRETCH_ME,
        "passed": all(r["passed"] for r in rows + async_rows) and all(c["passed"] for c in checks),
    }


def summarize_async(
    results: Dict[str, Any], imports: Dict[str, List[float]]
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """The async rows (CPU per sequential call) and checks (throughput in flight, import,
    connections of concurrent tasks) against the aiohttp floor."""
    rows = []
    for op, label in ASYNC_OPERATIONS.items():
        floor, bounded, sdk = (
            results["samples_s_per_call"][op][kind] for kind in ("floor", "floor_timeouts", "sdk")
        )
        row = _cpu_row("async " + label, floor, sdk, ASYNC_RATIO_TARGETS[op])
        row["floor_timeouts_cpu_us"] = _us_min(bounded["cpu"])
        row["cpu_ratio_to_floor_timeouts"] = round(min(sdk["cpu"]) / min(bounded["cpu"]), 3)
        rows.append(row)
    rates = results["in_flight_calls_per_s"]
    throughput = max(rates["sdk"]) / max(rates["floor"])
    throughput_bounded = max(rates["sdk"]) / max(rates["floor_timeouts"])
    over = statistics.median(imports["async_sdk"]) - statistics.median(imports["async_baseline"])
    connections = results["connections"]
    checks = [
        {
            "check": f"async, {IN_FLIGHT} in flight: SDK / floor calls per s",
            "value": round(throughput, 3),
            "target": f">= {IN_FLIGHT_TARGET:.2f}",
            "passed": throughput >= IN_FLIGHT_TARGET,
            "fastest_calls_per_s": {kind: round(max(r)) for kind, r in rates.items()},
            "ratio_to_floor_timeouts": round(throughput_bounded, 3),
        },
        {
            "check": "async import, SDK over baseline (ms)",
            "value": round(over * 1000, 1),
            "target": f"<= {IMPORT_TARGET_MS:.0f}",
            "passed": over * 1000 <= IMPORT_TARGET_MS,
        },
        {
            "check": f"async, TCP connections of {connections['tasks']:,} concurrent tasks",
            "value": connections["connections"],
            "target": f"<= {connections['pool']}",
            "passed": 0 < connections["connections"] <= connections["pool"],
        },
    ]
    return rows, checks


def _cpu_row(
    operation: str, floor: Dict[str, List[float]], sdk: Dict[str, List[float]], target: float
) -> Dict[str, Any]:
    """One row of the table: the floor's and the SDK's samples of one operation, compared."""
    ratio = min(sdk["cpu"]) / min(floor["cpu"])
    return {
        "operation": operation,
        "floor_cpu_us": {"median": _us(floor["cpu"]), "fastest": _us_min(floor["cpu"])},
        "sdk_cpu_us": {"median": _us(sdk["cpu"]), "fastest": _us_min(sdk["cpu"])},
        "floor_wall_us": _us(floor["wall"]),
        "sdk_wall_us": _us(sdk["wall"]),
        "cpu_ratio_fastest": round(ratio, 3),
        "cpu_ratio_median": round(
            statistics.median(sdk["cpu"]) / statistics.median(floor["cpu"]), 3
        ),
        "cpu_ratio_paired_median": round(
            statistics.median(s / f for s, f in zip(sdk["cpu"], floor["cpu"], strict=True)), 3
        ),
        "wall_ratio_median": round(
            statistics.median(sdk["wall"]) / statistics.median(floor["wall"]), 3
        ),
        "target": f"<= {target:.2f}",
        "passed": ratio <= target,
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
    for r in summary["calls"] + summary["async_calls"]:
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
    if "async_sdk" in imports:
        print(
            f"async import: baseline ({ASYNC_BASELINE_IMPORT}) {imports['async_baseline']:.1f} ms; "
            f"SDK ({ASYNC_SDK_IMPORT}) {imports['async_sdk']:.1f} ms"
        )
    if "async" in results:
        rates = results["async"]["in_flight_calls_per_s"]
        print(
            f"async, {IN_FLIGHT} calls in flight, fastest block: floor "
            f"{max(rates['floor']):,.0f} calls/s, floor with timeouts "
            f"{max(rates['floor_timeouts']):,.0f}, SDK {max(rates['sdk']):,.0f} calls/s"
        )
        for r in summary["async_calls"]:
            print(
                f"{r['operation']}: floor with the SDK's timeouts {r['floor_timeouts_cpu_us']} µs, "
                f"SDK / that floor {r['cpu_ratio_to_floor_timeouts']}"
            )
        conns = results["async"]["connections"]
        print(
            f"async, {conns['tasks']:,} concurrent tasks on one client: "
            f"{conns['connections']} connections (pool {conns['pool']}), "
            f"{conns['requests']:,} requests"
        )
    else:
        print("async rows left out: aiohttp is not installed (pip install '.[async]')")
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
        if has_aiohttp():
            print("async client against the aiohttp floor ...", flush=True)
            results["async"] = measure_async(server, profile)
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
