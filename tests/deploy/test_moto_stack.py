"""The deployment, proven without an AWS account: the packaged stage becomes a stack in a moto server, the
packaged handlers (unzipped, in an interpreter without the dev dependencies) run a DAG with real-shaped
EventBridge, SQS and API Gateway events, then `levante destroy` removes it all. And `levante deploy` itself,
against a moto server, uploads its artifacts and creates its change set (moto cannot run SAM's transform).

moto's CloudFormation cannot create some resource types; they are listed here, left out of the moto stack
and checked by cfn-lint instead (tests/deploy/test_package.py lints the very same template).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.devstack.process_groups import ProcessGroups
from chalicelib.store.bundles import CURRENT_KEY
from tests.deploy.conftest import ROOT
from tests.deploy.lambda_driver import PAUSE
from tests.e2e.conftest import levante_argv, start_moto

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
STAGE = "dev"
DAG_ID = "example_taskflow_etl"
# moto has no CloudFormation model for these, or (API Gateway) cannot import a REST API from its OpenAPI body.
MOTO_CANNOT_CREATE = frozenset({"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Account",
                                "AWS::SNS::Subscription",
                                "AWS::ApiGateway::Stage", "AWS::CloudFront::Distribution",
                                "AWS::CloudFront::OriginAccessControl", "AWS::CloudWatch::Alarm",
                                "AWS::S3::BucketPolicy"})
LAMBDA_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")  # the runtime's own
TOKEN = "moto-stack-admin-token-0123456789"
PROBE_DAG = "bundle_probe"  # shipped and run; changed (code and schedule) with `levante dags deploy`; its
# first scheduled run runs the new code
PROBE_SOURCE = '''
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="bundle_probe", schedule={schedule!r}, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def bundle_probe():
    @task
    def answer() -> str:
        return "{answer}"

    answer()


bundle_probe()
'''


@pytest.fixture
def moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A moto server of its own, and this process's environment pointed at it (as a user's shell would be)."""
    processes = ProcessGroups(tmp_path)
    try:
        endpoint = start_moto(processes)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
        env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1")
        for name in [n for n in os.environ if n.startswith(("AWS_", "LEVANTE_"))]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env
    finally:
        assert not processes.kill_all(), "moto server survived"


def levante(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(levante_argv(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_packaged_stage_runs_a_dag_in_moto_then_destroy_removes_it(moto, tmp_path):
    from chalicelib.deploy import aws, names
    from chalicelib.deploy.stacks import Stacks
    from chalicelib.deploy.stage import Stage

    local_python = f"{sys.version_info.major}.{sys.version_info.minor}"  # same code, wheels this Python imports
    packaged = levante(moto, "package", "--stage", STAGE, "--out", str(tmp_path / "package"),
                       "--python-version", local_python)
    assert packaged.returncode == 0, packaged.stdout + packaged.stderr
    settings = Stage.load(STAGE).settings
    session = aws.Aws.connect()
    s3, cloudformation = session.client("s3"), session.client("cloudformation")
    artifacts = names.artifacts_bucket(settings.prefix, session.account, session.region)
    aws.ensure_bucket(s3, artifacts, session.region)
    s3.upload_file(str(tmp_path / "package" / "deployment.zip"), artifacts, "levante-dev/deployment.zip")

    sam = json.loads((tmp_path / "package" / "sam.json").read_text())
    template = translate(sam, f"s3://{artifacts}/levante-dev/deployment.zip")
    creatable = moto_creatable() - MOTO_CANNOT_CREATE
    assert {r["Type"] for r in template["Resources"].values()} - creatable == MOTO_CANNOT_CREATE
    s3.put_object(Bucket=artifacts, Key="levante-dev/template.json",
                  Body=json.dumps(without_types(template, MOTO_CANNOT_CREATE)).encode())
    aws.ensure_token(session.client("ssm"), names.tokens_path(settings), "admin", TOKEN)
    events: list[str] = []
    stacks = Stacks(cloudformation, names.stack_name(settings), say=events.append, poll_seconds=0.1)

    assert stacks.deploy(f"https://{artifacts}.s3.us-east-1.amazonaws.com/levante-dev/template.json", {})
    assert stacks.status() == "CREATE_COMPLETE"
    assert any("CREATE_COMPLETE" in line and "levante-dev" in line for line in events), events  # moto: stack events only

    lambdas = session.client("lambda")
    functions = {role: lambdas.get_function_configuration(FunctionName=f"levante-{STAGE}{suffix}")
                 for role, suffix in (("api", ""), ("scheduler", "-scheduler"), ("worker", "-worker"),
                                      ("dag_processor", "-dag_processor"))}
    assert {f["Runtime"] for f in functions.values()} == {"python3.13"}
    assert {f["Handler"] for f in functions.values()} == {"app.app", "app.scheduler", "app.worker", "app.dag_processor"}
    environment = functions["worker"]["Environment"]["Variables"]
    assert environment["LEVANTE_BUCKET"] == f"levante-{STAGE}-data-{session.account}-{session.region}"
    s3.head_bucket(Bucket=environment["LEVANTE_BUCKET"])  # created under its global name
    queue_url = session.client("sqs").get_queue_url(QueueName=settings.queue_name)["QueueUrl"]  # moto: no outputs

    queue_arn = session.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    [mapping] = lambdas.list_event_source_mappings(FunctionName="levante-dev-worker")["EventSourceMappings"]
    assert mapping["EventSourceArn"] == queue_arn and mapping["BatchSize"] == 1
    rule, timer = assert_dag_processor_is_triggered(session, template, functions["dag_processor"],
                                                    environment["LEVANTE_BUCKET"])

    dags = tmp_path / "dags"  # the user's DAGs folder: the examples and a DAG this test changes
    shutil.copytree(ROOT / "dags", dags)
    (dags / f"{PROBE_DAG}.py").write_text(PROBE_SOURCE.format(answer="first version", schedule=None))
    bundle = dags_deploy(moto, dags)
    assert bundle["bucket"] == environment["LEVANTE_BUCKET"] and bundle["uploaded"]
    code = {role: (f["CodeSha256"], f["LastModified"]) for role, f in functions.items()}

    def ship_a_change(phase_one: dict) -> None:
        assert phase_one["probe_before"]["returned"] == {"answer": "first version"}, phase_one
        (dags / f"{PROBE_DAG}.py").write_text(PROBE_SOURCE.format(answer="second version", schedule="@daily"))
        changed = dags_deploy(moto, dags)
        assert changed["uploaded"] and changed["version"] != bundle["version"], changed
        bundles.append(changed["version"])
        assert {role: (f["CodeSha256"], f["LastModified"]) for role, f in (
            (role, lambdas.get_function_configuration(FunctionName=f["FunctionName"]))
            for role, f in functions.items())} == code  # a DAG change updates no function

    bundles: list[str] = []
    report = run_packaged_handlers(tmp_path, moto, functions, {
        "token": TOKEN, "dag_id": DAG_ID, "probe_dag": PROBE_DAG, "queue_url": queue_url, "queue_arn": queue_arn,
        "rule_arn": rule["Arn"], "timer_rule_arn": timer["Arn"], "timeout_s": 120, "bucket": environment["LEVANTE_BUCKET"],
        "bundle_key": CURRENT_KEY, "functions": {role: f["FunctionName"] for role, f in functions.items()}},
        between_phases=ship_a_change)

    assert report["processed"]["version"] == bundle["version"] and report["processed"]["import_errors"] == 0, report
    assert (report["unpause"], report["trigger"]) == (200, 200), report
    assert report["authorizer"] == {"good": "Allow arn:aws:execute-api:us-east-1:123456789012:moto/api/*/* as admin",
                                    "bad": "Unauthorized"}
    assert report["state"] == "success", report
    assert set(report["tasks"].values()) == {"success"} and len(report["tasks"]) >= 3, report
    # The changed bundle: processed (only the changed file parsed), and the next run runs its code.
    [changed_version] = bundles
    assert report["processed_after"]["version"] == changed_version, report
    assert report["processed_after"]["parsed"] == 1 and report["processed_after"]["import_errors"] == 0, report
    assert report["timer_after"] == {"version": changed_version, "skipped": True, "parsed": 0, "import_errors": 0}
    before, after = report["probe_before"], report["probe_after"]
    assert (before["bundle_version"], after["bundle_version"]) == (bundle["version"], changed_version), report
    assert (before["state"], after["state"]) == ("success", "success"), report
    assert after["returned"] == {"answer": "second version"} and after["scheduled_runs"] == 1, report
    runs = len(report["tasks"]) + len(before["tasks"]) + len(after["tasks"])
    # One invocation per message; a chain's later tasks ride on their upstream's invocation (services/handoff.py)
    assert report["worker_invocations"] == len(set(report["message_ids"])) < runs
    assert not {"moto", "pytest", "flask"} & set(report["modules"])
    logs = [json.loads(line) for line in report["stdout"] if line.startswith("{")]
    worker_lines = [line for line in logs if line.get("dag_id") in (DAG_ID, PROBE_DAG)]
    assert {line["level"] for line in worker_lines} >= {"INFO"}  # Chalice would have left only ERROR
    assert {line["sqs_message_id"] for line in worker_lines} == set(report["message_ids"])
    assert all({"run_id", "task_id", "try"} <= set(line) for line in worker_lines)
    metrics = {m["Name"] for line in logs if "_aws" in line
               for directive in line["_aws"]["CloudWatchMetrics"] for m in directive["Metrics"]}
    assert {"TasksStarted", "TasksSucceeded", "TaskDuration", "QueueLag", "TickDuration", "RunsCreated"} <= metrics

    destroyed = levante(moto, "destroy", "--stage", STAGE, "--yes")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert stacks.status() is None
    assert settings.table("runs") not in session.client("dynamodb").list_tables()["TableNames"]
    assert environment["LEVANTE_BUCKET"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert aws.get_token(session.client("ssm"), names.tokens_path(settings), "admin") is None


def test_levante_deploy_uploads_its_artifacts_and_creates_a_change_set(moto):
    deployed = levante(moto, "deploy", "--stage", STAGE)

    print(deployed.stdout, deployed.stderr[-2000:])
    cloudformation, s3 = boto3.client("cloudformation"), boto3.client("s3")
    artifacts = "levante-artifacts-123456789012-us-east-1"  # created: the account and region make it unique
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=artifacts)["Contents"]]
    [template_key] = [k for k in keys if k.endswith("-template.json")]
    template = json.loads(s3.get_object(Bucket=artifacts, Key=template_key)["Body"].read())
    [code] = {r["Properties"]["CodeUri"] for r in template["Resources"].values()
              if r["Type"] == "AWS::Serverless::Function"}
    assert code.startswith(f"s3://{artifacts}/levante-dev/") and code.split("/", 3)[3] in keys
    [change_set] = cloudformation.list_change_sets(StackName="levante-dev")["Summaries"]
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert "change set created (create)" in deployed.stdout
    token = boto3.client("ssm").get_parameter(Name="/levante-dev/tokens/admin", WithDecryption=True)["Parameter"]
    assert len(token["Value"]) >= 16 and token["Type"] == "SecureString"
    # moto cannot execute a SAM transform: the command stops there, with a message rather than a traceback.
    assert "Traceback" not in deployed.stderr


def dags_deploy(env: dict[str, str], folder: Path) -> dict[str, Any]:
    deployed = levante(env, "dags", "deploy", "--stage", STAGE, "--dags-folder", str(folder), "--output", "json")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    return json.loads(deployed.stdout)


def assert_dag_processor_is_triggered(session, template: dict[str, Any], processor: dict,
                                      bucket: str) -> tuple[dict, dict]:
    """The processor's two triggers: S3's event for the bundle pointer, and a slow timer. Returns the scheduler's
    rule and the processor's timer rule.

    moto's CloudFormation creates the bucket but not its notification configuration, so that part is read
    from the template that CloudFormation gets (cfn-lint checks it too); the permission and rules exist in moto."""
    rules = {r["ScheduleExpression"]: r for r in session.client("events").list_rules()["Rules"]
             if r.get("ScheduleExpression")}
    assert set(rules) == {"rate(1 minute)", "rate(10 minutes)"}, rules
    [target] = session.client("events").list_targets_by_rule(Rule=rules["rate(10 minutes)"]["Name"])["Targets"]
    assert target["Arn"] == processor["FunctionArn"] and "Input" not in target  # no force: a done version is skipped
    [notification] = template["Resources"]["DataBucket"]["Properties"]["NotificationConfiguration"][
        "LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": ["DagProcessor", "Arn"]}
    assert notification["Event"] == "s3:ObjectCreated:*"
    key_rules = {r["Name"]: r["Value"] for r in notification["Filter"]["S3Key"]["Rules"]}
    assert CURRENT_KEY.startswith(key_rules["prefix"]) and CURRENT_KEY.endswith(key_rules["suffix"])
    assert not f"bundles/{'0' * 16}.zip".startswith(key_rules["prefix"])  # the zips themselves fire nothing
    policy = json.loads(session.client("lambda").get_policy(FunctionName=processor["FunctionName"])["Policy"])
    invokers = {(s["Principal"]["Service"], json.dumps(s.get("Condition", {}))) for s in policy["Statement"]}
    assert any(service == "s3.amazonaws.com" and f"arn:aws:s3:::{bucket}" in condition
               for service, condition in invokers), invokers
    return rules["rate(1 minute)"], rules["rate(10 minutes)"]


def translate(sam: dict[str, Any], code_uri: str) -> dict[str, Any]:
    """AWS::Serverless-2016-10-31 to plain CloudFormation, as CloudFormation's SAM transform does."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the template names its roles' policies inline; no AWS managed policy to look up
        def load(self) -> dict[str, str]:
            return {}

    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri
    return transform(sam, {}, NoManagedPolicies())


def moto_creatable() -> set[str]:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map())


def without_types(template: dict[str, Any], types: frozenset[str]) -> dict[str, Any]:
    """The template minus resources of `types`; references to them become placeholder strings."""
    removed = {name for name, r in template["Resources"].items() if r["Type"] in types}

    def stub(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("Ref") in removed:
                return f"moto-cannot-create-{value['Ref']}"
            if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in removed:
                return "moto-cannot-create-{}.{}".format(*value["Fn::GetAtt"])
            if isinstance(value.get("Fn::Sub"), str):
                return {"Fn::Sub": re.sub(r"\$\{(\w+)(\.[\w.]+)?\}",
                                          lambda m: "moto-cannot-create" if m[1] in removed else m[0], value["Fn::Sub"])}
            return {key: stub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [stub(item) for item in value]
        return value

    resources = {}
    for name, resource in template["Resources"].items():
        if name in removed:
            continue
        resource = stub(resource)
        if "DependsOn" in resource:
            depends = [resource["DependsOn"]] if isinstance(resource["DependsOn"], str) else resource["DependsOn"]
            resource["DependsOn"] = [d for d in depends if d not in removed]
        resources[name] = resource
    outputs = {name: output for name, output in template.get("Outputs", {}).items()
               if stub(output) == output}  # an output of a left-out resource means nothing here
    return {**template, "Resources": resources, "Outputs": outputs}


def run_packaged_handlers(tmp_path: Path, moto: dict[str, str], functions: dict[str, dict], job: dict,
                          between_phases: Callable[[dict], None]) -> dict:
    """The driver runs phase one, pauses while `between_phases` ships a changed bundle, then runs phase two:
    the same process (a warm container of each function) before and after the change."""
    task_root = tmp_path / "task"
    with zipfile.ZipFile(tmp_path / "package" / "deployment.zip") as archive:
        archive.extractall(task_root)
    assert not (task_root / "dags").exists()  # DAG code reaches Lambda through bundles only
    runtime = tmp_path / "runtime"  # what /var/runtime gives a Lambda function: the AWS SDK, nothing else
    runtime.mkdir()
    site = Path(boto3.__file__).parents[1]
    for name in LAMBDA_SDK:
        (runtime / name).symlink_to(site / name)
    env = {"PATH": os.environ["PATH"], "LAMBDA_TASK_ROOT": str(task_root), "PYTHONPATH": f"{task_root}:{runtime}",
           **{k: v for k, v in moto.items() if k.startswith("AWS_")},
           **{k: v for f in functions.values() for k, v in f["Environment"]["Variables"].items()},
           "AWS_LAMBDA_FUNCTION_NAME": functions["worker"]["FunctionName"]}
    with (tmp_path / "driver.stderr").open("w+") as stderr:
        proc = subprocess.Popen([sys.executable, "-S", str(ROOT / "tests" / "deploy" / "lambda_driver.py")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        watchdog = threading.Timer(300, proc.kill)  # a hung driver fails the test instead of hanging it
        watchdog.start()
        try:
            proc.stdin.write(json.dumps(job) + "\n")
            proc.stdin.flush()
            lines = []
            for line in proc.stdout:
                if line.startswith(PAUSE):
                    between_phases(json.loads(line[len(PAUSE):]))
                    proc.stdin.write("go on\n")
                    proc.stdin.flush()
                else:
                    lines.append(line.rstrip("\n"))
            returncode = proc.wait()
        finally:
            watchdog.cancel()
            proc.kill()
        stderr.seek(0)
        errors = stderr.read()
    assert returncode == 0, "\n".join(lines)[-3000:] + errors[-5000:]
    print(errors[-3000:])
    *lines, report = [line for line in lines if line.strip()]  # the functions' stdout (CloudWatch's), then the report
    return {**json.loads(report), "stdout": lines}
