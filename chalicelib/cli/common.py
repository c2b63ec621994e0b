"""What several commands share: the DAGs folder option, loading a DAG, parsing --conf and dates."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from chalicelib.cli.errors import CliError


def add_dags_folder(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dags-folder", default=os.environ.get("LEVANTE_DAGS_FOLDER", "./dags"),
        help="folder of DAG files (default: $LEVANTE_DAGS_FOLDER or ./dags)",
    )


def load_bag(folder: str) -> Any:
    from chalicelib.loader.dagbag import DagBag

    try:
        return DagBag(folder)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None


def load_dag(folder: str, dag_id: str) -> Any:
    bag = load_bag(folder)
    dag = bag.get_dag(dag_id)
    if dag is None:
        lines = [f"DAG {dag_id!r} not found in {bag.folder}"]
        if bag.import_errors:
            lines.append("these files failed to import:")
            lines += [f"  {error}" for error in bag.import_errors.values()]
        elif bag.dags:
            lines.append(f"available: {', '.join(bag.dag_ids)}")
        raise CliError("\n".join(lines))
    return dag


def parse_conf(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        conf = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"--conf is not valid JSON: {exc}") from None
    if not isinstance(conf, dict):
        raise CliError("--conf must be a JSON object, e.g. '{\"key\": \"value\"}'")
    from chalicelib.core.inputs import InvalidInput, check_json_value

    try:  # the API's rules: 1e400 would become Infinity, which JSON (and so the store) cannot carry
        return check_json_value("--conf", conf)
    except InvalidInput as exc:
        raise CliError(str(exc)) from None


def parse_date(text: str | None, option: str = "--logical-date") -> datetime | None:
    if text is None:
        return None
    from chalicelib.sdk.timeutil import as_aware

    try:
        return as_aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise CliError(f"{option} {text!r} is not an ISO 8601 date, e.g. 2024-06-01 or 2024-06-01T12:00:00+00:00") from None


_machine_stdout: list[Any] = []  # the real stdout while a --output json command runs


@contextmanager
def machine_output() -> Iterator[None]:
    """Send everything printed to stderr; print_json alone writes to the real stdout."""
    real = sys.stdout
    _machine_stdout.append(real)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        sys.stdout = real
        _machine_stdout.pop()


def print_json(data: Any) -> None:
    out = _machine_stdout[-1] if _machine_stdout else sys.stdout
    out.write(json.dumps(data, default=str) + "\n")
    out.flush()


def setup_process_logging() -> None:
    """Console logging for the long-running commands; task output stays in the task's own log."""
    from chalicelib.runner import logcapture

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(name)s %(levelname)s - %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(lambda record: not logcapture.capturing())
    for noisy in ("botocore", "boto3", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_every(interval: float, once: bool, step: Callable[[], None], log: logging.Logger, what: str) -> int:
    """`step` every `interval` seconds (from start to start), forever; with `once`, one round whose error raises.
    A failed round is logged and retried at the next interval: one bad round must not stop the loop."""
    while True:
        started = time.monotonic()
        try:
            step()
        except Exception:  # noqa: BLE001 - logged; the loop goes on
            if once:
                raise
            log.exception("%s failed; retrying at the next interval", what)
        if once:
            return 0
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
