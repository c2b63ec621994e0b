"""TaskFlow ETL: three Python functions passing their results to each other as XComs."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

DOC = """
### TaskFlow ETL

`extract` returns a list of orders, `transform` summarises them into several named values
(`multiple_outputs`), and `load` receives two of those values as separate arguments. Return values travel
between tasks as XComs, so they must be JSON-serializable.

The `min_amount` param decides which orders count; trigger with a different value:

    levante dags test example_taskflow_etl --conf '{"min_amount": 100}'
"""


@dag(
    dag_id="example_taskflow_etl",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "taskflow"],
    doc_md=DOC,
    default_args={"owner": "data-eng", "retries": 1},
    params={"min_amount": Param(20, type="number", minimum=0, description="Ignore orders below this amount")},
)
def example_taskflow_etl():
    @task
    def extract() -> list[dict]:
        """Pretend to read the day's orders from an API."""
        return [
            {"order_id": 1001, "customer": "ana", "amount": 301.27},
            {"order_id": 1002, "customer": "ben", "amount": 12.50},
            {"order_id": 1003, "customer": "ana", "amount": 433.21},
            {"order_id": 1004, "customer": "cai", "amount": 54.00},
        ]

    @task(multiple_outputs=True)
    def transform(orders: list[dict], params: dict | None = None) -> dict:
        """Keep the orders at or above `min_amount` and summarise them; each key becomes its own XCom."""
        kept = [o for o in orders if o["amount"] >= params["min_amount"]]
        return {
            "total": round(sum(o["amount"] for o in kept), 2),
            "order_count": len(kept),
            "customers": sorted({o["customer"] for o in kept}),
        }

    @task
    def load(total: float, order_count: int) -> str:
        """Pretend to write the summary to a warehouse table partitioned by the run's date."""
        ds = get_current_context()["ds"]
        print(f"Loading {order_count} orders worth {total:.2f} into daily_sales/{ds}")
        return f"daily_sales/{ds}"

    summary = transform(extract())
    load(total=summary["total"], order_count=summary["order_count"])


example_taskflow_etl()
