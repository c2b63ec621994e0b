"""The hand-written IAM policies (.chalice/policy-*.json): least privilege, and enough for every call the code makes.

The policies are generated (chalicelib/deploy/policies.py); here for moto's account and region.
The calls come from a recorded run under moto: each botocore client gets a hook as it is created, then the
scheduler tick, the API's trigger and log read, and the worker draining the queue run the example DAGs.
Each phase is checked against the policy of the function that makes those calls on AWS.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import botocore.session
import pytest

from chalicelib.deploy import names
from chalicelib.deploy.policies import Where
from chalicelib.deploy.stage import Stage
from tests.deploy.conftest import ROOT, STAGES
from tests.deploy.iam import ACCOUNT, DATA_SERVICES, REGION, CallRecorder, allows, permissions

EXAMPLES = ("example_taskflow_etl", "example_branching", "example_bash_pipeline", "example_fan_out_retries")


MOTO = Where(partition="aws", account=ACCOUNT, region=REGION)
FUNCTIONS = ("api_handler", "scheduler", "worker", "dag_processor")


def stage_config(stage: str) -> Stage:
    return Stage.load(stage)


def moto_settings(stage: str):
    """The stage's settings with the data bucket named as on AWS for moto's account and region."""
    settings = stage_config(stage).settings
    return replace(settings, bucket_override=names.data_bucket(settings, ACCOUNT, REGION))


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_wildcards_on_data_services(stage, function):
    for statement in stage_config(stage).policy(function, MOTO)["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        assert "*" not in actions and "*" not in resources, statement
        if not any(a.split(":")[0] in DATA_SERVICES for a in actions):
            continue
        assert not any("*" in a or "?" in a for a in actions), statement
        for arn in resources:
            service, name = arn.split(":")[2], arn.split(":", 5)[5]
            if service == "s3" and "/" in name:  # objects under a fixed prefix of one named bucket
                bucket, _, key = name.partition("/")
                assert "*" not in bucket and key.endswith("/*") and "*" not in key[:-2], arn
            elif service == "ssm":  # parameters under a fixed path (the stage's secrets), or that path itself
                assert name.startswith("parameter/") and "*" not in name.removesuffix("/*") and "?" not in name, arn
            else:
                assert "*" not in name and "?" not in name, arn


@pytest.mark.parametrize("stage", STAGES)
def test_policies_name_exactly_the_stage_resources(stage):
    from chalicelib.store.models import build_models

    config = stage_config(stage)
    settings = config.settings
    expected_tables = set()
    for model in build_models(settings).all():
        table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{model.Meta.table_name}"
        schema = model._get_schema()
        indexes = schema["global_secondary_indexes"] + schema["local_secondary_indexes"]
        expected_tables |= {table} | {f"{table}/index/{i['index_name']}" for i in indexes}
    for function in FUNCTIONS:
        by_service: dict[str, set[str]] = {}
        for statement in config.policy(function, MOTO)["Statement"]:
            for arn in statement["Resource"]:
                by_service.setdefault(arn.split(":")[2], set()).add(arn)
        assert by_service["dynamodb"] == expected_tables
        assert by_service["sqs"] == {f"arn:aws:sqs:{REGION}:{ACCOUNT}:{settings.queue_name}",
                                     f"arn:aws:sqs:{REGION}:{ACCOUNT}:{settings.dlq_name}"}
        bucket = f"levante-{stage}-data-{ACCOUNT}-{REGION}"  # global names carry the account and region
        assert {arn.split("/")[0] for arn in by_service["s3"]} == {f"arn:aws:s3:::{bucket}"}
        assert by_service["ssm"] <= {f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{settings.base}/{kind}{tail}"
                                     for kind in ("connections", "variables", "tokens") for tail in ("", "/*")}
        assert by_service["logs"] == {f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{config.function_name(f)}:*"
                                      for f in FUNCTIONS}


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_worker_invokes_lambda_and_only_configured_functions(stage):
    config = stage_config(stage)
    configured = {arn.replace(":*:*:", f":{REGION}:{ACCOUNT}:")
                  for arn in config.environment["LEVANTE_INVOKABLE_FUNCTIONS"].split(",")}
    for function in FUNCTIONS:
        invokable = {arn for s in config.policy(function, MOTO)["Statement"]
                     if any(a.startswith("lambda:") for a in s["Action"]) for arn in s["Resource"]}
        assert invokable == (configured if function == "worker" else set())


@pytest.fixture
def recorder(aws, monkeypatch) -> CallRecorder:
    from chalicelib.store.models import build_models

    recorder = CallRecorder()
    create_client = botocore.session.Session.create_client
    monkeypatch.setattr(botocore.session.Session, "create_client",
                        lambda self, *a, **kw: recorder.attach(create_client(self, *a, **kw)))
    build_models.cache_clear()  # new model classes, so new PynamoDB connections, so hooked clients
    yield recorder
    build_models.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_every_call_the_code_makes_is_allowed(recorder, monkeypatch, stage):
    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from tests.functional.harness import Stack

    config = stage_config(stage)
    backend = Backend(moto_settings(stage))
    init_resources(backend)  # `levante init` / CloudFormation: not the functions' business
    stack = Stack(backend, ROOT / "dags")
    phases: dict[str, list] = {}

    def phase(function: str):
        recorder.calls = phases.setdefault(function, [])
        recorder.recording = True

    from chalicelib.services.bundles import publish_folder

    publish_folder(backend, str(ROOT / "dags"), datetime.now(UTC))  # `levante dags deploy`: the user's credentials
    phase("dag_processor")
    stack.process()
    phase("scheduler")
    stack.tick()
    runs = []
    for dag_id in EXAMPLES:
        phase("api_handler")
        runs.append((dag_id, stack.trigger(dag_id).run_id))
        phase("worker")
        stack.drain()
    phase("scheduler")
    stack.tick()
    for dag_id, run_id in runs:
        assert backend.runs.get(dag_id, run_id).state.value in ("success", "failed")
    phase("api_handler")
    statuses = call_every_route(stack, runs[0], monkeypatch)
    recorder.recording = False
    assert statuses["GET /dags"] == 200 and statuses["POST /variables"] == 200, statuses
    assert statuses["POST /connections"] == 200 and statuses["DELETE /variables/deploy_password"] == 204, statuses

    denied = set()
    for function, calls in phases.items():
        policy = config.policy(function, MOTO)
        for call in calls:
            denied |= {(function, action, arn) for action, arn in permissions(call) if not allows(policy, action, arn)}
    recorded = sorted({(f, c.service, c.operation) for f, calls in phases.items() for c in calls})
    print("\n".join(f"{f:12} {s}:{o}" for f, s, o in recorded))
    assert {"dynamodb", "sqs", "s3"} <= {s for _, s, _ in recorded}
    assert not denied, sorted(denied)


def call_every_route(stack, run: tuple[str, str], monkeypatch) -> dict[str, int]:
    """Each API route once, as the admin (the API Lambda's calls); a route's status is recorded, not judged."""
    import json

    from chalice.test import Client

    import app as app_module

    dag_id, run_id = run
    token = "deploy-test-admin-token-0123456789"
    monkeypatch.setenv("LEVANTE_ADMIN_TOKEN", token)
    monkeypatch.setattr(app_module, "_runtime", {"adapters": (stack.backend, stack.dags)})
    ti = stack.backend.runs.task_instances(dag_id, run_id)[0].task_id
    dag, run_path = f"/dags/{dag_id}", f"/dags/{dag_id}/dagRuns/{run_id}"
    requests = [
        ("GET", "/dags", None), ("GET", dag, None), ("PATCH", dag, {"is_paused": True}),
        ("PATCH", dag, {"is_paused": False}), ("GET", f"{dag}/source", None), ("GET", f"{dag}/graph", None),
        ("GET", f"{dag}/grid", None), ("GET", "/dagStats", None), ("GET", "/importErrors", None),
        ("GET", "/monitoring", None), ("GET", f"{dag}/dagRuns", None), ("GET", run_path, None),
        ("GET", f"{run_path}/taskInstances", None), ("GET", f"{run_path}/taskInstances/{ti}", None),
        ("GET", f"{run_path}/taskInstances/{ti}/logs/1", None), ("GET", f"{run_path}/taskInstances/{ti}/xcomEntries", None),
        ("PATCH", f"{run_path}/taskInstances/{ti}", {"new_state": "failed"}),
        ("POST", f"{dag}/clearTaskInstances", {"dag_run_id": run_id, "task_ids": [ti], "include_downstream": True}),
        ("POST", f"{run_path}/clear", {"only_failed": False}), ("PATCH", run_path, {"state": "failed"}),
        ("POST", "/variables", {"key": "deploy_test", "value": "1"}), ("GET", "/variables", None),
        ("GET", "/variables/deploy_test", None), ("PATCH", "/variables/deploy_test", {"value": "2"}),
        ("DELETE", "/variables/deploy_test", None), ("POST", "/variables", {"key": "deploy_password", "value": "p"}),
        ("GET", "/variables/deploy_password", None), ("PATCH", "/variables/deploy_password", {"value": "q"}),
        ("DELETE", "/variables/deploy_password", None),
        ("POST", "/connections", {"connection_id": "deploy_db", "conn_type": "postgres", "password": "p"}),
        ("GET", "/connections", None), ("GET", "/connections/deploy_db", None),
        ("PATCH", "/connections/deploy_db", {"host": "h"}), ("DELETE", "/connections/deploy_db", None),
        ("POST", f"{dag}/dagRuns", {"conf": {}}),
        ("DELETE", run_path, None),
    ]
    statuses = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with Client(app_module.app) as client:
        for method, path, body in requests:
            response = client.http.request(method, f"/api/v1{path}", headers=headers,
                                           body=json.dumps(body).encode() if body is not None else b"")
            statuses[f"{method} {path.replace(dag_id, '{dag}').replace(run_id, '{run}')}"] = response.status_code
    print(json.dumps(statuses, indent=1))
    return statuses
