"""Task-instance and DAG-run states, named as Airflow names them, and which of them are finished."""

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
# A task instance that has not started (its next try can be queued without a retry's wait).
NOT_STARTED_STATES = frozenset({TaskState.NONE, TaskState.SCHEDULED})
# Leaves in these states fail the run; leaves in SUCCESS_STATES let it succeed (Airflow's rule).
FAILED_STATES = frozenset({TaskState.FAILED, TaskState.UPSTREAM_FAILED})
SUCCESS_STATES = frozenset({TaskState.SUCCESS, TaskState.SKIPPED})
