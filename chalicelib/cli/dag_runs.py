"""Airflow's run-inspection verbs: `dags state|list-runs|next-execution|backfill` and
`tasks states-for-dag-run`, against the local store (the one `levante dev` and `dags trigger` use)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from chalicelib.cli.common import add_dags_folder, parse_date, print_json
from chalicelib.cli.errors import CliError


def register_dag_verbs(commands: Any) -> None:
    state = commands.add_parser("state", help="the state of a DAG run")
    state.add_argument("dag_id")
    state.add_argument("run_id")
    state.set_defaults(handler=run_state)

    runs = commands.add_parser("list-runs", help="a DAG's runs, newest first")
    runs.add_argument("dag_id")
    runs.add_argument("--state", choices=("queued", "running", "success", "failed"))
    runs.add_argument("--limit", type=int, default=25)
    runs.add_argument("--output", choices=("table", "json"), default="table")
    runs.set_defaults(handler=list_runs)

    upcoming = commands.add_parser("next-execution", help="the logical date of the DAG's next scheduled run")
    upcoming.add_argument("dag_id")
    add_dags_folder(upcoming)
    upcoming.set_defaults(handler=next_execution)

    backfill = commands.add_parser("backfill", help="create the scheduled runs between two dates")
    backfill.add_argument("dag_id")
    backfill.add_argument("--start-date", "-s", required=True)
    backfill.add_argument("--end-date", "-e", required=True)
    backfill.add_argument("--dry-run", action="store_true", help="list the runs without creating them")
    add_dags_folder(backfill)
    backfill.add_argument("--output", choices=("table", "json"), default="table")
    backfill.set_defaults(handler=backfill_runs)


def register_task_verbs(commands: Any) -> None:
    states = commands.add_parser("states-for-dag-run", help="the state of every task instance of a DAG run")
    states.add_argument("dag_id")
    states.add_argument("run_id")
    states.add_argument("--output", choices=("table", "json"), default="table")
    states.set_defaults(handler=task_states)


def _backend() -> Any:
    from chalicelib.services.backend import Backend

    return Backend()


def _get_run(backend: Any, dag_id: str, run_id: str) -> Any:
    from chalicelib.store.errors import NotFoundError

    try:
        return backend.runs.get(dag_id, run_id)
    except NotFoundError as exc:
        raise CliError(str(exc)) from None


def run_state(args: argparse.Namespace) -> int:
    run = _get_run(_backend(), args.dag_id, args.run_id)
    print(run.state.value)
    return 0


def list_runs(args: argparse.Namespace) -> int:
    from chalicelib.cli.dags import _print_table

    rows = [{"dag_id": r.dag_id, "run_id": r.run_id, "state": r.state.value, "run_type": r.run_type,
             "logical_date": r.logical_date.isoformat(), "start_date": r.start_date.isoformat() if r.start_date else "",
             "end_date": r.end_date.isoformat() if r.end_date else ""}
            for r in _backend().runs.list(args.dag_id, limit=args.limit, state=args.state)]
    if args.output == "json":
        print_json(rows)
    else:
        _print_table(rows, ("dag_id", "run_id", "state", "run_type", "logical_date", "start_date", "end_date"))
    return 0


def task_states(args: argparse.Namespace) -> int:
    from chalicelib.cli.dags import _print_table

    backend = _backend()
    _get_run(backend, args.dag_id, args.run_id)
    rows = [{"task_id": i.task_id, "map_index": -1, "state": None if i.state == "none" else i.state,
             "try_number": int(i.try_number), "start_date": i.start_date or "", "end_date": i.end_date or ""}
            for i in sorted(backend.runs.task_instances(args.dag_id, args.run_id), key=lambda i: i.task_id)]
    if args.output == "json":
        print_json(rows)
    else:
        _print_table(rows, ("task_id", "state", "try_number", "start_date", "end_date"))
    return 0


def _stored_dag(args: argparse.Namespace) -> tuple[Any, Any]:
    from chalicelib.cli.dags import _synced_backend
    from chalicelib.store.errors import NotFoundError

    backend = _synced_backend(args.dags_folder)
    try:
        return backend, backend.dags.get(args.dag_id)
    except NotFoundError as exc:
        raise CliError(str(exc)) from None


def next_execution(args: argparse.Namespace) -> int:
    from chalicelib.core.schedule import Schedule, next_run

    _, stored = _stored_dag(args)
    spec = stored.spec
    info = next_run(Schedule.from_dict(spec.schedule), start_date=spec.start_date, end_date=spec.end_date,
                    catchup=spec.catchup, last_logical_date=stored.last_automated_logical_date, now=datetime.now(UTC))
    print(info.logical_date.isoformat() if info else "None")
    return 0


def backfill_runs(args: argparse.Namespace) -> int:
    from chalicelib.cli.dags import _print_table
    from chalicelib.services.backfill import backfill_plan, create_backfill
    from chalicelib.store.errors import BadRequestError

    start = parse_date(args.start_date, "--start-date")
    end = parse_date(args.end_date, "--end-date")
    backend, stored = _stored_dag(args)
    if stored.spec.schedule.get("kind") == "none":
        raise CliError(f"DAG {args.dag_id!r} has no schedule (schedule=None): there is nothing to backfill")
    try:
        if args.dry_run:
            rows = [{"logical_date": i.logical_date.isoformat(), "run_after": i.run_after.isoformat(), "created": False}
                    for i in backfill_plan(stored.spec, start=start, end=end)]
        else:
            created, existing = create_backfill(backend, args.dag_id, start=start, end=end, now=datetime.now(UTC))
            rows = [{"logical_date": r.logical_date.isoformat(), "run_id": r.run_id, "created": True} for r in created]
            rows += [{"logical_date": "", "run_id": run_id, "created": False} for run_id in existing]
    except BadRequestError as exc:
        raise CliError(str(exc)) from None
    if args.output == "json":
        print_json({"dag_id": args.dag_id, "dry_run": args.dry_run, "runs": rows})
    else:
        _print_table(rows, tuple(rows[0]) if rows else ("logical_date",))
    return 0
