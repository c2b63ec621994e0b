"""HTTP provider against the scripted server (provider_services.py): a sensor that succeeds on its third
poke (404 = not yet), an allow-listed 503, a 500 that fails a sensor, retries through 5xx, pagination,
response_filter/response_check, basic auth and headers from the connection."""

import json
from datetime import timedelta

import pendulum
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG, task


def next_page(response):
    nxt = response.json()["next"]
    return {"data": {"page": nxt}} if nxt else None


with DAG("http_provider", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False) as dag:
    ready = HttpSensor(task_id="wait_ready", http_conn_id="svc_http", endpoint="ready", poke_interval=0.2, timeout=60)
    warm = HttpSensor(task_id="wait_warm", http_conn_id="svc_http", endpoint="warming", poke_interval=0.2, timeout=60,
                      response_error_codes_allowlist=["503"], response_check=lambda response: response.json()["status"] == "warm")
    HttpSensor(task_id="sensor_on_500", http_conn_id="svc_http", endpoint="broken", poke_interval=0.2, timeout=60)
    flaky = HttpOperator(task_id="flaky_get", http_conn_id="svc_http", endpoint="flaky", method="GET", retries=2,
                         retry_delay=timedelta(seconds=1), response_filter=lambda response: response.json()["value"])
    pages = HttpOperator(task_id="all_pages", http_conn_id="svc_http", endpoint="items", method="GET", data={"page": 1},
                         pagination_function=next_page,
                         response_filter=lambda responses: [i for r in responses for i in r.json()["items"]])
    secure = HttpOperator(task_id="secure_get", http_conn_id="svc_secure", endpoint="/secure", method="GET",
                          response_filter=lambda response: response.json())
    posted = HttpOperator(task_id="post_echo", http_conn_id="svc_http", endpoint="{{ params.echo }}",
                          params={"echo": "echo"}, data=json.dumps({"a": 1}),
                          headers={"Content-Type": "application/json"},
                          response_check=lambda response: response.json()["body"] == '{"a": 1}')
    HttpOperator(task_id="check_false", http_conn_id="svc_http", endpoint="echo", method="GET",
                 response_check=lambda response, ti: ti.task_id == "nope")

    @task
    def verify(flaky_value, items, secure_json, echo_text):
        assert flaky_value == 42, flaky_value
        assert items == [11, 12, 21, 22, 31, 32], items
        assert secure_json == {"user": "svc-user", "tenant": "acme"}, secure_json
        assert json.loads(echo_text)["body"] == '{"a": 1}', echo_text

    [ready, warm] >> verify(flaky.output, pages.output, secure.output, posted.output)
