"""A templated shell pipeline: Jinja in commands and env, XComs from stdout, and exit code 99 to skip."""

from __future__ import annotations

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, task

DOC = """
### Templated Bash pipeline

* `bash_command` and `env` are Jinja templates: `{{ ds }}`, `{{ params.source }}`,
  `{{ macros.ds_add(ds, -1) }}` and `{{ ti.xcom_pull(task_ids='...') }}` are rendered before the command runs.
* The last line a command prints is its XCom (`do_xcom_push` is on by default).
* A command exiting with code 99 marks the task **skipped** (`skip_on_exit_code`, default 99): here
  `publish` skips itself unless the run is triggered with `{"publish": true}`.
* `@task.bash` builds the command in Python; the returned string is rendered as a template too.
"""

with DAG(
    dag_id="example_bash_pipeline",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "bash"],
    doc_md=DOC,
    params={"source": "sales", "publish": False},
    default_args={"owner": "data-eng"},
) as dag:
    download = BashOperator(
        task_id="download",
        bash_command=(
            "echo 'Downloading {{ params.source }} for {{ ds }} (and re-checking {{ macros.ds_add(ds, -1) }})' && "
            "echo 128"  # the last line printed is the XCom: the number of rows downloaded
        ),
    )

    validate = BashOperator(
        task_id="validate",
        bash_command='test "$ROWS" -gt 0 && echo "$SOURCE/$DS has $ROWS rows, ok"',
        env={
            "ROWS": "{{ ti.xcom_pull(task_ids='download') }}",
            "SOURCE": "{{ params.source }}",
            "DS": "{{ ds_nodash }}",
        },
        append_env=True,  # keep PATH & co.; without it the command sees only `env`
    )

    publish = BashOperator(
        task_id="publish",
        bash_command=(
            "{% if not params.publish %}echo 'Publishing disabled for this run'; exit 99{% endif %}\n"
            "echo 'Publishing {{ params.source }} for {{ ds }}'"
        ),
    )

    @task.bash
    def report(rows: str) -> str:
        """Build the command in Python; it is then rendered as a template like any bash_command."""
        return f"echo 'Report: {rows} {{{{ params.source }}}} rows on {{{{ ds }}}}'"

    # download.output is the XCom of a classic operator; passing it to a TaskFlow task delivers its value.
    download >> validate >> [publish, report(download.output)]
