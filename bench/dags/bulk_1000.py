"""1,000 small DAGs in one file: the DAG list at scale (bench/dashboard.py, tests/e2e/test_dashboard_perf.py)."""
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

for i in range(1000):
    with DAG(dag_id=f"bulk_{i:04d}", schedule=None if i % 3 else "@daily", catchup=False,
             start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), is_paused_upon_creation=True,
             tags=[f"team{i % 10}", "bulk"], description=f"Generated DAG number {i}") as dag:
        EmptyOperator(task_id="only")
    globals()[dag.dag_id] = dag
