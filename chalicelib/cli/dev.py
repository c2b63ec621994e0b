"""`levante dev`: the whole local stack in the foreground (see chalicelib/devstack/stack.py)."""

from __future__ import annotations

import argparse

from chalicelib.cli.common import add_dags_folder
from chalicelib.cli.errors import CliError


def register(commands: argparse._SubParsersAction) -> None:
    dev = commands.add_parser("dev", help="run moto, the API, the scheduler, workers and the dashboard locally")
    add_dags_folder(dev)
    dev.add_argument("--concurrency", type=int, default=4, help="worker processes (default 4)")
    dev.add_argument("--state-dir", help="keep runs, logs and variables in DIR across restarts")
    dev.add_argument("--scheduler-interval", type=float, default=2.0, help="seconds between ticks (default 2)")
    dev.set_defaults(handler=dev_command)


def dev_command(args: argparse.Namespace) -> int:
    from chalicelib.devstack.ports import Ports
    from chalicelib.devstack.stack import DevError, DevOptions, run_dev

    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    try:
        ports = Ports.from_env()
        return run_dev(DevOptions(args.dags_folder, ports, args.concurrency, args.state_dir, args.scheduler_interval))
    except (DevError, ValueError) as exc:
        raise CliError(str(exc), 1) from None
