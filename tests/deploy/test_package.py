"""`levante package` for each stage: the template lints clean, the zip holds the app and runtime deps (no DAG:
DAGs travel as bundles) and fits Lambda, and the merged template wires the queue, buckets and functions the way
docs/deploy.md says."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.deploy.conftest import STAGES, load_template

pytestmark = pytest.mark.slow
RUNTIME_PACKAGES = ("pynamodb", "croniter", "jinja2", "jsonschema", "pendulum", "aws_lambda_powertools")
# cfn-lint's deprecated-runtime rules: a warning until AWS blocks creation, then errors. All are errors here.
DEPRECATED_RUNTIME_RULES = ("W2531", "E2531", "E2533")


@pytest.mark.parametrize("stage", STAGES)
def test_cfn_lint_finds_no_errors_and_no_deprecated_runtime(packages, stage):
    import samtranslator  # noqa: F401  (without it cfn-lint skips every AWS::Serverless resource)

    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    proc = subprocess.run([str(cfn_lint), str(packages[stage] / "sam.json")], capture_output=True, text=True)

    print(proc.stdout)
    assert proc.returncode & 2 == 0, f"cfn-lint errors:\n{proc.stdout}{proc.stderr}"  # bit 2: errors
    assert not any(rule in proc.stdout for rule in DEPRECATED_RUNTIME_RULES), proc.stdout


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_runs_the_chosen_runtime_which_is_supported_today(packages, stage):
    import cfnlint.data.AdditionalSpecs

    from chalicelib.deploy.target import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME

    resources = load_template(packages, stage)["Resources"]
    functions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    lifecycle = json.loads((Path(cfnlint.data.AdditionalSpecs.__file__).parent / "LmbdRuntimeLifecycle.json").read_text())

    assert len(functions) == 5  # API, scheduler, worker, token authorizer, DAG processor
    assert {(f["Runtime"], tuple(f["Architectures"])) for f in functions} == {(LAMBDA_RUNTIME, (LAMBDA_ARCHITECTURE,))}
    assert LAMBDA_RUNTIME >= "python3.12" and lifecycle[LAMBDA_RUNTIME]["deprecated"] > date.today().isoformat()


@pytest.mark.parametrize("stage", STAGES)
def test_binary_wheels_are_built_for_the_lambda_python_whatever_python_packages(packages, stage):
    from chalicelib.deploy.target import LAMBDA_PYTHON

    tag = f"cpython-{LAMBDA_PYTHON.replace('.', '')}-x86_64-linux-gnu.so"
    with zipfile.ZipFile(packages[stage] / "deployment.zip") as archive:
        extensions = [name for name in archive.namelist() if name.endswith(".so")]

    assert any(name.startswith("pendulum/") for name in extensions)  # pendulum is compiled (Rust)
    assert extensions and all(name.endswith(tag) for name in extensions), extensions


@pytest.mark.parametrize("stage", STAGES)
def test_zip_holds_app_and_runtime_deps_but_no_dags_within_lambda_limits(packages, stage):
    zip_path = packages[stage] / "deployment.zip"
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        unzipped = sum(info.file_size for info in archive.infolist())
    zipped = zip_path.stat().st_size

    print(f"{stage}: deployment.zip {zipped / 2**20:.1f} MB zipped, {unzipped / 2**20:.1f} MB unzipped")
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/store/models.py", "chalicelib/services/task_consumer.py"} <= names
    tops = {name.split("/")[0] for name in names}
    assert "dags" not in tops  # DAG code reaches Lambda only as bundles in S3: a DAG change updates no function
    assert set(RUNTIME_PACKAGES) <= tops
    assert not {"tests", "frontend", "infra", "bench", "docs"} & tops
    assert not {"boto3", "botocore", "s3transfer", "urllib3"} & tops  # the Lambda runtime has the SDK
    assert not {n for n in names if n.startswith(("chalicelib/cli/", "chalicelib/devstack/", "chalicelib/deploy/"))}
    assert not {n for n in names if "/tests/" in n or n.endswith((".pyc", "/__pycache__/"))}
    assert zipped < 50 * 2**20 and unzipped < 250 * 2**20


@pytest.mark.parametrize("stage", STAGES)
def test_functions_are_configured_for_the_stage(packages, stage):
    resources = load_template(packages, stage)["Resources"]
    worker = resources["Worker"]["Properties"]
    names = {resources[r]["Properties"]["FunctionName"] for r in ("APIHandler", "Scheduler", "Worker")}

    assert names == {f"levante-{stage}", f"levante-{stage}-scheduler", f"levante-{stage}-worker"}
    assert {resources[r]["Properties"]["Environment"]["Variables"]["LEVANTE_STAGE"]
            for r in ("APIHandler", "Scheduler", "Worker")} == {stage}
    [event] = worker["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"]["Fn::Sub"].endswith(f":levante-{stage}-tasks")
    assert event["Properties"]["BatchSize"] == 1  # one task per invocation: no ReportBatchItemFailures needed
    assert 2 <= event["Properties"]["ScalingConfig"]["MaximumConcurrency"] <= worker["ReservedConcurrentExecutions"]
    assert {"TaskQueue", "TaskInstancesTable", "DataBucket"} <= set(resources["Worker"]["DependsOn"])
    assert resources["Scheduler"]["Properties"]["Events"]["SchedulerEvent"]["Properties"]["Schedule"] == "rate(1 minute)"
    api_env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["LEVANTE_TOKENS_PARAMETER_PATH"] == f"/levante-{stage}/tokens"  # SSM SecureString, read at run time
    assert not {"LEVANTE_ADMIN_TOKEN", "LEVANTE_OPERATOR_TOKEN", "LEVANTE_VIEWER_TOKEN"} & set(api_env)
    assert {resources[r]["Properties"]["Environment"]["Variables"]["LEVANTE_DAGS_PAUSED_AT_CREATION"]
            for r in ("APIHandler", "Scheduler", "Worker")} == {"true"}


@pytest.mark.parametrize("stage", STAGES)
def test_the_dag_processor_runs_on_the_bundle_pointers_s3_event_and_a_slow_timer(packages, stage):
    from chalicelib.store.bundles import CURRENT_KEY

    resources = load_template(packages, stage)["Resources"]
    processor = resources["DagProcessor"]
    [notification] = resources["DataBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    permission = resources["DagProcessorBundleEventPermission"]["Properties"]

    assert processor["Properties"]["Handler"] == "app.dag_processor"
    assert notification["Function"] == {"Fn::GetAtt": ["DagProcessor", "Arn"]}
    assert [r["Value"] for r in notification["Filter"]["S3Key"]["Rules"]] == [CURRENT_KEY, "current.json"]
    assert (permission["Principal"], permission["FunctionName"]) == ("s3.amazonaws.com", notification["Function"])
    assert permission["SourceArn"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::levante-{stage}-data-"
                                                  "${AWS::AccountId}-${AWS::Region}"}
    # S3 checks its permission when the bucket is created: function, then permission, then bucket (no cycle).
    assert "DagProcessorBundleEventPermission" in resources["DataBucket"]["DependsOn"]
    assert "DataBucket" not in processor["DependsOn"] and "TaskQueue" in processor["DependsOn"]
    [timer] = processor["Properties"]["Events"].values()
    assert timer == {"Type": "Schedule", "Properties": {"Schedule": "rate(10 minutes)"}}


@pytest.mark.parametrize("stage", STAGES)
def test_visibility_timeout_is_six_worker_timeouts(packages, stage):
    resources = load_template(packages, stage)["Resources"]
    queue = resources["TaskQueue"]["Properties"]
    worker = resources["Worker"]["Properties"]

    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert int(worker["Environment"]["Variables"]["LEVANTE_WORKER_TIMEOUT"]) == worker["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["TaskDeadLetterQueue", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1
    alarm = resources["DeadLetterQueueAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["TaskDeadLetterQueue", "QueueName"]}


@pytest.mark.parametrize("stage", STAGES)
def test_buckets_are_private_and_encrypted(packages, stage):
    resources = load_template(packages, stage)["Resources"]
    for name in ("DataBucket", "DashboardBucket"):
        bucket = resources[name]["Properties"]
        assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
        assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert "WebsiteConfiguration" not in bucket
    # Bucket names are global: the account and region make them unique, functions get the same name.
    name = {"Fn::Sub": f"levante-{stage}-data-${{AWS::AccountId}}-${{AWS::Region}}"}
    assert resources["DataBucket"]["Properties"]["BucketName"] == name
    assert {resources[r]["Properties"]["Environment"]["Variables"]["LEVANTE_BUCKET"] == name
            for r in ("APIHandler", "Scheduler", "Worker")} == {True}
    [reader] = [s for s in resources["DashboardBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
                if s["Effect"] == "Allow"]
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "AWS:SourceArn" in reader["Condition"]["StringEquals"]


@pytest.mark.parametrize("stage", STAGES)
def test_roles_carry_the_generated_policies_pinned_to_the_account(packages, stage):
    from chalicelib.deploy.policies import substituted
    from chalicelib.deploy.stage import FUNCTIONS, Stage

    resources = load_template(packages, stage)["Resources"]
    config = Stage.load(stage)
    for function, (_, role, _) in FUNCTIONS.items():
        [policy] = resources[role]["Properties"]["Policies"]
        assert policy["PolicyDocument"] == substituted(config.policy(function))
        assert ":*:*:" not in json.dumps(policy) and "${AWS::AccountId}" in json.dumps(policy)


@pytest.mark.parametrize("stage", STAGES)
def test_every_route_but_health_goes_through_the_cached_token_authorizer(packages, stage):
    resources = load_template(packages, stage)["Resources"]
    api = resources["RestAPI"]["Properties"]
    swagger = api["DefinitionBody"]
    operations = {(path, method): op for path, methods in swagger["paths"].items()
                  for method, op in methods.items() if method != "options"}
    [authorizer] = swagger["securityDefinitions"].values()

    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert authorizer["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 300
    assert len(operations) > 20
    for (path, method), op in operations.items():
        expected = None if path == "/api/v1/health" else [{"token_authorizer": []}]
        assert op.get("security") == expected, (path, method)
    [throttle] = api["MethodSettings"]
    assert throttle["ThrottlingRateLimit"] > 0 and throttle["ThrottlingBurstLimit"] >= throttle["ThrottlingRateLimit"]
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert json.loads(api["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    authorizer_policy = json.dumps(resources["TokenAuthorizerRole"]["Properties"]["Policies"])
    assert "dynamodb" not in authorizer_policy and "ssm:GetParametersByPath" in authorizer_policy


@pytest.mark.parametrize("stage", STAGES)
def test_alarms_watch_the_scheduler_the_worker_and_the_dlq_with_an_optional_email(packages, stage):
    template = load_template(packages, stage)
    resources = template["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}

    assert set(alarms) == {"SchedulerHeartbeatAlarm", "SchedulerErrorsAlarm", "WorkerErrorsAlarm",
                           "WorkerThrottlesAlarm", "DeadLetterQueueAlarm"}
    assert {a["AlarmActions"][0]["Ref"] for a in alarms.values()} == {"AlarmTopic"}
    heartbeat = alarms["SchedulerHeartbeatAlarm"]
    assert (heartbeat["Namespace"], heartbeat["MetricName"], heartbeat["TreatMissingData"]) == (
        "Levante", "SchedulerHeartbeat", "breaching")  # no tick at all is the failure it is there for
    assert heartbeat["Dimensions"] == [{"Name": "service", "Value": f"levante-{stage}"}]
    assert alarms["WorkerThrottlesAlarm"]["Dimensions"][0]["Value"] == f"levante-{stage}-worker"
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail" and template["Parameters"]["AlarmEmail"]["Default"] == ""
