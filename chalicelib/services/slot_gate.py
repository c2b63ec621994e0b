"""Start ready tasks of a DAG whose max_active_tasks can bind, by its run's slot counter (store/slots.py).

    start(ready)  the slots this caller holds go to the highest-priority ready tasks; more are taken from the
                  counter (a conditional ADD); whatever finds no slot goes on the run's waiting list
    close()       slots still held go to waiting tasks (a cursor's conditional ADD takes one each), the rest back to
                  the counter; then, if this call put tasks on the list or gave slots back, one more look:
                  while the list has tasks and the counter a free slot, start them

A worker that finished a try holding a slot hands it on without touching the counter: to its readied
downstream task first, else to the next waiting task. So a fan-out of 1,000 at 16 slots costs each try one
write to a page's cursor (a read of the list only when its worker has no page in hand), not a read of the run's
1,000 task instances.

Every start is the conditional enqueue (or a hand-off's claim) of a task not started yet; one that fails (another
actor queued, settled or cleared it) leaves its slot with the caller, who hands it on or gives it back. A paused
DAG starts nothing here (the tick queues its tasks once it is unpaused) and gives back what it holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.spec import DagSpec
from chalicelib.services.backend import Backend
from chalicelib.services.handoff import Handoff
from chalicelib.store.runs import StoredRun
from chalicelib.store.slots import RunSlots, task_of
from chalicelib.taskqueue import TaskMessage

log = logging.getLogger("levante.advance")


@dataclass(frozen=True)
class Start:
    """A task to start: its next try (`try_number` None, edge planning), or the whole-run plan's try and the
    try number its snapshot read."""

    task_id: str
    try_number: int | None = None
    expected_try: int | None = None


@dataclass
class SlotGate:
    backend: Backend
    spec: DagSpec
    run: StoredRun
    now: datetime
    held: int = 0  # slots this caller holds and has not used (a finished try's own, or taken and not used)
    handoff: Handoff | None = None
    paused: bool | None = None  # known by the caller, else read once
    listed: bool = False
    released: bool = False
    emptied: bool = False  # this gate gave back the run's last held slot: the run may be done (task_consumer)
    messages: list[tuple[TaskMessage, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.slots = RunSlots.of_run(self.backend.models, self.spec, self.run)

    def start(self, ready: list[Start], *, skip_listed: bool = False) -> bool:
        """Start what the slots allow and list the rest; False when a task was taken by another actor first.
        `skip_listed` (the whole-run plan, which sees listed tasks ready too): leave the listed ones to the list
        (close() starts them, highest priority first) and start or list only the others."""
        if not ready or self._is_paused():
            return True
        if skip_listed:
            listed = {task_of(key) for key in self.slots.waiting()}
            ready = [s for s in ready if s.task_id not in listed]
            self.listed = self.listed or bool(listed)  # a look at the list on close, as the tick's own pump
        index = self.spec.task_index()
        order = sorted(ready, key=lambda s: -index[s.task_id].priority_weight)
        if len(order) > self.held:
            self.held += self.slots.acquire(len(order) - self.held, self.now)
        taken, waiting = False, []
        for start in order:
            if self.held == 0:
                waiting.append(start)
            elif self._start(start):
                self.held -= 1
            else:
                taken = True
        if waiting:
            self.slots.wait([(index[s.task_id].priority_weight, s.task_id) for s in waiting], self.now)
            self.listed = True
        self._send()
        return not taken

    def close(self) -> None:
        """Hand on or give back the slots still held, then start waiting tasks while slots are free."""
        if self._is_paused():
            self.emptied = self.slots.release(self.held, self.now) == 0
            self.held = 0
            return
        while self.held > 0:
            task_id = self.slots.take()
            if task_id is None:
                break
            if self._start(Start(task_id)):
                self.held -= 1
        if self.held > 0:
            self.emptied = self.slots.release(self.held, self.now) == 0
            self.held, self.released = 0, True
        if self.listed or self.released:
            self._pump()
        self._send()

    def _pump(self) -> None:
        """A slot given back and a task listed must not miss each other: each side looks at the other after its
        own write (store/slots.py)."""
        while self.slots.has_waiting():
            if not self.slots.acquire(1, self.now):
                return  # every slot is held: each holder looks at the list when it gives its slot back
            self.emptied = False
            task_id = self.slots.take()
            if task_id is None or not self._start(Start(task_id)):
                self.emptied = self.slots.release(1, self.now) == 0

    def _start(self, start: Start) -> bool:
        backend, run, task = self.backend, self.run, self.spec.task(start.task_id)
        if self.handoff is not None and self.handoff.accepts(task):
            return self.handoff.take(backend.runs, run, task, self.now, try_number=start.try_number,
                                     expected_try=start.expected_try, slot=True)
        if start.try_number is None:
            number = backend.runs.enqueue_next(self.spec.dag_id, run.run_id, start.task_id, self.now, slot=True)
        else:
            queued = backend.runs.enqueue(self.spec.dag_id, run.run_id, start.task_id, start.try_number, self.now,
                                          start.expected_try, task.retry.retries, slot=True)
            number = start.try_number if queued else None
        if number is None:
            return False
        self.messages.append((TaskMessage(self.spec.dag_id, run.run_id, start.task_id, number,
                                          **run.message_fields(self.now)), 0))
        return True

    def _send(self) -> None:
        if not self.messages:
            return
        failed = self.backend.queue.send(self.messages)
        self.messages = []
        if failed:  # left QUEUED: the tick re-sends tasks queued too long
            log.warning("could not send %d task message(s); the scheduler will re-send them", len(failed))

    def _is_paused(self) -> bool:
        if self.paused is None:
            self.paused = self.backend.dags.is_paused(self.spec.dag_id)
        return self.paused
