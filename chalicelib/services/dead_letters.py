"""Dead letters for operators: which DAG/run/task each message is, how often it was received, the task's
last error (from the store), and redrive (one or all) or discard."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.deadletters import DeadLetter, DeadLetterQueue
from chalicelib.services.backend import Backend
from chalicelib.store.errors import BadRequestError, NotFoundError
from chalicelib.taskqueue import TaskMessage


@dataclass(frozen=True)
class Entry:
    letter: DeadLetter
    task: TaskMessage | None  # None: a body that is not a task message
    state: str | None
    last_error: str | None


def list_dead_letters(backend: Backend) -> list[Entry]:
    return [_entry(backend, letter) for letter in DeadLetterQueue(backend.settings).scan()]


def _entry(backend: Backend, letter: DeadLetter) -> Entry:
    try:
        task = TaskMessage.from_json(letter.body)
    except (ValueError, KeyError, TypeError):
        return Entry(letter, None, None, None)
    try:
        item = backend.runs.task_instance(task.dag_id, task.run_id, task.task_id)
    except NotFoundError:
        return Entry(letter, task, None, None)
    return Entry(letter, task, item.state, item.error)


def act(backend: Backend, action: str, message_ids: list[str] | None) -> list[str]:
    """Redrive or discard the messages named (every message when `message_ids` is None); the ids done."""
    if action not in ("redrive", "discard"):
        raise BadRequestError("action must be 'redrive' or 'discard'")
    queue = DeadLetterQueue(backend.settings)
    held = queue.scan(hold=True)
    wanted = set(message_ids) if message_ids is not None else {d.message_id for d in held}
    missing = wanted - {d.message_id for d in held}
    done = []
    try:
        for letter in held:
            if letter.message_id in wanted:
                (queue.redrive if action == "redrive" else queue.discard)(letter)
                done.append(letter.message_id)
    finally:
        queue.release([d for d in held if d.message_id not in done])
    if missing and not done:
        raise NotFoundError(f"no dead letter with id {', '.join(sorted(missing))}")
    return done
