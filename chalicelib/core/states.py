"""Task-instance and DAG-run states, named as Airflow names them, and the moves allowed between them."""

from __future__ import annotations

from enum import Enum


class TaskState(str, Enum):
    NONE = "none"  # created, dependencies not yet met (Airflow shows it as "no status")
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    REMOVED = "removed"

    @property
    def finished(self) -> bool:
        return self in FINISHED_TASK_STATES

    def __str__(self) -> str:
        return self.value


class RunState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunState.SUCCESS, RunState.FAILED)

    def __str__(self) -> str:
        return self.value


FINISHED_TASK_STATES = frozenset(
    {TaskState.SUCCESS, TaskState.FAILED, TaskState.SKIPPED, TaskState.UPSTREAM_FAILED, TaskState.REMOVED}
)
# Leaves in these states fail the run; leaves in SUCCESS_STATES let it succeed (Airflow's rule).
FAILED_STATES = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})
SUCCESS_STATES = frozenset({TaskState.SUCCESS, TaskState.SKIPPED})

_T = TaskState
ALLOWED_TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    _T.NONE: frozenset({_T.SCHEDULED, _T.QUEUED, _T.SKIPPED, _T.UPSTREAM_FAILED, _T.REMOVED, _T.FAILED}),
    _T.SCHEDULED: frozenset({_T.QUEUED, _T.SKIPPED, _T.UPSTREAM_FAILED, _T.NONE, _T.FAILED}),
    _T.QUEUED: frozenset({_T.RUNNING, _T.QUEUED, _T.FAILED, _T.SKIPPED, _T.NONE, _T.UP_FOR_RETRY}),
    _T.RUNNING: frozenset(
        {_T.SUCCESS, _T.FAILED, _T.SKIPPED, _T.UP_FOR_RETRY, _T.UP_FOR_RESCHEDULE, _T.NONE, _T.RUNNING}
    ),
    _T.UP_FOR_RETRY: frozenset({_T.QUEUED, _T.FAILED, _T.NONE, _T.SKIPPED, _T.SUCCESS}),
    _T.UP_FOR_RESCHEDULE: frozenset({_T.QUEUED, _T.FAILED, _T.NONE, _T.SKIPPED, _T.SUCCESS}),
    # Finished states move only when a user clears (-> NONE) or marks them.
    _T.SUCCESS: frozenset({_T.NONE, _T.FAILED}),
    _T.FAILED: frozenset({_T.NONE, _T.SUCCESS}),
    _T.SKIPPED: frozenset({_T.NONE, _T.SUCCESS, _T.FAILED}),
    _T.UPSTREAM_FAILED: frozenset({_T.NONE, _T.SUCCESS, _T.FAILED, _T.SKIPPED}),
    _T.REMOVED: frozenset({_T.NONE}),
}


class IllegalTransition(ValueError):
    def __init__(self, current: TaskState, target: TaskState):
        super().__init__(f"a task instance cannot move from {current.value} to {target.value}")
        self.current = current
        self.target = target


def check_transition(current: TaskState, target: TaskState) -> None:
    if target not in ALLOWED_TASK_TRANSITIONS[current]:
        raise IllegalTransition(current, target)
