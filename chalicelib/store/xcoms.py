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
from chalicelib.core.xcom import RETURN_VALUE, encode_xcom
from chalicelib.store.blobs import BlobStore, xcom_key
from chalicelib.store.models import Models
from chalicelib.store.runs import run_pk


class DynamoXComStore:
    """XComs of one run. Pushes are buffered and flushed by the worker after the task body finishes."""

    def __init__(self, models: Models, blobs: BlobStore, dag_id: str, run_id: str, inline_limit: int):
        self.m = models
        self.blobs = blobs
        self.dag_id = dag_id
        self.run_id = run_id
        self.inline_limit = inline_limit
        self.max_bytes = blobs.settings.xcom_max_bytes
        self.pending: dict[tuple[str, str], str] = {}  # (task_id, key) -> JSON
        self._cache: dict[tuple[str, str], Any] = {}

    def set(self, task_id: str, key: str, value: Any) -> None:
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
        self.pending[(task_id, key)] = text
        self._cache.pop((task_id, key), None)

    def get(self, task_id: str, key: str) -> Any:
        if (task_id, key) in self.pending:
            return json.loads(self.pending[(task_id, key)])
        if (task_id, key) not in self._cache:
            self._cache[(task_id, key)] = self._load(task_id, key)
        value = self._cache[(task_id, key)]
        if value is _MISSING:
            raise KeyError((task_id, key))
        return value

    def _load(self, task_id: str, key: str) -> Any:
        pk = run_pk(self.dag_id, self.run_id)
        try:
            if key == RETURN_VALUE:
                item = self.m.TaskInstance.get(pk, task_id, attributes_to_get=["xcom_return", "xcom_return_ref"])
                text, ref = item.xcom_return, item.xcom_return_ref
            else:
                item = self.m.XCom.get(pk, f"{task_id}#{key}")
                text, ref = item.value, item.value_ref
        except DoesNotExist:
            return _MISSING
        if ref:
            text = self.blobs.get_text(ref)
        return _MISSING if text is None else json.loads(text)

    def take_return_value(self, task_id: str) -> tuple[str | None, str | None]:
        """(inline JSON, S3 key) of the buffered return value, removed from the pending pushes."""
        text = self.pending.pop((task_id, RETURN_VALUE), None)
        if text is None:
            return None, None
        if len(text.encode()) <= self.inline_limit:
            return text, None
        ref = xcom_key(self.dag_id, self.run_id, task_id, RETURN_VALUE)
        self.blobs.put_text(ref, text, "application/json")
        return None, ref

    def flush(self) -> None:
        """Write the other pushed keys (one BatchWriteItem per 25)."""
        if not self.pending:
            return
        XCom = self.m.XCom
        pk = run_pk(self.dag_id, self.run_id)
        with XCom.batch_write() as batch:
            for (task_id, key), text in self.pending.items():
                item = XCom(pk, f"{task_id}#{key}")
                if len(text.encode()) <= self.inline_limit:
                    item.value = text
                else:
                    item.value_ref = xcom_key(self.dag_id, self.run_id, task_id, key)
                    self.blobs.put_text(item.value_ref, text, "application/json")
                batch.save(item)
        self.pending.clear()


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
