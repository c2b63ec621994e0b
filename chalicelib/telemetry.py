"""Logs and metrics of the Lambda functions: structured JSON logs and CloudWatch EMF metrics (Powertools).

Chalice sets its app logger (`levante`, the parent of every `levante.*` logger) to ERROR in Lambda and
gives it a plain-text handler; `configure` replaces both with Powertools' JSON logger at
`LEVANTE_LOG_LEVEL` (INFO). Each worker invocation carries dag_id, run_id, task_id, try and the SQS message
id on every line it logs. Metrics are written as EMF lines on stdout, which CloudWatch turns into metrics
without an API call (namespace `Levante`, dimension `service` = `{prefix}-{stage}`, which the alarms of
chalicelib/deploy/alarms.py watch).

Outside Lambda (levante dev, tests) nothing changes: the local commands configure their own logging.
Powertools is imported only in Lambda, so local start-up does not pay for it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

NAMESPACE = "Levante"
TASK_OUTCOMES = {"success": "TasksSucceeded", "failed": "TasksFailed", "up_for_retry": "TasksRetried",
                 "up_for_reschedule": "TasksRescheduled"}


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


class Telemetry:
    """One per container. Without Lambda every method is a no-op."""

    def __init__(self, app_log: Any):
        self.enabled = in_lambda()
        if not self.enabled:
            return
        from aws_lambda_powertools import Logger, Metrics

        from chalicelib.store.settings import Settings

        service = Settings.from_env().base
        for handler in list(app_log.handlers):  # Chalice's plain-text handler
            app_log.removeHandler(handler)
        # Same logger name as Chalice's app logger: the `levante.*` loggers propagate into it.
        self.logger = Logger(service=app_log.name, level=os.environ.get("LEVANTE_LOG_LEVEL", "INFO"))
        self.logger.append_keys(stage=service)
        self.metrics = Metrics(namespace=NAMESPACE, service=service)

    @contextmanager
    def task(self, message_id: str, body: str, sent_timestamp_ms: str | None, delay_s: int = 0) -> Iterator[dict]:
        """Around one SQS record: log keys for its lines, then the task metrics. Yields a dict for the outcome."""
        outcome: dict[str, str] = {}
        if not self.enabled:
            yield outcome
            return
        keys = {"sqs_message_id": message_id, **_task_keys(body)}
        self.logger.append_keys(**keys)
        started = time.time()
        if sent_timestamp_ms:  # queue lag: the worker's start minus the enqueue time (less any delivery delay)
            lag = max(0.0, started - int(sent_timestamp_ms) / 1000 - delay_s)
            self.metrics.add_metric(name="QueueLag", unit="Seconds", value=round(lag, 3))
        try:
            yield outcome
        finally:
            self.logger.remove_keys(list(keys))
            self.record_tries(outcome.get("results") or [outcome.get("result")], time.time() - started)
            self.metrics.flush_metrics()

    def record_tries(self, results: list[str | None], seconds: float) -> None:
        """The task metrics of every try one invocation ran: its message's, then those handed off to it
        (services/handoff.py), so the failure alarms see a handed-off try's failure too."""
        ran = [r for r in results if r and r not in ("duplicate", "lost", "early")]
        if not ran:
            return
        self.metrics.add_metric(name="TasksStarted", unit="Count", value=len(ran))
        self.metrics.add_metric(name="TaskDuration", unit="Seconds", value=round(seconds / len(ran), 3))
        for result in ran:
            if result in TASK_OUTCOMES:
                self.metrics.add_metric(name=TASK_OUTCOMES[result], unit="Count", value=1)

    def tick(self, runs_created: int, reaped: int, duration_s: float) -> None:
        if not self.enabled:
            return
        self.metrics.add_metric(name="TickDuration", unit="Seconds", value=round(duration_s, 3))
        self.metrics.add_metric(name="RunsCreated", unit="Count", value=runs_created)
        self.metrics.add_metric(name="TasksReaped", unit="Count", value=reaped)
        self.metrics.add_metric(name="SchedulerHeartbeat", unit="Count", value=1)  # the stale-scheduler alarm
        self.metrics.flush_metrics()


def _task_keys(body: str) -> dict[str, Any]:
    try:
        message = json.loads(body)
        return {"dag_id": message["dag_id"], "run_id": message["run_id"], "task_id": message["task_id"],
                # 0: a fresh message, whose claim decides the try (taskqueue.FRESH_TRY)
                "try": message.get("try_number") or "next"}
    except (ValueError, KeyError, TypeError):
        return {}
