"""Dead letters (beyond Airflow): list the DLQ's messages with their task and last error; redrive or discard."""

from __future__ import annotations

from chalicelib.api.auth import Role
from chalicelib.api.errors import BadRequest
from chalicelib.api.routing import ApiBlueprint, Request
from chalicelib.api.validation import Body, Field
from chalicelib.services import dead_letters

api = ApiBlueprint(__name__, "DeadLetter")
ACTION = Body({"message_ids": Field(list, nullable=True, max_length=64 * 1024,
                                    description="ids to act on; omitted or null: every message")}, required=False)


@api.operation("GET", "/deadLetters", summary="Messages in the task queue's dead-letter queue (at most 100)")
def list_dead_letters(req: Request) -> dict:
    entries = [{
        "message_id": e.letter.message_id, "receives": e.letter.receives, "sent_at_ms": e.letter.sent_at_ms,
        "dag_id": e.task.dag_id if e.task else None, "dag_run_id": e.task.run_id if e.task else None,
        "task_id": e.task.task_id if e.task else None, "try_number": e.task.try_number if e.task else None,
        "state": e.state, "last_error": e.last_error, "body": None if e.task else e.letter.body[:1000],
    } for e in dead_letters.list_dead_letters(req.backend)]
    return {"dead_letters": entries, "total_entries": len(entries)}


def _ids(req: Request) -> list[str] | None:
    ids = req.body.get("message_ids")
    if ids is not None and not all(isinstance(i, str) for i in ids):
        raise BadRequest("'message_ids' must be a list of strings")
    return ids


@api.operation("POST", "/deadLetters/redrive", summary="Send dead letters back to the task queue",
               role=Role.OPERATOR, body=ACTION, errors=(400, 404))
def redrive(req: Request) -> dict:
    done = dead_letters.act(req.backend, "redrive", _ids(req))
    return {"redriven": done, "total_entries": len(done)}


@api.operation("POST", "/deadLetters/discard", summary="Delete dead letters", role=Role.OPERATOR, body=ACTION,
               errors=(400, 404))
def discard(req: Request) -> dict:
    done = dead_letters.act(req.backend, "discard", _ids(req))
    return {"discarded": done, "total_entries": len(done)}
