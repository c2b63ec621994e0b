"""Cost of the API-edge rules and memory of the log limit (#15 items 9-13). Prints numbers; asserts nothing.

    .venv/bin/python bench/edge_limits.py

- parse: microseconds to validate one trigger body (jsonschema against the published schema + the
  Unicode/finite/date checks) and one run id, median of many;
- bounded log: peak Python memory while a task "prints" 200 MB through BoundedText with the default
  50 MiB limit, versus the same output kept whole (what the worker did before).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.api.routes_runs import TRIGGER  # noqa: E402
from chalicelib.core.inputs import check_run_id  # noqa: E402
from chalicelib.core.limits import BoundedText  # noqa: E402

BODY = json.dumps({"dag_run_id": "nightly_2024-06-01", "logical_date": "2024-06-01T00:00:00+02:00",
                   "note": "re-run after the upstream fix", "conf": {"tables": [f"t{i}" for i in range(50)],
                                                                     "threshold": 0.25, "dry_run": False}})


def per_call_us(fn, n: int = 2000) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def peak_mb(write_all) -> float:
    tracemalloc.start()
    write_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    TRIGGER.parse(BODY)  # warm: builds the cached validators
    print(f"trigger body parse+validate: {per_call_us(lambda: TRIGGER.parse(BODY)):.0f} us "
          f"({len(BODY)} bytes, 4 fields)")
    print(f"run id check: {per_call_us(lambda: check_run_id('nightly_2024-06-01'), 20000):.1f} us")
    chunk = ("x" * 99 + "\n") * 655  # ~64 KB per write, 200 MB in all
    writes = 200_000_000 // len(chunk)

    def bounded() -> None:
        log = BoundedText(50 * 1024 * 1024)
        for _ in range(writes):
            log.write(chunk)
        log.getvalue()

    def whole() -> None:
        parts = []
        for _ in range(writes):
            parts.append(chunk)
        "".join(parts)

    print(f"200 MB of task output, peak memory: bounded (50 MiB limit) {peak_mb(bounded):.0f} MB, "
          f"kept whole {peak_mb(whole):.0f} MB")


if __name__ == "__main__":
    main()
