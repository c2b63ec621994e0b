"""DAG params with defaults (Param + plain values), read via context, templates and op_kwargs; Variable.get default."""
import pendulum

from airflow.sdk import DAG, Param, Variable, get_current_context, task
from airflow.providers.standard.operators.python import PythonOperator


def check_params(threshold, **context):
    p = context["params"]
    assert p["env"] == "staging", p
    assert p["limit"] == 10, p
    assert p["flags"] == {"dry_run": True}, p
    assert threshold == "10", threshold
    assert context["dag_run"].conf in ({}, None), context["dag_run"].conf


with DAG(
    dag_id="params_defaults",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "env": Param("staging", type="string", enum=["staging", "prod"]),
        "limit": Param(10, type="integer", minimum=1),
        "flags": {"dry_run": True},
    },
) as dag:
    check = PythonOperator(
        task_id="check_params",
        python_callable=check_params,
        op_kwargs={"threshold": "{{ params.limit }}"},
    )

    @task(params={"limit": 99})
    def task_level_override():
        ctx = get_current_context()
        assert ctx["params"]["limit"] == 99, ctx["params"]
        assert ctx["params"]["env"] == "staging", ctx["params"]

    @task
    def read_variable():
        value = Variable.get("levante_conformance_missing_variable", default="fallback")
        assert value == "fallback", value

    @task
    def logical_date_info():
        ctx = get_current_context()
        logical_date = ctx["logical_date"]
        assert ctx["ds"] == logical_date.strftime("%Y-%m-%d"), (ctx["ds"], logical_date)
        assert ctx["ds_nodash"] == logical_date.strftime("%Y%m%d"), ctx["ds_nodash"]
        # manual run of a schedule=None DAG: zero-length data interval at the logical date
        assert ctx["data_interval_start"] == logical_date, ctx["data_interval_start"]
        assert ctx["data_interval_end"] == logical_date, ctx["data_interval_end"]
        assert ctx["dag_run"].run_type == "manual", ctx["dag_run"].run_type
        assert ctx["run_id"].startswith("manual__"), ctx["run_id"]

    check >> [task_level_override(), read_variable(), logical_date_info()]
