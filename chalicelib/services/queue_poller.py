"""`levante worker`: long-poll SQS and feed each message to the same handler the worker Lambda runs.

Like the Lambda event source mapping: a handled message is deleted; one whose handler raised is left to
reappear (here released at once), and SQS's redrive policy moves it to the DLQ after maxReceiveCount
deliveries. Messages are received with a short visibility timeout (`LEVANTE_LOCAL_VISIBILITY`): a worker
killed while long-polling must not hide a message for the queue's full visibility timeout, and a message
that reappears while its task runs is harmless (its claim fails, see store/runs.py).

The pool (`--concurrency N`) is supervised by the parent process (services/process_pool.py).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from chalicelib.services.backend import Backend
from chalicelib.services.dagcache import DagCache
from chalicelib.services.task_consumer import handle_message
from chalicelib.store.bundles import BundleStore
from chalicelib.taskqueue import SqsTaskQueue

log = logging.getLogger("levante.worker")

EXIT_OUTAGE = 3  # the endpoint stayed unreachable longer than the outage limit


class OutageTooLong(RuntimeError):
    pass


def process_batch(backend: Backend, dags: DagCache, queue: SqsTaskQueue, *, wait_seconds: int = 1,
                  max_messages: int = 1, visibility: int | None = None,
                  should_stop: Callable[[], str | None] = lambda: None) -> int:
    """Receive up to `max_messages` and handle each; the number of messages received."""
    messages = queue.receive(max_messages=max_messages, wait_seconds=wait_seconds, visibility=visibility)
    for message in messages:
        if should_stop():  # stopping: give the message back rather than start a task only to stop it
            _quietly(queue.release, message["ReceiptHandle"])
            continue
        handle_sqs_record(backend, dags, queue, message, should_stop=should_stop)
    return len(messages)


def handle_sqs_record(backend: Backend, dags: DagCache, queue: SqsTaskQueue, message: dict[str, Any], *,
                      should_stop: Callable[[], str | None] = lambda: None) -> None:
    try:
        handle_message(backend, dags, message["Body"], request_id=message.get("MessageId"), should_stop=should_stop)
    except Exception:  # noqa: BLE001 - as on Lambda: the message is retried, then dead-lettered
        log.exception("message %s failed; it will be redelivered", message.get("MessageId"))
        _quietly(queue.release, message["ReceiptHandle"])
        return
    _quietly(queue.delete, message["ReceiptHandle"])


def _quietly(call: Callable[[str], None], receipt: str) -> None:
    try:
        call(receipt)
    except Exception:  # noqa: BLE001 - a stale receipt (the message reappeared meanwhile): SQS redelivers or the claim dedups
        log.warning("could not %s message receipt; leaving it to the queue", call.__name__, exc_info=True)


class Backoff:
    """Exponential backoff with full jitter, and the time since the first failure of the current outage."""

    def __init__(self, base: float = 0.5, cap: float = 15.0, clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[float], float] = lambda x: random.uniform(x / 2, x)):
        self.base, self.cap, self.clock, self.jitter = base, cap, clock, jitter
        self.failures = 0
        self.since: float | None = None

    def failed(self) -> float:
        """Seconds to wait before the next attempt."""
        if self.since is None:
            self.since = self.clock()
        self.failures += 1
        return self.jitter(min(self.cap, self.base * 2 ** (self.failures - 1)))

    def outage(self) -> float:
        return 0.0 if self.since is None else self.clock() - self.since

    def succeeded(self) -> None:
        self.failures, self.since = 0, None


def run_worker(dags_folder: str, *, once: bool = False, should_stop: Callable[[], str | None] = lambda: None,
               outage_limit: float = 300.0, visibility: int | None = 30,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """One worker process. Raises OutageTooLong when the endpoint stays unreachable past `outage_limit`."""
    backend = Backend()
    dags = DagCache(dags_folder, fetch=BundleStore(backend.blobs).fetch)  # a run's bundle version, else the folder
    queue = SqsTaskQueue(backend.settings)
    backoff = Backoff()
    while not should_stop():
        try:
            received = process_batch(backend, dags, queue, wait_seconds=0 if once else 5, visibility=visibility,
                                     should_stop=should_stop)
        except Exception as exc:  # noqa: BLE001 - the endpoint is down or refusing: back off and retry
            delay = backoff.failed()
            if backoff.outage() > outage_limit:
                raise OutageTooLong(f"the queue was unreachable for {backoff.outage():.0f}s: {exc}") from exc
            log.warning("cannot reach the task queue (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay)
            sleep(delay)
            continue
        backoff.succeeded()
        if once and not received:
            return
