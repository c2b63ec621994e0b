"""Costs of runs and DAGs from what the store holds, the schedule preview, and forecasts before
unpausing or backfilling. The arithmetic is `core.cost` (pure); this module only reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import cost
from chalicelib.core.edges import edge_plan_applies, slots_bind
from chalicelib.core.schedule import Schedule, next_run, runs_between
from chalicelib.core.spec import DagSpec
from chalicelib.services.backend import Backend
from chalicelib.store.errors import NotFoundError
from chalicelib.store.readers import ApiReader
from chalicelib.store.runs import StoredRun

MAX_CATCHUP_COUNTED = 100_000  # a preview counts at most this many runs
COST_RUNS = 500  # a DAG's cost history reads at most this many latest runs
DEFAULT_TASK_SECONDS = 1.0  # a DAG that never ran: each task assumed to take a second


def tries(items: Iterable[Any]) -> list[cost.TaskTries]:
    return [cost.TaskTries(int(i.try_number or 0), float(i.duration) if i.duration is not None else None,
                           cost.handed_off(i.queued_at, i.start_date)) for i in items]


def plan_items(spec: DagSpec | None, run_size: int) -> int:
    """The task instances each try of the DAG reads afterwards, for the cost model: the run's size when its tries
    plan the whole run (core/edges.py), else none; a DAG no longer known is priced as deciding from its edges."""
    return run_size if spec is not None and not edge_plan_applies(spec) else 0


def slotted(spec: DagSpec | None) -> bool:
    """Whether the DAG's tries hand their slot on through the run's waiting list (core/edges.slots_bind)."""
    return spec is not None and slots_bind(spec)


def run_cost(backend: Backend, items: Iterable[Any], spec: DagSpec | None = None) -> float:
    items = list(items)
    return cost.rounded(cost.run_cost(tries(items), backend.settings.worker_memory_mb,
                                      plan_items=plan_items(spec, len(items)), slotted=slotted(spec)))


def spec_or_none(backend: Backend, dag_id: str) -> DagSpec | None:
    """The DAG's current spec, or None when the DAG is gone (its runs are still priced)."""
    try:
        return backend.dags.specs.of_item(ApiReader(backend.models).dag_item(dag_id))
    except NotFoundError:
        return None


@dataclass(frozen=True)
class DagCosts:
    days: dict[str, float]  # YYYY-MM-DD (run's logical date, UTC) -> USD
    months: dict[str, float]  # YYYY-MM -> USD
    runs_counted: int


def dag_costs(backend: Backend, spec: DagSpec, *, since: datetime) -> DagCosts:
    dag_id = spec.dag_id
    reader = ApiReader(backend.models)
    runs = [StoredRun.of(i) for i in reader.run_items(dag_id, limit=COST_RUNS)]
    runs = [r for r in runs if r.logical_date >= since]
    with ThreadPoolExecutor(max_workers=8) as pool:
        per_run = list(pool.map(lambda r: reader.grid_task_instances(dag_id, r.run_id), runs))
    days: dict[str, float] = defaultdict(float)
    months: dict[str, float] = defaultdict(float)
    for run, items in zip(runs, per_run):
        usd = cost.run_cost(tries(items), backend.settings.worker_memory_mb, plan_items=plan_items(spec, len(items)),
                            slotted=slotted(spec))
        days[run.logical_date.strftime("%Y-%m-%d")] += usd
        months[run.logical_date.strftime("%Y-%m")] += usd
    return DagCosts({k: cost.rounded(v) for k, v in sorted(days.items())},
                    {k: cost.rounded(v) for k, v in sorted(months.items())}, len(runs))


@dataclass(frozen=True)
class Preview:
    next_runs: list[datetime]  # when the next scheduled runs would start (run_after), after those due now
    catchup_runs: int  # runs the scheduler would create at once on unpausing now
    forecast: cost.Forecast  # of the catchup runs
    seconds_per_task: float


def schedule_preview(backend: Backend, spec: DagSpec, last_logical: datetime | None, *, now: datetime,
                     count: int) -> Preview:
    schedule = Schedule.from_dict(spec.schedule)
    due = runs_between(schedule, start_date=spec.start_date, end_date=spec.end_date, catchup=spec.catchup,
                       last_logical_date=last_logical, now=now, limit=MAX_CATCHUP_COUNTED)
    last = due[-1].logical_date if due else last_logical
    upcoming: list[datetime] = []
    for _ in range(count):
        info = next_run(schedule, start_date=spec.start_date, end_date=spec.end_date, catchup=True,
                        last_logical_date=last, now=now + timedelta(days=365 * 200))
        if info is None:
            break
        upcoming.append(info.run_after)
        last = info.logical_date
    seconds = seconds_per_task(backend, spec.dag_id)
    return Preview(upcoming, len(due), cost.forecast(len(due), len(spec.tasks), seconds,
                                                     backend.settings.worker_memory_mb), seconds)


def backfill_forecast(backend: Backend, spec: DagSpec, *, start: datetime, end: datetime) -> cost.Forecast:
    """What backfilling [start, end] would create and cost (Airflow's backfill: every interval, catchup on)."""
    runs = runs_between(Schedule.from_dict(spec.schedule), start_date=start, end_date=end, catchup=True,
                        last_logical_date=None, now=end + timedelta(days=366), limit=MAX_CATCHUP_COUNTED)
    return cost.forecast(len(runs), len(spec.tasks), seconds_per_task(backend, spec.dag_id),
                         backend.settings.worker_memory_mb)


def seconds_per_task(backend: Backend, dag_id: str) -> float:
    """Mean task duration in the DAG's latest finished run (one Query), else a default."""
    reader = ApiReader(backend.models)
    item = reader.dag_item(dag_id)
    if not item.last_run_id:
        return DEFAULT_TASK_SECONDS
    durations = [float(i.duration) for i in reader.grid_task_instances(dag_id, item.last_run_id) if i.duration is not None]
    return sum(durations) / len(durations) if durations else DEFAULT_TASK_SECONDS
