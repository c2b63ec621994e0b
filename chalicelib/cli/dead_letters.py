"""`levante dlq list|redrive|discard`: the task queue's dead letters, on the stack directly or, with
`--api URL --token T`, through the API (the same operations the dashboard's Dead letters page uses)."""

from __future__ import annotations

import argparse
from typing import Any

from chalicelib.cli.common import print_json
from chalicelib.cli.errors import CliError
from chalicelib.cli.remote import add_remote_options


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    listing = commands.add_parser("list", help="list dead letters: DAG/run/task, receives, last error")
    listing.add_argument("-o", "--output", choices=("table", "json"), default="table")
    add_remote_options(listing)
    listing.set_defaults(handler=list_letters)
    for action, text in (("redrive", "send dead letters back to the task queue"), ("discard", "delete dead letters")):
        sub = commands.add_parser(action, help=text)
        sub.add_argument("message_ids", nargs="*", metavar="MESSAGE_ID")
        sub.add_argument("--all", action="store_true", help="every message in the dead-letter queue")
        add_remote_options(sub)
        sub.set_defaults(handler=act, action=action)


def _rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.api:
        from chalicelib.cli.remote import client

        return client(args).request("GET", "/deadLetters")["dead_letters"]
    from chalicelib.services.backend import Backend
    from chalicelib.services.dead_letters import list_dead_letters

    return [{"message_id": e.letter.message_id, "receives": e.letter.receives,
             "dag_id": e.task.dag_id if e.task else None, "dag_run_id": e.task.run_id if e.task else None,
             "task_id": e.task.task_id if e.task else None, "try_number": e.task.try_number if e.task else None,
             "state": e.state, "last_error": e.last_error} for e in list_dead_letters(Backend())]


def list_letters(args: argparse.Namespace) -> int:
    rows = _rows(args)
    if args.output == "json":
        print_json(rows)
        return 0
    if not rows:
        print("The dead-letter queue is empty.")
    for r in rows:
        task = f"{r['dag_id']}/{r['dag_run_id']}/{r['task_id']} try {r['try_number']}" if r["dag_id"] else "(not a task message)"
        error = (r.get("last_error") or "").strip().splitlines()
        print(f"{r['message_id']}  receives={r['receives']}  {task}  {error[-1] if error else ''}")
    return 0


def act(args: argparse.Namespace) -> int:
    if not args.all and not args.message_ids:
        raise CliError(f"name MESSAGE_IDs to {args.action}, or pass --all")
    ids = None if args.all else args.message_ids
    if args.api:
        from chalicelib.cli.remote import client

        done = client(args).request("POST", f"/deadLetters/{args.action}", {"message_ids": ids})["total_entries"]
    else:
        from chalicelib.services.backend import Backend
        from chalicelib.services.dead_letters import act as run
        from chalicelib.store.errors import StoreError

        try:
            done = len(run(Backend(), args.action, ids))
        except StoreError as exc:
            raise CliError(str(exc), 2) from None
    print(f"{'Redriven' if args.action == 'redrive' else 'Discarded'}: {done} message(s)")
    return 0
