"""Fault tests of the distributed path (moto), the worker side: duplicate deliveries and zombie tasks. Each
seeds a state, calls one handler, asserts the final state.

Races are staged by deterministic interleaving (moto is not concurrency-safe): a repository method is
wrapped so that a competing actor runs between one actor's read and its conditional write.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.core.states import TaskState
from tests.functional.counted_dag import counted, stale
from tests.functional.harness import T0, Env, side_effects, states


@pytest.fixture
def env(backend, tmp_path):
    return Env(backend, tmp_path)


# --- duplicates ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_duplicate_delivery_of_one_message_runs_user_code_once(env):
    counted(env)
    run = env.trigger()
    message = env.receive_one()

    first = env.handle(message["Body"], request_id=message["MessageId"])
    again = env.handle(message["Body"], request_id=message["MessageId"])  # SQS at-least-once: same message again

    assert (first, again) == ("success", "duplicate")
    assert side_effects(env.log) == ["first"]
    assert env.ti(run.run_id, "first").request_id == message["MessageId"]
    assert env.queue.sent_tries() == {("first", 1): 1, ("second", 0): 1}  # second: a fresh message


def test_same_task_sent_twice_with_different_message_ids_runs_once(env):
    from chalicelib.taskqueue import TaskMessage

    counted(env)
    run = env.trigger()
    env.queue.sqs.send([(TaskMessage("counted", run.run_id, "first", 1), 0)])  # a second, distinct message

    outcomes = env.drain(T0)

    assert sorted(outcomes) == ["duplicate", "success", "success"]
    assert side_effects(env.log) == ["first", "second"]
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 1), "second": ("success", 1)}
    assert env.run_state(run.run_id) == "success"


# --- zombies -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("queue_only")  # the scenario is about this task's message
def test_worker_dies_after_claim_is_reaped_and_retried_once(env):
    counted(env)
    run = env.trigger()
    message = env.receive_one()
    env.claim(run.run_id, "first")  # ... and the worker dies: no heartbeat, no outcome
    env.queue.sqs.release(message["ReceiptHandle"])  # its visibility timeout ends: SQS redelivers try 1

    report = env.tick(T0 + stale(env))
    reaped = env.ti(run.run_id, "first")
    outcomes = env.drain(T0 + stale(env))

    assert report.reaped == [f"counted/{run.run_id}/first"]
    assert (reaped.state, int(reaped.try_number)) == ("queued", 2)  # retry_delay 0: due at once
    assert outcomes == ["duplicate", "success", "success"]  # the redelivered try-1 message does nothing
    assert side_effects(env.log) == ["first", "second"]
    assert states(env.backend, "counted", run.run_id) == {"first": ("success", 2), "second": ("success", 1)}
    assert env.queue.sent_tries() == {("first", 1): 1, ("first", 2): 1, ("second", 0): 1}
    assert env.run_state(run.run_id) == "success"


def test_running_without_heartbeat_attribute_is_reaped(env):
    counted(env, retry_delay=600)
    run = env.trigger()
    env.claim(run.run_id, "first")
    TI = env.backend.models.TaskInstance
    env.ti(run.run_id, "first").update(actions=[TI.heartbeat_at.remove()])

    report = env.tick(T0 + stale(env))

    ti = env.ti(run.run_id, "first")
    assert report.reaped == [f"counted/{run.run_id}/first"]
    assert (ti.state, int(ti.try_number), ti.owner_token) == ("up_for_retry", 1, None)
    assert ti.error.startswith("zombie")
    assert ti.next_retry_at is not None


def test_zombie_without_retries_left_fails_the_run(env):
    counted(env)
    run = env.trigger()
    env.claim(run.run_id, "first")
    TI = env.backend.models.TaskInstance
    env.ti(run.run_id, "first").update(actions=[TI.max_tries.set(0)])

    report = env.tick(T0 + stale(env))

    assert states(env.backend, "counted", run.run_id) == {"first": ("failed", 1), "second": ("upstream_failed", 0)}
    assert report.runs_finished == [f"counted/{run.run_id}:failed"]


def test_live_task_is_not_reaped(env):
    counted(env)
    run = env.trigger()
    env.claim(run.run_id, "first")
    assert env.backend.runs.heartbeat("counted", run.run_id, "first", "dead-worker", T0 + timedelta(seconds=200))

    report = env.tick(T0 + stale(env))

    assert report.reaped == []
    assert env.ti(run.run_id, "first").state == "running"


def test_reaper_racing_a_completing_task_lets_the_success_stand(env, monkeypatch):
    counted(env)
    run = env.trigger()
    env.claim(run.run_id, "first", token="live-worker")
    runs = env.backend.runs
    reap = runs.reap

    def worker_finishes_first(item, **kwargs):
        # The reaper has read "first" as stale; before its conditional write, the worker records success.
        assert runs.finish_try("counted", run.run_id, "first", token="live-worker", state=TaskState.SUCCESS, start=T0,
                               end=T0 + stale(env), next_retry_at=None, error=None, xcom_return="1",
                               xcom_return_ref=None)
        return reap(item, **kwargs)

    monkeypatch.setattr(runs, "reap", worker_finishes_first)
    report = env.tick(T0 + stale(env))

    ti = env.ti(run.run_id, "first")
    assert report.reaped == []
    assert (ti.state, int(ti.try_number), ti.error, ti.xcom_return) == ("success", 1, None, "1")
    # "first" was recorded without its worker's next step (the fresh message to "second"): the tick gives that
    # message the time a queued one gets, then queues "second" itself
    assert states(env.backend, "counted", run.run_id)["second"] == ("none", 0)
    env.tick(T0 + stale(env) + timedelta(seconds=env.backend.settings.queued_timeout + 1))
    assert states(env.backend, "counted", run.run_id)["second"] == ("queued", 1)
    assert env.queue.sent_tries() == {("first", 1): 1, ("second", 1): 1}


def test_reaped_worker_finishing_late_is_dropped(env, monkeypatch):
    """The converse: the reaper wins, and the slow worker's outcome loses on the owner token."""
    import chalicelib.services.task_consumer as worker
    from chalicelib.services.scheduler import tick

    counted(env, retry_delay=600)
    run = env.trigger()
    message = env.receive_one()
    real_run_supervised = worker.run_supervised

    def reaper_strikes_mid_task(*args, **kwargs):
        result = real_run_supervised(*args, **kwargs)
        tick(env.backend, T0 + stale(env))
        return result

    monkeypatch.setattr(worker, "run_supervised", reaper_strikes_mid_task)
    outcome = env.handle(message["Body"])

    ti = env.ti(run.run_id, "first")
    assert outcome == "lost"
    assert (ti.state, int(ti.try_number)) == ("up_for_retry", 1)
    assert ti.xcom_return is None
    assert env.queue.sent_tries() == {("first", 1): 1}  # the lost outcome did not advance the run
    # Its small log and rendered fields could not ride on the refused final write: they are in S3 all the same.
    from chalicelib.services.task_views import rendered_fields, whole_log

    assert ti.log_inline is None and ti.rendered_inline is None
    assert "Done. Returned value was: 1" in whole_log(env.backend, "counted", run.run_id, "first", 1)
    assert rendered_fields(env.backend, "counted", run.run_id, "first", 1)["op_args"] == []


def test_reaper_twice_increments_the_try_once(env, monkeypatch):
    from chalicelib.services.scheduler import tick

    counted(env)
    run = env.trigger()
    env.claim(run.run_id, "first")
    runs = env.backend.runs
    reap = runs.reap
    competing: list = []

    def another_tick_first(item, **kwargs):
        # Both ticks read the zombie; the other one reaps (and re-enqueues) before this write lands.
        if not competing:
            competing.append(None)
            competing[0] = tick(env.backend, T0 + stale(env))
        return reap(item, **kwargs)

    with pytest.MonkeyPatch.context() as patch:  # undo this patch only, not the fixtures' environment
        patch.setattr(runs, "reap", another_tick_first)
        report = env.tick(T0 + stale(env))
    again = env.tick(T0 + stale(env))

    ti = env.ti(run.run_id, "first")
    assert (competing[0].reaped, report.reaped, again.reaped) == ([f"counted/{run.run_id}/first"], [], [])
    assert (ti.state, int(ti.try_number)) == ("queued", 2)
    assert env.queue.sent_tries() == {("first", 1): 1, ("first", 2): 1}


def test_two_reapers_before_the_retry_is_due_record_one_retry(env):
    counted(env, retry_delay=600)
    run = env.trigger()
    env.claim(run.run_id, "first")
    [zombie] = env.backend.runs.by_active_state("running", T0 + timedelta(seconds=1))
    later = T0 + stale(env)

    won = env.backend.runs.reap(zombie, state=TaskState.UP_FOR_RETRY, next_retry_at=later, now=later, reason="zombie")
    lost = env.backend.runs.reap(zombie, state=TaskState.UP_FOR_RETRY, next_retry_at=later, now=later, reason="zombie")
    env.tick(later)

    ti = env.ti(run.run_id, "first")
    assert (won, lost) == (True, False)
    assert (ti.state, int(ti.try_number)) == ("queued", 2)
    assert env.queue.sent_tries() == {("first", 1): 1, ("first", 2): 1}


