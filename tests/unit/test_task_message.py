"""The task message's JSON (taskqueue.TaskMessage): the wave-1 shape still reads, and a carried run comes only
with the enqueue instant that guards its claim."""

from __future__ import annotations

import json

import pytest

from chalicelib.taskqueue import TaskMessage

RUN = {"state": "running", "conf": {"a": 1}}


def test_a_wave_one_message_reads_and_writes_the_same_shape():
    body = '{"dag_id":"d","run_id":"r","task_id":"t","try_number":2}'
    msg = TaskMessage.from_json(body)
    assert (msg.queued_at, msg.run) == (None, None)
    assert msg.to_json() == body


def test_a_carried_run_round_trips_with_its_enqueue_instant():
    msg = TaskMessage("d", "r", "t", 1, queued_at="2024-06-01T12:00:00.000001Z", run=RUN)
    again = TaskMessage.from_json(msg.to_json())
    assert (again.queued_at, again.run) == (msg.queued_at, RUN)


@pytest.mark.parametrize("extra", [{"run": RUN}, {"queued_at": "2024-06-01T12:00:00.000001Z"},
                                   {"run": "not an object", "queued_at": "2024-06-01T12:00:00.000001Z"},
                                   {"run": RUN, "queued_at": 5}])
def test_a_run_without_its_guard_or_a_guard_without_its_run_is_ignored(extra):
    body = json.dumps({"dag_id": "d", "run_id": "r", "task_id": "t", "try_number": 1, **extra})
    msg = TaskMessage.from_json(body)
    assert (msg.queued_at, msg.run) == (None, None)  # the worker reads the run and claims without the guard
