"""Issue #15 items 3 and 4: max_active_runs holds for manual/API runs (the rest wait `queued`, started by
the tick as slots free, as Airflow does), and a paused DAG starts no new task of its running runs."""

from __future__ import annotations

from tests.functional.harness import side_effects, states, write_dag
from tests.reliability.worker_env import T0, timedelta

TWO_STEPS = """
import pendulum
from airflow.sdk import DAG, task

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), max_active_runs={limit}):
    @task
    def first():
        open({log!r}, "a").write("first\\n")

    @task
    def second():
        open({log!r}, "a").write("second\\n")

    first() >> second()
"""


def two_steps(env, dag_id: str = "limited", limit: int = 16) -> None:
    write_dag(env.folder, dag_id, TWO_STEPS.format(dag_id=dag_id, limit=limit, log=str(env.log)))
    env.sync()


def run_states(env, dag_id: str) -> dict[str, str]:
    return {r.run_id: r.state.value for r in env.backend.runs.list(dag_id, limit=100)}


def test_manual_runs_beyond_max_active_runs_wait_queued_and_start_as_slots_free(env):
    """Old: 194 runs active at once with max_active_runs=3."""
    from chalicelib.services.trigger import trigger_run

    two_steps(env, limit=2)
    runs = [trigger_run(env.backend, "limited", now=T0 + timedelta(seconds=i), run_id=f"r{i}") for i in range(5)]

    assert [r.state.value for r in runs] == ["running", "running", "queued", "queued", "queued"]
    assert env.tick(T0 + timedelta(seconds=10)).runs_started == []  # no slot free yet
    most_running = 0
    now = T0 + timedelta(seconds=10)
    while any(s != "success" for s in run_states(env, "limited").values()):
        now += timedelta(seconds=1)
        env.drain(now)
        most_running = max(most_running, list(run_states(env, "limited").values()).count("running"))
        env.tick(now)
        most_running = max(most_running, list(run_states(env, "limited").values()).count("running"))
        assert now < T0 + timedelta(minutes=5), run_states(env, "limited")

    assert most_running == 2
    assert side_effects(env.log).count("second") == 5
    started = [env.backend.runs.get("limited", f"r{i}").start_date for i in range(5)]
    assert started == sorted(started)  # oldest queued run first


def test_pausing_a_dag_starts_no_new_task_of_its_running_run(env):
    two_steps(env, dag_id="pausable")
    run = env.trigger("pausable")
    env.backend.dags.set_paused("pausable", True, T0)

    assert env.drain(T0) == ["success"]  # `first` was already queued: it runs, as in Airflow
    env.tick(T0 + timedelta(seconds=5))

    assert states(env.backend, "pausable", run.run_id)["second"] == ("scheduled", 0)  # ready, not queued (Airflow's)
    assert env.queue.sqs.receive(max_messages=10, wait_seconds=0) == []
    env.backend.dags.set_paused("pausable", False, T0 + timedelta(seconds=6))
    env.tick(T0 + timedelta(seconds=7))
    assert env.drain(T0 + timedelta(seconds=7)) == ["success"]
    assert env.run_state(run.run_id, dag_id="pausable") == "success"


def test_a_run_triggered_while_paused_waits_queued_until_unpaused(env):
    from chalicelib.services.trigger import trigger_run

    two_steps(env, dag_id="pausable")
    env.backend.dags.set_paused("pausable", True, T0)
    run = trigger_run(env.backend, "pausable", now=T0)

    assert run.state.value == "queued"
    env.tick(T0 + timedelta(seconds=1))
    assert env.run_state(run.run_id, dag_id="pausable") == "queued"
    env.backend.dags.set_paused("pausable", False, T0 + timedelta(seconds=2))
    assert env.tick(T0 + timedelta(seconds=3)).runs_started == [f"pausable/{run.run_id}"]
    assert env.drain(T0 + timedelta(seconds=3)) == ["success", "success"]
