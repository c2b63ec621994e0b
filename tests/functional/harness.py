"""Deterministic drivers for fault and scheduler tests: a fixed clock, a queue that records (and can drop)
what is sent, and a drain that feeds SQS messages to the worker handler with that clock.

moto is not concurrency-safe, so nothing here runs in parallel: a race is staged by calling a competing
action between another actor's read and its conditional write.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.core.mapping import split_key

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def write_dag(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def side_effects(path: Path) -> list[str]:
    """The lines DAG tasks appended to `path`: one per execution of user code."""
    return path.read_text().split() if path.exists() else []


class RecordingQueue:
    """Real SQS (moto) without delays, recording every (message, delay) sent; `failing` drops every send."""

    def __init__(self, settings):
        from chalicelib.taskqueue import SqsTaskQueue

        self.sqs = SqsTaskQueue(settings)
        self.sent: list[tuple[object, int]] = []
        self.failing = False

    def send(self, messages):
        if self.failing:
            return [msg for msg, _ in messages]
        self.sent.extend(messages)
        return self.sqs.send([(msg, 0) for msg, _ in messages])

    def sent_tries(self) -> Counter:
        """How many messages were sent per (task_id, try_number)."""
        return Counter((msg.task_id, msg.try_number) for msg, _ in self.sent)


def use_recording_queue(backend) -> RecordingQueue:
    queue = RecordingQueue(backend.settings)
    backend.queue_override = queue
    backend.__dict__.pop("queue", None)
    return queue


def drain(backend, dags, queue: RecordingQueue, now: datetime, *, limit: int = 2000) -> list[str]:
    """Handle every visible message with the worker handler at `now`, deleting each; the outcomes in order."""
    from chalicelib.services.task_consumer import handle_message

    outcomes: list[str] = []
    while len(outcomes) < limit:
        messages = queue.sqs.receive(max_messages=10, wait_seconds=0)
        if not messages:
            return outcomes
        for message in messages:
            outcomes.append(handle_message(backend, dags, message["Body"], request_id=message["MessageId"],
                                           now=lambda: now))
            queue.sqs.delete(message["ReceiptHandle"])
    raise AssertionError(f"queue not drained after {limit} messages")


def states(backend, dag_id: str, run_id: str) -> dict[str, tuple[str, int]]:
    return {instance_name(i): (i.state, int(i.try_number)) for i in backend.runs.instances(dag_id, run_id)}


def instance_name(item) -> str:
    """"task" or "task[3]" for a mapped instance, as tests/conformance/expected.json names them."""
    task_id, map_index = split_key(item.ti_key)
    return task_id if map_index < 0 else f"{task_id}[{map_index}]"


def run_ids(backend, dag_id: str) -> list[str]:
    return sorted(r.run_id for r in backend.runs.list(dag_id, limit=1000))


class Env:
    """A DAGs folder in tmp_path, a recording queue, and the worker's DAG cache."""

    def __init__(self, backend, tmp_path):
        from chalicelib.services.dagcache import DagCache

        self.backend = backend
        self.folder = tmp_path / "dags"
        self.folder.mkdir()
        self.log = tmp_path / "side_effects.log"
        self.queue = use_recording_queue(backend)
        self.dags = DagCache(str(self.folder))

    def sync(self, now=T0):
        from chalicelib.services.sync import sync_dags

        return sync_dags(self.backend, str(self.folder), now)

    def trigger(self, dag_id: str = "counted", now=T0):
        from chalicelib.services.trigger import trigger_run

        return trigger_run(self.backend, dag_id, now=now)

    def tick(self, now, *, sync: bool = False):
        """One scheduler tick at `now`; with `sync`, the DAG processor parses the folder first."""
        from chalicelib.services.scheduler import tick

        if sync:
            self.sync(now)
        return tick(self.backend, now)

    def drain(self, now) -> list[str]:
        return drain(self.backend, self.dags, self.queue, now)

    def handle(self, body: str, now=T0, request_id: str | None = "m-1") -> str:
        from chalicelib.services.task_consumer import handle_message

        return handle_message(self.backend, self.dags, body, request_id=request_id, now=lambda: now)

    def receive_one(self) -> dict:
        [message] = self.queue.sqs.receive(max_messages=10, wait_seconds=0)
        return message

    def claim(self, run_id: str, task_id: str, try_number: int = 1, now=T0, token: str = "dead-worker",
              dag_id: str = "counted") -> None:
        """What a worker does before running user code; the tests then let that worker die or race."""
        assert self.backend.runs.claim(dag_id, run_id, task_id, try_number, token, now, "gone-host", None)

    def ti(self, run_id: str, task_id: str, dag_id: str = "counted"):
        return self.backend.runs.task_instance(dag_id, run_id, task_id)

    def run_state(self, run_id: str, dag_id: str = "counted") -> str:
        return self.backend.runs.get(dag_id, run_id).state.value
