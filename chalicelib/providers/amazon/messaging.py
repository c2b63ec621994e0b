"""SQS and SNS: SqsPublishOperator, SqsSensor, SnsPublishOperator, as the Amazon provider defines them."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.providers.amazon.base import AwsBaseHook
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.sensors.base import BaseSensorOperator


class SqsPublishOperator(BaseOperator):
    template_fields = ("sqs_queue", "message_content", "delay_seconds", "message_attributes", "message_group_id",
                       "message_deduplication_id")
    ui_color = "#6ad3fa"

    def __init__(self, *, sqs_queue: str, message_content: str, message_attributes: dict | None = None,
                 delay_seconds: int = 0, message_group_id: str | None = None,
                 message_deduplication_id: str | None = None, aws_conn_id: str | None = "aws_default",
                 region_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.sqs_queue, self.message_content = sqs_queue, message_content
        self.message_attributes = message_attributes or {}
        self.delay_seconds, self.message_group_id = delay_seconds, message_group_id
        self.message_deduplication_id = message_deduplication_id
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="sqs")

    def execute(self, context: dict[str, Any]) -> dict:
        request: dict[str, Any] = {"QueueUrl": self.sqs_queue, "MessageBody": str(self.message_content),
                                   "DelaySeconds": int(self.delay_seconds),
                                   "MessageAttributes": self.message_attributes}
        if self.message_group_id:
            request["MessageGroupId"] = self.message_group_id
        if self.message_deduplication_id:
            request["MessageDeduplicationId"] = self.message_deduplication_id
        result = self.hook.get_conn().send_message(**request)
        self.log.info("send_message result: %s", result)
        return result


def _matches(message: dict[str, Any], filtering: str | None, values: list[Any] | None, config: Any) -> bool:
    if filtering is None:
        return True
    if filtering == "literal":
        return message["Body"] in (values or [])
    if filtering == "jsonpath":
        raise AirflowException("message_filtering='jsonpath' is not supported by Levante; use 'literal'")
    raise NotImplementedError(f"Override this method to define custom filters ({filtering})")


class SqsSensor(BaseSensorOperator):
    """Poke a queue; when messages (after filtering) arrive, delete them and push them as XCom `messages`."""

    template_fields = ("sqs_queue", "max_messages", "message_filtering_config")

    def __init__(self, *, sqs_queue: str, max_messages: int = 5, num_batches: int = 1, wait_time_seconds: int = 1,
                 visibility_timeout: int | None = None, message_filtering: str | None = None,
                 message_filtering_match_values: Any = None, message_filtering_config: Any = None,
                 delete_message_on_reception: bool = True, aws_conn_id: str | None = "aws_default",
                 region_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.sqs_queue, self.max_messages, self.num_batches = sqs_queue, max_messages, num_batches
        self.wait_time_seconds, self.visibility_timeout = wait_time_seconds, visibility_timeout
        self.message_filtering = message_filtering
        self.message_filtering_match_values = message_filtering_match_values
        self.message_filtering_config = message_filtering_config
        self.delete_message_on_reception = delete_message_on_reception
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="sqs")

    def poke(self, context: dict[str, Any]) -> bool:
        client = self.hook.get_conn()
        batch: list[dict[str, Any]] = []
        for _ in range(self.num_batches):
            request: dict[str, Any] = {"QueueUrl": self.sqs_queue, "MaxNumberOfMessages": self.max_messages,
                                       "WaitTimeSeconds": self.wait_time_seconds}
            if self.visibility_timeout is not None:
                request["VisibilityTimeout"] = self.visibility_timeout
            messages = client.receive_message(**request).get("Messages", [])
            kept = [m for m in messages if _matches(m, self.message_filtering, self.message_filtering_match_values,
                                                    self.message_filtering_config)]
            if kept and self.delete_message_on_reception:
                client.delete_message_batch(QueueUrl=self.sqs_queue, Entries=[
                    {"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in kept])
            batch += kept
        if not batch:
            return False
        context["ti"].xcom_push(key="messages", value=json.loads(json.dumps(batch, default=str)))
        return True


class SnsPublishOperator(BaseOperator):
    template_fields = ("target_arn", "message", "subject", "message_attributes")

    def __init__(self, *, target_arn: str, message: str, subject: str | None = None,
                 message_attributes: dict | None = None, message_deduplication_id: str | None = None,
                 message_group_id: str | None = None, aws_conn_id: str | None = "aws_default",
                 region_name: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.target_arn, self.message, self.subject = target_arn, message, subject
        self.message_attributes = message_attributes
        self.message_deduplication_id, self.message_group_id = message_deduplication_id, message_group_id
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="sns")

    def execute(self, context: dict[str, Any]) -> str:
        self.log.info("Sending SNS notification to %s using %s:\nsubject=%s\nattributes=%s\nmessage=%s",
                      self.target_arn, self.hook.aws_conn_id, self.subject, self.message_attributes, self.message)
        request: dict[str, Any] = {"TargetArn": self.target_arn, "Message": self.message}
        if self.subject:
            request["Subject"] = self.subject
        if self.message_attributes:
            request["MessageAttributes"] = {k: _sns_attribute(v) for k, v in self.message_attributes.items()}
        if self.message_deduplication_id:
            request["MessageDeduplicationId"] = self.message_deduplication_id
        if self.message_group_id:
            request["MessageGroupId"] = self.message_group_id
        return self.hook.get_conn().publish(**request)["MessageId"]


def _sns_attribute(value: Any) -> dict[str, Any]:
    """The provider's mapping of plain values to SNS attribute types."""
    if isinstance(value, str):
        return {"DataType": "String", "StringValue": value}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"DataType": "Number", "StringValue": str(value)}
    if isinstance(value, (list, tuple)):
        return {"DataType": "String.Array", "StringValue": json.dumps(list(value))}
    raise TypeError(f"Values in MessageAttributes must be one of bytes, str, int, float, or iterable; got {type(value)}")
