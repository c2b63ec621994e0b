"""After a try of a DAG that plans its whole run (here: wider than its max_active_tasks), the worker plans on
the run as it read it before the try, or as the message carried it: no read of the run per try. A run deleted
after the try's final write has no task instances left, and the plan writes none back."""

from __future__ import annotations

import pytest

from chalicelib.core.edges import edge_plan_applies
from chalicelib.services.clearing import delete_run
from chalicelib.store.runs import RunRepository
from tests.functional.harness import T0, Env, side_effects, write_dag
from tests.functional.test_run_in_message import CONF_DAG

# test_run_in_message's DAG (a root and three leaves) with one slot and fail_fast: fail_fast takes the whole-run
# plan after every try (core/edges.py); a DAG merely wider than its slots counts them instead (test_run_slots.py).
NARROW_DAG = CONF_DAG.replace('dag_id="conf"', 'dag_id="narrow"').replace("max_active_tasks=16",
                                                                          "max_active_tasks=1, fail_fast=True")


@pytest.fixture
def env(queue_only, tmp_path):
    env = Env(queue_only, tmp_path)
    write_dag(env.folder, "narrow", NARROW_DAG.format(log=str(env.log)))
    env.sync()
    assert not edge_plan_applies(env.backend.dags.specs.of_item(env.backend.models.Dag.get("narrow")))
    return env


def test_a_whole_run_plan_after_a_try_reads_no_run(env, monkeypatch):
    run = env.trigger("narrow", conf={"v": "a"})
    reads: list[str] = []
    real = RunRepository.get
    monkeypatch.setattr(RunRepository, "get", lambda self, d, r: reads.append(r) or real(self, d, r))

    assert env.drain(T0) == ["success"] * 4
    assert reads == []  # every message carried the run, and every plan took it from there
    assert sorted(side_effects(env.log)) == [f"{i}:a:{run.run_id}" for i in range(3)]
    assert env.run_state(run.run_id, "narrow") == "success"


def test_a_run_deleted_after_a_try_gets_no_task_instance_back(env, monkeypatch):
    run = env.trigger("narrow", conf={"v": "a"})
    real = RunRepository.finish_try

    def then_deleted(self, dag_id, run_id, *args, **kwargs):
        written = real(self, dag_id, run_id, *args, **kwargs)
        delete_run(env.backend, dag_id, run_id)  # a user deletes the run between the final write and the plan
        return written

    monkeypatch.setattr(RunRepository, "finish_try", then_deleted)
    sent_before = len(env.queue.sent)
    root = env.receive_one()
    assert env.handle(root["Body"]) == "success"

    assert env.backend.runs.task_instances("narrow", run.run_id) == []
    assert len(env.queue.sent) == sent_before  # nothing enqueued for a run that is gone
