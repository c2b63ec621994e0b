"""Dead letters through the API against moto's SQS: list with the task's last error, redrive, discard."""

from __future__ import annotations

import boto3

from chalicelib.taskqueue import TaskMessage


def _sqs(stack):
    return boto3.client("sqs", region_name=stack.backend.settings.region)


def _dead(stack, body: str) -> None:
    sqs = _sqs(stack)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=stack.backend.settings.dlq_name)["QueueUrl"], MessageBody=body)


def test_list_redrive_and_discard(api, stack) -> None:
    stack.trigger("flaky", run_id="dl")
    stack.drain()  # boom fails: its error is in the store
    _dead(stack, TaskMessage("flaky", "dl", "boom", 1).to_json())
    _dead(stack, "not a task message")
    listed = api.get("/deadLetters").json
    assert listed["total_entries"] == 2
    task = next(d for d in listed["dead_letters"] if d["task_id"])
    assert (task["dag_id"], task["dag_run_id"], task["try_number"], task["state"]) == ("flaky", "dl", 1, "failed")
    assert "boom" in task["last_error"] and task["receives"] >= 1
    other = next(d for d in listed["dead_letters"] if not d["task_id"])
    assert other["body"] == "not a task message"
    assert api.get("/deadLetters").json["total_entries"] == 2  # listing consumed nothing

    assert api.post("/deadLetters/redrive", {"message_ids": [task["message_id"]]}, role="viewer").status == 403
    assert api.post("/deadLetters/redrive", {"message_ids": [1]}, role="operator").status == 400
    assert api.post("/deadLetters/redrive", {"message_ids": ["nope"]}, role="operator").status == 404
    redriven = api.post("/deadLetters/redrive", {"message_ids": [task["message_id"]]}, role="operator").json
    assert redriven["redriven"] == [task["message_id"]]
    sqs = _sqs(stack)
    main = sqs.get_queue_url(QueueName=stack.backend.settings.queue_name)["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=main, MaxNumberOfMessages=10).get("Messages", [])]
    assert TaskMessage("flaky", "dl", "boom", 1).to_json() in bodies
    assert api.post("/deadLetters/discard", {}, role="operator").json["discarded"] == [other["message_id"]]
    assert api.get("/deadLetters").json["total_entries"] == 0


def test_cli_lists_and_discards(stack, monkeypatch, capsys) -> None:
    from chalicelib.cli.main import main

    monkeypatch.setenv("LEVANTE_PREFIX", stack.backend.settings.prefix)
    monkeypatch.setenv("LEVANTE_STAGE", stack.backend.settings.stage)
    _dead(stack, TaskMessage("flaky", "gone", "boom", 2).to_json())
    assert main(["dlq", "list"]) == 0
    assert "flaky/gone/boom try 2" in capsys.readouterr().out
    assert main(["dlq", "discard"]) == 2  # names nothing: refused
    assert main(["dlq", "discard", "--all"]) == 0
    assert "Discarded: 1 message(s)" in capsys.readouterr().out
    assert main(["dlq", "list", "-o", "json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
