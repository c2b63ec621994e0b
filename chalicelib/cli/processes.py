"""`levante init`, `levante scheduler`, `levante worker`: the distributed runtime against AWS or moto."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import UTC, datetime

from chalicelib.cli.common import add_dags_folder, run_every, setup_process_logging
from chalicelib.cli.errors import CliError


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser("init", help="create or verify tables, queues and the bucket (idempotent)")
    init.set_defaults(handler=init_command)

    scheduler = commands.add_parser("scheduler", help="run the scheduler tick in a loop (locally; it reads no DAG files)")
    scheduler.add_argument("--once", action="store_true", help="run one tick and exit")
    scheduler.add_argument("--interval", type=float, default=5.0, help="seconds between ticks (default 5)")
    scheduler.set_defaults(handler=scheduler_command)

    worker = commands.add_parser("worker", help="consume the task queue and run tasks (locally)")
    add_dags_folder(worker)
    worker.add_argument("--once", action="store_true", help="handle the messages waiting now, then exit")
    worker.add_argument("--concurrency", type=int, default=1, help="worker processes (default 1)")
    worker.add_argument("--outage-limit", type=float, default=300.0,
                        help="seconds the queue may stay unreachable before the worker exits with status 3")
    worker.set_defaults(handler=worker_command)


def init_command(args: argparse.Namespace) -> int:
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources

    try:
        report = init_resources(Backend())
    except Exception as exc:  # noqa: BLE001 - no endpoint, no credentials: say so in one line
        raise CliError(f"init failed: {type(exc).__name__}: {exc} (is AWS_ENDPOINT_URL / the moto server right?)", 1) from None
    for line in report.lines():
        print(line)
    return 0


def scheduler_command(args: argparse.Namespace) -> int:
    from chalicelib.services.backend import Backend
    from chalicelib.services.scheduler import tick

    setup_process_logging()
    backend = Backend()
    log = logging.getLogger("levante.scheduler")

    def one_tick() -> None:
        report = tick(backend, datetime.now(UTC))
        if report.runs_created or report.reaped or report.runs_finished or report.resent:
            log.info("tick: %s", report)

    return run_every(args.interval, args.once, one_tick, log, "scheduler tick")


def worker_command(args: argparse.Namespace) -> int:
    from chalicelib.services.process_pool import EXIT_OUTAGE, PoolLimits, WorkerPool
    from chalicelib.services.queue_poller import OutageTooLong, run_worker

    setup_process_logging()
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    _drop_api_tokens()
    if args.once:
        try:
            run_worker(args.dags_folder, once=True, outage_limit=args.outage_limit)
        except OutageTooLong as exc:
            raise CliError(str(exc), EXIT_OUTAGE) from None
        return 0
    # Supervised even with one process: a dead process is replaced, SIGTERM/SIGINT stop the running tasks.
    return WorkerPool(args.dags_folder, args.concurrency, PoolLimits(outage_limit=args.outage_limit)).run()


def _drop_api_tokens() -> None:
    """Workers never need the API's tokens, and tasks inherit the worker's environment: a token left in the
    shell that started `levante worker` would otherwise be readable by every task (e.g. a BashOperator's env)."""
    from chalicelib.api.auth import TOKEN_VARIABLES

    for name in TOKEN_VARIABLES:
        os.environ.pop(name, None)
