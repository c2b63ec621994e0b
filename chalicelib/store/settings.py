"""Names and knobs of the AWS resources, all derived from LEVANTE_PREFIX and the stage (read when asked)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core.inputs import RUN_ID_PATTERN
from chalicelib.core.limits import DEFAULT_LOG_MAX_BYTES, DEFAULT_XCOM_MAX_BYTES

# Keeps the busiest GSI partition key under DynamoDB's 1,000 WCU/s at 5,000 tasks/s with tasks of up to a
# minute (heartbeats included): bench/partitions.py, docs/costs.md "Scale".
DEFAULT_INDEX_SHARDS = 32


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
    kill_grace: float = 60.0  # LEVANTE_TASK_KILL_GRACE: seconds between a task's SIGTERM and its SIGKILL
    bucket_override: str | None = None
    run_id_pattern: str = RUN_ID_PATTERN  # LEVANTE_ALLOWED_RUN_ID_PATTERN, Airflow's allowed_run_id_pattern
    log_max_bytes: int = DEFAULT_LOG_MAX_BYTES  # LEVANTE_LOG_MAX_BYTES: a try's log is cut here, with a marker line
    xcom_max_bytes: int = DEFAULT_XCOM_MAX_BYTES  # LEVANTE_XCOM_MAX_BYTES: a bigger XCom fails its task
    worker_memory_mb: int = 1024  # LEVANTE_WORKER_MEMORY_MB: the worker Lambda's memory, for the cost model
    log_flush_seconds: float = 3.0  # LEVANTE_LOG_FLUSH_SECONDS: a running try's log is published this often
    # LEVANTE_LOG_INLINE_BYTES: a finished try's log up to this size is kept on its task-instance item, not
    # in S3 (a PUT costs as much as ~8 KB of DynamoDB writes; docs/costs.md). 0 sends every log to S3.
    log_inline_bytes: int = 2048
    # LEVANTE_RENDERED_INLINE_BYTES: a try's rendered template fields (masked JSON) up to this size ride on its
    # final write to the task-instance item, not in an S3 object of their own (the PUT was $5 of ~$14 per
    # million tasks). A sibling of the log's bound, not the same knob: both texts grow the same item (every
    # later write and read of it pays for its size), so each is bounded on its own and their sum is what an
    # item may grow by; and sending every log to S3 (0, e.g. for log shipping) need not send these too.
    rendered_inline_bytes: int = 2048
    # LEVANTE_INDEX_SHARDS: keys each low-cardinality GSI partition key is spread over (store/shards.py).
    # On AWS the default is DEFAULT_INDEX_SHARDS; against a local endpoint (moto) it is 1: a local table has
    # no partition limit and every extra shard is one more query per read.
    index_shards: int = 1
    # LEVANTE_HANDOFF_SECONDS: for this long after an invocation starts, a finishing try may hand one task it
    # readied to its own worker instead of the queue (services/handoff.py); 0 turns hand-offs off. The default,
    # a tenth of the worker timeout and at most 60 s, leaves a handed-off task nine tenths of its budget.
    handoff_seconds: float = 60.0
    # LEVANTE_PAUSED_CACHE_SECONDS: how old a DAG's paused flag may be when a worker decides to start its
    # next tasks (store/dags.py is_paused). Pausing stops new tasks within this long on warm workers; Airflow's
    # own scheduler loop takes seconds. 0 reads the flag on every decision.
    paused_cache_seconds: float = 1.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        endpoint = env.get("AWS_ENDPOINT_URL_DYNAMODB") or env.get("AWS_ENDPOINT_URL")
        worker_timeout = int(env.get("LEVANTE_WORKER_TIMEOUT", "900"))
        return cls(
            prefix=env.get("LEVANTE_PREFIX", "levante"),
            stage=env.get("LEVANTE_STAGE", "dev"),
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=endpoint,
            worker_timeout=worker_timeout,
            heartbeat_timeout=float(env.get("LEVANTE_TASK_HEARTBEAT_TIMEOUT", "300")),
            queued_timeout=float(env.get("LEVANTE_QUEUED_TIMEOUT", "600")),
            kill_grace=float(env.get("LEVANTE_TASK_KILL_GRACE", "60")),
            bucket_override=env.get("LEVANTE_BUCKET"),
            run_id_pattern=env.get("LEVANTE_ALLOWED_RUN_ID_PATTERN", "").strip() or RUN_ID_PATTERN,
            log_max_bytes=_positive_int(env, "LEVANTE_LOG_MAX_BYTES", DEFAULT_LOG_MAX_BYTES),
            xcom_max_bytes=_positive_int(env, "LEVANTE_XCOM_MAX_BYTES", DEFAULT_XCOM_MAX_BYTES),
            worker_memory_mb=_positive_int(env, "LEVANTE_WORKER_MEMORY_MB", 1024),
            log_flush_seconds=float(env.get("LEVANTE_LOG_FLUSH_SECONDS", "3")),
            log_inline_bytes=int(env.get("LEVANTE_LOG_INLINE_BYTES", "2048")),
            rendered_inline_bytes=int(env.get("LEVANTE_RENDERED_INLINE_BYTES", "2048")),
            index_shards=_positive_int(env, "LEVANTE_INDEX_SHARDS", 1 if endpoint else DEFAULT_INDEX_SHARDS),
            handoff_seconds=float(env.get("LEVANTE_HANDOFF_SECONDS", "").strip() or min(60.0, worker_timeout / 10)),
            paused_cache_seconds=float(env.get("LEVANTE_PAUSED_CACHE_SECONDS", "").strip() or 1.0),
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


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or int(raw) < 1:
        raise ValueError(f"{name}={raw!r} must be a positive whole number")
    return int(raw)
