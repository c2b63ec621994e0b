"""The one functional harness: the distributed pieces (DAG processor, trigger, scheduler tick, the worker's
message handler) in this process against moto (`mock_aws`), driven one call at a time.

`Harness` is the driver; two presets fix what differs between test families:
- `Env` for fault and scheduler tests: a fixed clock (T0), a queue that records (and can drop) what is sent,
  and a drain that feeds messages to the handler at a given time;
- `Stack` for end-to-end behaviour: the real clock, SQS without retry delays, and a drain that long-polls
  for delayed messages as `levante worker` does.

moto is not concurrency-safe, so nothing here runs in parallel: a race is staged by calling a competing
action between another actor's read and its conditional write.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.core.mapping import split_key

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        """How many messages were sent per (task_id, try_number); a fresh message (no queued write before it: its
        claim decides the try, store/try_writes.claim_fresh) counts as try 0 (taskqueue.FRESH_TRY)."""
        return Counter((msg.task_id, msg.try_number) for msg, _ in self.sent)


def drain(backend, dags, queue: RecordingQueue, now: datetime, *, limit: int = 2000) -> list[str]:
    """Handle every visible message with the worker handler at `now`, deleting each; the outcomes in order."""
    from chalicelib.services.task_consumer import handle_message

    outcomes: list[str] = []
    while len(outcomes) < limit:
        messages = queue.sqs.receive(max_messages=10, wait_seconds=0)
        if not messages:
            return outcomes
        for message in messages:  # every try the message ran: its own, then those handed off to its worker
            handle_message(backend, dags, message["Body"], request_id=message["MessageId"], now=lambda: now,
                           outcomes=outcomes)
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


class ImmediateSqsQueue:
    """Real SQS (moto), but retry delays are not waited for: the `--no-retry-wait` of distributed tests."""

    def __init__(self, settings):
        from chalicelib.taskqueue import SqsTaskQueue

        self.sqs = SqsTaskQueue(settings)
        self.delays: list[int] = []

    def send(self, messages):
        self.delays.extend(delay for _, delay in messages)
        return self.sqs.send([(msg, 0) for msg, _ in messages])


class Harness:
    """The distributed pieces against one backend, with a queue and a clock chosen by the preset."""

    def __init__(self, backend, folder: Path, queue, clock: Callable[[], datetime]):
        from chalicelib.services.dagcache import DagCache
        from chalicelib.store.bundles import BundleStore

        backend.queue_override = queue
        backend.__dict__.pop("queue", None)
        self.backend, self.queue, self.clock = backend, queue, clock
        self.folder_path = Path(folder)
        self.bundles = BundleStore(backend.blobs)  # versions are content-addressed: a shared cache is safe
        self.dags = DagCache(str(folder), fetch=self.bundles.fetch)

    def sync(self, now: datetime | None = None):
        """The DAG processor's work on the folder, in this process."""
        from chalicelib.services.sync import sync_dags

        return sync_dags(self.backend, str(self.folder_path), now or self.clock())

    def deploy(self, now: datetime | None = None, limits=None):
        """`levante dags deploy` of the folder, then the DAG processor on the new bundle (as on AWS)."""
        from chalicelib.services.bundles import publish_folder

        publish_folder(self.backend, str(self.folder_path), now or self.clock())
        return self.process(now, limits)

    def process(self, now: datetime | None = None, limits=None):
        from chalicelib.services.dag_processor import process_current_bundle

        return process_current_bundle(self.backend, now or self.clock(), bundles=self.bundles, limits=limits)

    def trigger(self, dag_id: str, now: datetime | None = None, **kwargs):
        from chalicelib.services.trigger import trigger_run

        return trigger_run(self.backend, dag_id, now=now or self.clock(), **kwargs)

    def tick(self, now: datetime | None = None, *, sync: bool = False):
        """One scheduler tick; with `sync`, the DAG processor parses the folder first."""
        from chalicelib.services.scheduler import tick

        now = now or self.clock()
        if sync:
            self.sync(now)
        return tick(self.backend, now)

    def handle(self, body: str, now: datetime | None = None, request_id: str | None = "m-1") -> str:
        """The worker's handler for one message body."""
        from chalicelib.services.task_consumer import handle_message

        at = now or self.clock()
        return handle_message(self.backend, self.dags, body, request_id=request_id, now=lambda: at)

    def states(self, dag_id: str, run_id: str) -> dict[str, tuple[str, int]]:
        return states(self.backend, dag_id, run_id)


class Env(Harness):
    """Fault and scheduler tests: a DAGs folder in tmp_path, a recording queue, the clock fixed at T0."""

    def __init__(self, backend, tmp_path):
        folder = tmp_path / "dags"
        folder.mkdir()
        super().__init__(backend, folder, RecordingQueue(backend.settings), clock=lambda: T0)
        self.folder = folder
        self.log = tmp_path / "side_effects.log"

    def trigger(self, dag_id: str = "counted", now=T0, **kwargs):
        return super().trigger(dag_id, now, **kwargs)

    def drain(self, now) -> list[str]:
        return drain(self.backend, self.dags, self.queue, now)

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


class Stack(Harness):
    """End-to-end behaviour: the real clock, SQS without retry delays, a drain that waits for delayed messages."""

    def __init__(self, backend, folder: Path):
        from chalicelib.taskqueue import SqsTaskQueue

        super().__init__(backend, folder, ImmediateSqsQueue(backend.settings), clock=utcnow)
        self.folder = str(folder)
        self.queue = SqsTaskQueue(backend.settings)  # the queue itself, as `levante worker` reads it

    def drain(self, max_messages: int = 5000) -> int:
        """Handle messages until the queue is empty (delayed messages included); how many were handled."""
        from chalicelib.services.queue_poller import process_batch

        handled = 0
        idle_polls = 0
        while handled < max_messages:
            n = process_batch(self.backend, self.dags, self.queue, wait_seconds=0, max_messages=10)
            handled += n
            if n:
                idle_polls = 0
                continue
            if not self._pending():
                return handled
            # Messages exist but none is visible yet: long-poll (SQS answers as soon as one becomes visible).
            idle_polls += 1
            if idle_polls > 10:
                raise AssertionError("queue still has delayed/in-flight messages after 10 one-second polls")
            n = process_batch(self.backend, self.dags, self.queue, wait_seconds=1, max_messages=10)
            handled += n
            if n:
                idle_polls = 0
        return handled

    def _pending(self) -> bool:
        attrs = self.queue.client.get_queue_attributes(
            QueueUrl=self.queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
                            "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return any(int(v) for v in attrs.values())
