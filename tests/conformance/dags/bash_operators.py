"""BashOperator exit codes (0 / 99 skip / 1 fail), templated bash_command, @task.bash."""
from datetime import timedelta

import pendulum

from airflow.sdk import DAG, task, TriggerRule
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator

with DAG(
    dag_id="bash_operators",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"x": "hello", "n": 3},
) as dag:
    ok = BashOperator(task_id="exit_zero", bash_command="echo hi && exit 0")
    skipped = BashOperator(task_id="exit_99", bash_command="echo skipping; exit 99")
    failed = BashOperator(task_id="exit_one", bash_command="echo failing; exit 1")
    custom_skip = BashOperator(
        task_id="custom_skip_code", bash_command="exit 42", skip_on_exit_code=[42]
    )
    after_skip = BashOperator(task_id="after_skip", bash_command="echo after")
    after_fail = BashOperator(task_id="after_fail", bash_command="echo after")

    push = PythonOperator(task_id="push", python_callable=lambda: "pushed-value")
    # Templates are checked inside bash: a wrong rendering exits 1 (=> failed).
    templated = BashOperator(
        task_id="templated",
        bash_command=(
            'test "{{ ds }}" = "{{ logical_date.strftime(\'%Y-%m-%d\') }}" '
            '&& test "{{ ds_nodash }}" = "{{ ds | replace(\'-\', \'\') }}" '
            '&& test "{{ params.x }}" = "hello" '
            '&& test "{{ params.n * 2 }}" = "6" '
            "&& test \"{{ ti.xcom_pull(task_ids='push') }}\" = \"pushed-value\" "
            "&& test \"{{ dag.dag_id }}\" = \"bash_operators\" "
            "&& echo rendered-ok"
        ),
    )
    env_task = BashOperator(
        task_id="env_task",
        bash_command='test "$MY_VAR" = "{{ params.x }}-env"',
        env={"MY_VAR": "{{ params.x }}-env"},
    )

    # undefined template variable: Airflow renders with StrictUndefined => task fails
    bad_template = BashOperator(
        task_id="bad_template", bash_command="echo {{ not_defined_anywhere }}",
        retries=1,
        retry_delay=timedelta(seconds=0),
    )

    @task.bash
    def bash_decorated(name: str):
        return f'echo "hello {name}" && test "{name}" = "levante"'

    @task.bash
    def bash_decorated_skip():
        return "exit 99"

    @task.bash(trigger_rule=TriggerRule.ALL_DONE)
    def bash_decorated_fail():
        return "exit 3"

    skipped >> after_skip
    failed >> after_fail
    push >> templated >> env_task
    bash_decorated("levante")
    bash_decorated_skip()
    failed >> bash_decorated_fail()
