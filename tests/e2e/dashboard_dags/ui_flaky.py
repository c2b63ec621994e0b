"""Dashboard e2e: fails until the test creates a marker file, then succeeds when cleared."""

import os

import pendulum
from airflow.sdk import DAG, task

MARKER = os.environ.get("LEVANTE_UI_TEST_MARKER", "/nonexistent/levante-ui-marker")

with DAG(dag_id="ui_flaky", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         tags=["ui-test"], default_args={"retries": 0}) as dag:

    @task
    def flaky():
        if not os.path.exists(MARKER):
            raise RuntimeError("marker file missing: failing on purpose")
        print("marker found")

    @task
    def after():
        print("after ran")

    flaky() >> after()
