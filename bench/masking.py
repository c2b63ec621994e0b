"""Secrets masking cost: masking a task log (line by line, as the worker writes it), and the API's response
masker (an XCom-sized JSON payload through `redact`), with 0, 10 and 100 registered secrets.

Usage: .venv/bin/python bench/masking.py. Prints a table; numbers are per process, no AWS involved.
Target: masking a 1 MB log with 100 secrets costs < 50 ms (logs are capped well below that per write).
"""

from __future__ import annotations

import json
import secrets as secrets_module
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.sdk.masker import SecretsMasker  # noqa: E402

LINE = "[2024-06-01T00:00:00.000+0000] {task.py:12} INFO - processed batch 1234 of customer records, ok\n"


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    log = LINE * (1_000_000 // len(LINE))
    payload = {"xcom_entries": [{"key": f"k{i}", "value": {"rows": [[i, "name", "x" * 40] for _ in range(20)]}}
                                for i in range(200)]}
    print(f"log: {len(log) / 1e6:.1f} MB, {log.count(chr(10))} lines; payload: {len(json.dumps(payload)) / 1e3:.0f} KB")
    print(f"{'secrets':>8} {'log (line by line)':>20} {'log MB/s':>10} {'redact payload':>16}")
    for count in (0, 10, 100):
        masker = SecretsMasker()
        secrets = [secrets_module.token_urlsafe(12) for _ in range(count)]  # no shared prefix, as real ones
        for secret in secrets:
            masker.add(secret)
        lines = log.splitlines(keepends=True)
        for i in range(0, len(lines), 10):  # one line in ten prints a secret
            lines[i] = lines[i].replace("customer", secrets[i % count] if secrets else "customer")
        log_s = timed(lambda m=masker, ls=lines: [m.mask_text(x) for x in ls])
        redact_s = timed(lambda m=masker: m.redact(payload, by_key=False))
        print(f"{count:>8} {log_s * 1000:>17.1f} ms {len(log) / 1e6 / log_s:>10.0f} {redact_s * 1000:>13.1f} ms")


if __name__ == "__main__":
    main()
