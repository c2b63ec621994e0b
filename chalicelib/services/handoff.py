"""A hand-off: the worker that finished a try runs one of the tasks it readied itself, without the queue.

Through the queue a ready task costs a conditional enqueue, an SQS send, receive and delete, then the claim:
five requests, four of them on the path from one task's end to the next one's start. A hand-off claims the
task directly instead (store/try_writes.claim_ready: one conditional write, not-started -> running with this
worker's owner token) and the same invocation runs it next; the other ready tasks are queued as before. From
the claim on nothing differs from a claimed message: heartbeats, timeout, the final write, and the reaper if
this worker dies.

A hand-off must not cut into a task's time budget: one is taken only during the first `handoff_seconds` of
an invocation (default a tenth of the worker timeout, at most 60 s), and never for a task whose
execution_timeout would not fit in what is left of the worker timeout. LEVANTE_HANDOFF_SECONDS=0 turns it off.
Nor for a task whose trigger rule may fire before all its upstream tasks are done (see `accepts`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.edges import WAIT_FOR_ALL
from chalicelib.core.spec import TaskSpec
from chalicelib.store.runs import RunRepository, StoredRun
from chalicelib.store.settings import Settings
from chalicelib.taskqueue import TaskMessage


@dataclass(frozen=True)
class Claimed:
    """A try this worker owns and has not started: the message it would have come in, its owner token, the
    claimed item (as the claim left it) and the run as the handing-off try read it."""

    msg: TaskMessage
    token: str
    item: Any
    run: StoredRun


@dataclass
class Handoff:
    hostname: str
    request_id: str | None
    worker_timeout: float
    window: float  # seconds from `started` during which a task may be taken
    should_stop: Callable[[], str | None] = lambda: None
    clock: Callable[[], float] = time.monotonic
    started: float = 0.0
    taken: Claimed | None = None

    @classmethod
    def start(cls, settings: Settings, hostname: str, request_id: str | None,
              should_stop: Callable[[], str | None] = lambda: None,
              clock: Callable[[], float] = time.monotonic) -> Handoff:
        return cls(hostname, request_id, settings.worker_timeout, settings.handoff_seconds, should_stop, clock,
                   started=clock())

    def accepts(self, task: TaskSpec) -> bool:
        """Whether `task` may be taken now (one at a time: the next is taken while running this one)."""
        if self.taken is not None or self.window <= 0 or self.should_stop():
            return False
        elapsed = self.clock() - self.started
        if elapsed >= self.window or task.trigger_rule not in WAIT_FOR_ALL:
            # A rule that fires before every upstream is done (one_success, ...) may be readied while a branch
            # upstream still runs; queued, its skip can take the task back before a worker claims it
            # (store/try_writes.settle), running it could not.
            return False
        return task.execution_timeout is None or elapsed + task.execution_timeout <= self.worker_timeout

    def take(self, runs: RunRepository, run: StoredRun, task: TaskSpec, now: datetime, *,
             try_number: int | None = None, expected_try: int | None = None, map_index: int = -1,
             slot: bool = False) -> bool:
        """Claim `task` for this worker; False when another actor queued, claimed or settled it first. `slot`:
        the try holds one of its run's slots (services/slot_gate.py)."""
        token = uuid.uuid4().hex
        item = runs.claim_ready(run.dag_id, run.run_id, task.task_id, token, now, self.hostname, self.request_id,
                                retries=task.retry.retries, try_number=try_number, expected_try=expected_try,
                                map_index=map_index, slot=slot)
        if item is None:
            return False
        message = TaskMessage(run.dag_id, run.run_id, task.task_id, int(item.try_number), map_index)
        self.taken = Claimed(message, token, item, run)
        return True

    def pop(self) -> Claimed | None:
        claimed, self.taken = self.taken, None
        return claimed
