"""Task-instance reads for the API: a try's log from an offset (tailing), its rendered template fields, and a
task's XComs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.core.states import TaskState
from chalicelib.core.xcom import RETURN_VALUE
from chalicelib.services.backend import Backend
from chalicelib.store.blobs import log_key, rendered_fields_key
from chalicelib.store.errors import NotFoundError
from chalicelib.store.readers import ApiReader
from chalicelib.store.xcoms import parse_task_key

MAX_LOG_CHUNK = 1024 * 1024  # bytes per response; the client asks again from `offset`
MAX_XCOM_PREVIEW = 1024 * 1024  # bytes of one XCom in an API answer (Lambda answers are at most 6 MB)


@dataclass(frozen=True)
class LogChunk:
    content: str
    offset: int  # byte offset to ask for next
    end_of_log: bool  # False while more bytes are stored past `offset`, or the try still runs
    available: bool  # a log object exists for this try


def read_log(backend: Backend, dag_id: str, run_id: str, task_id: str, try_number: int, offset: int,
             map_index: int = -1) -> LogChunk:
    item = backend.runs.task_instance(dag_id, run_id, task_id, map_index)
    current = int(item.try_number or 0)
    if try_number < 1 or try_number > current:
        raise NotFoundError(f"task {task_id!r} of run {run_id!r} has no try {try_number} (tries so far: {current})")
    running = try_number == current and item.state in (TaskState.QUEUED, TaskState.RUNNING)
    if item.log_inline is not None and item.log_try is not None and int(item.log_try) == try_number and not running:
        # A small finished log lives on the item (services/worker.place_log); served in the same byte chunks.
        data = item.log_inline.encode()
        chunk = data[offset:offset + MAX_LOG_CHUNK]
        text, used = _decode_prefix(chunk, complete=offset + len(chunk) >= len(data))
        return LogChunk(text, offset + used, offset + used >= len(data), True)
    part = backend.blobs.get_range(log_key(dag_id, run_id, task_id, try_number, map_index), offset, MAX_LOG_CHUNK)
    if part is None:
        return LogChunk("", offset, not running, False)
    text, used = _decode_prefix(part.data, complete=offset + len(part.data) >= part.total)
    next_offset = offset + used
    return LogChunk(text, next_offset, next_offset >= part.total and not running, True)


def whole_log(backend: Backend, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
    """A try's log as readers see it (inline on the item or in S3), all of it."""
    parts, offset = [], 0
    while True:
        chunk = read_log(backend, dag_id, run_id, task_id, try_number, offset, map_index)
        parts.append(chunk.content)
        if chunk.end_of_log or chunk.offset == offset:
            return "".join(parts)
        offset = chunk.offset


def _decode_prefix(data: bytes, *, complete: bool) -> tuple[str, int]:
    """Decode without splitting a multi-byte character at the chunk's end (it is sent with the next chunk)."""
    for cut in range(0, 4 if not complete else 1):
        end = len(data) - cut
        try:
            return data[:end].decode("utf-8"), end
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), len(data)


@dataclass(frozen=True)
class XComText:
    key: str
    text: str | None  # the JSON text, or its first MAX_XCOM_PREVIEW bytes when `truncated`
    size: int
    truncated: bool


def xcoms(backend: Backend, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[XComText]:
    """One task instance's XComs, the return value first; big ones (in S3) only as a preview, never loaded whole."""
    item = backend.runs.task_instance(dag_id, run_id, task_id, map_index)
    entries: list[XComText] = []
    if item.xcom_return is not None or item.xcom_return_ref:
        entries.append(_entry(backend, RETURN_VALUE, item.xcom_return, item.xcom_return_ref))
    for xcom in ApiReader(backend.models).xcom_items(dag_id, run_id, task_id, map_index):
        entries.append(_entry(backend, parse_task_key(xcom.task_key)[2], xcom.value, xcom.value_ref))
    return entries


def _entry(backend: Backend, key: str, inline: str | None, ref: str | None) -> XComText:
    if inline is not None or not ref:
        return XComText(key, inline, len((inline or "").encode("utf-8")), False)
    head = backend.blobs.get_head(ref, MAX_XCOM_PREVIEW)
    if head is None:
        return XComText(key, None, 0, False)
    return XComText(key, head.text, head.size, head.truncated)


def rendered_fields(backend: Backend, dag_id: str, run_id: str, task_id: str, try_number: int,
                    map_index: int = -1) -> dict[str, Any] | None:
    """The try's template fields as the worker rendered them (secrets masked there); None when the try never
    finished rendering (or ran before they were stored)."""
    item = backend.runs.task_instance(dag_id, run_id, task_id, map_index)
    current = int(item.try_number or 0)
    if try_number < 1 or try_number > current:
        raise NotFoundError(f"task {task_id!r} of run {run_id!r} has no try {try_number} (tries so far: {current})")
    if item.rendered_inline is not None and item.rendered_try is not None and int(item.rendered_try) == try_number:
        return json.loads(item.rendered_inline)  # small ones ride on the try's final write (place_rendered_fields)
    text = backend.blobs.get_text(rendered_fields_key(dag_id, run_id, task_id, try_number, map_index))
    return None if text is None else json.loads(text)
