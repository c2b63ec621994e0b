"""Custom BaseOperator with template_fields, do_xcom_push=False, BashOperator last-line XCom,
xcom_pull of a multiple_outputs key, missing Variable without default, one_failed after retries."""
from datetime import timedelta

import pendulum

from airflow.sdk import DAG, BaseOperator, TriggerRule, Variable, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator


class GreetOperator(BaseOperator):
    template_fields = ("greeting", "target")

    def __init__(self, *, greeting: str, target: str, **kwargs):
        super().__init__(**kwargs)
        self.greeting = greeting
        self.target = target

    def execute(self, context):
        message = f"{self.greeting}, {self.target}!"
        self.log.info(message)
        return message


with DAG(
    dag_id="operators_and_xcom_misc",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"who": "world"},
) as dag:
    greet = GreetOperator(task_id="greet", greeting="Hello", target="{{ params.who }}")
    silent = PythonOperator(task_id="silent", python_callable=lambda: "hidden", do_xcom_push=False)
    echo = BashOperator(task_id="echo", bash_command="echo first; echo second-line")

    @task(multiple_outputs=True)
    def pair():
        return {"left": "L", "right": "R"}

    @task
    def check_xcoms(**context):
        ti = context["ti"]
        assert ti.xcom_pull(task_ids="greet") == "Hello, world!", ti.xcom_pull(task_ids="greet")
        assert ti.xcom_pull(task_ids="silent") is None, ti.xcom_pull(task_ids="silent")
        assert ti.xcom_pull(task_ids="echo") == "second-line", ti.xcom_pull(task_ids="echo")
        assert ti.xcom_pull(task_ids="pair", key="left") == "L"
        assert ti.xcom_pull(task_ids="pair") == {"left": "L", "right": "R"}

    [greet, silent, echo, pair()] >> check_xcoms()

    @task
    def missing_variable():
        return Variable.get("levante_conformance_definitely_missing")

    @task(retries=1, retry_delay=timedelta(seconds=0))
    def fails_after_retry():
        raise RuntimeError("always")

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def alert():
        return "alerted"

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def wrap_up():
        return "done"

    mv = missing_variable()
    far = fails_after_retry()
    [mv, far] >> alert() >> wrap_up()
