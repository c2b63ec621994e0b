"""Chalice wiring only: the API routes, the scheduler timer, the SQS worker and the DAG processor.

Adapters are built on first use (never at import), so moto can start before any client exists.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime

from chalice import AuthResponse, Chalice, Rate

from chalicelib.api import register_api
from chalicelib.store.settings import Settings
from chalicelib.telemetry import Telemetry

app = Chalice(app_name="levante")
TELEMETRY = Telemetry(app.log)  # in Lambda: JSON logs at INFO (Chalice would leave ERROR) and EMF metrics
API = "/api/v1"
SETTINGS = Settings.from_env()
DAGS_FOLDER = os.path.abspath(os.environ.get("LEVANTE_DAGS_FOLDER",
                                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "dags")))
if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:  # Lambda's code folder is read-only: tasks work under /tmp
    os.makedirs(os.path.join(tempfile.gettempdir(), "levante-work"), exist_ok=True)
    os.chdir(os.path.join(tempfile.gettempdir(), "levante-work"))
_runtime: dict[str, object] = {}


def _backend():
    if "adapters" not in _runtime:  # one assignment: concurrent first requests never see half of it
        from chalicelib.services.backend import Backend
        from chalicelib.services.dagcache import DagCache
        from chalicelib.store.bundles import BundleStore

        backend = Backend(SETTINGS)
        # Workers fetch the bundle version each run was created with (cached per warm container).
        dags = DagCache(DAGS_FOLDER, fetch=BundleStore(backend.blobs).fetch)
        _runtime["adapters"] = (backend, dags)  # cached per warm container
    return _runtime["adapters"]


def _api_backend():
    return _backend()[0]


@app.authorizer(ttl_seconds=300, name="token_authorizer")
def token_authorizer(auth_request) -> AuthResponse:
    """API Gateway's check before any route but health, cached per token for 5 minutes. It only tells a known
    token from an unknown one (the policy covers every route, so the cache is right for all of them); the
    routes still check the role themselves, as they must under `chalice local`, which skips authorizers."""
    from chalicelib.api.auth import bearer_token
    from chalicelib.api.token_store import current_tokens

    token = bearer_token({"Authorization": auth_request.token or ""})
    role = current_tokens().role_of(token) if token else None
    if role is None:
        raise Exception("Unauthorized")  # noqa: TRY002 - the exact error API Gateway turns into a 401
    return AuthResponse(routes=["*"], principal_id=role.label)


# Every route under /api/v1 (chalicelib/api); each checks its role per request. `levante package` sets
# LEVANTE_API_AUTHORIZER so that the routes on API Gateway go through the authorizer as well.
register_api(app, _api_backend, authorizer=token_authorizer if os.environ.get("LEVANTE_API_AUTHORIZER") else None)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="scheduler")
def scheduler(event) -> dict:
    from chalicelib.services.scheduler import tick

    backend, _ = _backend()
    report = tick(backend, datetime.now(UTC))  # serialized DAGs only: the tick never imports DAG files
    TELEMETRY.tick(len(report.runs_created), len(report.reaped), report.duration_s)
    return {"runs_created": len(report.runs_created), "reaped": len(report.reaped), "duration_s": report.duration_s}


@app.on_sqs_message(queue=SETTINGS.queue_name, batch_size=1, name="worker")
def worker(event) -> None:
    # One message per invocation (batch size 1): each message's task has its own timeout budget and failure
    # isolation; tasks handed off to it (services/handoff.py) ride on it only early in the invocation. An
    # exception here means the outcome could not be recorded: SQS redelivers, then DLQs.
    from chalicelib.services.task_consumer import handle_message

    backend, dags = _backend()
    for record in event:
        raw = record.to_dict()
        with TELEMETRY.task(raw.get("messageId", ""), record.body, raw.get("attributes", {}).get("SentTimestamp")) as outcome:
            tries: list[str] = []  # the message's try, then any handed off to this invocation
            outcome["result"] = handle_message(backend, dags, record.body, outcomes=tries,
                                               request_id=getattr(event.context, "aws_request_id", None))
            outcome["results"] = tries


@app.lambda_function(name="dag_processor")
def dag_processor(event, context) -> dict:
    """Parse the current DAG bundle. Fired by the S3 event of `bundles/current.json` (a new bundle) and by a
    slow safety timer; each DAG file is imported in a child process with a hard timeout and memory limit."""
    from chalicelib.services.dag_processor import process_current_bundle

    backend, _ = _backend()
    force = isinstance(event, dict) and bool(event.get("force"))  # the timer skips a version already processed
    report = process_current_bundle(backend, datetime.now(UTC), force=force)
    result = report.result
    return {"version": report.version, "skipped": report.skipped, "parsed": result.parsed if result else 0,
            "import_errors": result.import_errors if result else 0}
