"""XComs and Variables in DynamoDB (large values in S3), behind the SDK's XComStore/VariableStore protocols.

A task's return value is written with the task instance's final state (one request instead of two) and
read back from that item; other keys live in the xcoms table.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.core.inputs import text_problem
from chalicelib.core.limits import XComTooLarge
from chalicelib.core.mapping import split_key, ti_key
from chalicelib.core.xcom import RETURN_VALUE, encode_xcom
from chalicelib.store.blobs import BlobStore, xcom_key
from chalicelib.store.models import Models
from chalicelib.store.runs import run_pk


class DynamoXComStore:
    """XComs of one run. Pushes are buffered and flushed by the worker after the task body finishes.

    Items are keyed by task instance: the return value on the task-instance item (`ti_key`), other keys in
    the xcoms table under `ti_key#key` (`task_id#key`, or `task_id#map_index#key` for a mapped instance).
    """

    def __init__(self, models: Models, blobs: BlobStore, dag_id: str, run_id: str, inline_limit: int):
        self.m = models
        self.blobs = blobs
        self.dag_id = dag_id
        self.run_id = run_id
        self.inline_limit = inline_limit
        self.max_bytes = blobs.settings.xcom_max_bytes
        self.pending: dict[tuple[str, int, str], str] = {}  # (task_id, map_index, key) -> JSON
        self._cache: dict[tuple[str, int, str], Any] = {}

    def set(self, task_id: str, key: str, value: Any, map_index: int = -1) -> None:
        """Buffer a push. Called inside the task's try: a bad key or a too-large value is the task's error."""
        check_xcom_key(key)
        text = encode_xcom(value)
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > self.max_bytes:
            raise XComTooLarge(task_id, key, size, self.max_bytes)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"XCom {key!r} holds a lone UTF-16 surrogate, which cannot be stored") from None
        self.pending[(task_id, map_index, key)] = text
        self._cache.pop((task_id, map_index, key), None)

    def get(self, task_id: str, key: str, map_index: int = -1) -> Any:
        slot = (task_id, map_index, key)
        if slot in self.pending:
            return json.loads(self.pending[slot])
        if slot not in self._cache:
            self._cache[slot] = self._load(task_id, key, map_index)
        value = self._cache[slot]
        if value is _MISSING:
            raise KeyError(slot)
        return value

    def _load(self, task_id: str, key: str, map_index: int) -> Any:
        pk = run_pk(self.dag_id, self.run_id)
        try:
            if key == RETURN_VALUE:
                item = self.m.TaskInstance.get(pk, ti_key(task_id, map_index),
                                               attributes_to_get=["xcom_return", "xcom_return_ref"])
                text, ref = item.xcom_return, item.xcom_return_ref
            else:
                item = self.m.XCom.get(pk, f"{ti_key(task_id, map_index)}#{key}")
                text, ref = item.value, item.value_ref
        except DoesNotExist:
            return _MISSING
        if ref:
            text = self.blobs.get_text(ref)
        return _MISSING if text is None else json.loads(text)

    def get_mapped(self, task_id: str, key: str) -> list[Any]:
        """Every instance's value of a mapped task, by map_index: one Query (per MB) of its instances."""
        pk = run_pk(self.dag_id, self.run_id)
        found: dict[int, str | None] = {}
        if key == RETURN_VALUE:
            TI = self.m.TaskInstance
            for item in TI.query(pk, TI.ti_key.startswith(f"{task_id}#"), consistent_read=True,
                                 attributes_to_get=["ti_key", "xcom_return", "xcom_return_ref"]):
                if item.xcom_return is not None or item.xcom_return_ref:
                    found[split_key(item.ti_key)[1]] = (
                        item.xcom_return if item.xcom_return is not None else self.blobs.get_text(item.xcom_return_ref))
        else:
            XCom = self.m.XCom
            for item in XCom.query(pk, XCom.task_key.startswith(f"{task_id}#"), consistent_read=True):
                map_index, item_key = parse_task_key(item.task_key)[1:]
                if map_index >= 0 and item_key == key:
                    found[map_index] = item.value if item.value is not None else self.blobs.get_text(item.value_ref)
        return [json.loads(found[i]) for i in sorted(found) if found[i] is not None]

    def take_return_value(self, task_id: str, map_index: int = -1) -> tuple[str | None, str | None]:
        """(inline JSON, S3 key) of the buffered return value, removed from the pending pushes."""
        text = self.pending.pop((task_id, map_index, RETURN_VALUE), None)
        if text is None:
            return None, None
        if len(text.encode()) <= self.inline_limit:
            return text, None
        ref = xcom_key(self.dag_id, self.run_id, task_id, RETURN_VALUE, map_index)
        self.blobs.put_text(ref, text, "application/json")
        return None, ref

    def flush(self) -> None:
        """Write the other pushed keys (one BatchWriteItem per 25)."""
        if not self.pending:
            return
        XCom = self.m.XCom
        pk = run_pk(self.dag_id, self.run_id)
        with XCom.batch_write() as batch:
            for (task_id, map_index, key), text in self.pending.items():
                item = XCom(pk, f"{ti_key(task_id, map_index)}#{key}")
                if len(text.encode()) <= self.inline_limit:
                    item.value = text
                else:
                    item.value_ref = xcom_key(self.dag_id, self.run_id, task_id, key, map_index)
                    self.blobs.put_text(item.value_ref, text, "application/json")
                batch.save(item)
        self.pending.clear()


def parse_task_key(task_key: str) -> tuple[str, int, str]:
    """(task_id, map_index, key) of an xcoms-table range key."""
    task_id, _, rest = task_key.partition("#")
    index, sep, key = rest.partition("#")
    if sep and index.isdecimal():
        return task_id, int(index), key
    return task_id, -1, rest


_MISSING = object()
MAX_XCOM_KEY = 512  # Airflow's xcom.key column


def check_xcom_key(key: str) -> str:
    """Checked when pushed, so a key the store would refuse fails the task, not the worker after it."""
    if not isinstance(key, str) or not key:
        raise ValueError("an XCom key must be a non-empty string")
    if len(key) > MAX_XCOM_KEY:
        raise ValueError(f"XCom key {key[:40]!r}... is {len(key)} characters long; the limit is {MAX_XCOM_KEY}")
    problem = text_problem(key)
    if problem is not None:
        raise ValueError(f"XCom key {key[:40]!r} {problem}")
    if len(key.encode("utf-8")) > MAX_XCOM_KEY:  # with the task id it is a DynamoDB sort key (1 KB at most)
        raise ValueError(f"XCom key {key[:40]!r}... is over {MAX_XCOM_KEY} bytes in UTF-8")
    return key


class DynamoVariableStore:
    def __init__(self, models: Models):
        self.m = models

    def get_variable(self, key: str) -> str | None:
        try:
            return self.m.Variable.get(key).val
        except DoesNotExist:
            return None

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.m.Variable(key, val=value, description=description).save()

    def delete_variable(self, key: str) -> bool:
        try:
            self.m.Variable.get(key).delete()
        except DoesNotExist:
            return False
        return True
