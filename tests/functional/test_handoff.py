"""Hand-offs (services/handoff.py): a finishing try claims one task it readied and its worker runs it next,
without the queue. The guarantees of the queue path must hold on this one too: user code runs once, a worker
that dies holding a handed-off try is reaped and the try retried, a paused DAG starts nothing, and the tasks
that were not handed off go through SQS as before."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.core.states import TaskState
from tests.functional.counted_dag import counted, stale
from tests.functional.harness import T0, Env, side_effects, states, write_dag


@pytest.fixture
def env(backend, tmp_path):
    return Env(backend, tmp_path)


FAN_OUT = """
    import pendulum
    from airflow.sdk import DAG, task

    LOG = {log!r}


    def note(name):
        with open(LOG, "a") as f:
            f.write(name + "\\n")


    with DAG(dag_id="fan", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"), max_active_tasks=16):

        @task
        def root():
            note("root")

        @task
        def leaf(name):
            note(name)

        @task
        def join():
            note("join")

        r = root()
        leaves = [leaf.override(task_id=f"leaf_{{i}}")(f"leaf_{{i}}") for i in range(3)]
        j = join()
        for one in leaves:
            r >> one >> j
"""


def test_one_message_runs_a_chain_through_hand_offs_and_the_queue_carries_only_its_first_task(env):
    counted(env)
    run = env.trigger()

    outcomes = env.drain(T0)

    assert outcomes == ["success", "success"]  # the message's try, then the one handed to its worker
    assert side_effects(env.log) == ["first", "second"]
    assert env.queue.sent_tries() == {("first", 1): 1}  # second never went through SQS
    first, second = env.ti(run.run_id, "first"), env.ti(run.run_id, "second")
    assert (second.state, int(second.try_number)) == ("success", 1)
    assert second.request_id == first.request_id  # the same invocation ran both
    assert second.queued_at == second.start_date  # claimed directly: it never waited in a queue
    assert second.owner_token is None and second.active_state is None  # finished like any try
    assert env.run_state(run.run_id) == "success"


def test_a_fan_out_hands_off_one_task_and_queues_the_others(env):
    write_dag(env.folder, "fan", FAN_OUT.format(log=str(env.log)))
    env.sync()
    run = env.trigger("fan")

    outcomes = env.drain(T0)

    assert sorted(side_effects(env.log)) == ["join", "leaf_0", "leaf_1", "leaf_2", "root"]  # each once
    sent = env.queue.sent_tries()
    assert sent[("root", 1)] == 1 and sum(sent[(f"leaf_{i}", 0)] for i in range(3)) == 2  # one leaf handed off (fresh messages: try 0)
    assert ("join", 1) not in sent  # the last leaf to finish hands the join to its own worker
    assert outcomes.count("success") == 5 and "duplicate" not in outcomes
    assert env.run_state(run.run_id, "fan") == "success"


def test_without_a_window_every_ready_task_goes_through_the_queue(env):
    env.backend.settings = dataclasses.replace(env.backend.settings, handoff_seconds=0)
    counted(env)
    run = env.trigger()

    outcomes = env.drain(T0)

    assert outcomes == ["success", "success"]
    assert env.queue.sent_tries() == {("first", 1): 1, ("second", 0): 1}  # second: a fresh message
    assert env.run_state(run.run_id) == "success"


def test_a_task_whose_execution_timeout_does_not_fit_the_worker_budget_is_queued(env):
    env.backend.settings = dataclasses.replace(env.backend.settings, worker_timeout=60)
    write_dag(env.folder, "long", """
        from datetime import timedelta

        import pendulum
        from airflow.sdk import DAG, task

        with DAG(dag_id="long", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC")):

            @task
            def short():
                return 1

            @task(execution_timeout=timedelta(seconds=120))
            def patient(value):
                return value

            patient(short())
    """)
    env.sync()
    run = env.trigger("long")

    env.drain(T0)

    assert env.queue.sent_tries() == {("short", 1): 1, ("patient", 0): 1}
    assert env.run_state(run.run_id, "long") == "success"


def test_a_paused_dag_hands_off_nothing_and_its_run_resumes_when_unpaused(env):
    counted(env)
    run = env.trigger()
    message = env.receive_one()
    env.backend.dags.set_paused("counted", True, T0)

    env.handle(message["Body"], request_id=message["MessageId"])
    env.queue.sqs.delete(message["ReceiptHandle"])

    assert side_effects(env.log) == ["first"]
    assert env.ti(run.run_id, "second").state == TaskState.SCHEDULED  # ready, not queued while paused (Airflow's)
    env.backend.dags.set_paused("counted", False, T0)
    env.tick(T0)
    env.drain(T0)
    assert side_effects(env.log) == ["first", "second"]
    assert env.run_state(run.run_id) == "success"


def test_a_worker_that_dies_in_a_handed_off_try_is_reaped_and_the_try_retried_once(env, monkeypatch):
    from chalicelib.services import task_consumer

    counted(env)
    run = env.trigger()
    real = task_consumer._run_claimed
    died = []

    def dies_in_the_hand_off(backend, dags, msg, token, item, run_, *args, **kwargs):
        if msg.task_id == "second" and not died:  # the handed-off try: the worker is lost after claiming it
            died.append(msg.task_id)
            raise RuntimeError("worker lost")
        return real(backend, dags, msg, token, item, run_, *args, **kwargs)

    monkeypatch.setattr(task_consumer, "_run_claimed", dies_in_the_hand_off)
    assert env.drain(T0) == ["success", "unrecorded"]
    held = env.ti(run.run_id, "second")
    assert died == ["second"] and (held.state, int(held.try_number)) == ("running", 1)

    report = env.tick(T0 + stale(env))  # no heartbeat: a zombie like any other, retried (retries=1)
    env.drain(T0 + stale(env))

    assert report.reaped == [f"counted/{run.run_id}/second"]
    assert side_effects(env.log) == ["first", "second"]  # user code of the lost try never ran; the retry ran once
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 2)}
    assert env.run_state(run.run_id) == "success"


def test_a_duplicate_of_the_handing_off_message_does_nothing(env):
    counted(env)
    run = env.trigger()
    message = env.receive_one()

    first = env.handle(message["Body"], request_id=message["MessageId"])
    again = env.handle(message["Body"], request_id=message["MessageId"])

    assert (first, again) == ("success", "duplicate")
    assert side_effects(env.log) == ["first", "second"]
    assert env.run_state(run.run_id) == "success"


def test_a_hand_off_that_loses_the_race_for_its_task_leaves_it_to_the_winner(env, monkeypatch):
    """The tick (or another worker) queues the task between the edge decision and the hand-off's claim."""
    counted(env)
    run = env.trigger()
    message = env.receive_one()
    runs = env.backend.runs
    real = runs.claim_ready

    def queued_first(dag_id, run_id, task_id, *args, **kwargs):
        assert runs.enqueue_next(dag_id, run_id, task_id, T0) == 1  # the competitor wins
        return real(dag_id, run_id, task_id, *args, **kwargs)

    monkeypatch.setattr(runs, "claim_ready", queued_first)
    env.handle(message["Body"], request_id=message["MessageId"])
    env.queue.sqs.delete(message["ReceiptHandle"])

    assert side_effects(env.log) == ["first"]
    assert env.ti(run.run_id, "second").state == TaskState.QUEUED  # the winner's: its message will run it


def test_a_hand_off_claimed_by_a_try_whose_recording_fails_goes_back_to_the_queue(env, monkeypatch):
    """The worker raises after claiming the hand-off (SQS will redeliver its message): the claimed task never
    ran, so it is queued with its message rather than left running for the reaper to fail."""
    from chalicelib.services.handoff import Handoff

    counted(env)
    run = env.trigger()
    message = env.receive_one()
    real = Handoff.take

    def take_then_fail(self, *args, **kwargs):
        assert real(self, *args, **kwargs)
        raise RuntimeError("DynamoDB unreachable")

    monkeypatch.setattr(Handoff, "take", take_then_fail)
    with pytest.raises(RuntimeError, match="unreachable"):
        env.handle(message["Body"], request_id=message["MessageId"])
    monkeypatch.setattr(Handoff, "take", real)
    env.queue.sqs.release(message["ReceiptHandle"])  # as SQS redelivers a message whose handler raised

    second = env.ti(run.run_id, "second")
    assert (second.state, int(second.try_number), second.owner_token) == ("queued", 1, None)
    assert env.queue.sent_tries()[("second", 1)] == 1
    outcomes = env.drain(T0)
    assert sorted(outcomes) == ["duplicate", "success"]  # first's redelivery does nothing; second runs once
    assert side_effects(env.log) == ["first", "second"]
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert env.run_state(run.run_id) == "success"
