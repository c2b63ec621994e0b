"""What DAG tasks may reach of the user's own AWS resources: `.chalice/task-policy-{stage}.json`, an IAM policy
document whose statements join the worker's role (the worker runs the tasks).

Validated at package time: each statement needs Effect, Action and Resource; on data services a resource
may not use a wildcard (`*` or `?`) except a trailing `/*` under a named S3 bucket and prefix, unless the
stage opts in with `LEVANTE_TASK_POLICY_ALLOW_WILDCARDS=true`. A broken file is an error naming the file and
the statement, never a silently wider role.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_SERVICES = frozenset({"s3", "dynamodb", "sqs", "sns", "secretsmanager", "ssm", "kms", "kinesis", "firehose",
                           "rds-data", "redshift-data", "glue", "athena", "lambda", "states", "events"})
OPT_IN = "LEVANTE_TASK_POLICY_ALLOW_WILDCARDS"


class TaskPolicyError(ValueError):
    pass


def path(project: Path, stage: str) -> Path:
    return project / ".chalice" / f"task-policy-{stage}.json"


def load(project: Path, stage: str, environment: dict[str, str]) -> list[dict[str, Any]]:
    """The file's statements, validated (none when the stage has no file)."""
    file = path(project, stage)
    if not file.is_file():
        return []
    try:
        document = json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise TaskPolicyError(f"{file}:{error.lineno}: not valid JSON ({error.msg})") from None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise TaskPolicyError(f"{file}: expected an IAM policy document with a non-empty \"Statement\" list")
    wildcards = environment.get(OPT_IN, "").lower() == "true"
    problems = [f"{file}: statement {i + 1}{_sid(s)}: {problem}"
                for i, s in enumerate(statements) for problem in check(s, allow_wildcards=wildcards)]
    if problems:
        raise TaskPolicyError("\n".join(problems))
    return [{**s, "Sid": s.get("Sid") or f"DagTasks{i + 1}"} for i, s in enumerate(statements)]


def check(statement: Any, *, allow_wildcards: bool) -> list[str]:
    if not isinstance(statement, dict):
        return ["a statement must be a JSON object"]
    problems = []
    if statement.get("Effect") not in ("Allow", "Deny"):
        problems.append('"Effect" must be "Allow" or "Deny"')
    if "NotAction" in statement or "NotResource" in statement:
        problems.append("NotAction/NotResource grant everything else: name the actions and resources")
    actions, resources = _strings(statement.get("Action")), _strings(statement.get("Resource"))
    if not actions or not resources:
        problems.append('"Action" and "Resource" are required (a string or a list of strings)')
        return problems
    if allow_wildcards or statement.get("Effect") == "Deny":
        return problems
    data_actions = [a for a in actions if a == "*" or a.split(":")[0].lower() in DATA_SERVICES]
    for action in data_actions:
        if "*" in action or "?" in action:
            problems.append(f"action {action!r} uses a wildcard on a data service (set {OPT_IN}=true to allow)")
    if data_actions:
        for resource in resources:
            if not _named(resource):
                problems.append(f"resource {resource!r} uses a wildcard on a data service "
                                f"(set {OPT_IN}=true in the stage's environment_variables to allow)")
    return problems


def _named(resource: str) -> bool:
    """True when an ARN names its resource; `arn:...:s3:::bucket/prefix/*` counts (a named bucket's folder)."""
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return False
    name = parts[5]
    if parts[2] == "s3" and name.endswith("/*"):
        name = name[:-2]
    return "*" not in name and "?" not in name and bool(name)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return []


def _sid(statement: Any) -> str:
    return f" ({statement['Sid']})" if isinstance(statement, dict) and statement.get("Sid") else ""
