"""Issue #17's acceptance in one run: every number the issue asks for, from the benchmarks that measure them.

Usage: .venv/bin/python bench/issue17.py [--wide 2000] [--throughput-tasks 1000] [--skip-throughput]
                                         [--airflow-python /work/airflow-venv/bin/python]

Runs, one after the other (each prints its own details first):
- bench/scale.py: requests, WRU and RRU per task (chain, fan-out, 2,000-wide), the critical path's sequential
  calls, the 50-task chain's task-to-task latency through the local process stack;
- bench/cost.py's pricing of each measured shape at the worker memory each stage deploys;
- bench/partitions.py: the busiest partition key's write rate at 5,000 tasks/s;
- bench/throughput.py: tasks/s of a wide fan-out on `levante dev` (and `dags test`, and Airflow's
  LocalExecutor when --airflow-python names a Python with Airflow 3.3).
then prints the summary against the issue's targets. Results land in bench/results/issue17.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cost import breakdown, measured, worker_memory  # noqa: E402


def run(script: str, *args: str) -> None:
    print(f"\n=== bench/{script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, check=True)


def summary(scale: dict[str, Any], partitions: dict[str, Any], throughput: dict[str, Any] | None) -> list[str]:
    lines = ["", "Issue #17, one run:", f"  {'shape':<18}{'requests/task':>14}{'WRU/task':>10}{'RRU/task':>10}"
             + "".join(f"{f'$/1M {s} {mb} MB':>20}" for s, mb in worker_memory().items())]
    for name, shape in scale["requests"].items():
        dollars = [breakdown(mb, 0.0, measured(shape))["total"] for mb in worker_memory().values()]
        lines.append(f"  {name:<18}{shape['requests_per_task']:>14.2f}{shape['wru_per_task']:>10.2f}"
                     f"{shape['rru_per_task']:>10.2f}" + "".join(f"{d:>20.2f}" for d in dollars))
    lines.append("  (targets: <= 6 requests per task, <= $6 per million tasks of 0 s; WRU/RRU per task flat in the width)")
    chain = scale["requests"].get("chain_100", {}).get("critical_path") or {}
    lines.append(f"  critical path, chain_100: median {chain.get('median_calls')} sequential AWS calls (target <= 4):"
                 f" {' -> '.join(chain.get('typical_path', []))}")
    lat = scale.get("latency")
    if lat:
        lines.append(f"  chain_50 on the local process stack: task-to-task median {lat['gap_median_ms']:.0f} ms, p95"
                     f" {lat['gap_p95_ms']:.0f} ms; {lat['per_task_ms']:.0f} ms per task first start -> last end"
                     f" (target <= 50; median of the warm runs {lat.get('per_task_ms_runs')})")
    for shape, data in partitions["shapes"].items():
        for row in data["replay"]:
            b = row["busiest"]
            lines.append(f"  busiest partition at {partitions['rate']:,} tasks/s, {shape}, N={row['shards']}: "
                         f"{b['where']} {b['key']} {b['wcu_per_s']:,} WCU/s ({'under' if row['under_limit'] else 'OVER'}"
                         f" {partitions['partition_limit_wcu']:,})")
    if throughput:
        for key, system in throughput["systems"].items():
            lines.append(f"  throughput, {throughput['dag'].split(':')[0]}, {key}: {system.get('tasks_per_s')} tasks/s"
                         f" ({system.get('task_instances')} task instances)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", type=int, default=2000)
    parser.add_argument("--throughput-tasks", type=int, default=1000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--airflow-python")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="issue17-") as tmp:
        out = Path(tmp)
        run("scale.py", "--wide", str(args.wide), "--out", str(out / "scale.json"))
        run("cost.py", "--scale", str(out / "scale.json"))
        run("partitions.py")
        throughput = None
        if not args.skip_throughput:
            extra = ["--airflow-python", args.airflow_python] if args.airflow_python else []
            run("throughput.py", "--tasks", str(args.throughput_tasks), "--out", str(out / "throughput.json"), *extra)
            throughput = json.loads((out / "throughput.json").read_text())
        scale = json.loads((out / "scale.json").read_text())
    partitions = json.loads((ROOT / "bench" / "results" / "partitions.json").read_text())
    lines = summary(scale, partitions, throughput)
    print("\n".join(lines))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "issue17.json").write_text(json.dumps({"scale": scale, "partitions": partitions,
                                                      "throughput": throughput, "summary": lines}, indent=2,
                                                     default=str))


if __name__ == "__main__":
    main()
