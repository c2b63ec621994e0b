"""`levante worker`: long-poll SQS and feed each message to the same handler the worker Lambda runs.

Like the Lambda event source mapping: a handled message is deleted; one whose handler raised is left to
reappear after its visibility timeout (here released at once), and SQS's redrive policy moves it to the
DLQ after maxReceiveCount deliveries.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

from chalicelib.services.backend import Backend
from chalicelib.services.dagcache import DagCache
from chalicelib.services.worker import handle_message
from chalicelib.taskqueue import SqsTaskQueue

log = logging.getLogger("levante.worker")


def process_batch(backend: Backend, dags: DagCache, queue: SqsTaskQueue, *, wait_seconds: int = 1,
                  max_messages: int = 1) -> int:
    """Receive up to `max_messages` and handle each; the number of messages received."""
    messages = queue.receive(max_messages=max_messages, wait_seconds=wait_seconds)
    for message in messages:
        handle_sqs_record(backend, dags, queue, message)
    return len(messages)


def handle_sqs_record(backend: Backend, dags: DagCache, queue: SqsTaskQueue, message: dict[str, Any]) -> None:
    try:
        handle_message(backend, dags, message["Body"], request_id=message.get("MessageId"))
    except Exception:  # noqa: BLE001 - as on Lambda: the message is retried, then dead-lettered
        log.exception("message %s failed; it will be redelivered", message.get("MessageId"))
        queue.release(message["ReceiptHandle"])
        return
    queue.delete(message["ReceiptHandle"])


def run_worker(dags_folder: str, *, once: bool = False, concurrency: int = 1,
               should_stop: Callable[[], bool] = lambda: False) -> None:
    if concurrency > 1 and not once:
        _run_pool(dags_folder, concurrency)
        return
    backend = Backend()
    dags = DagCache(dags_folder)
    queue = SqsTaskQueue(backend.settings)
    while not should_stop():
        received = process_batch(backend, dags, queue, wait_seconds=0 if once else 5)
        if once and not received:
            return


def _child(dags_folder: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    run_worker(dags_folder, should_stop=lambda: stop["flag"])


def _run_pool(dags_folder: str, concurrency: int) -> None:
    """N worker processes: each runs tasks on its main thread, so SIGALRM timeouts work as on Lambda."""
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    children = [ctx.Process(target=_child, args=(dags_folder,), name=f"levante-worker-{i}") for i in range(concurrency)]
    for child in children:
        child.start()
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(timeout=10)
