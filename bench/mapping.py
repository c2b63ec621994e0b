"""Dynamic task mapping benchmark: one task mapped over 1,000 inputs.

Usage: .venv/bin/python bench/mapping.py [--n 1000]. Prints a table; writes bench/results/mapping.json.

(a) `levante dags test` of the DAG, in this process (`run_dag`, what the CLI runs) and as the CLI
    subprocess: wall time and CPU time (the CPU time is what the target is about on a shared machine).
(b) the distributed path against a moto server (subprocess): trigger, then the worker handler fed one
    SQS message at a time (what the Lambda runs per message), AWS requests counted with botocore hooks
    (bench/awscount.py). Requests are reported per mapped instance, both for the handler alone (what the
    Lambda function calls) and with the queue's receive/delete of the local poller.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.awscount import AwsCounter  # noqa: E402
from bench.distributed import new_backend, point_at, start_moto  # noqa: E402
from chalicelib.devstack.process_groups import ProcessGroups  # noqa: E402

DAG = """import pendulum
from airflow.sdk import DAG, task

with DAG("map_{n}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task
    def inputs():
        return list(range({n}))

    @task
    def double(x):
        return x * 2

    @task
    def total(values):
        assert len(values) == {n} and sum(values) == {n} * ({n} - 1), len(values)

    total(double.expand(x=inputs()))
"""


def in_process(folder: Path, dag_id: str) -> dict[str, Any]:
    from chalicelib.loader.dagbag import DagBag
    from chalicelib.runner.inprocess import SkipWaitClock, run_dag

    dag = DagBag(str(folder)).dags[dag_id]
    with open(os.devnull, "w") as sink:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run_dag(dag, clock=SkipWaitClock(), echo=sink)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.state.value == "success", result.reason
    return {"instances": len(result.task_instances), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def cli(folder: Path, dag_id: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "chalicelib.cli", "dags", "test", dag_id, "--dags-folder", str(folder),
           "--output", "json"]
    before = os.times()
    wall = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = os.times()
    assert proc.returncode == 0, proc.stderr[-2000:]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "state": json.loads(proc.stdout)["state"]}


def distributed(counter: AwsCounter, endpoint: str, folder: Path, dag_id: str, n: int) -> dict[str, Any]:
    from chalicelib.services.dagcache import DagCache
    from chalicelib.services.sync import sync_dags
    from chalicelib.services.task_consumer import handle_message
    from chalicelib.services.trigger import trigger_run
    from chalicelib.taskqueue import SqsTaskQueue

    backend = new_backend(counter, endpoint, "m")
    dags = DagCache(str(folder))
    queue = SqsTaskQueue(backend.settings)
    with counter.paused():
        sync_dags(backend, str(folder), datetime.now(UTC))
        dags.get(dag_id)  # a warm container has imported the DAG file
        _ = queue.url
    counter.reset()
    started = time.perf_counter()
    run = trigger_run(backend, dag_id, now=datetime.now(UTC))
    poller_requests = 0
    messages = 0
    while True:
        before = sum(counter.requests.values())
        batch = queue.receive(max_messages=1, wait_seconds=0)
        if not batch:
            break
        for message in batch:
            handle_message(backend, dags, message["Body"], request_id=message["MessageId"])
            queue.delete(message["ReceiptHandle"])
            messages += 1
        poller_requests += 2  # the ReceiveMessage and DeleteMessage above: Lambda's event source does these
        assert sum(counter.requests.values()) > before
    wall = time.perf_counter() - started
    counted = counter.snapshot()
    with counter.paused():
        final = backend.runs.get(dag_id, run.run_id)
        items = backend.runs.task_instances(dag_id, run.run_id)
    assert final.state.value == "success", final
    assert len(items) == n + 3, len(items)  # inputs, total, the mapped task's -1 item, n instances
    total = counted["total"]
    return {"messages": messages, "wall_s": round(wall, 2), "requests": counted["requests"], "total_requests": total,
            "requests_per_instance": round(total / n, 2),
            "handler_requests_per_instance": round((total - poller_requests) / n, 2),
            "dynamodb_wru_per_instance": round(counted["dynamodb_wru"] / n, 2),
            "dynamodb_rru_per_instance": round(counted["dynamodb_rru"] / n, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--skip-distributed", action="store_true")
    args = parser.parse_args()
    dag_id = f"map_{args.n}"
    results: dict[str, Any] = {"n": args.n, "load_average": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"{dag_id}.py").write_text(DAG.format(n=args.n))
        results["dags_test_in_process"] = in_process(folder, dag_id)
        results["dags_test_cli"] = cli(folder, dag_id)
        if not args.skip_distributed:
            processes = ProcessGroups(folder)
            counter = AwsCounter()
            try:
                endpoint = start_moto(processes)
                point_at(endpoint)
                counter.install()
                results["distributed"] = distributed(counter, endpoint, folder, dag_id, args.n)
            finally:
                counter.uninstall()
                processes.kill_all()
    out = ROOT / "bench" / "results" / "mapping.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    ip, cl = results["dags_test_in_process"], results["dags_test_cli"]
    print(f"mapping over {args.n} inputs (load average {results['load_average']:.1f})")
    print(f"  dags test in process : {ip['wall_s']:.2f} s wall, {ip['cpu_s']:.2f} s CPU ({ip['instances']} instances)")
    print(f"  dags test CLI        : {cl['wall_s']:.2f} s wall, {cl['cpu_s']:.2f} s CPU (interpreter start included)")
    if "distributed" in results:
        d = results["distributed"]
        print(f"  distributed (moto)   : {d['messages']} messages in {d['wall_s']:.1f} s")
        print(f"    AWS requests per mapped instance: {d['handler_requests_per_instance']:.2f} by the worker handler, "
              f"{d['requests_per_instance']:.2f} with the poller's receive/delete")
        print(f"    DynamoDB per instance: {d['dynamodb_wru_per_instance']:.2f} WRU, {d['dynamodb_rru_per_instance']:.2f} RRU")
        for name, count in sorted(d["requests"].items(), key=lambda kv: -kv[1]):
            print(f"      {name:40s} {count:6d}  ({count / args.n:.2f} per instance)")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
