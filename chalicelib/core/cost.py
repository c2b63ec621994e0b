"""What runs and tasks cost on AWS: a pure model of Lambda GB-seconds plus the requests each try makes.

Prices are AWS list prices for us-east-1 (on-demand, free tier ignored). A try costs one of two measured
profiles (`bench/scale.py`, docs/costs.md): a try that came through SQS pays its own message (send, receive,
delete) and worker invocation, and its claim (its upstream's worker sends it a fresh message with no enqueue
write: store/try_writes.claim_fresh); a try handed off by its upstream's worker
(services/handoff.py) pays one conditional claim and no SQS request or invocation. Neither makes an S3 PUT
when its log and rendered template fields are under 2 KB each (they ride on the try's final write; a larger
one adds a PUT each, $0.005 per thousand). A try's Lambda time is the task's own duration plus the handler's:
the worker's own time measured against moto on one full core (slowed to the memory's CPU share: `cpu_slowdown`),
plus AWS_CALL_SECONDS per request it makes. Only the last try's
duration is stored, so earlier tries are assumed to have lasted as long as the last one, and to have come
through SQS (a retry always does).

A DAG whose tries cannot decide their downstream from their edges (mapped tasks, depends_on_past...:
core/edges.py) plans the whole run after each try, reading every task instance of it. That read grows with
the run (`whole_run_plan`), so such a try costs more the wider its run. A DAG that may run more tasks at once
than its max_active_tasks counts its slots instead (`SLOT_HANDOVER`, a flat cost per try).
"""

from __future__ import annotations

import math
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
    """AWS requests one task try makes besides its own code's, and the handler's own seconds."""

    lambda_invocations: float
    sqs: float
    dynamodb_wru: float
    dynamodb_rru: float
    handler_seconds: float  # the worker's wait on its own AWS requests around the task
    s3_put: float = 0.0  # small logs and rendered fields are inline (LEVANTE_*_INLINE_BYTES)
    cpu_seconds: float = 0.0  # the worker's own work around the task, at one full vCPU (`cpu_slowdown`)

    def plus(self, other: TryRequests) -> TryRequests:
        return TryRequests(self.lambda_invocations + other.lambda_invocations, self.sqs + other.sqs,
                           self.dynamodb_wru + other.dynamodb_wru, self.dynamodb_rru + other.dynamodb_rru,
                           self.handler_seconds + other.handler_seconds, self.s3_put + other.s3_put,
                           self.cpu_seconds + other.cpu_seconds)


# Lambda gives a function CPU in proportion to its memory: one vCPU's worth at 1,769 MB (AWS Lambda Developer
# Guide, "Configuring function memory"). The worker's own work is one thread at a time (the handler, then the
# child's run, then the handler again), so below that it takes longer in proportion and above it no less.
# bench/task_process.py under cgroup CPU quotas of 0.58, 1.0 and 1.16 CPU (1,024, 1,769 and 2,048 MB; docs/costs.md,
# session 9): 110, 66 and 55 ms a task, moto in the same process included (its threads use the extra share).
LAMBDA_MB_PER_VCPU = 1769


def cpu_slowdown(memory_mb: int) -> float:
    """How much longer the worker's own work takes at `memory_mb` than on one full vCPU."""
    return max(1.0, LAMBDA_MB_PER_VCPU / max(memory_mb, 1))


def lambda_seconds(duration: float | None, memory_mb: int, per_try: TryRequests) -> float:
    """A try's billed Lambda time: the task's own duration (measured on Lambda, at this memory), the worker's
    wait on its requests, and its own work slowed to the memory's CPU share."""
    return max(0.0, duration or 0.0) + per_try.handler_seconds + per_try.cpu_seconds * cpu_slowdown(memory_mb)


PRICES = Prices()
# bench/scale.py (docs/costs.md, session 8): `fanout_100_slots`, where every try comes through SQS (its receive
# and delete, and a tenth of a batched send; the message carries the run, so no run read), and `chain_100`,
# where every try but the first is handed off (the paused flag cached, so no read of it either). Their RRU is
# mostly the run's first plan (a read of its 100 items, shared by its tries). Since session 8 a queued or running
# try writes no index (store/tries_in_flight.by_active_state): 8.12 -> 5.14 and 5.17 -> 3.17 WRU; since session 9 a try
# through SQS has no enqueue write (a fresh message): 5.14 -> 4.16 WRU, one request fewer. Handler seconds: the
# measured own time (session 6: 25 and 20 ms, `cpu_seconds`) plus AWS_CALL_SECONDS per request the handler made
# (`handler_seconds`; SQS's receive and delete are the event source mapping's, not the handler's).
QUEUED_TRY = TryRequests(lambda_invocations=1.0, sqs=2.1, dynamodb_wru=4.16, dynamodb_rru=0.30, handler_seconds=0.033,
                         cpu_seconds=0.025)
HANDED_OFF_TRY = TryRequests(lambda_invocations=0.0, sqs=0.0, dynamodb_wru=3.17, dynamodb_rru=0.32,
                             handler_seconds=0.023, cpu_seconds=0.020)
PER_TRY = QUEUED_TRY  # what a try costs when nothing says it was handed off (forecasts: an upper bound)
# The mean task-instance item the whole-run plan reads, in bytes: DynamoDB bills a Query by the whole items it
# reads, whatever it projects (bench/scale.py at 16 slots: 13.6 RRU a try over 100 items, 39.0 over 300).
TI_ITEM_BYTES = 550


# A try of a DAG whose max_active_tasks can bind hands its slot on through the run's waiting list
# (services/slot_gate.py, store/slots.py): a conditional ADD on a page's cursor takes the next waiting task, a
# strongly consistent read of the list only when the worker has no page in hand or its page is used up, the
# counter's ADD when the list is empty, and its share of the page writes (and no leaf counter: the last slot given
# back tells the run it may be done). bench/scale.py, fanout_100 at 16 slots (session 9): 1.05 meta updates a try
# (0.84 cursor, 0.2 counter), 0.08 WRU of pages, 0.38 Queries of the list (0.35 RRU).
SLOT_HANDOVER = TryRequests(0.0, 0.0, dynamodb_wru=1.13, dynamodb_rru=0.35, handler_seconds=1.5 * AWS_CALL_SECONDS)


def whole_run_plan(items: int) -> TryRequests:
    """What planning the whole run after a try adds to it: a strongly consistent Query of the run's `items` task
    instances, and the handler's time for it (the run itself is the one the try read or its message carried)."""
    if items <= 0:
        return TryRequests(0.0, 0.0, 0.0, 0.0, 0.0)
    return TryRequests(0.0, 0.0, 0.0, float(math.ceil(items * TI_ITEM_BYTES / 4096)), AWS_CALL_SECONDS)


@dataclass(frozen=True)
class TaskTries:
    """What the store knows of a task instance: how many tries, and how long the last one ran."""

    tries: int
    last_duration: float | None
    handed_off: bool = False  # its last try was handed off (queued and started at the same instant)


def handed_off(queued_at: str | None, start_date: str | None) -> bool:
    """A try handed off to its upstream's worker was queued and claimed in one write, at one instant
    (store/try_writes.claim_ready); a try through SQS is claimed after it was queued."""
    return queued_at is not None and queued_at == start_date


def try_cost(duration: float | None, memory_mb: int, prices: Prices = PRICES, per_try: TryRequests = PER_TRY) -> float:
    compute = lambda_seconds(duration, memory_mb, per_try) * memory_mb / 1024 * prices.lambda_gb_second
    requests = (per_try.lambda_invocations * prices.lambda_request + per_try.sqs * prices.sqs_request
                + per_try.dynamodb_wru * prices.dynamodb_wru + per_try.dynamodb_rru * prices.dynamodb_rru
                + per_try.s3_put * prices.s3_put)
    return compute + requests


def task_cost(task: TaskTries, memory_mb: int, prices: Prices = PRICES, plan_items: int = 0,
              slotted: bool = False) -> float:
    """`plan_items`: the size of the run each try plans afterwards (0 for a DAG whose tries decide from
    their edges: `plan_items` in services/costs.py). `slotted`: its tries hand their slot on (SLOT_HANDOVER)."""
    if task.tries <= 0:
        return 0.0
    plan = whole_run_plan(plan_items)
    if slotted:
        plan = plan.plus(SLOT_HANDOVER)
    last = (HANDED_OFF_TRY if task.handed_off else QUEUED_TRY).plus(plan)
    return (try_cost(task.last_duration, memory_mb, prices, last)
            + (task.tries - 1) * try_cost(task.last_duration, memory_mb, prices, QUEUED_TRY.plus(plan)))


def run_cost(tasks: Iterable[TaskTries], memory_mb: int, prices: Prices = PRICES, plan_items: int = 0,
             slotted: bool = False) -> float:
    return sum(task_cost(t, memory_mb, prices, plan_items, slotted) for t in tasks)


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
