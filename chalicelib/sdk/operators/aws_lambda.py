"""LambdaInvokeFunctionOperator: call another Lambda function with a JSON payload; its response is the XCom.

Orchestrating cloud functions is what Levante is for. Same arguments and behaviour as the Amazon
provider's operator; credentials come from the worker's role (`aws_conn_id` is accepted and ignored).
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.sdk.baseoperator import BaseOperator

log = logging.getLogger("airflow.task")


class LambdaInvokeFunctionOperator(BaseOperator):
    template_fields = ("function_name", "payload", "qualifier", "invocation_type")
    ui_color = "#ff7300"

    def __init__(self, *, function_name: str, log_type: str | None = None, qualifier: str | None = None,
                 invocation_type: str | None = None, client_context: str | None = None, payload: Any = None,
                 aws_conn_id: str | None = "aws_default", region_name: str | None = None,
                 botocore_config: dict | None = None, verify: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.function_name = function_name
        self.payload = payload
        self.log_type = log_type
        self.qualifier = qualifier
        self.invocation_type = invocation_type
        self.client_context = client_context
        self.region_name = region_name
        self.botocore_config = botocore_config

    def execute(self, context: dict[str, Any]) -> str:
        import boto3

        client = boto3.client("lambda", region_name=self.region_name)
        request: dict[str, Any] = {"FunctionName": self.function_name}
        if self.payload is not None:
            request["Payload"] = self.payload if isinstance(self.payload, (str, bytes)) else _json(self.payload)
        for key, value in (("LogType", self.log_type), ("Qualifier", self.qualifier),
                           ("InvocationType", self.invocation_type), ("ClientContext", self.client_context)):
            if value:
                request[key] = value
        log.info("Invoking AWS Lambda function: %s", self.function_name)
        response = client.invoke(**request)
        log.info("Lambda response metadata: %r", response.get("ResponseMetadata"))
        payload = response["Payload"].read().decode() if "Payload" in response else ""
        if response.get("FunctionError"):
            raise ValueError(f"Lambda function {self.function_name} execution resulted in error: {payload}")
        log.info("Lambda function invocation succeeded: %r", payload[:1000])
        return payload


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
