"""S3: task logs (one object per try), XComs too large for a DynamoDB item, DAG specs and sources by version."""

from __future__ import annotations

from typing import Any

from chalicelib.store.settings import Settings


def log_key(dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
    return f"logs/dag_id={dag_id}/run_id={run_id}/task_id={task_id}/attempt={try_number}.log"


def dag_spec_key(dag_id: str, spec_hash: str) -> str:
    """Every version of a DAG's serialized spec, immutable (content-addressed): runs read the one they began with."""
    return f"dags/{dag_id}/specs/{spec_hash}.json"


def dag_source_key(source_hash: str) -> str:
    """A DAG file's source by its hash (immutable): the Code view of any version."""
    return f"dags/sources/{source_hash}.py"


def xcom_key(dag_id: str, run_id: str, task_id: str, key: str) -> str:
    return f"xcoms/{dag_id}/{run_id}/{task_id}/{key}.json"


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

    def get_text(self, key: str) -> str | None:
        try:
            body = self.client.get_object(Bucket=self.settings.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return body.decode("utf-8", errors="replace")
