"""`levante tasks test DAG_ID TASK_ID`: run one task once, ignoring its dependencies (as Airflow does)."""

from __future__ import annotations

import argparse
from datetime import UTC

from chalicelib.cli.common import add_dags_folder, load_dag, parse_conf, parse_date, print_json
from chalicelib.cli.errors import CliError


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    test = commands.add_parser("test", help="run one task in this process; upstream XComs are empty")
    test.add_argument("dag_id")
    test.add_argument("task_id")
    add_dags_folder(test)
    test.add_argument("--logical-date", help="ISO 8601 logical date (default: now)")
    test.add_argument("--conf", help="JSON object for dag_run.conf")
    test.add_argument("--output", choices=("text", "json"), default="text")
    test.add_argument("--map-index", type=int, default=-1, help="the instance of a mapped task to run (Airflow's flag)")
    test.set_defaults(handler=test_task)

    from chalicelib.cli import task_logs
    from chalicelib.cli.dag_runs import register_task_verbs

    register_task_verbs(commands)
    task_logs.register(commands)


def test_task(args: argparse.Namespace) -> int:
    from datetime import datetime

    from chalicelib.core.schedule import manual_run_info
    from chalicelib.runner import logcapture
    from chalicelib.runner.try_runner import run_try
    from chalicelib.sdk.context import DagRunInfo, MemoryXComStore
    from chalicelib.sdk.exceptions import ParamValidationError
    from chalicelib.sdk.mappedoperator import is_mapped

    dag = load_dag(args.dags_folder, args.dag_id)
    if not dag.has_task(args.task_id):
        raise CliError(f"task {args.task_id!r} not found in DAG {args.dag_id!r}; tasks: {', '.join(dag.task_ids)}")
    logical = parse_date(args.logical_date) or datetime.now(UTC)
    conf = parse_conf(args.conf)
    try:
        dag.params.resolve(conf)
    except ParamValidationError as exc:
        raise CliError(f"invalid conf for DAG {args.dag_id!r}: {exc}") from None
    info = manual_run_info(dag.parsed_schedule, logical)
    run = DagRunInfo(dag.dag_id, f"__levante_tasks_test__{logical.isoformat()}", info.logical_date,
                     info.data_interval_start, info.data_interval_end, "manual", dict(conf or {}))
    echo = logcapture.real_stderr() if args.output == "text" else None
    task = dag.get_task(args.task_id)
    if is_mapped(task) and args.map_index < 0:
        raise CliError(f"task {args.task_id!r} is mapped: choose an instance with --map-index N")
    result = run_try(task, run=run, try_number=1, xcoms=MemoryXComStore(), max_tries=0, echo=echo,
                     map_index=args.map_index)
    if args.output == "json":
        print_json({"dag_id": dag.dag_id, "task_id": result.task_id, "map_index": result.map_index,
                    "state": result.state.value, "try_number": result.try_number, "log": result.log})
    else:
        print(f"Task {result.task_id}: {result.state.value.upper()}" + (f" ({result.error})" if result.error else ""))
    return 0 if result.state.value in ("success", "skipped") else 1
