"""Dashboard e2e: a DAG triggered from the params form."""

import pendulum
from airflow.sdk import DAG, Param, get_current_context, task

with DAG(
    dag_id="ui_params",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["ui-test", "params"],
    description="Triggered with params by the dashboard test",
    params={
        "greeting": Param("hello", type="string", description="what to say"),
        "count": Param(2, type="integer", minimum=1),
        "mode": Param("fast", type="string", enum=["fast", "slow"]),
    },
) as dag:

    @task
    def greet():
        params = get_current_context()["params"]
        print(f"GREETING={params['greeting']} COUNT={params['count']} MODE={params['mode']}")
        return params["count"]

    @task
    def done(n):
        print(f"done with {n}")

    done(greet())
