"""`levante tasks logs DAG_ID RUN_ID TASK_ID [--try N] [--follow]`: a try's log from the store, tailed while
the task runs (the worker publishes a running try's log every few seconds)."""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from typing import Any

from chalicelib.cli.errors import store_call


def register(commands: Any) -> None:
    logs = commands.add_parser("logs", help="print a task try's log; --follow tails it while the task runs")
    logs.add_argument("dag_id")
    logs.add_argument("run_id")
    logs.add_argument("task_id")
    logs.add_argument("--try", dest="try_number", type=int, help="try number (default: the latest)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new lines until the try ends")
    logs.add_argument("--poll-interval", type=float, default=2.0, help=argparse.SUPPRESS)
    logs.set_defaults(handler=task_logs)


def task_logs(args: argparse.Namespace) -> int:
    from chalicelib.services.backend import Backend
    from chalicelib.services.task_views import read_log

    backend = Backend()
    try_number = args.try_number
    if try_number is None:
        item = store_call(lambda: backend.runs.task_instance(args.dag_id, args.run_id, args.task_id))
        try_number = max(int(item.try_number or 0), 1)
    offset = 0
    while True:
        chunk = store_call(partial(read_log, backend, args.dag_id, args.run_id, args.task_id, try_number, offset))
        sys.stdout.write(chunk.content)
        sys.stdout.flush()
        moved, offset = chunk.offset != offset, chunk.offset
        if chunk.end_of_log or not args.follow:
            return 0
        if not moved:  # nothing new yet: the worker publishes every few seconds
            time.sleep(args.poll_interval)
