"""Count AWS requests and estimate DynamoDB capacity units from inside the process, with botocore hooks.

Every botocore client (boto3's and PynamoDB's own sessions alike) gets a `before-parameter-build` /
`after-call` pair when it is created, so each API call is seen once with its API parameters and its parsed
response:

- requests by service and operation;
- DynamoDB write and read request units, computed the way on-demand DynamoDB bills them: a write costs
  ceil(item size / 1 KB) on the table plus the same for every index entry it puts or deletes (an index
  whose key changes is a delete and a put); a strongly consistent read ceil(size / 4 KB), an eventually
  consistent one (and every GSI query) half that. Item sizes follow DynamoDB's rule (attribute names plus
  values). moto does not compute consumed capacity, so the estimate is ours.
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session

_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


def value_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(raw)) if isinstance(raw, str) else len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    return sum(value_size({kind[0]: v}) for v in raw)  # SS / NS / BS


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in (item or {}).items())


class TableShape:
    """Key attributes of a table and of each of its indexes (from DescribeTable)."""

    def __init__(self, description: dict[str, Any]):
        self.key = [k["AttributeName"] for k in description["KeySchema"]]
        self.indexes: dict[str, tuple[list[str], bool]] = {}
        self.projects_all: set[str] = set()
        for index in description.get("GlobalSecondaryIndexes", []) + description.get("LocalSecondaryIndexes", []):
            keys = [k["AttributeName"] for k in index["KeySchema"]]
            self.indexes[index["IndexName"]] = (keys, index["Projection"]["ProjectionType"] == "KEYS_ONLY")
            if index["Projection"]["ProjectionType"] == "ALL":
                self.projects_all.add(index["IndexName"])

    def item_key(self, item: dict[str, Any]) -> tuple:
        return tuple(str(item.get(k)) for k in self.key)


class AwsCounter:
    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self.units: Counter[str] = Counter()  # "wru dynamodb-table.Operation" -> capacity units
        self.shapes: dict[str, TableShape] = {}
        self._items: dict[tuple[str, tuple], dict[str, Any]] = {}  # last known image of each item
        self._paused = 0
        self._original = botocore.session.Session.create_client
        # Seconds spent in counted calls (parameter build to parsed answer): what a handler waited on AWS (here
        # moto), to tell the handler's own time from it (bench/scale.py's Lambda time model).
        self.aws_seconds = 0.0

    # --- installation --------------------------------------------------------------------------------
    def install(self) -> None:
        counter = self
        original = self._original

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build", counter._before_call)
            client.meta.events.register("after-call", counter._after_call)
            return client

        botocore.session.Session.create_client = create_client

    def uninstall(self) -> None:
        botocore.session.Session.create_client = self._original

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Setup and seeding are not what is measured."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    def reset(self) -> None:
        self.requests.clear()
        self.wru = self.rru = self.aws_seconds = 0.0
        self.units.clear()

    def learn_tables(self, client: Any, names: list[str]) -> None:
        with self.paused():
            for name in names:
                self.shapes[name] = TableShape(client.describe_table(TableName=name)["Table"])

    def snapshot(self) -> dict[str, Any]:
        return {"requests": dict(self.requests), "total": sum(self.requests.values()),
                "dynamodb_wru": round(self.wru, 2), "dynamodb_rru": round(self.rru, 2),
                "aws_seconds": round(self.aws_seconds, 3),
                "dynamodb_units": {k: round(v, 2) for k, v in sorted(self.units.items())}}

    # --- hooks -----------------------------------------------------------------------------------------
    def _before_call(self, params: dict[str, Any], context: dict[str, Any], model: Any, **_: Any) -> None:
        context["bench_params"] = params
        context["bench_started"] = time.perf_counter()
        if model.name == "UpdateItem" and params.get("ReturnValues", "NONE") in ("NONE", "UPDATED_NEW"):
            # Sizing the write needs the item after it. DynamoDB bills the same whatever a write asks back, so
            # the counter asks for the whole item and hands the caller only what it asked for.
            context["bench_returns"] = params.get("ReturnValues", "NONE")
            params["ReturnValues"] = "ALL_NEW"

    def _after_call(self, parsed: dict[str, Any], context: dict[str, Any], model: Any, **_: Any) -> None:
        try:
            self._count(parsed, context, model)
        finally:
            asked = context.get("bench_returns")
            if asked and parsed is not None and "Attributes" in parsed:
                keep = _updated_names(context.get("bench_params") or {}) if asked == "UPDATED_NEW" else set()
                parsed["Attributes"] = {k: v for k, v in parsed["Attributes"].items() if k in keep}
                if not parsed["Attributes"]:
                    del parsed["Attributes"]

    def _count(self, parsed: dict[str, Any], context: dict[str, Any], model: Any) -> None:
        service = model.service_model.endpoint_prefix
        if self._paused:
            if service == "dynamodb":  # not counted, but later reads and writes are sized by these images
                wru, rru = self.wru, self.rru
                params = context.get("bench_params") or {}
                self._dynamodb_units(model.name, params.get("TableName"), params, parsed or {})
                self.wru, self.rru = wru, rru
            return
        self.requests[f"{service}.{model.name}"] += 1
        if "bench_started" in context:
            self.aws_seconds += time.perf_counter() - context["bench_started"]
        params = context.get("bench_params") or {}
        if service == "dynamodb":
            self._dynamodb(model.name, params, parsed or {})

    def _dynamodb(self, op: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        table = params.get("TableName")
        wru, rru = self.wru, self.rru
        self._dynamodb_units(op, table, params, parsed)
        if self.wru != wru:
            where = table or ",".join(_short(t) for t in params.get("RequestItems", {}))
            self.units[f"wru {op} {_short(table) if table else where}"] += self.wru - wru
        if self.rru != rru:
            self.units[f"rru {op} {_short(table)}"] += self.rru - rru

    def _dynamodb_units(self, op: str, table: str | None, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if op in _WRITES:
            self._write(table, params.get("Key") or params.get("Item") or {},
                        params.get("Item") if op == "PutItem" else parsed.get("Attributes") if op == "UpdateItem" else None,
                        failed="Error" in parsed)
        elif op == "BatchWriteItem":
            for name, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        self._write(name, request["PutRequest"]["Item"], request["PutRequest"]["Item"], failed=False)
                    else:
                        self._write(name, request["DeleteRequest"]["Key"], None, failed=False)
        elif op == "GetItem":
            item = parsed.get("Item")
            if "ProjectionExpression" in params:
                # DynamoDB bills a GetItem by the whole item's size, whatever the projection returns.
                whole = self._known(table, params.get("Key") or {})
                self.rru += _read_units(item_size(whole or item), params.get("ConsistentRead", False))
            else:
                self.rru += _read_units(item_size(item), params.get("ConsistentRead", False))
                if item is not None:
                    self._remember(table, item)
        elif op in ("Query", "Scan"):
            items = parsed.get("Items", [])
            consistent = params.get("ConsistentRead", False) and "IndexName" not in params
            self.rru += _read_units(sum(self._read_size(table, i, params) for i in items), consistent)
            if "IndexName" not in params and "ProjectionExpression" not in params:
                for item in items:
                    self._remember(table, item)
        elif op == "BatchGetItem":
            for name, items in parsed.get("Responses", {}).items():
                asked = params["RequestItems"][name]
                consistent = asked.get("ConsistentRead", False)
                self.rru += sum(_read_units(self._read_size(name, i, asked), consistent) for i in items)

    def _read_size(self, table: str | None, item: dict[str, Any], params: dict[str, Any]) -> int:
        """The size a read is billed for. A projection saves bytes on the wire, not capacity: DynamoDB bills by the
        item it read, the whole table item (or the whole index entry, which for an index projecting ALL is the
        same), so a projected answer is sized by the last image seen of its item."""
        if "ProjectionExpression" not in params and "AttributesToGet" not in params:
            return item_size(item)
        shape = self.shapes.get(table or "")
        index = params.get("IndexName")
        if shape is None or (index is not None and index not in shape.projects_all):
            return item_size(item)  # an index entry of chosen attributes: about what came back
        return item_size(self._known(table, {**_asked_key(shape, params), **item}) or item)

    def _known(self, table: str | None, key: dict[str, Any]) -> dict[str, Any] | None:
        shape = self.shapes.get(table or "")
        return self._items.get((table, shape.item_key(key))) if shape is not None else None

    def _remember(self, table: str, item: dict[str, Any]) -> None:
        shape = self.shapes.get(table)
        if shape is not None:
            self._items[(table, shape.item_key(item))] = item

    def _write(self, table: str, key_or_item: dict[str, Any], new: dict[str, Any] | None, *, failed: bool) -> None:
        shape = self.shapes.get(table)
        if shape is None:
            self.wru += max(1, math.ceil(item_size(new) / 1024))
            return
        slot = (table, shape.item_key(key_or_item))
        old = self._items.get(slot)
        self.wru += max(1, math.ceil(max(item_size(old), item_size(new)) / 1024))
        if failed:  # a failed condition still costs the table write, and nothing in the indexes
            return
        for keys, keys_only in shape.indexes.values():
            self.wru += _index_writes(old, new, keys, keys_only, shape.key)
        if new is None:
            self._items.pop(slot, None)
        else:
            self._items[slot] = new


def _asked_key(shape: TableShape, params: dict[str, Any]) -> dict[str, Any]:
    """Key attributes a read named but a projected answer may leave out: the partition key of a table Query
    (`#k = :v` in its key condition), or one shared by every key of a BatchGetItem."""
    if "Keys" in params:
        shared = {}
        for name in shape.key:
            values = {str(k.get(name)) for k in params["Keys"]}
            if len(values) == 1 and name in params["Keys"][0]:
                shared[name] = params["Keys"][0][name]
        return shared
    if "IndexName" in params or not shape.key:
        return {}
    placeholder = next((p for p, n in params.get("ExpressionAttributeNames", {}).items() if n == shape.key[0]), None)
    match = re.search(rf"{re.escape(placeholder)}\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")) if placeholder else None
    value = params.get("ExpressionAttributeValues", {}).get(match.group(1)) if match else None
    return {shape.key[0]: value} if value is not None else {}


def _updated_names(params: dict[str, Any]) -> set[str]:
    """The attributes an UpdateItem's SET and ADD clauses write (what ReturnValues=UPDATED_NEW returns)."""
    names = params.get("ExpressionAttributeNames", {})
    expression = params.get("UpdateExpression", "")
    # `#a = value` in SET; `#a :v` in ADD (a SET value's `f(#a, :v)` or `#a + :v` never has bare space between)
    targets = re.findall(r"(#\w+)\s*=(?!=)", expression) + re.findall(r"(#\w+)\s+:\w+", expression)
    return {names.get(t, t) for t in targets}


def _short(table: str | None) -> str:
    """The table's role without the prefix-stage part ("levante-dev-task-instances" -> "task-instances")."""
    if not table:
        return "batch"
    parts = table.split("-")
    return "-".join(parts[2:]) or table


def _read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


def _index_writes(old: dict | None, new: dict | None, keys: list[str], keys_only: bool, table_key: list[str]) -> float:
    def entry(item: dict | None) -> tuple | None:
        if item is None or any(k not in item for k in keys):
            return None
        return tuple(str(item[k]) for k in keys)

    def units(item: dict) -> int:
        if keys_only:
            return max(1, math.ceil(item_size({k: item[k] for k in set(keys) | set(table_key) if k in item}) / 1024))
        return max(1, math.ceil(item_size(item) / 1024))

    before, after = entry(old), entry(new)
    if before is None and after is None:
        return 0
    if before is None:
        return units(new)
    if after is None:
        return units(old)
    if before == after and keys_only:
        return 0  # keys-only entry unchanged by a write to other attributes
    return units(new) if before == after else units(old) + units(new)
