"""A task message carries its run (taskqueue.TaskMessage.run): the worker of a queued try reads no run, one
request fewer per try. The claim holds only while the try is still queued from the instant the message was sent,
so a message that outlived its run (deleted, re-created under the same id with another conf) runs nothing
with the old run's conf."""

from __future__ import annotations

import json

import pytest

from chalicelib.services.clearing import delete_run
from chalicelib.store.runs import RunRepository
from chalicelib.taskqueue import TaskMessage
from tests.functional.harness import T0, Env, side_effects, states, write_dag

CONF_DAG = """
    import pendulum
    from airflow.sdk import DAG, task

    LOG = {log!r}


    with DAG(dag_id="conf", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
             max_active_tasks=16):

        @task
        def root():
            pass

        @task
        def leaf(i, dag_run=None):
            with open(LOG, "a") as f:
                f.write(f"{{i}}:{{dag_run.conf['v']}}:{{dag_run.run_id}}\\n")

        r = root()
        for i in range(3):
            r >> leaf.override(task_id=f"leaf{{i}}")(i)
"""


@pytest.fixture
def env(queue_only, tmp_path):
    env = Env(queue_only, tmp_path)
    write_dag(env.folder, "conf", CONF_DAG.format(log=str(env.log)))
    env.sync()
    return env


def _runs_read(monkeypatch) -> list[str]:
    reads: list[str] = []
    real = RunRepository.get

    def counted(self, dag_id, run_id):
        reads.append(run_id)
        return real(self, dag_id, run_id)

    monkeypatch.setattr(RunRepository, "get", counted)
    return reads


def test_queued_tries_take_the_run_from_their_message(env, monkeypatch):
    run = env.trigger("conf", conf={"v": "a"})
    root = env.receive_one()
    env.handle(root["Body"])
    env.queue.sqs.delete(root["ReceiptHandle"])
    leaves = [m for m, _ in env.queue.sent if m.task_id.startswith("leaf")]
    assert len(leaves) == 3 and all(m.run and m.run["conf"] == {"v": "a"} and m.queued_at for m in leaves)

    reads = _runs_read(monkeypatch)
    assert env.drain(T0) == ["success"] * 3

    assert sorted(side_effects(env.log)) == [f"{i}:a:{run.run_id}" for i in range(3)]
    assert reads == [run.run_id]  # the last leaf's check of the run's completion, and no try's own read
    assert env.run_state(run.run_id, "conf") == "success"


def test_a_message_of_a_deleted_run_claims_nothing_in_its_re_created_namesake(env):
    old = env.trigger("conf", conf={"v": "old"}, run_id="same")
    root = env.receive_one()
    env.handle(root["Body"])
    env.queue.sqs.delete(root["ReceiptHandle"])
    stale = [m for m, _ in env.queue.sent if m.task_id == "leaf0"]
    env.drain(T0)  # the old run's leaves run (the stale message is kept aside, as a late duplicate)
    delete_run(env.backend, "conf", old.run_id)

    new = env.trigger("conf", conf={"v": "new"}, run_id="same", now=T0.replace(second=5))
    root = env.receive_one()
    env.handle(root["Body"], now=T0.replace(second=5))
    env.queue.sqs.delete(root["ReceiptHandle"])
    # leaf0 of the new run has a fresh message on its way, like the stale one (same task, try to be decided by
    # the claim); the stale one was sent before the new run's items were written, so it claims nothing
    assert stale[0].fresh and env.ti(new.run_id, "leaf0", "conf").state == "none"
    assert env.handle(stale[0].to_json(), now=T0.replace(second=6)) == "duplicate"

    env.drain(T0.replace(second=6))
    assert sorted(side_effects(env.log)) == sorted([f"{i}:old:same" for i in range(3)] + [f"{i}:new:same" for i in range(3)])
    assert states(env.backend, "conf", new.run_id)["leaf0"] == ("success", 1)


def test_a_message_without_a_run_still_reads_it(env, monkeypatch):
    """Messages sent before this change, and re-sends of a try queued too long, carry no run."""
    run = env.trigger("conf", conf={"v": "b"})
    reads = _runs_read(monkeypatch)
    body = TaskMessage("conf", run.run_id, "root", 1).to_json()
    assert "run" not in json.loads(body)

    assert env.handle(body) == "success"
    assert reads[0] == run.run_id


def test_an_unreadable_carried_run_is_read_instead(env, monkeypatch):
    run = env.trigger("conf", conf={"v": "c"})
    sent = next(m for m, _ in env.queue.sent if m.task_id == "root")
    broken = {**json.loads(sent.to_json()), "run": {"state": "running"}}  # dates and conf missing
    reads = _runs_read(monkeypatch)

    assert env.handle(json.dumps(broken)) == "success"
    assert reads[0] == run.run_id


def test_a_big_run_is_not_carried(env):
    run = env.trigger("conf", conf={"v": "x" * 5000})
    [sent] = [m for m, _ in env.queue.sent if m.task_id == "root"]
    assert sent.run is None and run.for_message() is None
    assert env.drain(T0) == ["success"] * 4
