"""CloudFormation through boto3: change sets, progress as resource events arrive, deletion in any state.

The decisions (which change set a stack's status calls for, which events are failures) are pure functions;
`Stacks` is the only code here that calls AWS. Every client honours `AWS_ENDPOINT_URL` (boto3 does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]  # SAM transform, roles
BUSY_SUFFIX = "_IN_PROGRESS"
FAILED_STACK = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED",
                "CREATE_FAILED", "DELETE_FAILED", "UPDATE_FAILED")
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class StackError(Exception):
    """A deployment that did not go through; the message names the failing resources and AWS's reasons."""


def change_set_type(status: str | None) -> str:
    """CREATE, UPDATE, or RECREATE (a failed first create must be deleted before CloudFormation creates again)."""
    if status is None or status == "REVIEW_IN_PROGRESS":  # none yet, or a change set that never ran
        return "CREATE"
    if status == "ROLLBACK_COMPLETE":
        return "RECREATE"
    if status.endswith(BUSY_SUFFIX):
        raise StackError(f"the stack is busy ({status}); wait for it to finish, then deploy again")
    if status in ("ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"):
        raise StackError(f"the stack is stuck in {status}: `levante destroy` it, or continue the rollback in the "
                         "CloudFormation console, then deploy again")
    return "UPDATE"


def is_failure(event: dict[str, Any]) -> bool:
    return event.get("ResourceStatus", "").endswith("_FAILED") and bool(event.get("ResourceStatusReason"))


def describe(event: dict[str, Any]) -> str:
    reason = event.get("ResourceStatusReason")
    return (f"{event['Timestamp']:%H:%M:%S}  {event['ResourceStatus']:<28} {event['LogicalResourceId']}"
            f" ({event['ResourceType']})" + (f": {reason}" if reason else ""))


@dataclass
class Stacks:
    cloudformation: Any
    name: str
    say: Callable[[str], None] = print
    poll_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    _seen: set[str] = field(default_factory=set)

    def status(self) -> str | None:
        try:
            [stack] = self.cloudformation.describe_stacks(StackName=self.name)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise
        return stack["StackStatus"]

    def outputs(self) -> dict[str, str]:
        [stack] = self.cloudformation.describe_stacks(StackName=self.name)["Stacks"]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def deploy(self, template_url: str, parameters: dict[str, str | None]) -> bool:
        """Creates or updates the stack; False if there was nothing to change. `None` keeps a previous value."""
        kind = change_set_type(self.status())
        if kind == "RECREATE":
            self.say(f"{self.name}: the first create failed and rolled back; deleting it before creating again")
            self.delete()
            kind = "CREATE"
        started = datetime.now(UTC)
        change_set = self.cloudformation.create_change_set(
            StackName=self.name, ChangeSetName=f"levante-{started:%Y%m%d%H%M%S}", ChangeSetType=kind,
            TemplateURL=template_url, Capabilities=CAPABILITIES,
            Parameters=[{"ParameterKey": k, "UsePreviousValue": True} if v is None and kind == "UPDATE"
                        else {"ParameterKey": k, "ParameterValue": v or ""} for k, v in parameters.items()])
        self.say(f"{self.name}: change set created ({kind.lower()}), waiting for CloudFormation to compute it")
        described = self._wait_for_change_set(change_set["Id"])
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason", "")
            if any(text in reason for text in NO_CHANGES):
                self.cloudformation.delete_change_set(ChangeSetName=change_set["Id"])
                self.say(f"{self.name}: no changes")
                return False
            raise StackError(f"CloudFormation refused the change set: {reason}")
        self._remember_events()
        self.cloudformation.execute_change_set(ChangeSetName=change_set["Id"])
        status = self._watch(("CREATE_COMPLETE", "UPDATE_COMPLETE", *FAILED_STACK))
        if status in FAILED_STACK:
            raise StackError(self._failure_report(status))
        return True

    def delete(self) -> None:
        self._remember_events()
        self.cloudformation.delete_stack(StackName=self.name)
        status = self._watch(("DELETE_COMPLETE", "DELETE_FAILED"))
        if status == "DELETE_FAILED":
            raise StackError(self._failure_report(status))

    def resources(self) -> list[dict[str, Any]]:
        pages = self.cloudformation.get_paginator("list_stack_resources").paginate(StackName=self.name)
        return [summary for page in pages for summary in page["StackResourceSummaries"]]

    def retained(self) -> set[str]:
        """Logical ids that CloudFormation keeps when it deletes the stack (DeletionPolicy: Retain)."""
        body = self.cloudformation.get_template(StackName=self.name, TemplateStage="Original")["TemplateBody"]
        if isinstance(body, str):
            import json

            body = json.loads(body)
        return {name for name, resource in body.get("Resources", {}).items()
                if resource.get("DeletionPolicy") == "Retain"}

    def _wait_for_change_set(self, change_set_id: str) -> dict[str, Any]:
        while True:
            described = self.cloudformation.describe_change_set(ChangeSetName=change_set_id)
            if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                return described
            self.sleep(self.poll_seconds)

    def _events(self) -> Iterator[dict[str, Any]]:
        """The stack's events, newest first (the API's order)."""
        try:
            for page in self.cloudformation.get_paginator("describe_stack_events").paginate(StackName=self.name):
                yield from page["StackEvents"]
        except ClientError as error:
            if "does not exist" not in str(error):
                raise

    def _remember_events(self) -> None:
        self._seen |= {event["EventId"] for event in self._events()}

    def _watch(self, terminal: tuple[str, ...]) -> str:
        """Prints each new resource event as it arrives until the stack reaches a terminal status."""
        while True:
            fresh = []
            for event in self._events():
                if event["EventId"] in self._seen:
                    break  # newest first: the rest were printed already
                fresh.append(event)
            for event in reversed(fresh):
                self._seen.add(event["EventId"])
                self.say("  " + describe(event))
            status = self.status() or "DELETE_COMPLETE"
            if status in terminal:
                return status
            self.sleep(self.poll_seconds)

    def _failure_report(self, status: str) -> str:
        failures = [event for event in self._events() if is_failure(event)
                    and event["LogicalResourceId"] != self.name][:5]
        lines = [f"{self.name} ended in {status}."]
        if failures:
            lines.append("What failed (most recent first):")
            lines += [f"  {e['LogicalResourceId']} ({e['ResourceType']}): {e['ResourceStatusReason']}" for e in failures]
        if status in ("ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            lines.append("CloudFormation rolled back: nothing of this attempt is left running.")
        return "\n".join(lines)
