"""`levante dags list|show|test`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chalicelib.cli.common import add_dags_folder, load_bag, load_dag, parse_conf, parse_date, print_json
from chalicelib.cli.errors import CliError
from chalicelib.cli.remote import add_remote_options


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    from chalicelib.cli.bundles import register_deploy

    register_deploy(commands)

    listing = commands.add_parser("list", help="the DAGs in the DAGs folder, and files that failed to import")
    add_dags_folder(listing)
    listing.add_argument("--output", choices=("table", "json"), default="table")
    add_remote_options(listing)
    listing.set_defaults(handler=list_dags)

    show = commands.add_parser("show", help="a DAG's tasks, dependencies and settings")
    show.add_argument("dag_id")
    add_dags_folder(show)
    show.add_argument("--output", choices=("text", "json"), default="text")
    show.set_defaults(handler=show_dag)

    test = commands.add_parser("test", help="run a whole DAG once in this process (no AWS)")
    test.add_argument("dag_id")
    add_dags_folder(test)
    test.add_argument("--conf", help="JSON object for dag_run.conf (validated against the DAG's params)")
    test.add_argument("--logical-date", help="ISO 8601 logical date (default: now)")
    test.add_argument("--output", choices=("text", "json"), default="text")
    test.add_argument("--no-retry-wait", action="store_true",
                      help="do not sleep through retry delays and sensor reschedules; jump ahead instead")
    test.add_argument("--quiet", action="store_true", help="do not echo task logs to stderr")
    test.set_defaults(handler=test_dag)

    trigger = commands.add_parser("trigger", help="create a DAG run in the store and enqueue its first tasks")
    trigger.add_argument("dag_id")
    add_dags_folder(trigger)
    trigger.add_argument("--conf", help="JSON object for dag_run.conf")
    trigger.add_argument("--logical-date", help="ISO 8601 logical date (default: now)")
    trigger.add_argument("--run-id", help="explicit dag_run_id")
    trigger.add_argument("--wait", action="store_true", help="wait until the run finishes")
    trigger.add_argument("--timeout", type=float, default=3600.0, help="seconds --wait waits at most")
    trigger.add_argument("--output", choices=("text", "json"), default="text")
    add_remote_options(trigger)
    trigger.set_defaults(handler=trigger_dag)

    from chalicelib.cli.dag_runs import register_dag_verbs

    register_dag_verbs(commands)

    for name, paused in (("pause", True), ("unpause", False)):
        command = commands.add_parser(name, help=f"{name} a DAG's schedule")
        command.add_argument("dag_id")
        add_dags_folder(command)
        add_remote_options(command)
        command.set_defaults(handler=pause_dag, paused=paused)


def list_dags(args: argparse.Namespace) -> int:
    from chalicelib.loader.serialize import dag_to_spec

    if args.api:
        from chalicelib.cli import remote

        rows, errors = remote.list_dags(args)
        if args.output == "json":
            print_json({"dags": rows, "import_errors": errors})
            return 0
        _print_table(rows, ("dag_id", "fileloc", "owner", "schedule", "tasks", "is_paused"))
        return 0
    bag = load_bag(args.dags_folder)
    rows = []
    for dag_id in bag.dag_ids:
        spec = dag_to_spec(bag.dags[dag_id])
        rows.append({
            "dag_id": dag_id, "fileloc": bag.files[dag_id].relpath, "owner": spec.owner,
            "schedule": bag.dags[dag_id].parsed_schedule.describe(), "tags": list(spec.tags),
            "tasks": len(spec.tasks), "is_paused": None,
        })
    errors = [e.to_dict() for e in bag.import_errors.values()]
    warnings = [w for found in bag.warnings.values() for w in found]
    if args.output == "json":
        print_json({"dags": rows, "import_errors": errors, "warnings": [w.to_dict() for w in warnings]})
        return 0
    _print_table(rows, ("dag_id", "fileloc", "owner", "schedule", "tasks"))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for error in bag.import_errors.values():
        print(f"import error: {error}", file=sys.stderr)
    return 0


def show_dag(args: argparse.Namespace) -> int:
    from chalicelib.core.graph import topological_order
    from chalicelib.loader.serialize import dag_to_spec

    spec = dag_to_spec(load_dag(args.dags_folder, args.dag_id))
    if args.output == "json":
        print_json(spec.to_dict())
        return 0
    print(f"DAG {spec.dag_id}  ({spec.fileloc})")
    print(f"  schedule: {load_dag(args.dags_folder, args.dag_id).parsed_schedule.describe()}"
          f"  start_date: {spec.start_date}  catchup: {spec.catchup}  owner: {spec.owner}")
    if spec.tags:
        print(f"  tags: {', '.join(spec.tags)}")
    for task_id in topological_order(spec):
        task = spec.task(task_id)
        after = f" <- {', '.join(task.upstream)}" if task.upstream else ""
        rule = "" if task.trigger_rule.value == "all_success" else f"  [{task.trigger_rule.value}]"
        print(f"  {task_id} ({task.operator}){after}{rule}")
    return 0


def test_dag(args: argparse.Namespace) -> int:
    from chalicelib.runner import logcapture
    from chalicelib.runner.inprocess import RealClock, SkipWaitClock, run_dag
    from chalicelib.sdk.exceptions import ParamValidationError

    dag = load_dag(args.dags_folder, args.dag_id)
    conf = parse_conf(args.conf)
    logical_date = parse_date(args.logical_date)
    echo = None if args.quiet else logcapture.real_stderr()
    clock = SkipWaitClock() if args.no_retry_wait else RealClock()
    try:
        result = run_dag(dag, logical_date=logical_date, conf=conf, clock=clock, echo=echo)
    except ParamValidationError as exc:
        what = "conf" if conf else "params (their defaults)"
        raise CliError(f"invalid {what} for DAG {args.dag_id!r}: {exc}") from None
    if args.output == "json":
        print_json(result.to_json())
    else:
        _print_run(result)
    return 0 if result.state.value == "success" else 1


def _print_run(result: Any) -> None:
    print(f"\nDAG run {result.run_id} of {result.dag_id}: {result.state.value.upper()}"
          + (f" ({result.reason})" if result.reason else ""))
    rows = []
    for ti in result.task_instances:
        duration = f"{(ti.end_date - ti.start_date).total_seconds():.3f}s" if ti.tries else ""
        rows.append({"task_id": ti.task_id, "state": ti.state.value, "try": ti.try_number, "duration": duration})
    _print_table(rows, ("task_id", "state", "try", "duration"))


def _print_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def _synced_backend(folder: str):
    from datetime import UTC, datetime

    from chalicelib.services.backend import Backend
    from chalicelib.services.sync import sync_dags

    backend = Backend()
    try:
        sync_dags(backend, folder, datetime.now(UTC), deactivate=False)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    return backend


def trigger_dag(args: argparse.Namespace) -> int:
    import time
    from datetime import UTC, datetime

    from chalicelib.services.trigger import trigger_run
    from chalicelib.store.errors import StoreError

    if args.api:
        return _trigger_remote(args)
    backend = _synced_backend(args.dags_folder)
    conf = parse_conf(args.conf)
    try:
        run = trigger_run(backend, args.dag_id, now=datetime.now(UTC), conf=conf,
                          logical_date=parse_date(args.logical_date), run_id=args.run_id)
    except StoreError as exc:
        raise CliError(str(exc), 2) from None
    if args.wait:
        deadline = time.monotonic() + args.timeout
        while not run.state.finished:
            if time.monotonic() > deadline:
                raise CliError(f"run {run.run_id} still {run.state.value} after {args.timeout:g}s", 1)
            time.sleep(0.2)
            run = backend.runs.get(args.dag_id, run.run_id)
    tis = backend.runs.instances(args.dag_id, run.run_id)  # by task id, then map_index
    result = {
        "dag_id": run.dag_id, "run_id": run.run_id, "state": run.state.value,
        "task_instances": [{"task_id": i.task_id, "map_index": int(i.map_index if i.map_index is not None else -1),
                            "state": None if i.state == "none" else i.state, "try_number": int(i.try_number)}
                           for i in tis],
    }
    if args.output == "json":
        print_json(result)
    else:
        print(f"DAG run {run.run_id} of {run.dag_id}: {run.state.value}")
        _print_table([{"task_id": t["task_id"], "state": t["state"], "try": t["try_number"]} for t in result["task_instances"]],
                     ("task_id", "state", "try"))
    if not args.wait:
        return 0
    return 0 if run.state.value == "success" else 1


def _trigger_remote(args: argparse.Namespace) -> int:
    from chalicelib.cli import remote

    date = parse_date(args.logical_date)
    result = remote.trigger(args, parse_conf(args.conf), date.isoformat() if date else None)
    if args.output == "json":
        print_json(result)
    else:
        print(f"DAG run {result['run_id']} of {result['dag_id']}: {result['state']}")
        _print_table([{"task_id": t["task_id"], "state": t["state"], "try": t["try_number"]}
                      for t in result["task_instances"]], ("task_id", "state", "try"))
    return 0 if not args.wait or result["state"] == "success" else 1


def pause_dag(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    if args.api:
        from chalicelib.cli import remote

        paused = remote.set_paused(args)
        print(f"DAG {args.dag_id} is {'paused' if paused else 'unpaused'}")
        return 0

    from chalicelib.store.errors import StoreError

    backend = _synced_backend(args.dags_folder)
    try:
        stored = backend.dags.set_paused(args.dag_id, args.paused, datetime.now(UTC))
    except StoreError as exc:
        raise CliError(str(exc)) from None
    print(f"DAG {stored.dag_id} is {'paused' if stored.is_paused else 'unpaused'}")
    return 0
