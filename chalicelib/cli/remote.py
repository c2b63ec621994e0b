"""`levante dags list|trigger|pause|unpause --api URL --token T`: the same commands through the REST API."""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from chalicelib.cli.errors import CliError


def add_remote_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", default=os.environ.get("LEVANTE_API_URL"),
                        help="base URL of a Levante API, e.g. http://localhost:8000 (default: $LEVANTE_API_URL); "
                             "without it the command works on the DAGs folder and the store directly")
    parser.add_argument("--token", default=os.environ.get("LEVANTE_API_TOKEN"),
                        help="bearer token for --api (default: $LEVANTE_API_TOKEN)")


class RemoteApi:
    def __init__(self, url: str, token: str | None, timeout: float = 30.0):
        base = url.rstrip("/")
        self.base = base if base.endswith("/api/v1") else base + "/api/v1"
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310 - user-given API URL
                text = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise CliError(f"API {method} {path}: {exc.code} {_detail(exc)}", 1 if exc.code >= 500 else 2) from None
        except (urllib.error.URLError, OSError) as exc:
            raise CliError(f"cannot reach the API at {self.base}: {exc}", 1) from None
        return json.loads(text) if text else None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read().decode())
        return f"{body.get('error')}: {body.get('detail')}"
    except (ValueError, AttributeError):
        return exc.reason or ""


def client(args: argparse.Namespace) -> RemoteApi:
    if not args.token:
        raise CliError("--api needs a token: --token T or LEVANTE_API_TOKEN")
    return RemoteApi(args.api, args.token)


def list_dags(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    api = client(args)
    dags, offset = [], 0
    while True:
        page = api.request("GET", f"/dags?limit=500&offset={offset}")
        dags += page["dags"]
        offset += len(page["dags"])
        if not page["dags"] or offset >= page["total_entries"]:
            break
    rows = [{"dag_id": d["dag_id"], "fileloc": d["fileloc"], "owner": ", ".join(d["owners"]),
             "schedule": d["timetable_description"], "tags": [t["name"] for t in d["tags"]],
             "tasks": d["task_count"], "is_paused": d["is_paused"]} for d in dags]
    errors = [{"filename": e["filename"], "lineno": e["lineno"], "message": e["message"], "traceback": e["stack_trace"]}
              for e in api.request("GET", "/importErrors?limit=500")["import_errors"]]
    return rows, errors


def trigger(args: argparse.Namespace, conf: dict[str, Any] | None, logical_date: str | None) -> dict[str, Any]:
    api = client(args)
    dag = quote(args.dag_id, safe="")
    body = {"conf": conf, "logical_date": logical_date, "dag_run_id": args.run_id}
    run = api.request("POST", f"/dags/{dag}/dagRuns", {k: v for k, v in body.items() if v is not None})
    path = f"/dags/{dag}/dagRuns/{quote(run['dag_run_id'], safe='')}"
    if args.wait:
        deadline = time.monotonic() + args.timeout
        while run["state"] not in ("success", "failed"):
            if time.monotonic() > deadline:
                raise CliError(f"run {run['dag_run_id']} still {run['state']} after {args.timeout:g}s", 1)
            time.sleep(1.0)
            run = api.request("GET", path)
    tis = api.request("GET", path + "/taskInstances")["task_instances"]
    return {"dag_id": run["dag_id"], "run_id": run["dag_run_id"], "state": run["state"],
            "task_instances": [{"task_id": t["task_id"], "map_index": t["map_index"], "state": t["state"],
                                "try_number": t["try_number"]} for t in tis]}


def set_paused(args: argparse.Namespace) -> bool:
    dag = client(args).request("PATCH", f"/dags/{quote(args.dag_id, safe='')}", {"is_paused": args.paused})
    return bool(dag["is_paused"])
