"""What runs and tasks cost on AWS: a pure model of Lambda GB-seconds plus the requests each try makes.

Prices are AWS list prices for us-east-1 (on-demand, free tier ignored); the per-try request counts are
the ones `bench/scale.py` measured on a 100-task chain (docs/costs.md, issue #17): one worker invocation,
three SQS requests (receive, delete, the downstream send), ~9.4 DynamoDB write units and ~1.7 read units,
and no S3 PUT: a log and rendered template fields of up to 2 KB each ride on the try's final write to its
task-instance item (a larger one adds a PUT each, $0.005 per thousand). A try's Lambda time is the task's own duration plus the handler's overhead. Only the last
try's duration is stored, so earlier tries are assumed to have lasted as long as the last one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_WORKER_MEMORY_MB = 1024  # .chalice/config.json, stage dev
# What one DynamoDB or SQS request takes from a Lambda in the same region: an assumption (AWS quotes single-digit
# milliseconds for DynamoDB; SQS sends take ~10 ms), not a measurement; bench/ measures against moto instead.
AWS_CALL_SECONDS = 0.010


@dataclass(frozen=True)
class Prices:
    lambda_gb_second: float = 0.0000166667
    lambda_request: float = 0.20 / 1e6
    sqs_request: float = 0.40 / 1e6
    dynamodb_wru: float = 0.625 / 1e6
    dynamodb_rru: float = 0.125 / 1e6
    s3_put: float = 0.005 / 1000
    s3_get: float = 0.0004 / 1000


@dataclass(frozen=True)
class TryRequests:
    """AWS requests one task try makes besides its own code's (measured: docs/costs.md)."""

    lambda_invocations: float = 1.0
    sqs: float = 3.0
    dynamodb_wru: float = 7.17  # the claim and heartbeats update the active index entry in place
    dynamodb_rru: float = 1.54  # a projected GetItem billed by the whole item (bench/awscount.py)
    s3_put: float = 0.0  # small logs and rendered fields are inline (LEVANTE_*_INLINE_BYTES)
    handler_seconds: float = 0.1  # the worker's own time around the task


PRICES = Prices()
PER_TRY = TryRequests()


@dataclass(frozen=True)
class TaskTries:
    """What the store knows of a task instance: how many tries, and how long the last one ran."""

    tries: int
    last_duration: float | None


def try_cost(duration: float | None, memory_mb: int, prices: Prices = PRICES, per_try: TryRequests = PER_TRY) -> float:
    seconds = max(0.0, duration or 0.0) + per_try.handler_seconds
    compute = seconds * memory_mb / 1024 * prices.lambda_gb_second
    requests = (per_try.lambda_invocations * prices.lambda_request + per_try.sqs * prices.sqs_request
                + per_try.dynamodb_wru * prices.dynamodb_wru + per_try.dynamodb_rru * prices.dynamodb_rru
                + per_try.s3_put * prices.s3_put)
    return compute + requests


def task_cost(task: TaskTries, memory_mb: int, prices: Prices = PRICES) -> float:
    return task.tries * try_cost(task.last_duration, memory_mb, prices) if task.tries > 0 else 0.0


def run_cost(tasks: Iterable[TaskTries], memory_mb: int, prices: Prices = PRICES) -> float:
    return sum(task_cost(t, memory_mb, prices) for t in tasks)


@dataclass(frozen=True)
class Forecast:
    runs: int
    tasks: int
    usd: float


def forecast(runs: int, tasks_per_run: int, seconds_per_task: float, memory_mb: int,
             prices: Prices = PRICES) -> Forecast:
    """What `runs` new runs would cost, each try lasting `seconds_per_task` (no retries assumed)."""
    tasks = runs * tasks_per_run
    return Forecast(runs, tasks, tasks * try_cost(seconds_per_task, memory_mb, prices))


def rounded(usd: float) -> float:
    """Costs are tiny (a task is ~$0.00002): keep ten decimals, enough for any sum, without float noise."""
    return round(usd, 10)
