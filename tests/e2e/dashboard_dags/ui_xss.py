"""Dashboard e2e: markup in docs, description and log must render as text and never run."""

import pendulum
from airflow.sdk import DAG, task

DOC = """
### Docs with markup

<script>window.__xss = "doc_md"</script>

<img src="x" onerror="window.__xss = 'doc_img'">

[bad link](javascript:window.__xss='link')
"""

with DAG(dag_id="ui_xss", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         tags=["security"], doc_md=DOC,
         description='<script>window.__xss = "description"</script><b onmouseover="x()">bold?</b>') as dag:

    @task
    def shout():
        print('<script>window.__xss = "log"</script><img src=x onerror="window.__xss=\'log_img\'">')
        return '<script>window.__xss = "xcom"</script>'

    shout()
