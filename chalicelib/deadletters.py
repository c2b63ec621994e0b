"""The task queue's dead-letter queue (SQS): messages a worker failed on `max_receive_count` times.

Reading a message to list it makes it invisible; it is released at once (visibility 0), so listing
leaves the queue as it was apart from SQS's receive count. Redrive sends the body back to the task
queue, then deletes it here; discard only deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.store.settings import Settings

RECEIVE_ROUNDS = 10  # ReceiveMessage calls per scan (10 messages each): a scan sees at most 100 messages


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    body: str
    receives: int  # ApproximateReceiveCount (the task queue's deliveries, plus our scans)
    sent_at_ms: int
    receipt_handle: str


class DeadLetterQueue:
    def __init__(self, settings: Settings, client: Any = None):
        self.settings = settings
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs", region_name=self.settings.region)
        return self._client

    def _url(self, name: str) -> str:
        return self.client.get_queue_url(QueueName=name)["QueueUrl"]

    def scan(self, *, hold: bool = False) -> list[DeadLetter]:
        """Up to 100 messages; with `hold`, they stay invisible (for a redrive or discard that follows)."""
        url = self._url(self.settings.dlq_name)
        seen: dict[str, DeadLetter] = {}
        for _ in range(RECEIVE_ROUNDS):
            response = self.client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                   VisibilityTimeout=30 if hold else 0, AttributeNames=["All"])
            batch = response.get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            for m in fresh:
                attrs = m.get("Attributes", {})
                seen[m["MessageId"]] = DeadLetter(m["MessageId"], m["Body"], int(attrs.get("ApproximateReceiveCount", 0)),
                                                  int(attrs.get("SentTimestamp", 0)), m["ReceiptHandle"])
            if not fresh:
                break
        return sorted(seen.values(), key=lambda d: d.sent_at_ms)

    def release(self, letters: list[DeadLetter]) -> None:
        url = self._url(self.settings.dlq_name)
        for letter in letters:
            self.client.change_message_visibility(QueueUrl=url, ReceiptHandle=letter.receipt_handle, VisibilityTimeout=0)

    def redrive(self, letter: DeadLetter) -> None:
        self.client.send_message(QueueUrl=self._url(self.settings.queue_name), MessageBody=letter.body)
        self.discard(letter)

    def discard(self, letter: DeadLetter) -> None:
        self.client.delete_message(QueueUrl=self._url(self.settings.dlq_name), ReceiptHandle=letter.receipt_handle)
