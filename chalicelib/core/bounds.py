"""Size bounds for everything stored that user code or users can grow (DynamoDB items stop at 400 KB).

Texts are cut with a marker saying how much was dropped, so a reader never mistakes a cut text for the
whole; the head and the tail are kept because a traceback's cause sits at its end.
"""

from __future__ import annotations

IMPORT_ERROR_MESSAGE_LIMIT = 2_000  # characters
IMPORT_ERROR_TRACEBACK_LIMIT = 16_000
RUN_CONF_LIMIT = 64 * 1024  # bytes of JSON, as the API's own limit
RUN_NOTE_LIMIT = 1_000  # characters, as Airflow's dag_run_note
INLINE_SPEC_LIMIT = 64 * 1024  # bytes of DagSpec JSON kept on the DAG item; larger specs live in S3
INLINE_SOURCE_LIMIT = 64 * 1024  # bytes of DAG source kept on the DAG item; larger sources live in S3
REPORT_SAMPLE = 20  # ids listed per kind in the scheduler's heartbeat (the counts are always whole)


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its head and tail around a marker (within `limit`)."""
    if len(text) <= limit:
        return text
    widest = _marker(len(text))  # the cut is never longer than the text: this marker is the longest
    keep = max(0, limit - len(widest))
    head = keep * 2 // 3
    tail = keep - head
    return text[:head] + _marker(len(text) - head - tail) + (text[-tail:] if tail else "")


def _marker(cut: int) -> str:
    return f"\n... [truncated {cut} characters] ...\n"


def sample(items: list[str], limit: int = REPORT_SAMPLE) -> list[str]:
    return items[:limit]
