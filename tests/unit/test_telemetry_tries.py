"""Task metrics count every try an invocation ran, hand-offs included (services/handoff.py): the failure
alarms (chalicelib/deploy/alarms.py) must see a handed-off try that failed."""

from __future__ import annotations

import json
import logging
import uuid

import pytest


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "levante-test-worker")
    monkeypatch.setenv("LEVANTE_PREFIX", "levante")
    monkeypatch.setenv("LEVANTE_STAGE", "test")
    from chalicelib.telemetry import Telemetry

    return Telemetry(logging.getLogger(f"levante-telemetry-{uuid.uuid4().hex[:8]}"))  # Powertools keeps one per name


def emitted(capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and "_aws" in line:
            record = json.loads(line)
            for definition in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = record[definition["Name"]]
                metrics[definition["Name"]] = sum(value) if isinstance(value, list) else value
    return metrics


def test_a_message_and_its_hand_offs_count_as_their_tries(telemetry, capsys) -> None:
    body = json.dumps({"dag_id": "d", "run_id": "r", "task_id": "a", "try_number": 1})
    with telemetry.task("m-1", body, None) as outcome:
        outcome["result"] = "success"
        outcome["results"] = ["success", "success", "failed"]  # two tries handed off, the last one failed

    metrics = emitted(capsys)
    assert metrics["TasksStarted"] == 3
    assert metrics["TasksSucceeded"] == 2
    assert metrics["TasksFailed"] == 1


def test_a_duplicate_message_counts_no_try(telemetry, capsys) -> None:
    with telemetry.task("m-2", "{}", None) as outcome:
        outcome["result"] = "duplicate"
        outcome["results"] = ["duplicate"]

    assert "TasksStarted" not in emitted(capsys)
