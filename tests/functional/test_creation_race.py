"""A tick that runs while a trigger is still creating the run must not advance it (seen on the e2e stack).

The run item becomes visible in the active index before its task instances are batch-written. A tick
advancing it in that window enqueued into missing rows; the workers ran the whole run; then the
creator's batch write reset every task instance to "none" and the roots ran again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.functional.harness import T0, Env, side_effects, states
from tests.functional.test_faults import counted


@pytest.fixture
def env(backend, tmp_path):
    return Env(backend, tmp_path)


def test_tick_between_run_creation_and_task_instances_leaves_the_run_to_its_creator(env, monkeypatch):
    counted(env)
    runs = env.backend.runs
    create_tis = runs._create_task_instances
    during: list = []

    def slow_creator(spec, run_id, now):
        during.append((env.tick(T0 + timedelta(seconds=1)), env.drain(T0 + timedelta(seconds=1))))
        return create_tis(spec, run_id, now)

    with pytest.MonkeyPatch.context() as patch:  # undo only this patch, not the fixtures' environment
        patch.setattr(runs, "_create_task_instances", slow_creator)
        run = env.trigger()
    outcomes = env.drain(T0 + timedelta(seconds=2))

    (tick_report, drained), = during
    assert (tick_report.runs_finished, drained) == ([], [])
    assert outcomes == ["success", "success"]
    assert side_effects(env.log) == ["first", "second"]
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert env.run_state(run.run_id) == "success"
