"""Dashboard e2e: a long-running task that prints a line every second (the dashboard tails its log)."""

import time

import pendulum
from airflow.sdk import DAG, task

with DAG(dag_id="ui_live_log", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):

    @task
    def tail_me():
        for i in range(1, 61):
            print(f"tick {i} of 60", flush=True)
            time.sleep(1)  # the task's own work: 60 lines over ~60 s (the 60-second task)

    tail_me()
