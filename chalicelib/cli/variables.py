"""`levante variables set|get|list|delete`, with Airflow's flags. Secret-named variables go to the secrets
store. Without `--api` the commands work on the store directly; with `--api URL --token T` through the API."""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import quote

from chalicelib.cli.common import print_json
from chalicelib.cli.errors import CliError, store_call
from chalicelib.cli.remote import add_remote_options


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    set_ = commands.add_parser("set", help="create or overwrite a variable")
    set_.add_argument("key")
    set_.add_argument("value")
    set_.add_argument("--description")
    set_.add_argument("-j", "--serialize-json", action="store_true", help="store VALUE as JSON (it must parse)")
    add_remote_options(set_)
    set_.set_defaults(handler=set_variable)

    get = commands.add_parser("get", help="print a variable's value")
    get.add_argument("key")
    get.add_argument("-d", "--default", help="print this when the variable does not exist (exit 0)")
    get.add_argument("-j", "--deserialize-json", action="store_true")
    add_remote_options(get)
    get.set_defaults(handler=get_variable)

    listing = commands.add_parser("list", help="list variables (secret values masked)")
    listing.add_argument("-o", "--output", choices=("table", "json", "plain"), default="table")
    add_remote_options(listing)
    listing.set_defaults(handler=list_variables)

    delete = commands.add_parser("delete", help="delete a variable")
    delete.add_argument("key")
    add_remote_options(delete)
    delete.set_defaults(handler=delete_variable)


def _service():
    from chalicelib.services.backend import Backend
    from chalicelib.services.variables import VariableService

    backend = Backend()
    return VariableService(backend.models, backend.secrets)


def set_variable(args: argparse.Namespace) -> int:
    value = args.value
    if args.serialize_json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except ValueError as exc:
            raise CliError(f"VALUE is not valid JSON: {exc}") from None
    if args.api:
        from chalicelib.cli.remote import client

        api = client(args)
        path = f"/variables/{quote(args.key, safe='')}"
        body = {"key": args.key, "value": value, **({"description": args.description} if args.description else {})}
        try:
            api.request("PATCH", path, body)
        except CliError as exc:
            if "404" not in str(exc):
                raise
            api.request("POST", "/variables", body)
    else:
        store_call(lambda: _service().upsert(args.key, value, args.description))
    print(f"Variable {args.key} created")
    return 0


def get_variable(args: argparse.Namespace) -> int:
    from chalicelib.store.errors import NotFoundError

    try:
        if args.api:
            from chalicelib.cli.remote import client

            value = client(args).request("GET", f"/variables/{quote(args.key, safe='')}")["value"]
        else:
            value = _service().get(args.key).value
    except (NotFoundError, CliError) as exc:
        if isinstance(exc, CliError) and "404" not in str(exc):
            raise
        if args.default is not None:
            print(args.default)
            return 0
        raise CliError(f"Variable {args.key} does not exist", 1) from None
    if args.deserialize_json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except ValueError as exc:
            raise CliError(f"variable {args.key!r} is not JSON: {exc}", 1) from None
    print(value)
    return 0


def list_variables(args: argparse.Namespace) -> int:
    if args.api:
        from chalicelib.cli.remote import client

        rows = client(args).request("GET", "/variables?limit=500")["variables"]
    else:
        from chalicelib.sdk.masker import MASK, should_hide_value_for_key

        entries, _ = store_call(lambda: _service().page(limit=10**6, offset=0))
        rows = [{"key": e.key, "value": MASK if should_hide_value_for_key(e.key) else e.value,
                 "description": e.description} for e in entries]
    if args.output == "json":
        print_json(rows)
    elif args.output == "plain":
        for row in rows:
            print(row["key"])
    else:
        width = max([3] + [len(r["key"]) for r in rows])
        print(f"{'key'.ljust(width)}  value")
        for row in rows:
            sys.stdout.write(f"{row['key'].ljust(width)}  {row['value']}\n")
    return 0


def delete_variable(args: argparse.Namespace) -> int:
    if args.api:
        from chalicelib.cli.remote import client

        client(args).request("DELETE", f"/variables/{quote(args.key, safe='')}")
    else:
        store_call(lambda: _service().delete(args.key))
    print(f"Variable {args.key} deleted")
    return 0
