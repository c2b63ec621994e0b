"""A DAG serializes losslessly: spec -> JSON -> spec gives back the same DagSpec (Airflow's own rule)."""

from __future__ import annotations

import json
from datetime import timedelta

import pendulum
import pytest

from chalicelib.core.spec import DagSpec, RetryPolicy, SensorPolicy
from chalicelib.core.trigger_rules import TriggerRule
from chalicelib.loader.serialize import dag_to_spec
from chalicelib.sdk import DAG, Param, TaskGroup, task
from chalicelib.sdk.operators.bash import BashOperator
from chalicelib.sdk.operators.empty import EmptyOperator
from chalicelib.sdk.sensors.python import PythonSensor


def round_trip(spec: DagSpec) -> DagSpec:
    return DagSpec.from_dict(json.loads(json.dumps(spec.to_dict())))


def rich_dag(schedule) -> DAG:
    with DAG(
        "rich",
        schedule=schedule,
        start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Madrid"),
        end_date=pendulum.datetime(2030, 1, 1, tz="Europe/Madrid"),
        catchup=True,
        tags=["etl", "nightly"],
        description="A DAG using most features",
        doc_md="# Rich\n\nDocs *here*.",
        params={
            "batch": Param(10, type="integer", minimum=1, description="rows per batch"),
            "mode": Param("fast", enum=["fast", "slow"]),
            "plain": 3,
        },
        max_active_runs=2,
        max_active_tasks=4,
        dagrun_timeout=timedelta(hours=2),
        default_args={"owner": "data", "retries": 2, "retry_delay": timedelta(seconds=30)},
    ) as dag:
        start = EmptyOperator(task_id="start", doc_md="entry")
        with TaskGroup("extract", tooltip="pull things") as extract:
            wait = PythonSensor(task_id="wait", python_callable=lambda: True, mode="reschedule",
                                poke_interval=15, timeout=600, soft_fail=True, exponential_backoff=True,
                                max_wait=timedelta(minutes=5))
            with TaskGroup("inner"):
                pull = BashOperator(task_id="pull", bash_command="echo {{ ds }}", retries=5,
                                    retry_exponential_backoff=True, max_retry_delay=timedelta(minutes=10),
                                    execution_timeout=timedelta(minutes=3), priority_weight=7, queue="big",
                                    pool="io")
            wait >> pull

        @task(trigger_rule=TriggerRule.ALL_DONE, retries=0)
        def cleanup(x):
            """Clean up after everyone."""
            return x

        alert = EmptyOperator(task_id="alert", trigger_rule="one_failed")
        start >> extract >> cleanup(start.output)
        extract >> alert
    return dag


@pytest.mark.parametrize("schedule", ["0 3 * * 1-5", timedelta(hours=6), "@daily", None])
def test_round_trip_equals_the_original(schedule):
    spec = dag_to_spec(rich_dag(schedule))
    assert round_trip(spec) == spec


def test_the_spec_keeps_what_the_dag_declared():
    spec = dag_to_spec(rich_dag("0 3 * * 1-5"))
    assert spec.schedule["kind"] == "cron" and spec.schedule["cron"] == "0 3 * * 1-5"
    assert spec.timezone == "Europe/Madrid"
    assert spec.tags == ("etl", "nightly")
    assert spec.doc_md == "# Rich\n\nDocs *here*."
    assert spec.dagrun_timeout == 7200
    assert spec.params["batch"]["default"] == 10
    assert spec.params["batch"]["schema"]["minimum"] == 1
    assert spec.params["mode"]["schema"]["enum"] == ["fast", "slow"]

    pull = spec.task("extract.inner.pull")
    assert pull.upstream == ("extract.wait",)
    assert pull.retry == RetryPolicy(retries=5, retry_delay=30, retry_exponential_backoff=2.0, max_retry_delay=600)
    assert pull.execution_timeout == 180
    assert (pull.priority_weight, pull.queue, pull.pool, pull.owner) == (7, "big", "io", "data")
    assert pull.task_group == "extract.inner"

    wait = spec.task("extract.wait")
    assert wait.sensor == SensorPolicy(mode="reschedule", poke_interval=15, timeout=600, soft_fail=True,
                                       exponential_backoff=True, max_wait=300)
    assert spec.task("cleanup").trigger_rule is TriggerRule.ALL_DONE
    assert spec.task("cleanup").upstream == ("extract.inner.pull", "start")
    assert spec.task("cleanup").doc_md == "Clean up after everyone."
    assert spec.task("alert").trigger_rule is TriggerRule.ONE_FAILED

    groups = {g.group_id: g for g in spec.task_groups}
    assert groups["extract"].parent is None and groups["extract"].tooltip == "pull things"
    assert set(groups["extract"].children) == {"extract.wait", "extract.inner"}
    assert groups["extract.inner"].parent == "extract"
    assert groups["extract.inner"].children == ("extract.inner.pull",)


def test_timedelta_schedule_is_stored_in_seconds():
    spec = dag_to_spec(rich_dag(timedelta(hours=6)))
    assert spec.schedule["kind"] == "delta" and spec.schedule["delta_seconds"] == 6 * 3600


def test_the_json_form_is_plain_json():
    data = json.loads(json.dumps(dag_to_spec(rich_dag("@daily")).to_dict()))
    assert data["tasks"][0]["trigger_rule"] == "all_success"
    assert data["start_date"] == "2023-12-31T23:00:00+00:00"  # stored in UTC, as Airflow does


def test_from_dict_ignores_fields_it_does_not_know():
    data = dag_to_spec(rich_dag(None)).to_dict()
    data["added_in_a_later_version"] = True
    data["tasks"][0]["also_new"] = 1
    assert DagSpec.from_dict(json.loads(json.dumps(data))) == dag_to_spec(rich_dag(None))


def test_edge_labels_survive_storage_and_reach_the_graph():
    from chalicelib.sdk.edges import Label
    from chalicelib.sdk.operators.empty import EmptyOperator
    from chalicelib.services.dag_views import graph

    with DAG("labels") as dag:
        check, ok, bad, report = (EmptyOperator(task_id=t) for t in ("check", "ok", "bad", "report"))
        check >> Label("valid") >> ok
        check.set_downstream(bad, edge_modifier=Label("invalid"))
        [ok, bad] >> report  # unlabelled

    spec = DagSpec.from_dict(json.loads(json.dumps(dag_to_spec(dag).to_dict())))
    assert spec.edge_labels == (("check", "bad", "invalid"), ("check", "ok", "valid"))
    edges = graph(spec)["edges"]
    assert {"source_id": "check", "target_id": "ok", "label": "valid"} in edges
    assert {"source_id": "check", "target_id": "bad", "label": "invalid"} in edges
    assert {"source_id": "ok", "target_id": "report"} in edges
