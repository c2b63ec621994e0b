"""LambdaInvokeFunctionOperator through the distributed path: its response payload becomes the XCom."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.functional.harness import Stack

DAG = '''
import json
import pendulum
from airflow.sdk import dag, task
from airflow.providers.amazon.aws.operators.lambda_function import LambdaInvokeFunctionOperator

@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def call_lambda():
    invoke = LambdaInvokeFunctionOperator(
        task_id="invoke", function_name="{{ params.fn }}", payload=json.dumps({"day": "{{ ds }}"}),
        params={"fn": "levante-test-fn"},
    )

    @task
    def read(response):
        print("response:", response)
        return len(response)

    read(invoke.output)

call_lambda()
'''


def _create_function(region: str = "us-east-1") -> None:
    import boto3

    iam = boto3.client("iam", region_name=region)
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=region).create_function(
        FunctionName="levante-test-fn", Runtime="python3.11", Role=role, Handler="handler.handler",
        Code={"ZipFile": buffer.getvalue()})


@pytest.fixture
def lambda_backend(aws_env):
    import uuid

    from moto import mock_aws

    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    with mock_aws(config={"lambda": {"use_docker": False}}):
        backend = Backend(Settings(prefix=f"l{uuid.uuid4().hex[:8]}", stage="test"))
        init_resources(backend)
        _create_function()
        yield backend


def test_lambda_invoke_result_is_the_xcom(lambda_backend, tmp_path: Path) -> None:
    (tmp_path / "call_lambda.py").write_text(DAG)
    stack = Stack(lambda_backend, tmp_path)
    stack.sync()
    run = stack.trigger("call_lambda")
    stack.drain()
    assert stack.states("call_lambda", run.run_id) == {"invoke": ("success", 1), "read": ("success", 1)}
    item = lambda_backend.runs.task_instance("call_lambda", run.run_id, "invoke")
    payload = json.loads(item.xcom_return)
    # moto without Docker echoes the event: the templated payload reached the function rendered
    assert json.loads(payload) == {"day": run.logical_date.strftime("%Y-%m-%d")}
    assert json.loads(lambda_backend.runs.task_instance("call_lambda", run.run_id, "read").xcom_return) == len(payload)
