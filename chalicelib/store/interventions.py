"""What users do to runs and task instances (clear, mark, delete): conditional writes like everything else.

Each write is conditioned on the state the caller read, so a worker finishing the task between the read
and the write wins and the user's action reports a conflict instead of silently overwriting it.

    clear      state = read state, not queued/running    -> none, try_number kept, max_tries = try_number + retries
    mark       state = read state                          -> success | failed | skipped, marked_from = read state
    note       the item exists                             -> note (run or task instance)
    reopen run any state                                  -> running, active, start_date = now
    delete run                                            -> run, its task instances and XComs removed
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.core.mapping import ti_key
from chalicelib.core.states import RunState, TaskState
from chalicelib.store.errors import conditional_failed, update_if
from chalicelib.store.models import Models
from chalicelib.store.runs import run_pk
from chalicelib.store.timefmt import iso

CLEARABLE = (TaskState.NONE, TaskState.SCHEDULED, TaskState.SUCCESS, TaskState.FAILED, TaskState.SKIPPED, TaskState.UPSTREAM_FAILED, TaskState.REMOVED,
             TaskState.UP_FOR_RETRY, TaskState.UP_FOR_RESCHEDULE)


class InterventionRepository:
    def __init__(self, models: Models):
        self.m = models

    def clear_task(self, item: Any, retries: int, now: datetime) -> bool:
        """Reset one task instance to none so the planner runs it again as try `try_number + 1`."""
        TI = self.m.TaskInstance
        try_number = int(item.try_number or 0)
        condition = (TI.state == item.state) & (TI.try_number == try_number) & TI.state.is_in(*CLEARABLE)
        actions = [
            TI.state.set(TaskState.NONE.value), TI.max_tries.set(try_number + retries), TI.end_date.remove(),
            TI.duration.remove(), TI.error.remove(), TI.owner_token.remove(), TI.active_state.remove(),
            TI.due_at.remove(), TI.next_retry_at.remove(), TI.first_start.remove(), TI.enqueue_attempts.set(0),
            TI.xcom_return.remove(), TI.xcom_return_ref.remove(), TI.queued_at.remove(), TI.marked_from.remove(),
            TI.reset_at.set(iso(now)),  # a message readied before this clear must not start it (claim_fresh)
        ]
        return self._update_ti(item, condition, actions)

    def set_task_state(self, item: Any, state: TaskState, now: datetime) -> bool:
        TI = self.m.TaskInstance
        condition = (TI.state == item.state) & (TI.try_number == int(item.try_number or 0))
        actions = [TI.state.set(state.value), TI.end_date.set(iso(now)), TI.owner_token.remove(),
                   TI.active_state.remove(), TI.due_at.remove(), TI.next_retry_at.remove()]
        if int(item.try_number or 0) > 0 and not item.marked_from:
            # Keep what the try itself ended as: the dashboard colours the try by it, not by the mark.
            actions.append(TI.marked_from.set(item.state or TaskState.NONE))
        return self._update_ti(item, condition, actions)

    def set_run_note(self, dag_id: str, run_id: str, note: str | None) -> bool:
        DagRun = self.m.DagRun
        action = DagRun.note.set(note) if note else DagRun.note.remove()
        return update_if(DagRun(dag_id, run_id), actions=[action], condition=DagRun.run_id.exists())

    def set_task_note(self, dag_id: str, run_id: str, task_id: str, note: str | None, map_index: int = -1) -> bool:
        TI = self.m.TaskInstance
        action = TI.note.set(note) if note else TI.note.remove()
        return update_if(TI(run_pk(dag_id, run_id), ti_key(task_id, map_index)), actions=[action],
                         condition=TI.ti_key.exists())

    def reopen_run(self, dag_id: str, run_id: str, now: datetime) -> None:
        DagRun = self.m.DagRun
        DagRun(dag_id, run_id).update(
            actions=[DagRun.state.set(RunState.RUNNING.value), DagRun.active.set(self.m.shard("1", run_pk(dag_id, run_id))), DagRun.end_date.remove(),
                     DagRun.start_date.set(iso(now))],  # dagrun_timeout counts from the re-run
            condition=DagRun.run_id.exists(),
        )

    def set_run_state(self, dag_id: str, run_id: str, state: RunState, now: datetime) -> bool:
        """Finish a run by hand (mark success/failed); False when it is already in that state."""
        DagRun = self.m.DagRun
        try:
            DagRun(dag_id, run_id).update(
                actions=[DagRun.state.set(state.value), DagRun.end_date.set(iso(now)), DagRun.active.remove()],
                condition=DagRun.run_id.exists() & (DagRun.state != state.value),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def delete_run(self, dag_id: str, run_id: str) -> int:
        """Delete the run's task instances and XComs, then the run; returns how many items went."""
        pk = run_pk(dag_id, run_id)
        deleted = 0
        for Model, range_attr in ((self.m.TaskInstance, "ti_key"), (self.m.XCom, "task_key")):
            keys = list(Model.query(pk, attributes_to_get=["run_pk", range_attr]))
            with Model.batch_write() as batch:
                for item in keys:
                    batch.delete(item)
            deleted += len(keys)
        try:
            self.m.DagRun(dag_id, run_id).delete(condition=self.m.DagRun.run_id.exists())
        except DeleteError as exc:
            if not conditional_failed(exc):
                raise
            return deleted
        return deleted + 1

    def _update_ti(self, item: Any, condition: Any, actions: list[Any]) -> bool:
        return update_if(self.m.TaskInstance(run_pk(item.dag_id, item.run_id), item.ti_key),
                         condition=condition, actions=actions)
