"""Distributed benchmark: AWS requests and dollars per task, task-to-task latency, scheduler tick vs history.

Usage: .venv/bin/python bench/distributed.py [--quick]. Starts its own moto server subprocess; prints a table;
writes bench/results/distributed.json (docs/costs.md explains the method and the prices).

(a) requests per task: the services in this process (trigger, then the worker handler fed one SQS message
    at a time through `process_batch`, exactly what `levante worker` runs) against the moto server, counted
    by botocore hooks on every client (boto3's and PynamoDB's). In-process because the hooks see each
    call's parameters and response, which attributes every request to an operation and lets us estimate
    DynamoDB capacity units; scheduler ticks are excluded (a fixed cost per minute, measured in (c)).
(b) latency: the real processes (`levante scheduler --interval 0.5`, `levante worker --concurrency 4`) and
    `levante dags trigger --wait` on a 100-task chain; gaps are upstream end_date -> downstream start_date
    as the task_instances table records them.
(c) scheduler tick with 1,000 DAG files registered and 1k vs 100k finished task instances of history,
    seeded with batch writes (finished runs and task instances carry no active-index attributes).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.awscount import AwsCounter  # noqa: E402
from chalicelib.devstack.moto_atomic import server_argv  # noqa: E402
from chalicelib.devstack.process_groups import ProcessGroups, free_port, http_answers, wait_until  # noqa: E402

BIN = Path(sys.executable).parent
N = 100

# AWS list prices, us-east-1, as of 2025 (on-demand, no free tier).
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000166667,
    "lambda_memory_gb": 0.5,
    "sqs_request": 0.40 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "s3_put": 0.005 / 1e3,
    "s3_get": 0.0004 / 1e3,
}

HEADER = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def work(i):
    print(f"task {{i}} done")
    return i


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
"""
CHAIN = HEADER + (
    "    tasks = [PythonOperator(task_id=f't{{i:03d}}', python_callable=work, op_args=[i]) for i in range({n})]\n"
    "    for a, b in zip(tasks, tasks[1:]):\n        a >> b\n"
)
FANOUT = HEADER + (
    "    root = PythonOperator(task_id='root', python_callable=work, op_args=[-1])\n"
    "    root >> [PythonOperator(task_id=f't{{i:03d}}', python_callable=work, op_args=[i]) for i in range({n} - 1)]\n"
)
IDLE_DAG = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("registered_{i:04d}", schedule="@daily", start_date=pendulum.datetime(2100, 1, 1, tz="UTC"), catchup=False):
    EmptyOperator(task_id="only")
"""


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- the moto server ------------------------------------------------------------------------------------------


def start_moto(processes: ProcessGroups, name: str = "moto") -> str:
    port = free_port()
    processes.start(name, server_argv("127.0.0.1", port), env=dict(os.environ), cwd=ROOT)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_answers(f"{endpoint}/moto-api/data.json"), timeout=30, what="moto server")
    return endpoint


def point_at(endpoint: str) -> None:
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1")


def new_backend(counter: AwsCounter, endpoint: str, stage: str) -> Any:
    import boto3

    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    backend = Backend(Settings(prefix=f"bench{uuid.uuid4().hex[:6]}", stage=stage, dynamodb_endpoint=endpoint))
    with counter.paused():
        init_resources(backend)
        client = boto3.client("dynamodb", region_name="us-east-1")
        counter.learn_tables(client, [m.Meta.table_name for m in backend.models.all()])
    return backend


def warm_stack(counter: AwsCounter, endpoint: str, stage: str, folder: Path, dag_id: str):
    """A backend with `folder` synced, its DAG imported and the queue URL resolved, as in a warm container;
    the counter is reset, so what follows counts only the work measured."""
    from chalicelib.services.dagcache import DagCache
    from chalicelib.services.sync import sync_dags
    from chalicelib.taskqueue import SqsTaskQueue

    backend = new_backend(counter, endpoint, stage)
    dags = DagCache(str(folder))
    queue = SqsTaskQueue(backend.settings)
    with counter.paused():
        sync_dags(backend, str(folder), utcnow())
        dags.get(dag_id)  # a warm container has imported the DAG file
        _ = queue.url  # and resolved the queue URL
    counter.reset()
    return backend, dags, queue


# --- (a) requests per task --------------------------------------------------------------------------------


def requests_per_task(counter: AwsCounter, endpoint: str, folder: Path, dag_id: str) -> dict[str, Any]:
    from chalicelib.services.queue_poller import process_batch
    from chalicelib.services.trigger import trigger_run

    backend, dags, queue = warm_stack(counter, endpoint, "a", folder, dag_id)
    started = time.perf_counter()
    run = trigger_run(backend, dag_id, now=utcnow())
    handler_s: list[float] = []
    while True:
        t0 = time.perf_counter()
        if not process_batch(backend, dags, queue, wait_seconds=0, max_messages=1):
            break
        handler_s.append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    counted = counter.snapshot()
    with counter.paused():
        final = backend.runs.get(dag_id, run.run_id)
        tis = backend.runs.task_instances(dag_id, run.run_id)
    assert final.state.value == "success" and len(tis) == N, (final, len(tis))
    # Per task, not per message: a message's invocation also runs the tasks handed off to it (services/handoff.py)
    return {"dag_id": dag_id, "tasks": N, "wall_s": wall, "handler_mean_s": sum(handler_s) / N,
            "invocations_per_task": len(handler_s) / N,
            **counted,
            "per_task": {k: v / N for k, v in counted["requests"].items()},
            "requests_per_task": counted["total"] / N,
            "wru_per_task": counted["dynamodb_wru"] / N, "rru_per_task": counted["dynamodb_rru"] / N}


def dollars_per_million(result: dict[str, Any]) -> dict[str, float]:
    per = result["per_task"]
    sqs = sum(v for k, v in per.items() if k.startswith("sqs."))
    s3_put = sum(v for k, v in per.items() if k.startswith("s3.") and k.split(".")[1] in ("PutObject", "CopyObject", "ListObjectsV2"))
    s3_get = sum(v for k, v in per.items() if k.startswith("s3.") and k.split(".")[1] in ("GetObject", "HeadObject"))
    m = 1e6
    costs = {
        "lambda_requests": m * result["invocations_per_task"] * PRICES["lambda_request"],  # one per message
        "lambda_duration": m * result["handler_mean_s"] * PRICES["lambda_memory_gb"] * PRICES["lambda_gb_s"],
        "sqs": m * sqs * PRICES["sqs_request"],
        "dynamodb_writes": m * result["wru_per_task"] * PRICES["dynamodb_wru"],
        "dynamodb_reads": m * result["rru_per_task"] * PRICES["dynamodb_rru"],
        "s3": m * (s3_put * PRICES["s3_put"] + s3_get * PRICES["s3_get"]),
    }
    costs["total"] = sum(costs.values())
    return {k: round(v, 2) for k, v in costs.items()}


# --- (b) task-to-task latency through the real processes ------------------------------------------------


def chain_latency(endpoint: str, folder: Path, processes: ProcessGroups, dag_id: str) -> dict[str, Any]:
    from chalicelib.services.backend import Backend
    from chalicelib.store.settings import Settings
    from chalicelib.store.timefmt import parse_iso

    prefix = f"lat{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVANTE_")}
    env.update(LEVANTE_PREFIX=prefix, PYTHONUNBUFFERED="1")
    levante = [str(BIN / "levante")]
    subprocess.run([*levante, "init"], env=env, cwd=ROOT, check=True, capture_output=True)
    processes.start("scheduler", [*levante, "scheduler", "--interval", "0.5"], env=env, cwd=ROOT)
    processes.start("worker", [*levante, "worker", "--concurrency", "4", "--dags-folder", str(folder)], env=env, cwd=ROOT)
    started = time.perf_counter()
    proc = subprocess.run([*levante, "dags", "trigger", dag_id, "--wait", "--output", "json", "--dags-folder", str(folder)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    processes.assert_running()
    run = json.loads(proc.stdout)
    assert run["state"] == "success", proc.stderr[-2000:]
    backend = Backend(Settings(prefix=prefix, dynamodb_endpoint=endpoint))
    tis = {i.task_id: i for i in backend.runs.task_instances(dag_id, run["run_id"])}
    gaps = [(parse_iso(tis[f"t{i + 1:03d}"].start_date) - parse_iso(tis[f"t{i:03d}"].end_date)).total_seconds()
            for i in range(N - 1)]
    ran = [(parse_iso(t.end_date) - parse_iso(t.start_date)).total_seconds() for t in tis.values()]
    first = min(parse_iso(t.start_date) for t in tis.values())
    last = max(parse_iso(t.end_date) for t in tis.values())
    return {"dag_id": dag_id, "gap_median_ms": statistics.median(gaps) * 1000, "gap_p95_ms": _p95(gaps) * 1000,
            "gap_max_ms": max(gaps) * 1000, "task_run_median_ms": statistics.median(ran) * 1000,
            "first_start_to_last_end_s": (last - first).total_seconds(), "cli_wall_s": wall}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


# --- (c) scheduler tick vs history -------------------------------------------------------------------------


def tick_scaling(counter: AwsCounter, endpoint: str, dags: int, histories: list[int]) -> dict[str, Any]:
    from chalicelib.services.scheduler import tick
    from chalicelib.services.sync import sync_dags

    backend = new_backend(counter, endpoint, "c")
    results: dict[str, Any] = {"dags": dags, "by_history": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(dags):
            (folder / f"registered_{i:04d}.py").write_text(IDLE_DAG.format(i=i))
        with counter.paused():
            t0 = time.perf_counter()
            sync_dags(backend, str(folder), utcnow())
            results["first_sync_s"] = time.perf_counter() - t0
        seeded = 0
        for history in histories:
            with counter.paused():
                t0 = time.perf_counter()
                seed_history(backend, history - seeded, offset=seeded)
                results.setdefault("seed_s", {})[str(history)] = time.perf_counter() - t0
                seeded = history
            results["by_history"][str(history)] = {
                "tick": measure_ticks(counter, lambda: tick(backend, utcnow())),
                # the DAG processor's pass over an unchanged folder (a separate process since issue #14)
                "processor_unchanged": measure_ticks(counter, lambda: sync_dags(backend, str(folder), utcnow()), repeat=2),
            }
    return results


def seed_history(backend: Any, task_instances: int, *, offset: int, per_run: int = 100) -> None:
    """Finished runs of `registered_0000` with `per_run` successful task instances each (batch writes)."""
    from chalicelib.store.runs import run_pk
    from chalicelib.store.timefmt import iso

    DagRun, TI = backend.models.DagRun, backend.models.TaskInstance
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with DagRun.batch_write() as runs, TI.batch_write() as tis:
        for r in range(offset // per_run, (offset + task_instances) // per_run):
            when = start + timedelta(hours=r)
            run_id = f"scheduled__{when.isoformat()}"
            runs.save(DagRun("registered_0000", run_id, run_key=run_pk("registered_0000", run_id),
                             date_key=f"{iso(when)}#{run_id}", state="success", run_type="scheduled",
                             logical_date=iso(when), run_after=iso(when), data_interval_start=iso(when),
                             data_interval_end=iso(when), start_date=iso(when), end_date=iso(when),
                             created_at=iso(when), roots_enqueued=True))
            for t in range(per_run):
                tis.save(TI(run_pk("registered_0000", run_id), f"task_{t:03d}", dag_id="registered_0000",
                            run_id=run_id, state="success", try_number=1, max_tries=0, start_date=iso(when),
                            end_date=iso(when), duration=0.1))


def measure_ticks(counter: AwsCounter, call: Any, repeat: int = 3) -> dict[str, Any]:
    samples = []
    for _ in range(repeat):
        counter.reset()
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0, counter.snapshot()))
    wall, counted = min(samples, key=lambda s: s[0])
    return {"wall_s": wall, "dynamodb_requests": sum(v for k, v in counted["requests"].items() if k.startswith("dynamodb.")),
            "requests": counted["requests"], "dynamodb_rru": counted["dynamodb_rru"], "dynamodb_wru": counted["dynamodb_wru"]}


# --- report -----------------------------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    print("\n(a) AWS requests per task instance, end to end (trigger + worker; scheduler ticks excluded)")
    ops = sorted({op for r in results["requests"].values() for op in r["per_task"]})
    names = list(results["requests"])
    print(f"  {'operation':<32}" + "".join(f"{n:>14}" for n in names))
    for op in ops:
        print(f"  {op:<32}" + "".join(f"{results['requests'][n]['per_task'].get(op, 0):>14.2f}" for n in names))
    for label, key in (("requests / task", "requests_per_task"), ("DynamoDB WRU / task", "wru_per_task"),
                       ("DynamoDB RRU / task", "rru_per_task"), ("handler mean ms", "handler_mean_s")):
        scale = 1000 if key == "handler_mean_s" else 1
        print(f"  {label:<32}" + "".join(f"{results['requests'][n][key] * scale:>14.2f}" for n in names))
    print("\n  DynamoDB capacity units per task (estimated, see bench/awscount.py)")
    units = sorted({u for r in results["requests"].values() for u in r["dynamodb_units"]})
    for unit in units:
        print(f"  {unit:<44}" + "".join(f"{results['requests'][n]['dynamodb_units'].get(unit, 0) / N:>8.2f}" for n in names))
    print("\n  $ per million tasks (us-east-1 list prices, 2025)")
    for item in next(iter(results["dollars_per_million_tasks"].values())):
        print(f"  {item:<32}" + "".join(f"{results['dollars_per_million_tasks'][n][item]:>14.2f}" for n in names))
    lat = results["latency"]
    print(f"\n(b) task-to-task latency, {lat['dag_id']} via moto server + scheduler + worker --concurrency 4:"
          f" median {lat['gap_median_ms']:.0f} ms, p95 {lat['gap_p95_ms']:.0f} ms, max {lat['gap_max_ms']:.0f} ms;"
          f" task body median {lat['task_run_median_ms']:.0f} ms; first start -> last end"
          f" {lat['first_start_to_last_end_s']:.1f} s; CLI wall {lat['cli_wall_s']:.1f} s")
    tick = results["tick"]
    print(f"\n(c) scheduler tick, {tick['dags']} DAGs registered")
    print(f"  {'history TIs':>12} {'mode':<18} {'DDB requests':>13} {'RRU':>8} {'WRU':>6} {'wall s':>8}")
    for history, modes in tick["by_history"].items():
        for mode, m in modes.items():
            print(f"  {history:>12} {mode:<18} {m['dynamodb_requests']:>13} {m['dynamodb_rru']:>8.1f}"
                  f" {m['dynamodb_wru']:>6.1f} {m['wall_s']:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100 DAGs and 1k/10k history for (c)")
    args = parser.parse_args()
    counter = AwsCounter()
    counter.install()
    results: dict[str, Any] = {"prices_usd": PRICES, "machine_cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "chain_100.py").write_text(CHAIN.format(dag_id="chain_100", n=N))
        (folder / "fanout_100.py").write_text(FANOUT.format(dag_id="fanout_100", n=N))
        processes = ProcessGroups(folder)
        try:
            endpoint = start_moto(processes)
            point_at(endpoint)
            results["requests"] = {d: requests_per_task(counter, endpoint, folder, d) for d in ("chain_100", "fanout_100")}
            results["dollars_per_million_tasks"] = {d: dollars_per_million(r) for d, r in results["requests"].items()}
            results["latency"] = chain_latency(endpoint, folder, processes, "chain_100")
            processes.stop("scheduler")
            processes.stop("worker")
            histories = [1_000, 10_000] if args.quick else [1_000, 100_000]
            results["tick"] = tick_scaling(counter, endpoint, 100 if args.quick else 1_000, histories)
        finally:
            survivors = processes.kill_all()
            if survivors:
                print(f"warning: processes survived: {survivors}", file=sys.stderr)
    print_report(results)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "distributed.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
