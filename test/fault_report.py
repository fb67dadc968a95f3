"""Print what the client does against each fault: ``python test/fault_report.py``.

The numbers come from the same scenarios that test_faults.py checks. Most bound each
attempt (connect 1 s, read 0.5 s; backoff 0.05 s doubling, jitter up to 0.02 s; 2 retries),
the whole call within 10 s; the deadline scenarios give the whole call a number of seconds
and use the default policy (backoff 0.5 s doubling, jitter up to 0.25 s; 2 retries).
"""

from __future__ import annotations

import os
import tempfile

from fault_scenarios import SCENARIOS, run


def main() -> None:
    # The refresh scenarios store a login: in a directory of this run's own.
    os.environ["NUMIND_CONFIG_DIR"] = tempfile.mkdtemp(prefix="numind-faults-")
    os.environ.pop("NUMIND_API_KEY", None)
    print(f"| {'fault and call':<62} | {'outcome':<26} | requests | retries | deadline | seconds |")
    print(f"|{'-' * 64}|{'-' * 28}|---------:|--------:|---------:|--------:|")
    for scenario in SCENARIOS:
        outcome = run(scenario)
        requests = "refused" if outcome.requests is None else str(outcome.requests)
        print(
            f"| {scenario.name:<62} | {outcome.result:<26} | {requests:>8} "
            f"| {len(outcome.retry_logs):>7} | {scenario.deadline:>6g} s "
            f"| {outcome.seconds:>7.2f} |"
        )


if __name__ == "__main__":
    main()
