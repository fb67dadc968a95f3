"""Print what the client does against each fault: ``python test/fault_report.py``.

The numbers come from the same scenarios that test_faults.py checks (small timeouts:
connect 1 s, read 0.5 s; backoff 0.05 s doubling, jitter up to 0.02 s; 2 retries).
"""

from __future__ import annotations

from fault_scenarios import CONNECT_TIMEOUT, READ_TIMEOUT, SCENARIOS, run


def main() -> None:
    print(f"timeouts: connect {CONNECT_TIMEOUT} s, read {READ_TIMEOUT} s; retries: 2\n")
    print(f"| {'fault and call':<46} | {'outcome':<26} | requests | retries | seconds |")
    print(f"|{'-' * 48}|{'-' * 28}|---------:|--------:|--------:|")
    for scenario in SCENARIOS:
        outcome = run(scenario)
        requests = "refused" if outcome.requests is None else str(outcome.requests)
        print(
            f"| {scenario.name:<46} | {outcome.result:<26} | {requests:>8} "
            f"| {len(outcome.retry_logs):>7} | {outcome.seconds:>7.2f} |"
        )


if __name__ == "__main__":
    main()
