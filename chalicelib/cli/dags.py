"""`levante dags list|show|test`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chalicelib.cli.common import add_dags_folder, load_bag, load_dag, parse_conf, parse_date, print_json
from chalicelib.cli.errors import CliError


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser("list", help="the DAGs in the DAGs folder, and files that failed to import")
    add_dags_folder(listing)
    listing.add_argument("--output", choices=("table", "json"), default="table")
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


def list_dags(args: argparse.Namespace) -> int:
    from chalicelib.loader.serialize import dag_to_spec

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
    if args.output == "json":
        print_json({"dags": rows, "import_errors": errors})
        return 0
    _print_table(rows, ("dag_id", "fileloc", "owner", "schedule", "tasks"))
    for error in bag.import_errors.values():
        print(f"import error: {error}", file=sys.stderr)
    return 0


def show_dag(args: argparse.Namespace) -> int:
    from chalicelib.core.planner import topological_order
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
        raise CliError(f"invalid conf for DAG {args.dag_id!r}: {exc}") from None
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
