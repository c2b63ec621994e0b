"""Step Functions: start an execution (its ARN is the XCom) and wait for it without holding a worker
(the sensor reschedules between pokes when mode="reschedule" or deferrable=True)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.providers.amazon.base import AwsBaseHook
from chalicelib.sdk.baseoperator import BaseOperator
from chalicelib.sdk.exceptions import AirflowException
from chalicelib.sdk.sensors.base import BaseSensorOperator

INTERMEDIATE_STATES = ("RUNNING",)
FAILURE_STATES = ("FAILED", "TIMED_OUT", "ABORTED")
SUCCESS_STATES = ("SUCCEEDED",)


class StepFunctionStartExecutionOperator(BaseOperator):
    template_fields = ("state_machine_arn", "name", "input")
    ui_color = "#f9c915"

    def __init__(self, *, state_machine_arn: str, name: str | None = None, state_machine_input: Any = None,
                 aws_conn_id: str | None = "aws_default", region_name: str | None = None, **kwargs: Any):
        kwargs.pop("deferrable", None), kwargs.pop("waiter_max_attempts", None), kwargs.pop("waiter_delay", None)
        super().__init__(**kwargs)
        self.state_machine_arn, self.name = state_machine_arn, name
        self.input = state_machine_input if state_machine_input is not None else {}
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="stepfunctions")

    def execute(self, context: dict[str, Any]) -> str:
        request: dict[str, Any] = {"stateMachineArn": self.state_machine_arn,
                                   "input": self.input if isinstance(self.input, str) else json.dumps(self.input)}
        if self.name:
            request["name"] = self.name
        arn = self.hook.get_conn().start_execution(**request)["executionArn"]
        self.log.info("Started State Machine execution for %s: %s", self.state_machine_arn, arn)
        return arn


class StepFunctionGetExecutionOutputOperator(BaseOperator):
    template_fields = ("execution_arn",)

    def __init__(self, *, execution_arn: str, aws_conn_id: str | None = "aws_default", region_name: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.execution_arn = execution_arn
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="stepfunctions")

    def execute(self, context: dict[str, Any]) -> Any:
        status = self.hook.get_conn().describe_execution(executionArn=self.execution_arn)
        output = status.get("output") or status.get("error")
        return json.loads(output) if output else {}


class StepFunctionExecutionSensor(BaseSensorOperator):
    template_fields = ("execution_arn",)
    ui_color = "#66c3ff"

    def __init__(self, *, execution_arn: str, aws_conn_id: str | None = "aws_default", region_name: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.execution_arn = execution_arn
        self.hook = AwsBaseHook(aws_conn_id=aws_conn_id, region_name=region_name, client_type="stepfunctions")

    def poke(self, context: dict[str, Any]) -> bool:
        status = self.hook.get_conn().describe_execution(executionArn=self.execution_arn)
        state = status["status"]
        output = json.loads(status["output"]) if status.get("output") else None
        if state in FAILURE_STATES:
            raise AirflowException(f"Step Function sensor failed. State Machine Output: {output}")
        if state in INTERMEDIATE_STATES:
            return False
        self.log.info("Doing xcom_push of output")
        context["ti"].xcom_push(key="output", value=output)
        return True
