"""`levante package`, `levante deploy`, `levante destroy`, `levante tokens`: one CloudFormation stack per stage.

`package` is offline (chalicelib/deploy/packaging.py). `deploy` needs only AWS credentials and a region: it
creates the artifacts bucket `{prefix}-artifacts-{account}-{region}` if missing, uploads the package and the
template there, runs a change set while printing resource events, publishes the DAGs folder as the stage's
current bundle (the package carries no DAG: the DAG processor parses the bundle), uploads the dashboard and
prints where everything is. `destroy` deletes the stack in whatever state it is (prod keeps its data unless --delete-data).
Run them from the project directory (where app.py and .chalice/ are).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from chalicelib.cli.errors import CliError

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload; 250 MB unzipped
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
EXAMPLE_DAGS = ("example_*.py",)  # the project's example DAGs: `levante deploy` ships them to the dev stage only
EXAMPLE_STAGES = frozenset({"dev"})
ROLE_TOKEN_VARIABLES = {"admin": "LEVANTE_ADMIN_TOKEN", "operator": "LEVANTE_OPERATOR_TOKEN",
                        "viewer": "LEVANTE_VIEWER_TOKEN"}


def register(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser("package", help="write the deployment package and CloudFormation template (offline)")
    package.add_argument("--stage", default="dev")
    package.add_argument("--out", required=True, help="directory to write deployment.zip and sam.json into")
    package.add_argument("--python-version", help="build the wheels for this Python instead of Lambda's "
                         "(tests that import the package with the local interpreter)")
    package.set_defaults(handler=package_command)

    deploy = commands.add_parser("deploy", help="deploy a stage to AWS (CloudFormation) and upload the dashboard")
    deploy.add_argument("--stage", default="dev")
    deploy.add_argument("--alarm-email", help="subscribe this address to the stage's alarms (kept by later deploys; "
                        "'' removes it)")
    deploy.add_argument("--dags-folder", help="DAGs folder published as the stage's first bundle "
                        "(default: the stage's LEVANTE_DAGS_FOLDER, relative to the project)")
    deploy.set_defaults(handler=deploy_command)

    destroy = commands.add_parser("destroy", help="delete a stage's stack (prod keeps its tables and data bucket)")
    destroy.add_argument("--stage", default="dev")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument("--delete-data", action="store_true",
                         help="also delete the tables and data bucket a stage keeps (prod)")
    destroy.set_defaults(handler=destroy_command)

    tokens = commands.add_parser("tokens", help="the API tokens of a deployed stage (SSM SecureString)")
    verbs = tokens.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, text in (("get", "print a role's token"), ("rotate", "replace a role's token (no redeploy)")):
        command = verbs.add_parser(verb, help=text)
        command.add_argument("--stage", default="dev")
        command.add_argument("--role", required=True, choices=sorted(ROLE_TOKEN_VARIABLES))
        command.set_defaults(handler=tokens_command)


def package_command(args: argparse.Namespace) -> int:
    out = package(Path.cwd(), args.stage, Path(args.out), python_version=args.python_version)
    zipped, unzipped = package_size(out / "deployment.zip")
    print(f"wrote {out / 'deployment.zip'} ({zipped / 2**20:.1f} MB zipped, {unzipped / 2**20:.1f} MB unzipped) "
          f"and {out / 'sam.json'}")
    if zipped > LAMBDA_ZIP_LIMIT or unzipped > LAMBDA_UNZIPPED_LIMIT:
        raise CliError("the package exceeds Lambda's size limits (50 MB zipped, 250 MB unzipped)")
    return 0


def package(project: Path, stage: str, out: Path, ui_origin: str | None = None,
            python_version: str | None = None) -> Path:
    from chalicelib.deploy import packaging, target

    env = _stage_environment(project, stage)
    if ui_origin:  # API Gateway answers CORS preflights itself, with the origin Chalice saw when packaging
        env["LEVANTE_UI_ORIGIN"] = ui_origin
    return packaging.package(project, stage, out, env=env, python_version=python_version or target.LAMBDA_PYTHON)


def package_size(zip_path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(zip_path) as archive:
        return zip_path.stat().st_size, sum(info.file_size for info in archive.infolist())


def deploy_command(args: argparse.Namespace) -> int:
    from chalicelib.deploy import aws, names
    from chalicelib.deploy.stacks import StackError, Stacks

    project = Path.cwd()
    stage = _stage(project, args.stage)
    session = _connect()
    settings = stage.settings
    stacks = Stacks(session.client("cloudformation"), names.stack_name(settings), say=_say)
    s3 = session.client("s3")
    artifacts = names.artifacts_bucket(settings.prefix, session.account, session.region)
    if aws.ensure_bucket(s3, artifacts, session.region):
        _say(f"created the artifacts bucket {artifacts}")
    tokens = names.tokens_path(settings)
    if aws.ensure_token(session.client("ssm"), tokens, "admin", os.environ.get("LEVANTE_ADMIN_TOKEN")):
        _say(f"created the admin token (SSM SecureString {tokens}/admin)")
    try:
        origin = _origin(stacks.outputs()) if stacks.status() in _DEPLOYED else None
        upload = _Uploader(s3, artifacts, session.region, stacks.name)
        parameters = {"AlarmEmail": args.alarm_email}  # None: keep the stack's previous value
        _deploy_stack(project, stage.name, stacks, upload, origin, parameters)
        outputs = stacks.outputs()
        if origin != _origin(outputs):  # first deploy: the dashboard's domain exists only now; package it in
            _say("packaging again with the dashboard's address (API Gateway's CORS answers need it)")
            _deploy_stack(project, stage.name, stacks, upload, _origin(outputs), parameters)
    except StackError as error:
        raise CliError(str(error), 1) from None
    publish_dags(project, stage, session.region, outputs["DataBucketName"], args.dags_folder)
    _upload_dashboard(project, session, outputs)
    print(f"\nAPI:        {outputs['EndpointURL']}api/v1   (health: {outputs['EndpointURL']}api/v1/health)")
    print(f"Dashboard:  {outputs['DashboardURL']}")
    print(f"Admin token: levante tokens get --role admin --stage {stage.name}   (SSM SecureString {tokens}/admin)")
    print(f"Sign in:    {outputs['DashboardURL']}#token=<the admin token>")
    return 0


_DEPLOYED = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")


class _Uploader:
    """Content-addressed keys: an unchanged package is not uploaded twice, and a stack never reads a half-written one."""

    def __init__(self, s3, bucket: str, region: str, stack: str):
        self.s3, self.bucket, self.region, self.stack = s3, bucket, region, stack

    def put(self, path: Path, name: str) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
        key = f"{self.stack}/{digest}-{name}"
        self.s3.upload_file(str(path), self.bucket, key)
        return key

    def url(self, key: str) -> str:
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{key}"


def _deploy_stack(project: Path, stage: str, stacks, upload: _Uploader, origin: str | None,
                  parameters: dict[str, str | None]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        out = package(project, stage, Path(tmp) / "package", ui_origin=origin)
        template = json.loads((out / "sam.json").read_text())
        code = f"s3://{upload.bucket}/{upload.put(out / 'deployment.zip', 'deployment.zip')}"
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = code
        packaged = Path(tmp) / "template.json"
        packaged.write_text(json.dumps(template))
        _say(f"uploaded the package and template to s3://{upload.bucket}/{upload.stack}/")
        return stacks.deploy(upload.url(upload.put(packaged, "template.json")), parameters)


def publish_dags(project: Path, stage, region: str, bucket: str, folder: str | None = None) -> None:
    """The DAGs folder as the stage's current bundle, once the stack (and the processor's S3 event) exists:
    a fresh stage schedules its DAGs without a `levante dags deploy`. Publishing unchanged files uploads nothing."""
    import time

    from chalicelib.cli.bundles import describe_published, publish_to_bucket
    from chalicelib.services.bundles import BundleError

    # The project's own folder holds Levante's examples; a folder named on the command line ships whole.
    leave_out = () if folder or stage.name in EXAMPLE_STAGES else EXAMPLE_DAGS
    folder = folder or str(project / stage.environment.get("LEVANTE_DAGS_FOLDER", "dags"))
    started = time.monotonic()
    settings = dataclasses.replace(stage.settings, region=region)
    try:
        manifest, uploaded = publish_to_bucket(settings, bucket, folder, leave_out)
    except BundleError as error:
        raise CliError(f"the stack is deployed, but its DAGs were not published: {error}", 1) from None
    _say(describe_published(manifest, uploaded, bucket, time.monotonic() - started))
    if leave_out:
        _say(f"  (example DAGs {', '.join(leave_out)} left out: only the {', '.join(sorted(EXAMPLE_STAGES))} stage ships them)")


def _origin(outputs: dict[str, str]) -> str | None:
    url = outputs.get("DashboardURL")
    return url.rstrip("/") if url else None


def _upload_dashboard(project: Path, session, outputs: dict[str, str]) -> None:
    from chalicelib.deploy import aws

    dist = project / "frontend" / "dist"
    if not dist.is_dir():
        print("frontend/dist not found: dashboard not uploaded (build the frontend, then deploy again)")
        return
    s3, bucket = session.client("s3"), outputs["DashboardBucketName"]
    count = aws.upload_folder(s3, dist, bucket, keep=frozenset({"config.json"}))
    s3.put_object(Bucket=bucket, Key="config.json", ContentType="application/json", CacheControl="no-cache",
                  Body=json.dumps({"apiBaseUrl": f"{outputs['EndpointURL']}api/v1", "auth": "token"}).encode())
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["DashboardDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": hashlib.sha256(
            json.dumps(sorted(p.name for p in dist.rglob("*"))).encode()).hexdigest()[:32] + str(os.getpid())})
    _say(f"uploaded the dashboard ({count} files) to {bucket}")


def destroy_command(args: argparse.Namespace) -> int:
    from chalicelib.deploy import aws, names
    from chalicelib.deploy.stacks import BUSY_SUFFIX, StackError, Stacks

    project = Path.cwd()
    settings = _stage(project, args.stage).settings
    session = _connect()
    stacks = Stacks(session.client("cloudformation"), names.stack_name(settings), say=_say)
    status = stacks.status()
    if status is None:
        print(f"{stacks.name} does not exist: nothing to delete")
        return 0
    if not args.yes and input(f"delete stack {stacks.name} ({status})? type its name to confirm: ").strip() != stacks.name:
        raise CliError("not confirmed", 1)
    if status.endswith(BUSY_SUFFIX) and status not in ("DELETE_IN_PROGRESS", "REVIEW_IN_PROGRESS"):
        raise CliError(f"{stacks.name} is busy ({status}); wait for it to finish, then destroy again", 1)
    s3 = session.client("s3")
    resources = [r for r in stacks.resources() if r.get("PhysicalResourceId") and r["ResourceStatus"] != "DELETE_COMPLETE"]
    retained = stacks.retained()
    kept = [r for r in resources if r["LogicalResourceId"] in retained]
    for resource in resources:  # CloudFormation deletes only empty buckets
        if resource["ResourceType"] == "AWS::S3::Bucket" and (resource not in kept or args.delete_data):
            aws.empty_bucket(s3, resource["PhysicalResourceId"])
    try:
        stacks.delete()
    except StackError as error:
        raise CliError(str(error), 1) from None
    aws.delete_tokens(session.client("ssm"), names.tokens_path(settings))
    if args.delete_data:
        _delete_retained(session, kept)
    elif kept:
        print("kept (delete with --delete-data): " + ", ".join(r["PhysicalResourceId"] for r in kept))
    print(f"deleted {stacks.name}")
    return 0


def _delete_retained(session, resources: list[dict]) -> None:
    for resource in resources:
        name = resource["PhysicalResourceId"]
        if resource["ResourceType"] == "AWS::S3::Bucket":
            session.client("s3").delete_bucket(Bucket=name)
        elif resource["ResourceType"] == "AWS::DynamoDB::Table":
            session.client("dynamodb").delete_table(TableName=name)
        else:
            continue
        _say(f"deleted {resource['ResourceType']} {name}")


def tokens_command(args: argparse.Namespace) -> int:
    from chalicelib.deploy import aws, names

    settings = _stage(Path.cwd(), args.stage).settings
    ssm = _connect().client("ssm")
    path = names.tokens_path(settings)
    if args.verb == "get":
        token = aws.get_token(ssm, path, args.role)
        if token is None:
            raise CliError(f"no {args.role} token in {path}: `levante tokens rotate --role {args.role}` creates one", 1)
        print(token)
        return 0
    token = aws.new_token()
    aws.put_token(ssm, path, args.role, token)
    print(token)
    print(f"rotated the {args.role} token of {settings.base}; the API accepts only it within a minute", file=sys.stderr)
    return 0


def _connect():
    from chalicelib.deploy.aws import Aws, AwsSetupError

    try:
        return Aws.connect()
    except AwsSetupError as error:
        raise CliError(str(error), 1) from None


def _stage(project: Path, name: str):
    from chalicelib.deploy.stage import Stage, UnknownStage

    try:
        return Stage.load(name, project)
    except UnknownStage as error:
        raise CliError(str(error), 2) from None


def _stage_environment(project: Path, stage: str) -> dict[str, str]:
    env = {**os.environ, **_stage(project, stage).environment}
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))  # chalice wants one, even offline
    return env


def _say(line: str) -> None:
    print(line, flush=True)
