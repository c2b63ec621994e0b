"""`levante connections add|get|list|delete|test`, with Airflow's flags.

Without `--api` the commands work on the secrets store directly (AWS credentials, or AWS_ENDPOINT_URL for
`levante dev`'s moto); with `--api URL --token T` they go through the REST API. Passwords are never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import quote

from chalicelib.cli.common import print_json
from chalicelib.cli.errors import CliError, store_call
from chalicelib.cli.remote import add_remote_options


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    add = commands.add_parser("add", help="add a connection (from --conn-uri, --conn-json or --conn-* fields)")
    add.add_argument("conn_id")
    add.add_argument("--conn-uri", help="the connection as a URI, e.g. postgres://user:pw@host:5432/db")
    add.add_argument("--conn-json", help="the connection as a JSON object")
    add.add_argument("--conn-type")
    add.add_argument("--conn-host")
    add.add_argument("--conn-login")
    add.add_argument("--conn-password")
    add.add_argument("--conn-schema")
    add.add_argument("--conn-port")
    add.add_argument("--conn-extra", help="extra fields as a JSON object")
    add.add_argument("--conn-description")
    add_remote_options(add)
    add.set_defaults(handler=add_connection)

    get = commands.add_parser("get", help="show one connection (password never shown)")
    get.add_argument("conn_id")
    get.add_argument("-o", "--output", choices=("table", "json", "plain"), default="table")
    add_remote_options(get)
    get.set_defaults(handler=get_connection)

    listing = commands.add_parser("list", help="list connections")
    listing.add_argument("--conn-id", help="only this connection")
    listing.add_argument("-o", "--output", choices=("table", "json", "plain"), default="table")
    add_remote_options(listing)
    listing.set_defaults(handler=list_connections)

    delete = commands.add_parser("delete", help="delete a connection")
    delete.add_argument("conn_id")
    add_remote_options(delete)
    delete.set_defaults(handler=delete_connection)

    test = commands.add_parser("test", help="resolve a connection (env, then the store) and open it with its hook")
    test.add_argument("conn_id")
    test.set_defaults(handler=test_connection)


def connection_from_args(args: argparse.Namespace) -> Any:
    from chalicelib.sdk.connection import Connection

    fields = {"conn_type": args.conn_type, "host": args.conn_host, "login": args.conn_login,
              "password": args.conn_password, "schema": args.conn_schema, "port": args.conn_port,
              "extra": args.conn_extra}
    given = {k: v for k, v in fields.items() if v is not None}
    sources = [x for x in (args.conn_uri, args.conn_json) if x is not None]
    if len(sources) > 1 or (sources and given):
        raise CliError("give the connection once: --conn-uri, --conn-json, or --conn-type with other --conn-* flags")
    try:
        if args.conn_uri:
            if "://" not in args.conn_uri:
                raise CliError(f"--conn-uri {args.conn_uri!r} is not a URI (expected TYPE://...)")
            conn = Connection(conn_id=args.conn_id, uri=args.conn_uri, description=args.conn_description)
        elif args.conn_json:
            conn = Connection.from_json(args.conn_json, args.conn_id)
            conn.description = args.conn_description or conn.description
        else:
            if not args.conn_type:
                raise CliError("must supply either --conn-uri, --conn-json or --conn-type")
            if args.conn_extra:
                json.loads(args.conn_extra)
            conn = Connection(conn_id=args.conn_id, description=args.conn_description, **given)
    except CliError:
        raise
    except ValueError as exc:
        raise CliError(f"invalid connection {args.conn_id!r}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - AirflowException from URI parsing
        raise CliError(f"invalid connection {args.conn_id!r}: {exc}") from None
    return conn


def _payload(conn: Any) -> dict[str, Any]:
    body = {"connection_id": conn.conn_id, "conn_type": conn.conn_type, "description": conn.description,
            "host": conn.host, "login": conn.login, "schema": conn.schema, "port": conn.port,
            "password": conn.password, "extra": conn.extra}
    return {k: v for k, v in body.items() if v is not None}


def _service():
    from chalicelib.services.backend import Backend
    from chalicelib.services.connections import ConnectionService

    return ConnectionService(Backend().secrets)


def add_connection(args: argparse.Namespace) -> int:
    conn = connection_from_args(args)
    if args.api:
        from chalicelib.cli.remote import client

        client(args).request("POST", "/connections", _payload(conn))
    else:
        store_call(lambda: _service().create(conn))
    print(f"Successfully added `conn_id`={args.conn_id} : {_safe_uri(conn)}")
    return 0


def _shown(args: argparse.Namespace, conn_id: str | None = None) -> list[dict[str, Any]]:
    if args.api:
        from chalicelib.cli.remote import client

        api = client(args)
        if conn_id:
            return [api.request("GET", f"/connections/{quote(conn_id, safe='')}")]
        return api.request("GET", "/connections?limit=500")["connections"]
    from chalicelib.services.connections import public_view as connection

    if conn_id:
        return [connection(store_call(lambda: _service().get(conn_id)))]
    return [connection(c) for c in store_call(lambda: _service().list())]


def get_connection(args: argparse.Namespace) -> int:
    _print(_shown(args, args.conn_id), args.output)
    return 0


def list_connections(args: argparse.Namespace) -> int:
    _print(_shown(args, args.conn_id), args.output)
    return 0


def delete_connection(args: argparse.Namespace) -> int:
    if args.api:
        from chalicelib.cli.remote import client

        client(args).request("DELETE", f"/connections/{quote(args.conn_id, safe='')}")
    else:
        store_call(lambda: _service().delete(args.conn_id))
    print(f"Successfully deleted connection with `conn_id`={args.conn_id}")
    return 0


def test_connection(args: argparse.Namespace) -> int:
    from chalicelib.sdk.connection import ConnectionNotFound, get_connection, using_connection_store
    from chalicelib.services.backend import Backend

    with using_connection_store(Backend().secrets):
        try:
            conn = get_connection(args.conn_id)
        except ConnectionNotFound as exc:
            raise CliError(str(exc)) from None
    ok, message = conn.test_connection()
    if ok:
        print(f"Connection success! {message}")
        return 0
    print(f"Connection failed!\n{message}", file=sys.stderr)
    return 1


def _safe_uri(conn: Any) -> str:
    from chalicelib.sdk.masker import MASK

    shown = type(conn)(conn_id=conn.conn_id, conn_type=conn.conn_type, host=conn.host, login=conn.login,
                       password=MASK if conn.password else None, schema=conn.schema, port=conn.port,
                       extra=json.dumps(conn.masked_extra()) if conn.extra_dejson else conn.extra)
    return shown.get_uri().replace(quote(MASK, safe=""), MASK)


def _print(rows: list[dict[str, Any]], output: str) -> None:
    if output == "json":
        print_json(rows)
        return
    columns = ("connection_id", "conn_type", "description", "host", "schema", "login", "port", "extra")
    if output == "plain":
        for row in rows:
            print("\t".join("" if row.get(c) is None else str(row[c]) for c in columns))
        return
    widths = {c: max([len(c)] + [len(str(r.get(c) if r.get(c) is not None else "")) for r in rows]) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c) if row.get(c) is not None else "").ljust(widths[c]) for c in columns))
