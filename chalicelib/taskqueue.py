"""The task queue: one message per task try. SQS in production and locally (moto), behind a Protocol."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from chalicelib.store.settings import Settings

MAX_SQS_DELAY = 900  # seconds; longer retry delays are picked up by the scheduler tick
# The try number of a fresh message: the next try of a task not started, sent with no queued write by the worker
# whose try readied it (services/edge_executor.py); the claim decides the number (store/try_writes.claim_fresh).
FRESH_TRY = 0


@dataclass(frozen=True)
class TaskMessage:
    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    map_index: int = -1
    # When the sender queued this try, and the run as the sender read it (store/runs.py StoredRun.for_message):
    # the worker then reads no run. Its claim holds only while the task is still queued from that very instant,
    # so a message that outlived its run (deleted, re-created under the same id, queued again) claims nothing.
    queued_at: str | None = None
    run: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def fresh(self) -> bool:
        """Sent with no queued write (FRESH_TRY); it carries the run, and `queued_at` is when it was sent."""
        return self.try_number == FRESH_TRY and self.queued_at is not None

    def to_json(self) -> str:
        data = asdict(self)
        if self.map_index < 0:  # unmapped tasks keep the wave-1 message shape
            del data["map_index"]
        for optional in ("queued_at", "run"):
            if data[optional] is None:
                del data[optional]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> TaskMessage:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("message body is not a JSON object")
        queued_at, run = data.get("queued_at"), data.get("run")
        if not (isinstance(queued_at, str) and isinstance(run, dict)):  # both or neither: a run needs its guard
            queued_at = run = None
        return cls(dag_id=str(data["dag_id"]), run_id=str(data["run_id"]), task_id=str(data["task_id"]),
                   try_number=int(data["try_number"]), map_index=int(data.get("map_index", -1)),
                   queued_at=queued_at, run=run)


@dataclass(frozen=True)
class DagCallbackMessage:
    """A run the scheduler finished (timeout, reaped tasks) whose DAG has callbacks: a worker runs them,
    because only workers import user code."""

    dag_id: str
    run_id: str
    state: str
    reason: str = ""
    kind: str = "dag_callback"

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> DagCallbackMessage | None:
        """The message, or None when `body` is something else (a task message)."""
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("kind") != "dag_callback":
            return None
        return cls(str(data["dag_id"]), str(data["run_id"]), str(data["state"]), str(data.get("reason") or ""))


class TaskQueue(Protocol):
    def send(self, messages: list[tuple[TaskMessage, int]]) -> list[TaskMessage]:
        """Send (message, delay seconds) pairs; returns the messages that could not be sent."""
        ...


QUEUE_DEPTH_ATTRIBUTES = {"visible": "ApproximateNumberOfMessages", "in_flight": "ApproximateNumberOfMessagesNotVisible",
                          "delayed": "ApproximateNumberOfMessagesDelayed"}


class SqsTaskQueue:
    def __init__(self, settings: Settings, client: Any = None):
        self.settings = settings
        self._client = client
        self._url: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", region_name=self.settings.region)
        return self._client

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self.client.get_queue_url(QueueName=self.settings.queue_name)["QueueUrl"]
        return self._url

    def send(self, messages: list[tuple[TaskMessage, int]]) -> list[TaskMessage]:
        failed: list[TaskMessage] = []
        for start in range(0, len(messages), 10):  # SendMessageBatch takes at most 10 entries
            chunk = messages[start:start + 10]
            entries = [
                {"Id": str(i), "MessageBody": msg.to_json(), "DelaySeconds": max(0, min(int(delay), MAX_SQS_DELAY))}
                for i, (msg, delay) in enumerate(chunk)
            ]
            try:
                response = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            except Exception:  # noqa: BLE001 - the caller leaves them QUEUED; the tick re-sends
                failed.extend(msg for msg, _ in chunk)
                continue
            failed.extend(chunk[int(f["Id"])][0] for f in response.get("Failed", []))
        return failed

    def receive(self, max_messages: int = 10, wait_seconds: int = 1, visibility: int | None = None) -> list[dict[str, Any]]:
        """`visibility`: hide received messages this many seconds instead of the queue's default."""
        extra = {"VisibilityTimeout": visibility} if visibility is not None else {}
        response = self.client.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_seconds,
            AttributeNames=["ApproximateReceiveCount"], **extra,
        )
        return response.get("Messages", [])

    def delete(self, receipt_handle: str) -> None:
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)

    def release(self, receipt_handle: str) -> None:
        """Make a message visible again at once (a local worker's equivalent of a Lambda error)."""
        self.client.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)


    def depths(self, queue_name: str) -> dict[str, int] | None:
        """Approximate message counts of a queue of this stage (the monitoring page); None if it does not exist."""
        try:
            url = self.client.get_queue_url(QueueName=queue_name)["QueueUrl"]
            attrs = self.client.get_queue_attributes(QueueUrl=url, AttributeNames=list(QUEUE_DEPTH_ATTRIBUTES.values()))
        except self.client.exceptions.QueueDoesNotExist:
            return None
        return {name: int(attrs["Attributes"].get(attr, 0)) for name, attr in QUEUE_DEPTH_ATTRIBUTES.items()}
