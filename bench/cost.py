"""$ per million tasks at the worker memory each stage deploys (issue #17 item 2), from the one cost model.

Usage: .venv/bin/python bench/cost.py [--task-seconds 0,1,10]. Prints a table for docs/costs.md.

The model is `chalicelib/core/cost.py` (the same one the dashboard's cost view uses): per-try requests as
`bench/scale.py` measured them on a 100-task chain (docs/costs.md), Lambda GB-seconds at the memory read here
from `.chalice/config.json` (`stages.<stage>.lambda_functions.worker.lambda_memory_size`), not assumed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.core.cost import PER_TRY, PRICES, try_cost  # noqa: E402


def worker_memory() -> dict[str, int]:
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    return {stage: conf["lambda_functions"]["worker"]["lambda_memory_size"]
            for stage, conf in stages.items() if "worker" in conf.get("lambda_functions", {})}


def breakdown(memory_mb: int, task_seconds: float) -> dict[str, float]:
    """$ per million tasks (one try each), by line."""
    p, r, m = PRICES, PER_TRY, 1e6
    return {
        "lambda_duration": (task_seconds + r.handler_seconds) * memory_mb / 1024 * p.lambda_gb_second * m,
        "lambda_requests": r.lambda_invocations * p.lambda_request * m,
        "sqs": r.sqs * p.sqs_request * m,
        "dynamodb": (r.dynamodb_wru * p.dynamodb_wru + r.dynamodb_rru * p.dynamodb_rru) * m,
        "s3": r.s3_put * p.s3_put * m,
        "total": try_cost(task_seconds, memory_mb) * m,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-seconds", default="0,1,10", help="the task's own run time, comma-separated")
    args = parser.parse_args()
    print(f"per-try requests (measured, core/cost.py): {PER_TRY}")
    print(f"{'stage':<6} {'worker MB':>9} {'task s':>6} {'Lambda time':>11} {'Lambda req':>10} {'SQS':>6} "
          f"{'DynamoDB':>8} {'S3':>6} {'$ / 1M tasks':>12}")
    for stage, memory in worker_memory().items():
        for seconds in (float(s) for s in args.task_seconds.split(",")):
            b = breakdown(memory, seconds)
            print(f"{stage:<6} {memory:>9} {seconds:>6g} {b['lambda_duration']:>11.2f} {b['lambda_requests']:>10.2f} "
                  f"{b['sqs']:>6.2f} {b['dynamodb']:>8.2f} {b['s3']:>6.2f} {b['total']:>12.2f}")


if __name__ == "__main__":
    main()
