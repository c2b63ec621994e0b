"""The embedded moto server, and `--state-dir`: keep the local AWS state across restarts.

moto's recorder appends every request it serves to a file. On start we compact that file (dropping
requests that change nothing: reads, polls) and replay it into the fresh server, so DAG runs, task
history, logs, variables and the secrets store (SSM: connections, secret variables) come back. SQS receipts from before the restart are stale after a replay;
messages that were in flight reappear and are dropped by the worker's claim (duplicates are harmless).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

RECORDING = "moto-recording.jsonl"

# Requests that read or poll: replaying them would cost time and change nothing we need.
_READ_TARGETS = ("GetItem", "Query", "Scan", "BatchGetItem", "DescribeTable", "ListTables", "DescribeTimeToLive",
                 "GetParameter", "GetParameters", "GetParametersByPath", "DescribeParameters")  # SSM: the secrets store
_READ_SQS = ("ReceiveMessage", "GetQueueUrl", "GetQueueAttributes", "ListQueues", "ChangeMessageVisibility",
             "DeleteMessage")


def prepare_environment(state_dir: str | None) -> Path | None:
    """Set moto's recorder variables; must run before moto is imported."""
    if state_dir is None:
        return None
    directory = Path(state_dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    recording = directory / RECORDING
    os.environ["MOTO_ENABLE_RECORDING"] = "True"
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    return recording


def start_moto(port: int, access_key_id: str) -> Any:
    """moto on 127.0.0.1 behind the guard (chalicelib/devstack/moto_guard.py): no CORS, this key only."""
    import logging

    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"  # read when moto's server module is first imported
    from chalicelib.devstack.moto_guard import GuardedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call would drown the console
    server = GuardedMotoServer(port, access_key_id)
    server.start()
    return server


def restore(recording: Path, port: int, access_key_id: str) -> int:
    """Replay the compacted recording into the running server; the number of requests replayed."""
    if not recording.exists() or recording.stat().st_size == 0:
        return 0
    kept = compact(recording, access_key_id)
    from moto.moto_api._internal.recorder.models import Recorder

    Recorder().replay_recording(target_host=f"http://127.0.0.1:{port}")
    return kept


def compact(recording: Path, access_key_id: str | None = None) -> int:
    """Drop the requests that change nothing; re-key the rest for this start's moto credentials."""
    kept: list[str] = []
    for line in recording.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if _mutates(entry):
            if access_key_id is not None:
                entry = _rekeyed(entry, access_key_id)
                line = json.dumps(entry)
            kept.append(line)
    tmp = recording.with_suffix(".tmp")
    tmp.write_text("".join(f"{line}\n" for line in kept))
    tmp.replace(recording)
    return len(kept)


def _rekeyed(entry: dict[str, Any], access_key_id: str) -> dict[str, Any]:
    # The recording holds the previous start's key id, which the guard no longer accepts.
    headers = dict(entry.get("headers") or {})
    for name, value in headers.items():
        if name.lower() == "authorization" and isinstance(value, str):
            headers[name] = re.sub(r"Credential=[^/,\s]+/", f"Credential={access_key_id}/", value)
    return {**entry, "headers": headers}


def _mutates(entry: dict[str, Any]) -> bool:
    headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
    method = entry.get("method", "GET")
    target = headers.get("x-amz-target", "")
    if target:
        return not target.endswith(_READ_TARGETS) and not target.endswith(_READ_SQS)
    if method in ("GET", "HEAD"):
        return False
    body = entry.get("body") or ""
    if not entry.get("body_encoded") and "Action=" in body:
        action = body.split("Action=", 1)[1].split("&", 1)[0]
        return action not in _READ_SQS
    return True
