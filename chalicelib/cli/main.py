"""`levante`: the command line. Each command group lives in its own module; this file only wires them."""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from chalicelib.cli import bundles as bundle_commands
from chalicelib.cli import connections as connections_commands
from chalicelib.cli import dags as dags_commands
from chalicelib.cli import dead_letters as dlq_commands
from chalicelib.cli import deploy as deploy_commands
from chalicelib.cli import dev as dev_commands
from chalicelib.cli import processes as process_commands
from chalicelib.cli import tasks as tasks_commands
from chalicelib.cli import variables as variables_commands
from chalicelib.cli.common import machine_output
from chalicelib.cli.errors import CliError
from chalicelib.lifeline import follow_parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="levante", description="Levante: a serverless Apache Airflow")
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    dags_commands.register(commands.add_parser("dags", help="list, show and test DAGs"))
    tasks_commands.register(commands.add_parser("tasks", help="run one task in-process"))
    connections_commands.register(commands.add_parser("connections", help="add, get, list, delete and test connections"))
    variables_commands.register(commands.add_parser("variables", help="set, get, list and delete variables"))
    dlq_commands.register(commands.add_parser("dlq", help="list, redrive and discard the task queue's dead letters"))
    process_commands.register(commands)
    bundle_commands.register_processor(commands)
    deploy_commands.register(commands)
    dev_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    follow_parent()  # a process of `levante dev` ends with it
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "output", None) == "json":
            # DAG files and callbacks may print(): their output goes to stderr, so stdout carries only the
            # one JSON object (print_json writes to the real stdout).
            with machine_output():
                return int(args.handler(args) or 0)
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"levante: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except (BotoCoreError, ClientError, ResponseParserError) as exc:  # an AWS call the command does not expect to fail
        print(f"levante: error: AWS: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("levante: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
