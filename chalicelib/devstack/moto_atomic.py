"""DynamoDB's item-level atomicity for moto's server: one DynamoDB request at a time.

DynamoDB applies a conditional write atomically: of two workers claiming one task, exactly one wins. moto's
server answers each request in a thread and its DynamoDB backend takes no lock, so two conditional writes to
one item can both read the old item and both succeed. The local stack saw it: the scheduler tick and a worker
both queued one task, which then ran as try 2 (tests/e2e, `leaf_skipped`). Levante's exactly-once claims rest
on that atomicity, so every moto server Levante starts serialises moto's DynamoDB requests. SQS (long polls
included) and S3 stay concurrent; moto holds the GIL through most of a request anyway, so little is lost.

`python -m chalicelib.devstack.moto_atomic -H 127.0.0.1 -p PORT` is `moto_server` with the lock;
`levante dev`'s embedded server calls `install()` (devstack/moto_guard.py).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_LOCK = threading.Lock()
_INSTALLED: list[bool] = []


def install() -> None:
    """Serialise moto's DynamoDB request handling in this process (idempotent)."""
    if _INSTALLED:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _INSTALLED.append(True)


def server_argv(host: str, port: int) -> list[str]:
    """The command line of a moto server with the lock, for tests and benchmarks that start one."""
    return [sys.executable, "-m", "chalicelib.devstack.moto_atomic", "-H", host, "-p", str(port)]


def main() -> None:
    install()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
