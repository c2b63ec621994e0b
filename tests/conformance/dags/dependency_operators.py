"""Dependency wiring: >>, <<, lists, chain, cross_downstream, set_upstream/set_downstream."""
import pendulum

from airflow.sdk import DAG, chain, cross_downstream
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator

ORDER_FILE = "/tmp/levante_conformance_dependency_operators_{run_id}.txt"


def record(task_name, **context):
    run_id = context["run_id"].replace(":", "_").replace("+", "_")
    with open(ORDER_FILE.format(run_id=run_id), "a") as fh:
        fh.write(task_name + "\n")


def verify(**context):
    run_id = context["run_id"].replace(":", "_").replace("+", "_")
    with open(ORDER_FILE.format(run_id=run_id)) as fh:
        seen = [line.strip() for line in fh if line.strip()]
    pos = {name: i for i, name in enumerate(seen)}
    must = [
        ("start", "a1"), ("start", "a2"), ("a1", "b1"), ("a2", "b1"),
        ("a1", "b2"), ("a2", "b2"), ("b1", "c"), ("b2", "c"),
        ("c", "d"), ("d", "e1"), ("d", "e2"),
    ]
    for before, after in must:
        assert pos[before] < pos[after], (before, after, seen)


with DAG(
    dag_id="dependency_operators",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
) as dag:
    tasks = {
        name: PythonOperator(task_id=name, python_callable=record, op_args=[name])
        for name in ["start", "a1", "a2", "b1", "b2", "c", "d", "e1", "e2"]
    }
    check = PythonOperator(task_id="verify", python_callable=verify)
    end = EmptyOperator(task_id="end")
    unused_left = EmptyOperator(task_id="lonely")

    tasks["start"] >> [tasks["a1"], tasks["a2"]]
    cross_downstream([tasks["a1"], tasks["a2"]], [tasks["b1"], tasks["b2"]])
    tasks["c"] << [tasks["b1"], tasks["b2"]]
    chain(tasks["c"], tasks["d"], [tasks["e1"], tasks["e2"]])
    check.set_upstream([tasks["e1"], tasks["e2"]])
    check.set_downstream(end)
