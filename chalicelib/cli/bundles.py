"""`levante dags deploy` (publish the DAGs folder as a bundle) and `levante dag-processor` (parse bundles)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from datetime import UTC, datetime

from chalicelib.cli.common import add_dags_folder, print_json, run_every, setup_process_logging
from chalicelib.cli.errors import CliError


def register_deploy(commands: argparse._SubParsersAction) -> None:
    deploy = commands.add_parser("deploy", help="upload the DAGs folder as a new bundle version (no Lambda update)")
    add_dags_folder(deploy)
    deploy.add_argument("--stage", default=None, help="stage to deploy to (default: $LEVANTE_STAGE or dev)")
    deploy.add_argument("--output", choices=("table", "json"), default="table")
    deploy.set_defaults(handler=deploy_command)


def register_processor(commands: argparse._SubParsersAction) -> None:
    processor = commands.add_parser("dag-processor", help="parse DAG bundles into the store (locally)")
    add_dags_folder(processor)
    processor.add_argument("--watch", action="store_true",
                           help="publish the DAGs folder as a new bundle whenever it changes (what levante dev runs)")
    processor.add_argument("--once", action="store_true", help="process once and exit")
    processor.add_argument("--interval", type=float, default=2.0, help="seconds between checks (default 2)")
    processor.add_argument("--timeout", type=float, default=None,
                           help="seconds a DAG file may take to import before it is killed (default 30)")
    processor.add_argument("--memory-mb", type=int, default=None, help="memory a DAG file's import may use (default 1024)")
    processor.set_defaults(handler=processor_command)


def _backend(stage: str | None):
    from chalicelib.deploy.aws import stage_data_bucket
    from chalicelib.services.backend import Backend
    from chalicelib.store.settings import Settings

    env = dict(os.environ)
    if stage:
        env["LEVANTE_STAGE"] = stage
    settings = Settings.from_env(env)
    return Backend(dataclasses.replace(settings, bucket_override=stage_data_bucket(settings)))


def deploy_command(args: argparse.Namespace) -> int:
    from chalicelib.services.bundles import BundleError, publish_folder

    started = time.monotonic()
    try:
        backend = _backend(args.stage)
        manifest, uploaded = publish_folder(backend, args.dags_folder, datetime.now(UTC))
    except BundleError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - no endpoint or credentials: one line, not a traceback
        raise CliError(f"dags deploy failed: {type(exc).__name__}: {exc}", 1) from None
    took = time.monotonic() - started
    if args.output == "json":
        print_json({"version": manifest.version, "files": len(manifest.files), "bytes": manifest.size,
                    "uploaded": uploaded, "bucket": backend.settings.bucket, "seconds": round(took, 3)})
        return 0
    print(describe_published(manifest, uploaded, backend.settings.bucket, took))
    return 0


def publish_to_bucket(settings, bucket: str, folder: str, leave_out: tuple[str, ...] = ()):
    """`levante deploy`: the DAGs folder as the stage's current bundle, in the bucket its stack created."""
    from chalicelib.services.backend import Backend
    from chalicelib.services.bundles import publish_folder

    return publish_folder(Backend(dataclasses.replace(settings, bucket_override=bucket)), folder,
                          datetime.now(UTC), leave_out)


def describe_published(manifest, uploaded: bool, bucket: str, took: float) -> str:
    state = "uploaded" if uploaded else "unchanged (already uploaded); made current"
    return "\n".join((f"bundle {manifest.version}: {len(manifest.files)} files, {manifest.size} bytes, {state}",
                      f"  s3://{bucket}/bundles/{manifest.version}.zip  ({took:.2f}s)",
                      "  the DAG processor parses it next; new runs use it, running runs finish on their own version"))


def processor_command(args: argparse.Namespace) -> int:
    from chalicelib.loader.isolated import ParseLimits
    from chalicelib.services.backend import Backend
    from chalicelib.services.dag_processor import FolderWatcher, process_current_bundle

    setup_process_logging()
    limits = ParseLimits(**{k: v for k, v in (("timeout", args.timeout), ("memory_mb", args.memory_mb)) if v is not None})
    backend = Backend()
    log = logging.getLogger("levante.dag_processor")
    if args.watch and not os.path.isdir(args.dags_folder):
        raise CliError(f"DAGs folder {os.path.abspath(args.dags_folder)} does not exist (set --dags-folder or LEVANTE_DAGS_FOLDER)")
    watcher = FolderWatcher(backend, args.dags_folder, limits) if args.watch else None

    def one_round() -> None:
        now = datetime.now(UTC)
        watcher.poll(now) if watcher else process_current_bundle(backend, now, limits=limits)

    return run_every(args.interval, args.once, one_round, log, "DAG processing")
