"""Per-task overhead of running each task try in a supervised child process.

Usage: .venv/bin/python bench/task_process.py [--tasks N]. Prints milliseconds per task.

(a) worker handler: a chain of N PythonOperator tasks triggered and drained through
    `services.task_consumer.handle_message` against moto in this process (`mock_aws`), one SQS message at a time,
    exactly as `levante worker` feeds it. Wall time per task, queue receive and delete included.
(b) fork alone: `runner.supervisor.supervise` of a function that returns at once, vs calling it directly:
    the price of the child process itself (fork, pipe, wait), without any AWS request.
Run it on a commit before the child process (no `runner/supervisor.py`: (b) is skipped) and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHAIN = """import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def work(i):
    print(f"task {{i}} done")
    return i


with DAG("chain", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    tasks = [PythonOperator(task_id=f"t{{i:03d}}", python_callable=work, op_args=[i]) for i in range({n})]
    for a, b in zip(tasks, tasks[1:]):
        a >> b
"""


def worker_handler_ms_per_task(n: int) -> float:
    from moto import mock_aws

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(name, None)
    with mock_aws(), tempfile.TemporaryDirectory() as folder:
        from chalicelib.services.backend import Backend
        from chalicelib.services.dagcache import DagCache
        from chalicelib.services.resources import init_resources
        from chalicelib.services.sync import sync_dags
        from chalicelib.services.task_consumer import handle_message
        from chalicelib.services.trigger import trigger_run
        from chalicelib.store.settings import Settings
        from chalicelib.taskqueue import SqsTaskQueue

        Path(folder, "chain.py").write_text(CHAIN.format(n=n))
        backend = Backend(Settings(prefix=f"b{uuid.uuid4().hex[:6]}", stage="bench"))
        init_resources(backend)
        sync_dags(backend, folder, datetime.now(UTC))
        dags = DagCache(folder)
        queue = SqsTaskQueue(backend.settings)
        run = trigger_run(backend, "chain", now=datetime.now(UTC))
        started = time.perf_counter()
        tries: list[str] = []  # every try a message ran: its own, then those handed off to its worker
        while True:
            messages = queue.receive(max_messages=1, wait_seconds=0)
            if not messages:
                break
            handle_message(backend, dags, messages[0]["Body"], outcomes=tries)
            queue.delete(messages[0]["ReceiptHandle"])
        elapsed = time.perf_counter() - started
        assert backend.runs.get("chain", run.run_id).state.value == "success", "the chain did not succeed"
        assert tries == ["success"] * n, f"{len(tries)} tries for {n} tasks: {tries}"
        return elapsed * 1000 / n


def fork_ms(repeat: int) -> tuple[float, float] | None:
    try:
        from chalicelib.runner.supervisor import supervise
    except ImportError:
        return None

    def body(channel):
        return {"ok": True}

    direct, forked = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        body(None)
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        outcome = supervise(body)
        forked.append(time.perf_counter() - t)
        assert outcome.report == {"ok": True}, outcome
    return statistics.median(direct) * 1000, statistics.median(forked) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args()
    per_task = worker_handler_ms_per_task(args.tasks)
    print(f"worker handler, {args.tasks}-task chain (mock_aws in process): {per_task:.1f} ms/task")
    fork = fork_ms(200)
    if fork is None:
        print("fork alone: n/a (no runner/supervisor.py on this commit)")
    else:
        print(f"fork alone (median of 200): direct call {fork[0]:.3f} ms, supervised child {fork[1]:.2f} ms")


if __name__ == "__main__":
    main()
