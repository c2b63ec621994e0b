"""Names and knobs of the AWS resources, all derived from LEVANTE_PREFIX and the stage (read when asked)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    prefix: str = "levante"
    stage: str = "dev"
    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    worker_timeout: int = 900  # seconds: the worker Lambda's timeout
    heartbeat_timeout: float = 300.0  # LEVANTE_TASK_HEARTBEAT_TIMEOUT
    queued_timeout: float = 600.0  # a task QUEUED longer than this is re-sent
    max_enqueue_attempts: int = 3  # re-sends of a stuck QUEUED task before it fails
    xcom_inline_limit: int = 64 * 1024  # bytes; larger XComs go to S3
    max_receive_count: int = 5  # SQS deliveries before a message moves to the DLQ
    bucket_override: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            prefix=env.get("LEVANTE_PREFIX", "levante"),
            stage=env.get("LEVANTE_STAGE", "dev"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL"),
            worker_timeout=int(env.get("LEVANTE_WORKER_TIMEOUT", "900")),
            heartbeat_timeout=float(env.get("LEVANTE_TASK_HEARTBEAT_TIMEOUT", "300")),
            queued_timeout=float(env.get("LEVANTE_QUEUED_TIMEOUT", "600")),
            bucket_override=env.get("LEVANTE_BUCKET"),
        )

    @property
    def base(self) -> str:
        return f"{self.prefix}-{self.stage}"

    def table(self, name: str) -> str:
        return f"{self.base}-{name}"

    @property
    def queue_name(self) -> str:
        return f"{self.base}-tasks"

    @property
    def dlq_name(self) -> str:
        return f"{self.base}-tasks-dlq"

    @property
    def bucket(self) -> str:
        return self.bucket_override or f"{self.base}-data"

    @property
    def visibility_timeout(self) -> int:
        return 6 * self.worker_timeout  # AWS's advice for Lambda event sources

    @property
    def heartbeat_interval(self) -> float:
        """Often enough that a live task is never mistaken for a zombie, even with a 5 s timeout."""
        return max(0.5, min(30.0, self.heartbeat_timeout / 4))
