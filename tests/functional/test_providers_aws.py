"""Amazon provider operators and sensors against moto (in-process): S3 with wildcards, SQS, SNS, Step Functions."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.functional.provider_runs import run_dag_file

ACCOUNT, REGION = "123456789012", "us-east-1"

DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.operators.s3 import (
    S3CopyObjectOperator, S3CreateObjectOperator, S3DeleteObjectsOperator, S3ListOperator)
from airflow.providers.amazon.aws.sensors.s3 import S3KeySensor
from airflow.providers.amazon.aws.operators.sqs import SqsPublishOperator
from airflow.providers.amazon.aws.sensors.sqs import SqsSensor
from airflow.providers.amazon.aws.operators.sns import SnsPublishOperator
from airflow.providers.amazon.aws.operators.step_function import StepFunctionStartExecutionOperator

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/lev-q"

with DAG("aws_providers", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    put = S3CreateObjectOperator(task_id="put", s3_bucket="lev-bucket", s3_key="in/{{ ds_nodash }}/data.csv",
                                 data="a,b\\n1,2\\n")
    wait = S3KeySensor(task_id="wait", bucket_name="lev-bucket", bucket_key="in/*/data.csv", wildcard_match=True,
                       poke_interval=0.1, timeout=10)
    wait_url = S3KeySensor(task_id="wait_url", bucket_key="s3://lev-bucket/in/{{ ds_nodash }}/data.csv",
                           poke_interval=0.1, timeout=10)
    missing = S3KeySensor(task_id="missing", bucket_name="lev-bucket", bucket_key="nope/*.csv", wildcard_match=True,
                          poke_interval=0.1, timeout=0.3, soft_fail=True)
    copy = S3CopyObjectOperator(task_id="copy", source_bucket_name="lev-bucket",
                                source_bucket_key="in/{{ ds_nodash }}/data.csv", dest_bucket_name="lev-bucket",
                                dest_bucket_key="out/data.csv")
    listing = S3ListOperator(task_id="list", bucket="lev-bucket", prefix="out/")
    delete = S3DeleteObjectsOperator(task_id="delete", bucket="lev-bucket", prefix="in/")
    publish = SqsPublishOperator(task_id="publish", sqs_queue=QUEUE, message_content="hello {{ ds }}")
    receive = SqsSensor(task_id="receive", sqs_queue=QUEUE, poke_interval=0.1, timeout=10, wait_time_seconds=0)
    sns = SnsPublishOperator(task_id="sns", target_arn="arn:aws:sns:us-east-1:123456789012:lev-topic",
                             message="done", subject="levante", message_attributes={"n": 3})
    sfn = StepFunctionStartExecutionOperator(task_id="sfn", state_machine_input={"x": 1},
                                             state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:lev-sm")

    @task
    def verify(keys, message_id, execution_arn, ds=None, ti=None):
        hook = S3Hook()
        assert keys == ["out/data.csv"], keys
        assert hook.read_key("out/data.csv", "lev-bucket") == "a,b\\n1,2\\n"
        assert hook.list_keys("lev-bucket", prefix="in/") == [], "deleted by prefix"
        assert hook.check_for_wildcard_key("s3://lev-bucket/out/*.csv")
        messages = ti.xcom_pull(task_ids="receive", key="messages")
        assert [m["Body"] for m in messages] == [f"hello {ds}"], messages
        assert message_id and execution_arn.startswith("arn:aws:states:"), (message_id, execution_arn)

    put >> [wait, wait_url] >> copy >> listing >> delete
    put >> missing
    publish >> receive
    verify(listing.output, sns.output, sfn.output) << [delete, receive]
'''


@pytest.fixture
def aws(mocked_aws):
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="lev-bucket")
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="lev-q")
    boto3.client("sns", region_name=REGION).create_topic(Name="lev-topic")
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="lev-sm", roleArn=role, definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}))


def test_aws_operators_and_sensors(aws, tmp_path) -> None:
    states = run_dag_file(tmp_path / "dags", DAG, "aws_providers")
    assert states == {"put": "success", "wait": "success", "wait_url": "success", "missing": "skipped",
                      "copy": "success", "list": "success", "delete": "success", "publish": "success",
                      "receive": "success", "sns": "success", "sfn": "success", "verify": "success"}
    assert boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/lev-q").get("Messages") is None  # consumed


def test_step_function_sensor_waits_then_fails_when_aborted(aws) -> None:
    from chalicelib.providers.amazon.step_function import StepFunctionExecutionSensor
    from chalicelib.sdk.exceptions import AirflowException

    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.start_execution(stateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:lev-sm")["executionArn"]
    sensor = StepFunctionExecutionSensor(task_id="s", execution_arn=arn, mode="reschedule")
    assert sensor.poke({}) is False  # RUNNING: not yet (the task reschedules instead of holding a worker)
    sfn.stop_execution(executionArn=arn)
    with pytest.raises(AirflowException, match="Step Function sensor failed"):
        sensor.poke({})


def test_aws_connection_overrides_region_and_keys(aws, monkeypatch) -> None:
    from chalicelib.providers.amazon.base import AwsBaseHook

    monkeypatch.setenv("AIRFLOW_CONN_AWS_EU", json.dumps({"conn_type": "aws", "login": "AKIDEXAMPLE",
                                                          "password": "secret-key-123",
                                                          "extra": {"region_name": "eu-west-1"}}))
    hook = AwsBaseHook(aws_conn_id="aws_eu", client_type="s3")
    assert hook.region_name == "eu-west-1"
    assert hook.get_session().get_credentials().access_key == "AKIDEXAMPLE"
    assert AwsBaseHook(aws_conn_id="aws_default").region_name == REGION  # no such connection: the default chain
