"""Dashboard e2e: a templated command that reads a secret variable (its rendered field is shown masked)."""

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG(dag_id="ui_rendered", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):
    BashOperator(task_id="templated", bash_command="echo run {{ run_id }} key {{ var.value.ui_api_key }}")
