"""Dashboard e2e: a task producing an asset (with extra) and a DAG scheduled on it, for the Assets view."""

import pendulum
from airflow.sdk import DAG, Asset, task

REPORT = Asset("ui_report", uri="s3://ui-bucket/report.csv")

with DAG(dag_id="ui_asset_producer", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui-test"]):

    @task(outlets=[REPORT])
    def write_report(*, outlet_events=None):
        outlet_events[REPORT].extra = {"rows": 42}

    write_report()

with DAG(dag_id="ui_asset_consumer", schedule=[REPORT], start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         tags=["ui-test"]):

    @task
    def read_report():
        print("report read")

    read_report()
