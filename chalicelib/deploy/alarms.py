"""The stage's alarms, all to one SNS topic, with an optional e-mail subscription given at deploy time.

- the scheduler's heartbeat is stale: no `SchedulerHeartbeat` metric (written by every successful tick,
  chalicelib/telemetry.py) for 10 minutes, or no data at all;
- the scheduler or the worker function errors (a worker error means an outcome could not be recorded, so
  SQS redelivers), the worker is throttled;
- the dead-letter queue holds a message.
"""

from __future__ import annotations

from typing import Any

from chalicelib.store.settings import Settings

EMAIL_PARAMETER = "AlarmEmail"
HAS_EMAIL = "HasAlarmEmail"
METRICS_NAMESPACE = "Levante"  # chalicelib/telemetry.py writes it, with the dimension service={prefix}-{stage}


def parameters() -> dict[str, Any]:
    return {EMAIL_PARAMETER: {"Type": "String", "Default": "",
                              "Description": "E-mail address subscribed to the alarms (optional; confirm the mail AWS sends)"}}


def conditions() -> dict[str, Any]:
    return {HAS_EMAIL: {"Fn::Not": [{"Fn::Equals": [{"Ref": EMAIL_PARAMETER}, ""]}]}}


def resources(settings: Settings, function_names: dict[str, str]) -> dict[str, Any]:
    base = settings.base

    def alarm(name: str, description: str, **metric: Any) -> dict[str, Any]:
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": f"{base}-{name}", "AlarmDescription": description, "Period": 300, "EvaluationPeriods": 1,
            "Statistic": "Sum", "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching", "AlarmActions": [{"Ref": "AlarmTopic"}], **metric}}

    def function_metric(function: str, metric: str) -> dict[str, Any]:
        return {"Namespace": "AWS/Lambda", "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function_names[function]}]}

    return {
        "AlarmTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{base}-alarms"}},
        "AlarmEmailSubscription": {"Type": "AWS::SNS::Subscription", "Condition": HAS_EMAIL, "Properties": {
            "TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": EMAIL_PARAMETER}}},
        "SchedulerHeartbeatAlarm": alarm(
            "scheduler-heartbeat-stale", "No scheduler tick completed for 10 minutes (docs/deploy.md: alarms).",
            Namespace=METRICS_NAMESPACE, MetricName="SchedulerHeartbeat",
            Dimensions=[{"Name": "service", "Value": base}], EvaluationPeriods=2, Threshold=1,
            ComparisonOperator="LessThanThreshold", TreatMissingData="breaching"),
        "SchedulerErrorsAlarm": alarm("scheduler-errors", "The scheduler function failed.",
                                      **function_metric("scheduler", "Errors")),
        "WorkerErrorsAlarm": alarm("worker-errors", "The worker could not record a task's outcome (SQS redelivers).",
                                   **function_metric("worker", "Errors")),
        "WorkerThrottlesAlarm": alarm("worker-throttles", "The worker was throttled: raise its reserved concurrency.",
                                      **function_metric("worker", "Throttles")),
        "DeadLetterQueueAlarm": alarm(
            "tasks-dlq-not-empty", "Task messages the worker could not record (see docs/deploy.md: dead letters).",
            Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Statistic="Maximum",
            Dimensions=[{"Name": "QueueName", "Value": {"Fn::GetAtt": ["TaskDeadLetterQueue", "QueueName"]}}]),
    }
