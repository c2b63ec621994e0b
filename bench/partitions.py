"""Hot-partition simulation (issue #17 item 4): the busiest DynamoDB partition key's write rate at 5,000 tasks/s.

Usage: .venv/bin/python bench/partitions.py [--tasks 100000] [--rate 5000] [--shards 1,4,8,16,32]
Prints a table and writes bench/results/partitions.json.

1. Measure: a real run under moto (in-process `mock_aws`): sync, trigger, then the worker's own loop
   (`process_batch`: SQS receive, handle, delete) on a chain and a fan-out. Botocore hooks (bench/awscount.py)
   see every DynamoDB write with its parameters and response, and from the item before and after each write
   we record which partition key of the table and of every GSI the write lands in, and how many write units
   it costs there (an index entry whose key changes is a delete in one partition and a put in another). Key
   values are kept relative: the item's own id, or the GSI value with the shard suffix removed.
2. Replay: 100,000 tasks arriving at 5,000/s (in runs shaped like the measured DAG), each task's and each
   run's recorded writes replayed with fresh ids, the GSI keys sharded with the real `shard_key` for each N.
   A write happens in the second its task starts (tasks are short; heartbeats are not in the measured run,
   see the report's note). The busiest (key, second) is the peak write rate of one partition key, against
   DynamoDB's 1,000 WCU/s per partition.

Base-table keys are item ids (run_pk, dag_id...), so they spread by themselves; the exceptions the replay
shows are the DAG item (one per DAG: every run of a DAG updates it) and the meta table's stats counter
(sharded over the same N keys, store/stats.py; modelled per worker flush, not per task).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.awscount import AwsCounter, item_size  # noqa: E402

PARTITION_WCU = 1000  # DynamoDB: per partition, per second (on-demand and provisioned alike)
SHARDED_INDEXES = {"by-kind", "due", "active"}
TASKS_PER_RUN = 10

DAG = '''import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def work():
    return 1


with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    tasks = [PythonOperator(task_id=f"t{{i}}", python_callable=work) for i in range({n})]
{edges}
'''
SHAPES = {"chain": "    for a, b in zip(tasks, tasks[1:]):\n        a >> b\n",
          "fanout": "    tasks[0] >> tasks[1:]\n"}


class PartitionRecorder(AwsCounter):
    """AwsCounter that also records, per write, the partition keys it lands in and the units each costs."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, str, str, int]] = []  # (table/index, key attribute, key value, units)

    def _write(self, table: str, key_or_item: dict[str, Any], new: dict[str, Any] | None, *, failed: bool) -> None:
        shape = self.shapes.get(table)
        if shape is not None and not self._paused:
            old = self._items.get((table, shape.item_key(key_or_item)))
            units = max(1, math.ceil(max(item_size(old), item_size(new)) / 1024))
            hash_key = shape.key[0]
            self.writes.append((_short(table), hash_key, _value(key_or_item.get(hash_key)), units))
            if not failed:
                for index, (keys, keys_only) in shape.indexes.items():
                    if index == "by-date":  # an LSI lives in the table's own partition
                        continue
                    self._index(f"{_short(table)}/{index}", keys, keys_only, shape.key, old, new)
        super()._write(table, key_or_item, new, failed=failed)

    def _index(self, where: str, keys: list[str], keys_only: bool, table_key: list[str],
               old: dict | None, new: dict | None) -> None:
        def entry(item: dict | None) -> str | None:
            if item is None or any(k not in item for k in keys):
                return None
            return _value(item[keys[0]])

        def units(item: dict) -> int:
            if keys_only:
                return max(1, math.ceil(item_size({k: item[k] for k in set(keys) | set(table_key)}) / 1024))
            return max(1, math.ceil(item_size(item) / 1024))

        before, after = entry(old), entry(new)
        if before is not None and (after is None or before != after or not keys_only):
            if after is None or before != after:
                self.writes.append((where, keys[0], before, units(old)))  # delete of the old entry
        if after is not None and (before != after or not keys_only):
            self.writes.append((where, keys[0], after, units(new)))


def _value(raw: dict[str, Any] | None) -> str:
    return "" if raw is None else str(next(iter(raw.values())))


def _short(table: str) -> str:
    return "-".join(table.split("-")[2:]) or table


# --- 1. measure -------------------------------------------------------------------------------------------------


def measure(shape: str, n: int) -> dict[str, Any]:
    """The DynamoDB writes of one n-task run, as (where, attribute, relative key, units) records."""
    from moto import mock_aws

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      AWS_REGION="us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        os.environ.pop(name, None)
    recorder = PartitionRecorder()
    recorder.install()
    try:
        with mock_aws(), tempfile.TemporaryDirectory() as folder:
            return _measure_in(recorder, Path(folder), shape, n)
    finally:
        recorder.uninstall()


def _measure_in(recorder: PartitionRecorder, folder: Path, shape: str, n: int) -> dict[str, Any]:
    import boto3

    from chalicelib.services.backend import Backend
    from chalicelib.services.dagcache import DagCache
    from chalicelib.services.queue_poller import process_batch
    from chalicelib.services.resources import init_resources
    from chalicelib.services.sync import sync_dags
    from chalicelib.services.trigger import trigger_run
    from chalicelib.store.runs import run_pk
    from chalicelib.store.settings import Settings
    from chalicelib.taskqueue import SqsTaskQueue

    dag_id = f"{shape}_{n}"
    (folder / f"{dag_id}.py").write_text(DAG.format(dag_id=dag_id, n=n, edges=SHAPES[shape]))
    backend = Backend(Settings(prefix=f"p{uuid.uuid4().hex[:6]}", stage="bench", index_shards=1))
    dags, queue = DagCache(str(folder)), SqsTaskQueue(backend.settings)
    with recorder.paused():
        init_resources(backend)
        client = boto3.client("dynamodb", region_name="us-east-1")
        recorder.learn_tables(client, [m.Meta.table_name for m in backend.models.all()])
        sync_dags(backend, str(folder), datetime.now(UTC))
        dags.get(dag_id)
        _ = queue.url
    recorder.reset()
    recorder.writes.clear()
    run = trigger_run(backend, dag_id, now=datetime.now(UTC))
    messages = 0
    while received := process_batch(backend, dags, queue, wait_seconds=0, max_messages=1):
        messages += received
    with recorder.paused():
        final = backend.runs.get(dag_id, run.run_id)
    assert final.state.value == "success", final
    pk = run_pk(dag_id, run.run_id)
    # Relative keys: this run's own ids become placeholders the replay fills with fresh ones.
    writes = [(where, attr, _relative(value, dag_id, run.run_id, pk), units)
              for where, attr, value, units in recorder.writes]
    return {"shape": shape, "tasks": n, "messages": messages, "writes": writes,
            "requests": dict(recorder.requests), "requests_per_task": sum(recorder.requests.values()) / n}


def _relative(value: str, dag_id: str, run_id: str, pk: str) -> str:
    for concrete, placeholder in ((pk, "{run_pk}"), (run_id, "{run_id}"), (dag_id, "{dag_id}")):
        value = value.replace(concrete, placeholder)
    return value


# --- 2. replay ------------------------------------------------------------------------------------------------


def replay(measured: dict[str, Any], *, tasks: int, rate: int, shards: int, dags: int,
           task_seconds: float) -> dict[str, Any]:
    """Per-second write units of every partition key when `tasks` tasks run at `rate` a second."""
    from chalicelib.store.settings import Settings
    from chalicelib.store.shards import shard_key

    per_run = measured["tasks"]
    # A task longer than the heartbeat interval writes its heartbeat to its item every interval (a running try
    # is in no index since session 8: store/tries_in_flight.by_active_state); the measured tasks are too short to
    # beat, so add them.
    beats = int(task_seconds // Settings().heartbeat_interval)
    heartbeats = [("task-instances", "run_pk", "{run_pk}", 1)]
    heartbeats = heartbeats * beats * per_run
    runs = tasks // per_run
    runs_per_second = max(1, rate // per_run)
    load: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    for r in range(runs):
        second = r // runs_per_second
        dag_id, run_id = f"dag_{r % dags:04d}", f"run_{r:07d}"
        pk = f"{dag_id}#{run_id}"
        for where, _attr, value, units in measured["writes"] + heartbeats:
            if where == "meta" and value.split("#")[0] == "stats":
                continue  # the per-container stats flush is modelled below, not per task
            key = value.replace("{run_pk}", pk).replace("{run_id}", run_id).replace("{dag_id}", dag_id)
            if where.split("/")[-1] in SHARDED_INDEXES and key:
                key = shard_key(key.split("#")[0], _item_id(where, pk, dag_id, r), shards)
            load[(where, key)][second] += units
    peak_where, peak_key, peak = "", "", 0
    for (where, key), seconds in load.items():
        units = max(seconds.values())
        if units > peak:
            peak_where, peak_key, peak = where, key, units
    by_where: dict[str, int] = {}
    for (where, _), seconds in load.items():
        by_where[where] = max(by_where.get(where, 0), max(seconds.values()))
    return {"shards": shards, "heartbeats_per_task": beats,
            "busiest": {"where": peak_where, "key": peak_key, "wcu_per_s": peak},
            "busiest_by_table_or_index": dict(sorted(by_where.items(), key=lambda kv: -kv[1])),
            "under_limit": peak <= PARTITION_WCU}


_TASK_SEQ = [0]


def _item_id(where: str, pk: str, dag_id: str, r: int) -> str:
    """The id the real code shards by: a task instance (run_pk#task), a run (run_pk), a DAG (dag_id).
    Task writes of one run go to different task ids; a counter stands in for the task id."""
    if where.startswith("task-instances"):
        _TASK_SEQ[0] += 1
        return f"{pk}#t{_TASK_SEQ[0] % 1000}"
    return pk if where.startswith("runs") else dag_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=5_000)
    parser.add_argument("--shards", default="1,16,32")
    parser.add_argument("--dags", type=int, default=100, help="distinct DAGs the runs belong to")
    parser.add_argument("--task-seconds", type=float, default=60.0, help="how long each task runs")
    args = parser.parse_args()
    results: dict[str, Any] = {"tasks": args.tasks, "rate": args.rate, "partition_limit_wcu": PARTITION_WCU,
                               "tasks_per_run": TASKS_PER_RUN, "dags": args.dags, "shapes": {}}
    for shape in ("chain", "fanout"):
        measured = measure(shape, TASKS_PER_RUN)
        writes_by_where = Counter(where for where, *_ in measured["writes"])
        results["shapes"][shape] = {
            "measured_writes_per_task": {k: round(v / TASKS_PER_RUN, 2) for k, v in sorted(writes_by_where.items())},
            "requests_per_task": round(measured["requests_per_task"], 2),
            "replay": [replay(measured, tasks=args.tasks, rate=args.rate, shards=int(n), dags=args.dags,
                              task_seconds=args.task_seconds) for n in args.shards.split(",")],
        }
    # The stats counter (meta "stats"/minute): each worker container flushes its counts at most every 5 s,
    # and only when it finishes a task. Concurrent containers = rate x task duration. Each flush goes to one
    # of N keys at random (store/stats.py), so one key takes 1/N of the flushes.
    containers = args.rate * args.task_seconds
    results["stats_item_writes_per_s"] = round(min(args.rate, containers / 5.0))
    results["stats_writes_per_key_per_s"] = {n: round(results["stats_item_writes_per_s"] / int(n))
                                             for n in args.shards.split(",")}
    results["lambda_concurrency"] = round(containers)
    results["task_seconds"] = args.task_seconds
    print_report(results)
    out = ROOT / "bench" / "results" / "partitions.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


def print_report(results: dict[str, Any]) -> None:
    print(f"{results['tasks']:,} tasks at {results['rate']:,} tasks/s, runs of {results['tasks_per_run']} tasks over "
          f"{results['dags']} DAGs; DynamoDB partition limit {results['partition_limit_wcu']:,} WCU/s")
    for shape, data in results["shapes"].items():
        print(f"\n{shape}: measured index/table writes per task (moto run): {data['measured_writes_per_task']}")
        print(f"  {'N':>3}  {'busiest partition key':<44} {'WCU/s':>7}  ok")
        for row in data["replay"]:
            b = row["busiest"]
            print(f"  {row['shards']:>3}  {b['where'] + ' ' + b['key']:<44} {b['wcu_per_s']:>7,}  "
                  f"{'yes' if row['under_limit'] else 'NO'}")
        last = data["replay"][-1]
        print(f"  per table/index at N={last['shards']}: {last['busiest_by_table_or_index']}")
    print(f"\ntasks of {results['task_seconds']:g} s: Lambda concurrency {results['lambda_concurrency']:,}; "
          f"stats counter (meta stats/minute): {results['stats_item_writes_per_s']:,} flushes/s in all")
    for n, per_key in results["stats_writes_per_key_per_s"].items():
        print(f"  N={n:>3}: busiest stats key {per_key:,} writes/s {'(over the limit)' if per_key > PARTITION_WCU else 'ok'}")


if __name__ == "__main__":
    main()
