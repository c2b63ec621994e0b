"""$ per million tasks at the worker memory each stage deploys (issue #17 item 2), from the one cost model.

Usage: .venv/bin/python bench/cost.py [--task-seconds 0,1] [--scale bench/results/scale.json]. Prints a table for
docs/costs.md: the model's default try, then each shape bench/scale.py measured, priced the same way.

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

from chalicelib.core.cost import AWS_CALL_SECONDS, PER_TRY, PRICES, TryRequests, lambda_seconds, try_cost  # noqa: E402


def worker_memory() -> dict[str, int]:
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    return {stage: conf["lambda_functions"]["worker"]["lambda_memory_size"]
            for stage, conf in stages.items() if "worker" in conf.get("lambda_functions", {})}


def breakdown(memory_mb: int, task_seconds: float, per_try: TryRequests = PER_TRY) -> dict[str, float]:
    """$ per million tasks (one try each), by line."""
    p, r, m = PRICES, per_try, 1e6
    return {
        "lambda_duration": lambda_seconds(task_seconds, memory_mb, r) * memory_mb / 1024 * p.lambda_gb_second * m,
        "lambda_requests": r.lambda_invocations * p.lambda_request * m,
        "sqs": r.sqs * p.sqs_request * m,
        "dynamodb": (r.dynamodb_wru * p.dynamodb_wru + r.dynamodb_rru * p.dynamodb_rru) * m,
        "s3": r.s3_put * p.s3_put * m,
        "total": try_cost(task_seconds, memory_mb, per_try=per_try) * m,
    }


def measured(shape: dict) -> TryRequests:
    """One try of a `bench/scale.py` shape: its requests per task, the worker's own time (measured: wall less the
    time waiting on moto, one unthrottled core; core/cost.py slows it to the stage memory's CPU share), and
    AWS_CALL_SECONDS for each of its requests on Lambda."""
    per = shape["per_task"]
    calls = sum(v for k, v in per.items() if not k.startswith(("sqs.ReceiveMessage", "sqs.DeleteMessage")))
    return TryRequests(
        lambda_invocations=shape["invocations_per_task"],
        sqs=sum(v for k, v in per.items() if k.startswith("sqs.")),
        dynamodb_wru=shape["wru_per_task"], dynamodb_rru=shape["rru_per_task"],
        s3_put=sum(v for k, v in per.items() if k in ("s3.PutObject", "s3.CopyObject")),
        handler_seconds=calls * AWS_CALL_SECONDS, cpu_seconds=shape["own_ms_per_task"] / 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task-seconds", default="0,1", help="the task's own run time, comma-separated")
    parser.add_argument("--scale", default=str(ROOT / "bench" / "results" / "scale.json"),
                        help="bench/scale.py's output: each of its shapes is priced too")
    args = parser.parse_args()
    shapes = {"model (core/cost.py)": PER_TRY}
    if Path(args.scale).exists():
        shapes |= {name: measured(r) for name, r in json.loads(Path(args.scale).read_text())["requests"].items()}
    else:
        print(f"({args.scale} not found: run bench/scale.py to price its measured shapes)")
    for name, per_try in shapes.items():
        print(f"\n{name}: {per_try}")
        print(f"{'stage':<6} {'worker MB':>9} {'task s':>6} {'Lambda time':>11} {'Lambda req':>10} {'SQS':>6} "
              f"{'DynamoDB':>8} {'S3':>6} {'$ / 1M tasks':>12}")
        for stage, memory in worker_memory().items():
            for seconds in (float(s) for s in args.task_seconds.split(",")):
                b = breakdown(memory, seconds, per_try)
                print(f"{stage:<6} {memory:>9} {seconds:>6g} {b['lambda_duration']:>11.2f} {b['lambda_requests']:>10.2f} "
                      f"{b['sqs']:>6.2f} {b['dynamodb']:>8.2f} {b['s3']:>6.2f} {b['total']:>12.2f}")


if __name__ == "__main__":
    main()
