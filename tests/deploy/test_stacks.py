"""`Stacks`: which change set a stack's status calls for, progress lines, and the report of a failed deploy.

moto creates stacks but never fails a resource nor emits resource events, so the failed update is staged
with botocore's Stubber (real client, real request validation, canned answers in AWS's shapes).
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.deploy.stacks import StackError, Stacks, change_set_type

STACK = "levante-prod"
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "kind"), [(None, "CREATE"), ("REVIEW_IN_PROGRESS", "CREATE"),
                                              ("ROLLBACK_COMPLETE", "RECREATE"), ("CREATE_COMPLETE", "UPDATE"),
                                              ("UPDATE_ROLLBACK_COMPLETE", "UPDATE")])
def test_change_set_type_follows_the_stack_status(status, kind):
    assert change_set_type(status) == kind


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED"])
def test_a_busy_or_stuck_stack_is_refused_with_what_to_do(status):
    with pytest.raises(StackError, match=status):
        change_set_type(status)


def event(event_id: str, logical: str, status: str, reason: str = "", kind: str = "AWS::SQS::Queue") -> dict:
    return {"StackId": "id", "EventId": event_id, "StackName": STACK, "LogicalResourceId": logical,
            "ResourceType": kind, "Timestamp": AT, "ResourceStatus": status,
            **({"ResourceStatusReason": reason} if reason else {})}


def stack(status: str) -> dict:
    return {"Stacks": [{"StackName": STACK, "StackStatus": status, "CreationTime": AT}]}


def test_a_failed_update_prints_events_as_they_come_and_names_the_failing_resource():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    old = event("old", STACK, "UPDATE_COMPLETE", kind="AWS::CloudFormation::Stack")
    failed = event("e1", "TaskQueue", "UPDATE_FAILED", "Resource handler returned message: queue name taken")
    rolled_back = event("e2", STACK, "UPDATE_ROLLBACK_COMPLETE", kind="AWS::CloudFormation::Stack")
    lines: list[str] = []
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
        stub.add_response("create_change_set", {"Id": "cs-1", "StackId": "id"}, {
            "StackName": STACK, "ChangeSetName": ANY, "ChangeSetType": "UPDATE", "TemplateURL": "https://t",
            "Capabilities": ANY, "Parameters": []})
        stub.add_response("describe_change_set", {"Status": "CREATE_PENDING"}, {"ChangeSetName": "cs-1"})
        stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"}, {"ChangeSetName": "cs-1"})
        stub.add_response("describe_stack_events", {"StackEvents": [old]}, {"StackName": STACK})
        stub.add_response("execute_change_set", {}, {"ChangeSetName": "cs-1"})
        stub.add_response("describe_stack_events", {"StackEvents": [failed, old]}, {"StackName": STACK})
        stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": STACK})
        stub.add_response("describe_stack_events", {"StackEvents": [rolled_back, failed, old]}, {"StackName": STACK})
        stub.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK})
        stub.add_response("describe_stack_events", {"StackEvents": [rolled_back, failed, old]}, {"StackName": STACK})
        stacks = Stacks(client, STACK, say=lines.append, sleep=lambda _: None)

        with pytest.raises(StackError) as raised:
            stacks.deploy("https://t", {})

    printed = [line for line in lines if line.startswith("  ")]
    assert [line.split()[1:3] for line in printed] == [["UPDATE_FAILED", "TaskQueue"],
                                                       ["UPDATE_ROLLBACK_COMPLETE", STACK]]  # each once, in order
    assert "TaskQueue (AWS::SQS::Queue): Resource handler returned message: queue name taken" in str(raised.value)
    assert "rolled back" in str(raised.value)


def test_an_unchanged_template_is_no_change_not_an_error():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
        stub.add_response("create_change_set", {"Id": "cs-1"}, {
            "StackName": STACK, "ChangeSetName": ANY, "ChangeSetType": "UPDATE", "TemplateURL": "https://t",
            "Capabilities": ANY, "Parameters": []})
        stub.add_response("describe_change_set", {"Status": "FAILED", "StatusReason": "The submitted information "
                          "didn't contain changes. Submit different information to create a change set."},
                          {"ChangeSetName": "cs-1"})
        stub.add_response("delete_change_set", {}, {"ChangeSetName": "cs-1"})

        assert Stacks(client, STACK, say=lambda _: None, sleep=lambda _: None).deploy("https://t", {}) is False
