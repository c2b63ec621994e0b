"""The standard provider's operators and sensors run in-process (`run_dag`, no real waiting)."""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta

import pendulum

from chalicelib.core.states import TaskState
from chalicelib.runner.inprocess import SkipWaitClock, run_dag
from chalicelib.sdk import DAG
from chalicelib.sdk.dagruns import IsolatedDagRuns, using_dag_runs
from chalicelib.sdk.operators.empty import EmptyOperator
from chalicelib.sdk.operators.latest_only import LatestOnlyOperator
from chalicelib.sdk.operators.trigger_dagrun import TriggerDagRunOperator
from chalicelib.sdk.operators.weekday import BranchDateTimeOperator, BranchDayOfWeekOperator
from chalicelib.sdk.sensors.external_task import ExternalTaskSensor
from chalicelib.sdk.sensors.filesystem import BashSensor, FileSensor
from chalicelib.sdk.sensors.time import DateTimeSensor, DayOfWeekSensor, TimeDeltaSensor

S = TaskState
SATURDAY = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)


def states(dag: DAG, logical_date: datetime = SATURDAY) -> dict[str, tuple[TaskState, int]]:
    result = run_dag(dag, logical_date=logical_date, clock=SkipWaitClock(), jitter=False)
    return {ti.task_id: (ti.state, ti.try_number) for ti in result.task_instances}


def test_latest_only_lets_a_manual_run_through():
    with DAG("latest", schedule="@daily", start_date=datetime(2024, 1, 1)) as dag:
        LatestOnlyOperator(task_id="latest_only") >> EmptyOperator(task_id="after")

    assert states(dag) == {"latest_only": (S.SUCCESS, 1), "after": (S.SUCCESS, 1)}


def test_branch_day_of_week_on_the_logical_date():
    with DAG("weekday") as dag:
        branch = BranchDayOfWeekOperator(task_id="branch", week_day={"Saturday", "Sunday"},
                                         follow_task_ids_if_true="weekend", follow_task_ids_if_false="weekday",
                                         use_task_logical_date=True)
        branch >> [EmptyOperator(task_id="weekend"), EmptyOperator(task_id="weekday")]

    assert states(dag)["weekday"] == (S.SKIPPED, 0)
    assert states(dag, SATURDAY + timedelta(days=2))["weekend"] == (S.SKIPPED, 0)


def test_branch_datetime_with_times_of_day_wrapping_midnight():
    with DAG("window") as dag:
        branch = BranchDateTimeOperator(task_id="branch", target_lower=dt.time(22), target_upper=dt.time(2),
                                        follow_task_ids_if_true="night", follow_task_ids_if_false="day",
                                        use_task_logical_date=True)
        branch >> [EmptyOperator(task_id="night"), EmptyOperator(task_id="day")]

    assert states(dag, datetime(2024, 6, 1, 23, tzinfo=UTC))["day"] == (S.SKIPPED, 0)
    assert states(dag, datetime(2024, 6, 1, 12, tzinfo=UTC))["night"] == (S.SKIPPED, 0)


def test_time_sensors_pass_once_their_moment_is_past_and_defer_by_rescheduling():
    soon = pendulum.now("UTC").add(seconds=30)
    with DAG("sensors") as dag:
        DateTimeSensor(task_id="past", target_time=datetime(2020, 1, 1, tzinfo=UTC))
        DateTimeSensor(task_id="soon", target_time=soon.isoformat(), deferrable=True)
        TimeDeltaSensor(task_id="delta", delta=timedelta(days=-1), mode="reschedule")
        DayOfWeekSensor(task_id="dow", week_day="saturday", use_task_logical_date=True)

    result = run_dag(dag, logical_date=SATURDAY, clock=SkipWaitClock(), jitter=False)

    assert {ti.task_id: ti.state for ti in result.task_instances} == dict.fromkeys(("past", "soon", "delta", "dow"), S.SUCCESS)
    soon_ti = next(ti for ti in result.task_instances if ti.task_id == "soon")
    assert soon_ti.tries[0].state is S.UP_FOR_RESCHEDULE
    assert abs((soon_ti.tries[0].next_retry_at - soon).total_seconds()) < 1  # rescheduled to the moment itself


def test_file_and_bash_sensors(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FS_DEFAULT", json.dumps({"conn_type": "fs", "extra": {"path": str(tmp_path)}}))
    (tmp_path / "data.csv").write_text("x")
    with DAG("files") as dag:
        FileSensor(task_id="file", filepath="*.csv", poke_interval=1)  # under the connection's base path
        FileSensor(task_id="missing", filepath="nope", poke_interval=1, timeout=0, soft_fail=True)
        FileSensor(task_id="no_connection", filepath="*.csv", fs_conn_id="undefined")  # fails, as in Airflow
        BashSensor(task_id="bash", bash_command="test -d /", poke_interval=1)

    assert states(dag) == {"file": (S.SUCCESS, 1), "missing": (S.SKIPPED, 1), "no_connection": (S.FAILED, 1),
                           "bash": (S.SUCCESS, 1)}


def test_trigger_dag_run_creates_the_run_with_conf():
    gateway = IsolatedDagRuns()
    with DAG("controller") as dag:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", trigger_run_id="run-{{ ds }}",
                              conf={"message": "hi"})

    with using_dag_runs(gateway):
        assert states(dag) == {"trigger": (S.SUCCESS, 1)}

    assert gateway.triggered[("target", "run-2024-06-01")]["conf"] == {"message": "hi"}


class _OneRunDone(IsolatedDagRuns):
    """Another DAG whose run at the logical date finished: its task 'load' succeeded, 'bad' failed."""

    def count_task_instances(self, dag_id, task_ids, logical_dates, states):
        done = {"load": "success", "bad": "failed"}
        return sum(1 for t in task_ids for _ in logical_dates if dag_id == "upstream" and done.get(t) in states)


def test_external_task_sensor_waits_for_another_dags_task():
    with DAG("downstream") as dag:
        ExternalTaskSensor(task_id="wait_load", external_dag_id="upstream", external_task_id="load")
        ExternalTaskSensor(task_id="wait_bad", external_dag_id="upstream", external_task_id="bad",
                           failed_states=["failed"])
        ExternalTaskSensor(task_id="wait_other", external_dag_id="other", external_task_id="x", timeout=0,
                           poke_interval=1, mode="reschedule")

    with using_dag_runs(_OneRunDone()):
        assert states(dag) == {"wait_load": (S.SUCCESS, 1), "wait_bad": (S.FAILED, 1), "wait_other": (S.FAILED, 1)}


def test_labels_wire_edges_and_name_them():
    from chalicelib.sdk.edges import Label

    with DAG("labels") as dag:
        check, ok, bad, report = (EmptyOperator(task_id=t) for t in ("check", "ok", "bad", "report"))
        check >> Label("valid") >> ok
        check.set_downstream(bad, edge_modifier=Label("invalid"))
        [ok, bad] >> Label("done") >> report

    assert check.downstream_task_ids == {"ok", "bad"} and report.upstream_task_ids == {"ok", "bad"}
    assert dag.get_edge_info("check", "bad") == {"label": "invalid"}
    assert dag.get_edge_info("bad", "report") == {"label": "done"}


def test_setup_teardown_decorators_and_context_manager_run_cleanup_after_a_failure():
    from chalicelib.sdk import task
    from chalicelib.sdk.decorators import setup, teardown

    with DAG("cluster") as dag:
        @setup
        def create():
            return "cluster-1"

        @teardown
        def delete(cluster):
            assert cluster == "cluster-1"

        @task
        def work():
            raise ValueError("job failed")

        with delete(create()):
            work()

    assert dag.get_task("create").downstream_task_ids == {"delete", "work"}
    assert states(dag) == {"create": (S.SUCCESS, 1), "delete": (S.SUCCESS, 1), "work": (S.FAILED, 1)}
    assert run_dag(dag, logical_date=SATURDAY, clock=SkipWaitClock()).state.value == "failed"
