"""Scale benchmark (issue #17): AWS requests and DynamoDB units per task on a chain, a fan-out and a wide
fan-out/fan-in, and the sequential AWS calls on the critical path from a task's end to its downstream's start.

Usage: .venv/bin/python bench/scale.py [--wide 2000] [--skip-wide] [--skip-latency]. Starts its own moto
server; prints a table; writes bench/results/scale.json.

Latency: a 50-task chain through the local process stack (moto server, `levante scheduler`, one `levante
worker --concurrency 4`), warm (three runs after a first one): median and p95 of upstream end -> downstream
start over the three, and the median run's time per task.

Requests are counted as bench/distributed.py counts them (bench/awscount.py: botocore hooks on every client,
DynamoDB units estimated the way on-demand DynamoDB bills them): the trigger, then the worker handler fed one
SQS message at a time (`process_batch`, what `levante worker` runs), SQS receive and delete included;
scheduler ticks excluded.

Critical path: for each chain edge, the AWS calls made after the upstream task's body returned and before
the downstream task's body started, in order (they are sequential: one process, one call at a time). The
upstream message's DeleteMessage is left out: SQS deletes it after the handler returned, while another
worker is already receiving the downstream message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.awscount import AwsCounter  # noqa: E402
from bench.distributed import point_at, start_moto, utcnow, warm_stack  # noqa: E402
from chalicelib.devstack.process_groups import ProcessGroups  # noqa: E402

HEADER = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def work(i):
    print(f"task {{i}} done")
    return i


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False,
         max_active_tasks={slots}):
"""
CHAIN = HEADER + (
    "    tasks = [PythonOperator(task_id=f't{{i:04d}}', python_callable=work, op_args=[i]) for i in range({n})]\n"
    "    for a, b in zip(tasks, tasks[1:]):\n        a >> b\n"
)
FANOUT = HEADER + (
    "    root = PythonOperator(task_id='root', python_callable=work, op_args=[-1])\n"
    "    root >> [PythonOperator(task_id=f't{{i:04d}}', python_callable=work, op_args=[i]) for i in range({n} - 1)]\n"
)
FAN_OUT_IN = HEADER + (
    "    root = PythonOperator(task_id='root', python_callable=work, op_args=[-1])\n"
    "    join = PythonOperator(task_id='join', python_callable=work, op_args=[-2])\n"
    "    root >> [PythonOperator(task_id=f't{{i:04d}}', python_callable=work, op_args=[i]) for i in range({n} - 2)] >> join\n"
)


class SequenceCounter(AwsCounter):
    """Also keeps the order of calls, with markers where task bodies start and end."""

    def __init__(self) -> None:
        super().__init__()
        self.sequence: list[str] = []

    def _after_call(self, parsed: dict[str, Any], context: dict[str, Any], model: Any, **kw: Any) -> None:
        super()._after_call(parsed, context, model, **kw)
        if not self._paused:
            self.sequence.append(f"{model.service_model.endpoint_prefix}.{model.name}")

    def reset(self) -> None:
        super().reset()
        self.sequence.clear()


def mark_task_bodies(counter: SequenceCounter) -> None:
    """Put `>start task` / `<end task` markers in the call sequence around each supervised try."""
    from chalicelib.services import task_consumer as worker

    original = worker.run_supervised

    def marked(backend: Any, request: Any, **kwargs: Any) -> Any:
        counter.sequence.append(f">start {request.task.task_id}")
        try:
            return original(backend, request, **kwargs)
        finally:
            counter.sequence.append(f"<end {request.task.task_id}")

    worker.run_supervised = marked


def critical_path(sequence: list[str]) -> dict[str, Any]:
    """Calls between one body's end and the next body's start, per edge of a chain."""
    paths: list[list[str]] = []
    current: list[str] | None = None
    for entry in sequence:
        if entry.startswith("<end"):
            current = []
        elif entry.startswith(">start"):
            if current is not None:
                paths.append(current)
            current = None
        elif current is not None:
            current.append(entry)
    paths = [[c for c in p if c != "sqs.DeleteMessage"] for p in paths]
    lengths = [len(p) for p in paths]
    typical = max(set(map(tuple, paths)), key=lambda p: sum(1 for q in paths if tuple(q) == p)) if paths else ()
    return {"edges": len(paths), "median_calls": statistics.median(lengths) if lengths else None,
            "max_calls": max(lengths) if lengths else None, "typical_path": list(typical)}


def requests_per_task(counter: SequenceCounter, endpoint: str, folder: Path, dag_id: str, tasks: int) -> dict[str, Any]:
    from chalicelib.services.queue_poller import process_batch
    from chalicelib.services.trigger import trigger_run

    backend, dags, queue = warm_stack(counter, endpoint, "s", folder, dag_id)
    started = time.perf_counter()
    run = trigger_run(backend, dag_id, now=utcnow())
    handled = 0
    while process_batch(backend, dags, queue, wait_seconds=0, max_messages=1):
        handled += 1
    wall = time.perf_counter() - started
    counted = counter.snapshot()
    sequence = list(counter.sequence)
    with counter.paused():
        final = backend.runs.get(dag_id, run.run_id)
        states = {i.state for i in backend.runs.instances(dag_id, run.run_id)}
    assert final.state.value == "success" and states == {"success"}, (final, states)
    # The worker's own time per task: the wall time less what it waited on AWS (moto here); on Lambda each
    # call then takes AWS's latency instead (bench/cost.py adds it back per request).
    own_ms = max(0.0, wall - counted["aws_seconds"]) * 1000 / tasks
    return {"dag_id": dag_id, "tasks": tasks, "messages": handled, "wall_s": round(wall, 2), **counted,
            "invocations_per_task": handled / tasks, "own_ms_per_task": round(own_ms, 2),
            "per_task": {k: v / tasks for k, v in counted["requests"].items()},
            "requests_per_task": counted["total"] / tasks,
            "wru_per_task": counted["dynamodb_wru"] / tasks, "rru_per_task": counted["dynamodb_rru"] / tasks,
            "critical_path": critical_path(sequence) if dag_id.startswith("chain") else None}


WARM_RUNS = 3


def chain_latency(endpoint: str, folder: Path, processes: ProcessGroups, dag_id: str, n: int) -> dict[str, Any]:
    """Task-to-task gaps (upstream end_date -> downstream start_date) of a chain through the real processes:
    the moto server, `levante scheduler`, one `levante worker --concurrency 4`. The first run warms them up;
    the gaps are pooled over the warm runs, and the time per task is the median run's (one run on a shared
    2-CPU machine moves by +-10 ms a task)."""
    import os
    import subprocess
    import uuid

    from chalicelib.services.backend import Backend
    from chalicelib.store.settings import Settings
    from chalicelib.store.timefmt import parse_iso

    bin_dir = Path(sys.executable).parent
    prefix = f"lat{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVANTE_")}
    env.update(LEVANTE_PREFIX=prefix, PYTHONUNBUFFERED="1")
    levante = [str(bin_dir / "levante")]
    subprocess.run([*levante, "init"], env=env, cwd=ROOT, check=True, capture_output=True)
    processes.start("scheduler", [*levante, "scheduler", "--interval", "0.5"], env=env, cwd=ROOT)
    processes.start("worker", [*levante, "worker", "--concurrency", "4", "--dags-folder", str(folder)], env=env, cwd=ROOT)
    trigger = [*levante, "dags", "trigger", dag_id, "--wait", "--output", "json", "--dags-folder", str(folder)]
    runs = []
    for _ in range(1 + WARM_RUNS):  # cold, then warm
        proc = subprocess.run(trigger, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        run = json.loads(proc.stdout)
        assert run["state"] == "success", proc.stderr[-2000:]
        runs.append(run["run_id"])
    processes.assert_running()
    backend = Backend(Settings(prefix=prefix, dynamodb_endpoint=endpoint))
    gaps: list[float] = []
    per_task: list[float] = []
    for run_id in runs[1:]:
        tis = {i.task_id: i for i in backend.runs.task_instances(dag_id, run_id)}
        gaps += [(parse_iso(tis[f"t{i + 1:04d}"].start_date) - parse_iso(tis[f"t{i:04d}"].end_date)).total_seconds()
                 for i in range(n - 1)]
        first = min(parse_iso(t.start_date) for t in tis.values())
        last = max(parse_iso(t.end_date) for t in tis.values())
        per_task.append((last - first).total_seconds() * 1000 / n)
    gaps.sort()
    return {"dag_id": dag_id, "tasks": n, "warm_runs": WARM_RUNS, "gap_median_ms": statistics.median(gaps) * 1000,
            "gap_p95_ms": gaps[min(len(gaps) - 1, int(0.95 * len(gaps) + 0.999) - 1)] * 1000,
            "per_task_ms": statistics.median(per_task), "per_task_ms_runs": [round(x, 1) for x in per_task]}


def print_report(results: dict[str, Any]) -> None:
    runs = results["requests"]
    names = list(runs)
    print("\nAWS requests per task, end to end (trigger + worker incl. SQS receive/delete; scheduler ticks excluded)")
    print(f"  {'operation':<34}" + "".join(f"{n:>16}" for n in names))
    for op in sorted({op for r in runs.values() for op in r["per_task"]}):
        print(f"  {op:<34}" + "".join(f"{runs[n]['per_task'].get(op, 0):>16.3f}" for n in names))
    for label, key in (("requests / task", "requests_per_task"), ("DynamoDB WRU / task", "wru_per_task"),
                       ("DynamoDB RRU / task", "rru_per_task"), ("worker invocations / task", "invocations_per_task"),
                       ("worker's own ms / task (not AWS)", "own_ms_per_task"), ("wall s (moto, one process)", "wall_s")):
        print(f"  {label:<34}" + "".join(f"{runs[n][key]:>16.3f}" for n in names))
    print("\n  DynamoDB capacity units per task (estimated, bench/awscount.py)")
    for unit in sorted({u for r in runs.values() for u in r["dynamodb_units"]}):
        print(f"  {unit:<50}" + "".join(f"{runs[n]['dynamodb_units'].get(unit, 0) / runs[n]['tasks']:>10.3f}"
                                        for n in names))
    lat = results.get("latency")
    if lat:
        print(f"\nTask-to-task latency, {lat['dag_id']} (moto server + scheduler + worker --concurrency 4, warm run):"
              f" median {lat['gap_median_ms']:.0f} ms, p95 {lat['gap_p95_ms']:.0f} ms;"
              f" first start -> last end {lat['per_task_ms']:.0f} ms per task (median of {lat.get('warm_runs', 1)} warm"
              f" runs: {lat.get('per_task_ms_runs')})")
    for name, r in runs.items():
        if r["critical_path"]:
            cp = r["critical_path"]
            print(f"\nCritical path, {name}: median {cp['median_calls']} sequential AWS calls from a task's end to"
                  f" its downstream's start (max {cp['max_calls']}, {cp['edges']} edges): {' -> '.join(cp['typical_path'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide", type=int, default=2000, help="tasks in the wide fan-out/fan-in (default 2000)")
    parser.add_argument("--skip-wide", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.json"))
    args = parser.parse_args()
    counter = SequenceCounter()
    counter.install()
    mark_task_bodies(counter)
    results: dict[str, Any] = {}
    # Default max_active_tasks (16), and a fan-out whose slots cover its width: only there can every try
    # decide its downstream from its edges (a chain can never run two tasks at once; core/edges.py).
    dags = [("chain_100", CHAIN, 100, 16), ("fanout_100", FANOUT, 100, 16), ("fanout_100_slots", FANOUT, 100, 128)]
    if not args.skip_wide:
        # The default of 16 on wider fan-outs: each try hands its slot on through the run's waiting list
        # (services/slot_gate.py); until session 8 each planned the whole run, a read that grew with the width.
        dags.append(("fanout_300", FANOUT, 300, 16))
        dags.append((f"fanout_{args.wide}", FANOUT, args.wide, 16))
        # max_active_tasks above the width: every middle task may run at once.
        dags.append((f"fanoutin_{args.wide}", FAN_OUT_IN, args.wide, args.wide + 16))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for dag_id, text, n, slots in [*dags, ("chain_50", CHAIN, 50, 16)]:
            (folder / f"{dag_id}.py").write_text(text.format(dag_id=dag_id, n=n, slots=slots))
        processes = ProcessGroups(folder)
        try:
            endpoint = start_moto(processes)
            point_at(endpoint)
            results["requests"] = {d: requests_per_task(counter, endpoint, folder, d, n) for d, _, n, _ in dags}
            if not args.skip_latency:
                counter.uninstall()
                # A fresh moto server, as a user's stack starts: moto answers a query by walking its whole table,
                # so the runs measured above (the 2,000-wide one's items) would slow every tick and claim here.
                fresh = start_moto(processes, "moto-latency")
                point_at(fresh)
                results["latency"] = chain_latency(fresh, folder, processes, "chain_50", 50)
        finally:
            processes.kill_all()
    print_report(results)
    out = Path(args.out)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
