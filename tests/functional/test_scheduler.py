"""The scheduler tick under moto: the runs a schedule implies over a simulated day (each once), catchup,
pause, max_active_runs, dagrun_timeout, long retries, and DAG file sync. Time is the `now` passed in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.harness import T0, Env, run_ids, states, write_dag

DAY = datetime(2024, 6, 1, tzinfo=UTC)  # the DAGs' start_date

SCHEDULED = """
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG, task

    with DAG(dag_id={dag_id!r}, schedule={schedule}, start_date=pendulum.datetime(2024, 6, 1, tz="UTC"),
             catchup={catchup}, max_active_runs={max_active_runs}, dagrun_timeout={dagrun_timeout}):

        @task
        def work():
            return 1

        work()
"""

FLAKY = """
    from datetime import timedelta

    import pendulum
    from airflow.sdk import DAG, task

    with DAG(dag_id="flaky", schedule=None, start_date=pendulum.datetime(2024, 6, 1, tz="UTC")):

        @task(retries=1, retry_delay=timedelta(seconds={retry_delay}))
        def flaky(**context):
            if context["ti"].try_number == 1:
                raise ConnectionError("first try fails")
            return "ok"

        flaky()
"""


@pytest.fixture
def env(backend, tmp_path):
    return Env(backend, tmp_path)


def scheduled(env: Env, *, dag_id: str = "every_4h", schedule: str = '"0 */4 * * *"', catchup: bool = True,
              max_active_runs: int = 16, dagrun_timeout: str = "None", synced_at: datetime = DAY) -> None:
    write_dag(env.folder, dag_id, SCHEDULED.format(dag_id=dag_id, schedule=schedule, catchup=catchup,
                                                   max_active_runs=max_active_runs, dagrun_timeout=dagrun_timeout))
    env.sync(now=synced_at)


def run_id(at: datetime) -> str:
    return f"scheduled__{at.isoformat()}"


def ticks(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    out = []
    while start <= end:
        out.append(start)
        start += every
    return out


def simulate(env: Env, times: list[datetime], *, dag_id: str = "every_4h") -> list[tuple[str, datetime]]:
    """Tick at each time and let workers finish what it queued; (run id, tick time) of each run created."""
    created = []
    for now in times:
        report = env.tick(now)
        created += [(name.split("/", 1)[1], now) for name in report.runs_created if name.startswith(f"{dag_id}/")]
        if report.runs_created:
            env.drain(now)
    return created


# --- a day of cron ----------------------------------------------------------------------------------


def test_cron_dag_gets_exactly_the_runs_its_schedule_implies_over_a_day(env):
    scheduled(env)
    every = timedelta(minutes=13)  # not a divisor of 4 h: ticks land at varying distances after each fire time
    times = ticks(DAY, DAY + timedelta(days=1, minutes=10), every)

    created = simulate(env, times)

    fires = [DAY + timedelta(hours=h) for h in range(0, 25, 4)]
    assert [name for name, _ in created] == [run_id(at) for at in fires]  # in order, none twice
    assert all(timedelta(0) <= tick_at - fire < every for (_, tick_at), fire in zip(created, fires))
    assert run_ids(env.backend, "every_4h") == sorted(run_id(at) for at in fires)
    first = env.backend.runs.get("every_4h", run_id(DAY + timedelta(hours=4)))
    assert (first.run_type, first.logical_date, first.data_interval_start, first.data_interval_end) == (
        "scheduled", DAY + timedelta(hours=4), DAY + timedelta(hours=4), DAY + timedelta(hours=4))
    assert {r.state.value for r in env.backend.runs.list("every_4h", limit=100)} == {"success"}


def test_catchup_creates_the_missed_runs_at_once(env):
    scheduled(env)

    report = env.tick(DAY + timedelta(hours=13, minutes=5))
    again = env.tick(DAY + timedelta(hours=13, minutes=6))

    expected = [run_id(DAY + timedelta(hours=h)) for h in (0, 4, 8, 12)]
    assert report.runs_created == [f"every_4h/{r}" for r in expected]
    assert again.runs_created == []
    assert env.queue.sent_tries() == {("work", 1): 4}


def test_without_catchup_only_the_latest_missed_run_then_the_schedule(env):
    late = DAY + timedelta(days=2, hours=10, minutes=3)
    scheduled(env, catchup=False, synced_at=late)

    created = simulate(env, ticks(late, late.replace(hour=23, minute=59), timedelta(minutes=13)))

    third = late.replace(hour=0, minute=0)
    assert [name for name, _ in created] == [run_id(third + timedelta(hours=h)) for h in (8, 12, 16, 20)]
    assert created[0][1] == late


def test_timedelta_schedule_with_catchup(env):
    scheduled(env, dag_id="every_6h", schedule="timedelta(hours=6)")

    created = simulate(env, ticks(DAY, DAY + timedelta(hours=23, minutes=59), timedelta(minutes=17)),
                       dag_id="every_6h")

    assert [name for name, _ in created] == [run_id(DAY + timedelta(hours=h)) for h in (0, 6, 12, 18)]


def test_paused_dag_gets_no_runs_until_unpaused(env):
    scheduled(env, catchup=False)
    env.backend.dags.set_paused("every_4h", True, DAY)

    paused = simulate(env, ticks(DAY, DAY + timedelta(hours=10), timedelta(minutes=29)))
    env.backend.dags.set_paused("every_4h", False, DAY + timedelta(hours=10, minutes=30))
    resumed = env.tick(DAY + timedelta(hours=10, minutes=31))

    assert paused == []
    assert resumed.runs_created == [f"every_4h/{run_id(DAY + timedelta(hours=8))}"]  # no catchup: latest only
    assert run_ids(env.backend, "every_4h") == [run_id(DAY + timedelta(hours=8))]


def test_max_active_runs_holds_back_runs_until_active_ones_finish(env):
    scheduled(env, max_active_runs=2)
    evening = DAY + timedelta(hours=23)

    first = env.tick(evening)
    held = env.tick(evening + timedelta(minutes=1))
    env.drain(evening + timedelta(minutes=2))  # both active runs finish
    second = env.tick(evening + timedelta(minutes=3))

    assert first.runs_created == [f"every_4h/{run_id(DAY + timedelta(hours=h))}" for h in (0, 4)]
    assert held.runs_created == []
    assert second.runs_created == [f"every_4h/{run_id(DAY + timedelta(hours=h))}" for h in (8, 12)]
    assert env.backend.runs.active_count("every_4h") == 2


def test_dagrun_timeout_fails_the_run_and_skips_unfinished_tasks(env):
    scheduled(env, dag_id="bounded", schedule="None", dagrun_timeout="timedelta(minutes=5)")
    run = env.trigger("bounded", now=T0)

    on_time = env.tick(T0 + timedelta(minutes=5))  # Airflow: strictly past the deadline
    late = env.tick(T0 + timedelta(minutes=5, seconds=1))
    outcomes = env.drain(T0 + timedelta(minutes=6))  # the queued message arrives after the timeout

    assert (on_time.runs_finished, late.runs_finished) == ([], [f"bounded/{run.run_id}:failed"])
    assert states(env.backend, "bounded", run.run_id) == {"work": ("skipped", 1)}
    assert outcomes == ["duplicate"]
    assert env.run_state(run.run_id, "bounded") == "failed"
    assert env.backend.dags.get("bounded").last_run_state == "failed"


# --- retries -----------------------------------------------------------------------------------------------


def test_retry_longer_than_sqs_delay_is_enqueued_by_the_tick_once_due(env):
    write_dag(env.folder, "flaky", FLAKY.format(retry_delay=3600))
    env.sync()
    run = env.trigger("flaky", now=T0)
    assert env.drain(T0) == ["up_for_retry"]

    early = env.tick(T0 + timedelta(seconds=3599))
    after_early = env.ti(run.run_id, "flaky", dag_id="flaky")
    env.tick(T0 + timedelta(seconds=3600))
    env.tick(T0 + timedelta(seconds=3660))
    outcomes = env.drain(T0 + timedelta(seconds=3661))

    assert early.runs_finished == []
    assert (after_early.state, int(after_early.try_number)) == ("up_for_retry", 1)
    assert after_early.next_retry_at == "2024-06-01T13:00:00.000000Z"
    assert env.queue.sent_tries() == {("flaky", 1): 1, ("flaky", 2): 1}
    assert outcomes == ["success"]
    assert states(env.backend, "flaky", run.run_id) == {"flaky": ("success", 2)}
    assert env.run_state(run.run_id, "flaky") == "success"


def test_short_retry_rides_on_sqs_delay_and_the_tick_does_not_resend_it(env):
    write_dag(env.folder, "flaky", FLAKY.format(retry_delay=60))
    env.sync()
    run = env.trigger("flaky", now=T0)
    assert env.handle(env.receive_one()["Body"], now=T0) == "up_for_retry"

    env.tick(T0 + timedelta(seconds=61))

    assert [(m.try_number, delay) for m, delay in env.queue.sent] == [(1, 0), (2, 60)]
    assert (env.ti(run.run_id, "flaky", dag_id="flaky").state) == "up_for_retry"  # until its message claims it
    assert env.drain(T0 + timedelta(seconds=61)) == ["success"]
    assert states(env.backend, "flaky", run.run_id) == {"flaky": ("success", 2)}


# --- DAG files -----------------------------------------------------------------------------------------------


def test_deleted_dag_file_deactivates_the_dag(env):
    scheduled(env, catchup=False)
    scheduled(env, dag_id="keeper", catchup=False)
    env.tick(DAY + timedelta(minutes=1), sync=True)
    (env.folder / "every_4h.py").unlink()

    report = env.tick(DAY + timedelta(hours=4, minutes=1), sync=True)

    gone = env.backend.dags.get("every_4h")
    assert (gone.is_active, env.backend.dags.get("keeper").is_active) == (False, True)
    assert report.runs_created == [f"keeper/{run_id(DAY + timedelta(hours=4))}"]
    assert env.backend.dags.due(DAY + timedelta(days=2)) == ["keeper"]
    assert [d.dag_id for d in env.backend.dags.list()] == ["keeper"]
    assert run_ids(env.backend, "every_4h") == [run_id(DAY)]


def test_import_errors_are_stored_and_cleared_when_fixed(env):
    from chalicelib.store.errors import NotFoundError

    scheduled(env, dag_id="fine", schedule="None")
    write_dag(env.folder, "broken", "import pendulum\nfrom airflow.sdk import DAG\n\nraise RuntimeError('boom')\n")

    env.tick(T0, sync=True)
    [error] = env.backend.dags.import_errors()
    assert error["filename"].endswith("broken.py")
    assert "boom" in error["message"] + error["traceback"]
    assert [d.dag_id for d in env.backend.dags.list()] == ["fine"]
    with pytest.raises(NotFoundError):
        env.backend.dags.get("broken")

    scheduled(env, dag_id="broken", schedule="None")
    env.tick(T0 + timedelta(minutes=1), sync=True)

    assert env.backend.dags.import_errors() == []
    assert sorted(d.dag_id for d in env.backend.dags.list()) == ["broken", "fine"]


def test_tick_records_its_heartbeat(env):
    scheduled(env)

    env.tick(DAY + timedelta(minutes=1))

    beat = env.backend.dags.get_meta("scheduler", "heartbeat")
    assert beat["at"] == (DAY + timedelta(minutes=1)).isoformat()
    assert beat["runs_created"] == 1  # counts only: the heartbeat item stays small
