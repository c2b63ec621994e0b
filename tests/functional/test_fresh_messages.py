"""A task readied on its edges by its upstream's worker is sent a fresh message, with no queued write before it
(services/edge_executor.py): its claim decides the try (store/try_writes.claim_fresh). One write and one
request fewer per task through SQS; these tests pin what the queued write used to guarantee."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.services.clearing import clear_task_instances
from chalicelib.taskqueue import TaskMessage
from tests.functional.harness import T0, Env, side_effects, states, write_dag

FAN = """
    import pendulum
    from airflow.sdk import DAG, task

    LOG = {log!r}


    with DAG(dag_id="fan", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
             max_active_tasks=16):

        @task
        def root():
            with open(LOG, "a") as f:
                f.write("root\\n")

        @task
        def leaf(i):
            with open(LOG, "a") as f:
                f.write(f"leaf{{i}}\\n")

        r = root()
        for i in range(3):
            r >> leaf.override(task_id=f"leaf{{i}}")(i)
"""


@pytest.fixture
def env(queue_only, tmp_path):
    env = Env(queue_only, tmp_path)
    write_dag(env.folder, "fan", FAN.format(log=str(env.log)))
    env.sync()
    return env


def _lose_queued(env: Env) -> None:
    while messages := env.queue.sqs.receive(max_messages=10, wait_seconds=0):
        for message in messages:
            env.queue.sqs.delete(message["ReceiptHandle"])


def _run_root(env: Env, at) -> list[TaskMessage]:
    """Run the root's message at `at`; the fresh messages it sent its leaves (left in the queue)."""
    root = env.receive_one()
    assert env.handle(root["Body"], now=at) == "success"
    env.queue.sqs.delete(root["ReceiptHandle"])
    return [m for m, _ in env.queue.sent if m.task_id.startswith("leaf")]


def test_leaves_are_sent_with_no_write_and_each_runs_once_as_a_queued_try(env):
    run = env.trigger("fan")
    sent = _run_root(env, T0)

    assert sorted(m.task_id for m in sent) == ["leaf0", "leaf1", "leaf2"] and all(m.fresh for m in sent)
    assert {k: v for k, v in states(env.backend, "fan", run.run_id).items() if k != "root"} == {
        f"leaf{i}": ("none", 0) for i in range(3)}  # no queued write before their messages
    assert env.drain(T0 + timedelta(seconds=2)) == ["success"] * 3
    assert sorted(side_effects(env.log)) == ["leaf0", "leaf1", "leaf2", "root"]
    leaf = env.ti(run.run_id, "leaf0", "fan")
    # shown queued from when its message was sent, started when claimed: the cost model prices it as through SQS
    assert (leaf.state, int(leaf.try_number), leaf.queued_at) == ("success", 1, "2024-06-01T12:00:00.000000Z")
    assert leaf.start_date != leaf.queued_at
    assert env.run_state(run.run_id, "fan") == "success"


def test_a_fresh_message_delivered_twice_runs_its_task_once(env):
    run = env.trigger("fan")
    message = next(m for m in _run_root(env, T0) if m.task_id == "leaf0")

    assert env.handle(message.to_json(), now=T0 + timedelta(seconds=1)) == "success"
    assert env.handle(message.to_json(), now=T0 + timedelta(seconds=2)) == "duplicate"
    assert side_effects(env.log).count("leaf0") == 1
    assert states(env.backend, "fan", run.run_id)["leaf0"] == ("success", 1)


def test_a_fresh_message_sent_before_a_clear_starts_nothing(env):
    """Cleared with its upstream while its message waits, a task must wait for the upstream's new try: the old
    message would run it first. The clear stamps the items it resets; a message sent earlier claims nothing."""
    run = env.trigger("fan")
    stale = next(m for m in _run_root(env, T0) if m.task_id == "leaf0")
    _lose_queued(env)  # the leaves' messages are still on their way

    result = clear_task_instances(env.backend, "fan", run.run_id, task_ids=["root"], include_downstream=True,
                                  only_failed=False, dry_run=False, now=T0 + timedelta(seconds=5))
    assert sorted(i.task_id for i in result.cleared) == ["leaf0", "leaf1", "leaf2", "root"]

    assert env.handle(stale.to_json(), now=T0 + timedelta(seconds=7)) == "duplicate"
    assert side_effects(env.log) == ["root"]
    assert states(env.backend, "fan", run.run_id)["leaf0"] == ("none", 0)
    env.drain(T0 + timedelta(seconds=8))
    log = side_effects(env.log)
    assert log[:2] == ["root", "root"] and sorted(log[2:]) == ["leaf0", "leaf1", "leaf2"]  # root again first
    assert env.run_state(run.run_id, "fan") == "success"


def test_a_lost_fresh_message_is_queued_by_the_tick_once_it_is_late(env):
    """A worker that dies between its try's final write and its send (or a send that fails) leaves ready tasks
    with no message and no item saying so. The tick gives a message the time it gives a queued one
    (queued_timeout), then queues the task itself, once."""
    run = env.trigger("fan")
    _run_root(env, T0)
    _lose_queued(env)  # lost
    queued_timeout = timedelta(seconds=env.backend.settings.queued_timeout)
    sent_before = len(env.queue.sent)

    env.tick(T0 + queued_timeout - timedelta(seconds=1))
    assert states(env.backend, "fan", run.run_id)["leaf0"] == ("none", 0)  # its message may still come
    assert len(env.queue.sent) == sent_before
    env.tick(T0 + queued_timeout + timedelta(seconds=1))
    assert {k: v for k, v in states(env.backend, "fan", run.run_id).items() if k != "root"} == {
        f"leaf{i}": ("queued", 1) for i in range(3)}
    env.tick(T0 + queued_timeout + timedelta(seconds=2))  # queued now: not sent again

    assert env.drain(T0 + queued_timeout + timedelta(seconds=3)) == ["success"] * 3
    assert env.queue.sent_tries() == {("root", 1): 1, **{(f"leaf{i}", 0): 1 for i in range(3)},
                                      **{(f"leaf{i}", 1): 1 for i in range(3)}}
    assert env.run_state(run.run_id, "fan") == "success"


def test_a_task_readied_while_its_dag_is_paused_is_scheduled_and_queued_by_the_next_tick(env):
    run = env.trigger("fan")
    env.backend.dags.set_paused("fan", True, T0)
    assert _run_root(env, T0) == []  # nothing sent while paused

    assert {k: v for k, v in states(env.backend, "fan", run.run_id).items() if k != "root"} == {
        f"leaf{i}": ("scheduled", 0) for i in range(3)}
    env.backend.dags.set_paused("fan", False, T0)
    env.tick(T0 + timedelta(seconds=1))  # within queued_timeout: no message of theirs can be on its way
    assert env.drain(T0 + timedelta(seconds=2)) == ["success"] * 3
    assert env.run_state(run.run_id, "fan") == "success"
