"""Issue #15 items 1, 2, 5, 7 and 8 through the real worker handler: each try runs in a forked child that
the handler supervises; moto in this process; a fixed clock where the outcome depends on time."""

from __future__ import annotations

from chalicelib.services.task_views import whole_log
from tests.functional.harness import side_effects, write_dag
from tests.reliability.worker_env import T0, timedelta, with_settings

ONE_TASK = """
import ctypes
import time
import pendulum
from datetime import timedelta
from airflow.sdk import DAG, task

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    @task(retries={retries}, retry_delay=timedelta(seconds={retry_delay}){extra})
    def only(**context):
        with open({log!r}, "a") as out:
            out.write("ran\\n")
{body}
    only()
"""


def one_task(env, body: str, *, dag_id: str = "one", retries: int = 0, retry_delay: int = 0, extra: str = "") -> None:
    indented = "\n".join("        " + line for line in body.strip().splitlines())
    write_dag(env.folder, dag_id, ONE_TASK.format(dag_id=dag_id, retries=retries, retry_delay=retry_delay,
                                                 extra=extra, log=str(env.log), body=indented))
    env.sync()


def handle_next(env, now=T0) -> str:
    message = env.receive_one()
    outcome = env.handle(message["Body"], now=now)
    env.queue.sqs.delete(message["ReceiptHandle"])
    return outcome


# --- item 1: the heartbeat comes from outside the task's process -------------------------------------------


def test_a_task_holding_the_gil_past_the_heartbeat_timeout_is_not_reaped(env, monkeypatch):
    """Old: the heartbeat thread shared the task's GIL, the tick reaped the live task and ran try 2 beside it."""
    from chalicelib.services.scheduler import tick
    from chalicelib.services.task_consumer import utcnow

    with_settings(env, heartbeat_timeout=1.0)  # beats every 0.5 s
    one_task(env, "ctypes.PyDLL(None).sleep(3)  # holds the GIL for 3 s\nreturn 'done'", dag_id="gil")
    run = env.trigger("gil")
    runs = env.backend.runs
    beat = runs.heartbeat
    reaped: list[list[str]] = []

    def tick_between_beats(*args, **kwargs):
        alive = beat(*args, **kwargs)
        if side_effects(env.log) == ["ran"]:  # the child is inside its 3-second call now
            reaped.append(tick(env.backend, utcnow()).reaped)  # a tick at real time, 1 s timeout
        return alive

    monkeypatch.setattr(runs, "heartbeat", tick_between_beats)
    outcome = handle_next(env, now=utcnow())

    assert outcome == "success"
    assert len(reaped) >= 3 and not any(reaped)  # ticks ran while the GIL was held, none reaped the task
    ti = env.ti(run.run_id, "only", dag_id="gil")
    assert (ti.state, int(ti.try_number), ti.xcom_return) == ("success", 1, '"done"')
    assert side_effects(env.log) == ["ran"]


def test_on_kill_is_called_when_the_timeout_ends_the_task(env, tmp_path):
    killed = tmp_path / "on_kill"
    operator = f"""
import pendulum
import time
from datetime import timedelta
from airflow.sdk import DAG, BaseOperator


class Slow(BaseOperator):
    def execute(self, context):
        time.sleep(30)

    def on_kill(self):
        open({str(killed)!r}, "w").write("killed")


with DAG("slow", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):
    Slow(task_id="slow", execution_timeout=timedelta(seconds=0.5))
"""
    write_dag(env.folder, "slow", operator)
    env.sync()
    run = env.trigger("slow")

    assert handle_next(env) == "failed"
    assert killed.read_text() == "killed"
    ti = env.ti(run.run_id, "slow", dag_id="slow")
    assert "AirflowTaskTimeout" in ti.error
    log = whole_log(env.backend, "slow", run.run_id, "slow", 1)
    assert "calling on_kill" in log and "AirflowTaskTimeout" in log


# --- item 8: AirflowTaskTimeout is a BaseException -----------------------------------------------------------


SWALLOWS = """
for _ in range(20):
    try:
        time.sleep(0.5)
    except Exception:
        pass
return "finished"
"""


def test_except_exception_does_not_swallow_the_timeout_in_the_worker(env):
    one_task(env, SWALLOWS, dag_id="swallow", extra=", execution_timeout=timedelta(seconds=1)")
    run = env.trigger("swallow")

    assert handle_next(env) == "failed"
    ti = env.ti(run.run_id, "only", dag_id="swallow")
    assert ti.error.startswith("AirflowTaskTimeout") and float(ti.duration) < 8


def test_except_exception_does_not_swallow_the_timeout_in_dags_test(env):
    from chalicelib.loader.dagbag import DagBag
    from chalicelib.runner.inprocess import run_dag

    one_task(env, SWALLOWS, dag_id="swallow", extra=", execution_timeout=timedelta(seconds=1)")
    result = run_dag(DagBag(str(env.folder)).get_dag("swallow"))

    assert result.state.value == "failed"
    assert "AirflowTaskTimeout" in result.task_instances[0].tries[-1].error


def test_a_task_that_ignores_sigterm_is_killed_after_the_grace_period(env):
    body = """
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(30)
"""
    one_task(env, body, dag_id="stubborn", retries=1, extra=", execution_timeout=timedelta(seconds=0.5)")
    run = env.trigger("stubborn")

    assert handle_next(env) == "up_for_retry"
    ti = env.ti(run.run_id, "only", dag_id="stubborn")
    assert (ti.state, int(ti.try_number)) == ("up_for_retry", 1)
    assert "AirflowTaskTimeout" in ti.error
    log = whole_log(env.backend, "stubborn", run.run_id, "only", 1)
    assert "SIGKILL" in log


# --- item 5: an XCom that cannot be stored is the try's error -----------------------------------------------


def test_an_xcom_write_that_fails_after_user_code_is_the_tasks_error_and_is_not_rerun(env, monkeypatch):
    """Old: recorded as "zombie: no heartbeat" and the user code ran again. The store refuses the write
    here (injected in the worker's process, after the child ran the task)."""
    from pynamodb.exceptions import PutError

    from chalicelib.store.xcoms import DynamoXComStore

    def refused(self):
        raise PutError("Failed to batch write items: ValidationException: key too large")

    one_task(env, "context['ti'].xcom_push(key='k', value=1)", dag_id="refused", retries=1)
    run = env.trigger("refused")
    monkeypatch.setattr(DynamoXComStore, "flush", refused)

    assert handle_next(env) == "up_for_retry"
    ti = env.ti(run.run_id, "only", dag_id="refused")
    assert (ti.state, int(ti.try_number)) == ("up_for_retry", 1)
    assert ti.error.startswith("XCom could not be stored: PutError") and "zombie" not in ti.error
    assert side_effects(env.log) == ["ran"]
    assert env.tick(T0 + timedelta(minutes=10)).reaped == []  # nothing left running to reap


def test_an_xcom_key_of_1100_characters_fails_the_try_with_its_real_error(env):
    one_task(env, "context['ti'].xcom_push(key='k' * 1100, value=1)", dag_id="bigkey")
    run = env.trigger("bigkey")

    assert handle_next(env) == "failed"
    ti = env.ti(run.run_id, "only", dag_id="bigkey")
    assert "zombie" not in ti.error and "key" in ti.error.lower()
    assert env.run_state(run.run_id, dag_id="bigkey") == "failed"
    assert side_effects(env.log) == ["ran"]


# --- item 7: a task waiting for its retry is up_for_retry with its current try ------------------------------


def test_a_task_waiting_for_its_retry_shows_up_for_retry_with_the_current_try(env):
    one_task(env, "raise ValueError('flaky')", dag_id="flaky", retries=1, retry_delay=60)
    run = env.trigger("flaky")

    assert handle_next(env) == "up_for_retry"

    ti = env.ti(run.run_id, "only", dag_id="flaky")
    assert (ti.state, int(ti.try_number)) == ("up_for_retry", 1)  # Airflow's view; old: ("queued", 2)
    [(message, delay)] = env.queue.sent[1:]
    assert (message.try_number, delay) == (2, 60)
    assert env.tick(T0 + timedelta(seconds=61)).resent == []  # its delayed message is on its way


def test_a_retry_message_delivered_early_waits_for_its_due_time(env):
    """A queue that lost the delay (a restored --state-dir) must not start the retry before retry_delay."""
    one_task(env, "raise ValueError('flaky')", dag_id="flaky", retries=1, retry_delay=120)
    run = env.trigger("flaky")
    assert handle_next(env) == "up_for_retry"
    early = env.queue.sent[-1][0]

    assert env.handle(early.to_json(), now=T0 + timedelta(seconds=24)) == "early"

    assert (env.ti(run.run_id, "only", dag_id="flaky").state) == "up_for_retry"
    assert side_effects(env.log) == ["ran"]
    assert env.queue.sent[-1][0] == early
    assert env.handle(early.to_json(), now=T0 + timedelta(seconds=121)) == "failed"
    assert side_effects(env.log) == ["ran", "ran"]


# --- item 2: the run is read fresh -----------------------------------------------------------------------------


def test_a_run_deleted_and_recreated_under_the_same_id_gives_its_tasks_the_new_conf(env):
    from chalicelib.services.clearing import delete_run
    from chalicelib.services.trigger import trigger_run

    one_task(env, "print('conf=' + repr(context['dag_run'].conf))", dag_id="conf")

    trigger_run(env.backend, "conf", now=T0, conf={"v": "old"}, run_id="same")
    assert handle_next(env) == "success"
    delete_run(env.backend, "conf", "same")
    trigger_run(env.backend, "conf", now=T0 + timedelta(hours=1), conf={"v": "new"}, run_id="same",
                logical_date=T0 + timedelta(hours=1))

    assert handle_next(env, now=T0 + timedelta(hours=1)) == "success"

    log = whole_log(env.backend, "conf", "same", "only", 1)
    assert "conf={'v': 'new'}" in log and "old" not in log


def test_a_cleared_run_past_its_dagrun_timeout_is_not_failed_again_at_once(env):
    from chalicelib.services.clearing import clear_run

    write_dag(env.folder, "timed", f"""
import pendulum
from datetime import timedelta
from airflow.sdk import DAG, task

with DAG("timed", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         dagrun_timeout=timedelta(minutes=5)):
    @task
    def a():
        open({str(env.log)!r}, "a").write("a\\n")

    @task
    def b():
        open({str(env.log)!r}, "a").write("b\\n")

    a() >> b()
""")
    env.sync()
    run = env.trigger("timed")
    assert env.tick(T0 + timedelta(minutes=6)).runs_finished == [f"timed/{run.run_id}:failed"]
    later = T0 + timedelta(hours=1)
    env.queue.sqs.client.purge_queue(QueueUrl=env.queue.sqs.url)

    clear_run(env.backend, "timed", run.run_id, only_failed=False, dry_run=False, now=later)
    assert env.drain(later + timedelta(seconds=1)) == ["success", "success"]

    assert env.run_state(run.run_id, dag_id="timed") == "success"
    assert side_effects(env.log) == ["a", "b"]

