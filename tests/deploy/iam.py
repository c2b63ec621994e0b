"""AWS calls as IAM sees them: record botocore calls, map each to (action, resource ARN), match policies."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

REGION, ACCOUNT = "us-east-1", "123456789012"  # moto's
DATA_SERVICES = ("dynamodb", "sqs", "s3", "secretsmanager", "ssm")
# Operations authorized as another action (batch and transactional forms, reads of metadata).
SAME_AS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "s3:HeadObject": "s3:GetObject",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:HeadBucket": "s3:ListBucket",
    "lambda:Invoke": "lambda:InvokeFunction",
    "dynamodb:TransactGetItems": "dynamodb:GetItem",
}
TRANSACT_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem",
                    "ConditionCheck": "dynamodb:ConditionCheckItem", "Get": "dynamodb:GetItem"}


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    params: Any = field(compare=False, hash=False)


@dataclass
class CallRecorder:
    """Attach to every botocore client as it is created; record only while `recording` is set."""

    calls: list[Call] = field(default_factory=list)
    recording: bool = False

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build", self._record)
        return client

    def _record(self, params: dict, model: Any, **_: Any) -> None:
        if self.recording:
            self.calls.append(Call(model.service_model.service_name, model.name, dict(params)))


def permissions(call: Call) -> Iterator[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs one call needs."""
    service, op, params = call.service, call.operation, call.params
    if service == "dynamodb":
        yield from _dynamodb(op, params)
    elif service == "sqs":
        name = params["QueueName"] if op == "GetQueueUrl" else params["QueueUrl"].rsplit("/", 1)[1]
        yield SAME_AS.get(f"sqs:{op}", f"sqs:{op}"), f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    elif service == "s3" and op == "DeleteObjects":
        for obj in params["Delete"]["Objects"]:
            yield "s3:DeleteObject", f"arn:aws:s3:::{params['Bucket']}/{obj['Key']}"
    elif service == "s3":
        arn = f"arn:aws:s3:::{params['Bucket']}" + (f"/{params['Key']}" if "Key" in params else "")
        yield SAME_AS.get(f"s3:{op}", f"s3:{op}"), arn
    elif service == "ssm":
        name = params["Path"] if op == "GetParametersByPath" else params["Name"]
        yield f"ssm:{op}", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}"
    elif service == "lambda":
        name = params["FunctionName"]
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        yield SAME_AS.get(f"lambda:{op}", f"lambda:{op}"), arn
    else:
        yield f"{service}:{op}", "*"


def _dynamodb(op: str, params: dict) -> Iterator[tuple[str, str]]:
    def arn(table: str, index: str | None = None) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}" + (f"/index/{index}" if index else "")

    if op in ("BatchGetItem", "BatchWriteItem"):
        for table in params["RequestItems"]:
            yield f"dynamodb:{op}", arn(table)
    elif op in ("TransactWriteItems", "TransactGetItems"):
        for item in params["TransactItems"]:
            [(kind, body)] = item.items()
            yield TRANSACT_ACTIONS[kind], arn(body["TableName"])
    else:
        yield f"dynamodb:{op}", arn(params["TableName"], params.get("IndexName"))


def allows(policy: dict, action: str, resource: str) -> bool:
    """Allow statements only (the policies have no Deny); IAM's `*` and `?` wildcards."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if any(_match(pattern, action, case=False) for pattern in _list(statement["Action"])) and any(
                _match(pattern, resource) for pattern in _list(statement["Resource"])):
            return True
    return False


def _match(pattern: str, value: str, case: bool = True) -> bool:
    pattern = pattern.replace("[", "[[]")  # IAM has no character classes
    return fnmatch.fnmatchcase(value, pattern) if case else fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
