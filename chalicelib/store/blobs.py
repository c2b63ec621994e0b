"""S3: task logs (one object per try), XComs too large for a DynamoDB item, DAG specs and sources by version.

Run keys are built here only, from ids made safe as one path segment each: a run id holding `/` once
addressed another run's prefix, and deleting it deleted that run's logs. Ids matching Airflow's run-id
characters (every id the API now accepts) are used as they are; anything else is percent-encoded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.core.limits import MARKER_PREFIX, MARKER_ROOM, truncation_marker
from chalicelib.store.settings import Settings

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~:+=-]+")
_DELETE_BATCH = 1000  # DeleteObjects' limit


def segment(value: str) -> str:
    """`value` as exactly one key segment: never a `/`, never `.` or `..`."""
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return value if _PLAIN_SEGMENT.fullmatch(value) else quote(value, safe="")


def log_key(dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
    # Airflow's remote-log layout: a mapped instance's tries sit under map_index=N.
    index = f"map_index={int(map_index)}/" if map_index >= 0 else ""
    return f"{run_log_prefix(dag_id, run_id)}task_id={segment(task_id)}/{index}attempt={int(try_number)}.log"


def rendered_fields_key(dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int = -1) -> str:
    """A try's rendered template fields (JSON), beside its log: deleting the run's logs deletes them too."""
    return log_key(dag_id, run_id, task_id, try_number, map_index).removesuffix(".log") + ".rendered.json"


def run_log_prefix(dag_id: str, run_id: str) -> str:
    return f"logs/dag_id={segment(dag_id)}/run_id={segment(run_id)}/"


def dag_spec_key(dag_id: str, spec_hash: str) -> str:
    """Every version of a DAG's serialized spec, immutable (content-addressed): runs read the one they began with."""
    return f"dags/{dag_id}/specs/{spec_hash}.json"


def dag_source_key(source_hash: str) -> str:
    """A DAG file's source by its hash (immutable): the Code view of any version."""
    return f"dags/sources/{source_hash}.py"


def xcom_key(dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1) -> str:
    index = f"map_index={int(map_index)}/" if map_index >= 0 else ""
    return f"{run_xcom_prefix(dag_id, run_id)}{segment(task_id)}/{index}{segment(key)}.json"


def run_xcom_prefix(dag_id: str, run_id: str) -> str:
    return f"xcoms/{segment(dag_id)}/{segment(run_id)}/"


@dataclass(frozen=True)
class TextHead:
    text: str  # at most the bytes asked for, decoded
    size: int  # bytes stored in all
    truncated: bool


@dataclass(frozen=True)
class BlobRange:
    """Part of an object: `data` from the asked offset, and the object's whole size."""

    data: bytes
    total: int


class BlobStore:
    def __init__(self, settings: Settings, client: Any = None):
        self.settings = settings
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:  # created on first use: moto must be running before any client exists
            import boto3

            self._client = boto3.client("s3", region_name=self.settings.region)
        return self._client

    def put_text(self, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.client.put_object(Bucket=self.settings.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)

    def put_log(self, key: str, text: str) -> None:
        """A try's log, cut at LEVANTE_LOG_MAX_BYTES with a marker line (the worker should bound it earlier)."""
        self.put_text(key, cap_text(text, self.settings.log_max_bytes))

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.settings.bucket, Key=key, Body=data, ContentType=content_type)

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.settings.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.settings.bucket, Key=key)
        except self.client.exceptions.ClientError:
            return False
        return True

    def get_text(self, key: str) -> str | None:
        try:
            body = self.client.get_object(Bucket=self.settings.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return body.decode("utf-8", errors="replace")

    def get_head(self, key: str, max_bytes: int) -> TextHead | None:
        """The first `max_bytes` of an object and its full size, without reading the rest."""
        part = self.get_range(key, 0, max_bytes)
        if part is None:
            return None
        return TextHead(part.data.decode("utf-8", errors="ignore"), part.total, part.total > len(part.data))

    def delete_keys(self, keys: list[str]) -> int:
        unique = sorted(set(keys))
        for start in range(0, len(unique), _DELETE_BATCH):
            batch = [{"Key": k} for k in unique[start:start + _DELETE_BATCH]]
            self.client.delete_objects(Bucket=self.settings.bucket, Delete={"Objects": batch, "Quiet": True})
        return len(unique)

    def delete_prefix(self, prefix: str) -> int:
        if not prefix.endswith("/") or prefix.count("/") < 2:
            raise ValueError(f"refusing to delete under {prefix!r}: not a run's own prefix")
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.settings.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return self.delete_keys(keys)

    def get_range(self, key: str, offset: int, length: int) -> BlobRange | None:
        """Up to `length` bytes from `offset`; None when the object does not exist, no data at or past its end."""
        try:
            response = self.client.get_object(Bucket=self.settings.bucket, Key=key,
                                              Range=f"bytes={offset}-{offset + length - 1}")
        except self.client.exceptions.NoSuchKey:
            return None
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # offset at or past the end
                return BlobRange(b"", offset)
            raise
        data = response["Body"].read()
        # "bytes 0-99/1234": the total is after the slash; without a range answer, what was read is all.
        _, _, total = (response.get("ContentRange") or "").rpartition("/")
        return BlobRange(data, int(total) if total.isdecimal() else offset + len(data))


def cap_text(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes or (len(data) <= max_bytes + MARKER_ROOM and MARKER_PREFIX in text[-MARKER_ROOM:]):
        return text  # within the limit, or already cut by the worker's bounded buffer
    kept = data[:max_bytes].decode("utf-8", errors="ignore")
    return kept + truncation_marker(max_bytes, len(data) - max_bytes)
