"""`levante package`, `levante deploy`, `levante destroy`: one CloudFormation stack per stage.

`package` is offline: `infra/generate.py` writes the merge template (tables from the models, queues, buckets,
dashboard, alarm) and `chalice package --merge-template` adds the functions, roles and API. `deploy` ships
that with the AWS CLI (`aws cloudformation package|deploy`) and uploads the dashboard; `destroy` deletes
the stack. Run them from the project directory (where app.py and .chalice/ are).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

from chalicelib.cli.errors import CliError

LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # direct upload; 250 MB unzipped
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
TOKEN_PARAMETERS = (("AdminToken", "LEVANTE_ADMIN_TOKEN"), ("OperatorToken", "LEVANTE_OPERATOR_TOKEN"),
                    ("ViewerToken", "LEVANTE_VIEWER_TOKEN"))


def register(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser("package", help="write the deployment package and CloudFormation template (offline)")
    package.add_argument("--stage", default="dev")
    package.add_argument("--out", required=True, help="directory to write deployment.zip and sam.json into")
    package.add_argument("--python-version", help="build the wheels for this Python instead of Lambda's "
                         "(tests that import the package with the local interpreter)")
    package.set_defaults(handler=package_command)

    deploy = commands.add_parser("deploy", help="deploy a stage to AWS (CloudFormation) and upload the dashboard")
    deploy.add_argument("--stage", default="dev")
    deploy.add_argument("--artifacts-bucket", default=os.environ.get("LEVANTE_ARTIFACTS_BUCKET"),
                        help="existing S3 bucket for the deployment package (or LEVANTE_ARTIFACTS_BUCKET)")
    deploy.set_defaults(handler=deploy_command)

    destroy = commands.add_parser("destroy", help="delete a stage's stack (prod keeps its tables and data bucket)")
    destroy.add_argument("--stage", default="dev")
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.set_defaults(handler=destroy_command)


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
    if not args.artifacts_bucket:
        raise CliError("--artifacts-bucket (or LEVANTE_ARTIFACTS_BUCKET) is required: an S3 bucket for the package", 2)
    project = Path.cwd()
    stack = _stack_name(project, args.stage)
    origin = _origin(_stack_outputs(stack, missing_ok=True))
    _deploy_stack(project, args.stage, stack, args.artifacts_bucket, origin)
    outputs = _stack_outputs(stack)
    if origin != _origin(outputs):  # first deploy: the dashboard's domain exists only now; package it in
        _deploy_stack(project, args.stage, stack, args.artifacts_bucket, _origin(outputs))
    _upload_dashboard(project, outputs)
    print(f"API:       {outputs['EndpointURL']}api/v1/health")
    print(f"Dashboard: {outputs['DashboardURL']}")
    return 0


def _deploy_stack(project: Path, stage: str, stack: str, artifacts_bucket: str, origin: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = package(project, stage, Path(tmp) / "package", ui_origin=origin)
        packaged = Path(tmp) / "packaged.yaml"
        _run(["aws", "cloudformation", "package", "--template-file", str(out / "sam.json"),
              "--s3-bucket", artifacts_bucket, "--output-template-file", str(packaged)])
        _run(["aws", "cloudformation", "deploy", "--template-file", str(packaged), "--stack-name", stack,
              "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", "--no-fail-on-empty-changeset",
              *_token_overrides()])


def _origin(outputs: dict[str, str]) -> str | None:
    url = outputs.get("DashboardURL")
    return url.rstrip("/") if url else None


def _token_overrides() -> list[str]:
    """API tokens from the environment; one not set keeps the stack's previous value (the first deploy needs
    LEVANTE_ADMIN_TOKEN). They travel as NoEcho stack parameters, never through git or the package."""
    pairs = [f"{parameter}={os.environ[env]}" for parameter, env in TOKEN_PARAMETERS if os.environ.get(env)]
    return ["--parameter-overrides", *pairs] if pairs else []


def _upload_dashboard(project: Path, outputs: dict[str, str]) -> None:
    dist = project / "frontend" / "dist"
    if not dist.is_dir():
        print("frontend/dist not found: dashboard not uploaded (build the frontend, then deploy again)")
        return
    bucket = f"s3://{outputs['DashboardBucketName']}"
    _run(["aws", "s3", "sync", str(dist), bucket, "--delete", "--exclude", "config.json"])
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"apiBaseUrl": f"{outputs['EndpointURL']}api/v1", "auth": "token"}))
        _run(["aws", "s3", "cp", str(config), f"{bucket}/config.json", "--cache-control", "no-cache"])
    _run(["aws", "cloudfront", "create-invalidation", "--distribution-id", outputs["DashboardDistributionId"],
          "--paths", "/*"])


def destroy_command(args: argparse.Namespace) -> int:
    project = Path.cwd()
    stack = _stack_name(project, args.stage)
    if not args.yes and input(f"delete stack {stack}? type its name to confirm: ").strip() != stack:
        raise CliError("not confirmed", 1)
    outputs = _stack_outputs(stack)
    buckets = [outputs["DashboardBucketName"]]
    if outputs.get("DataRetainedOnDelete") != "true":  # CloudFormation deletes only empty buckets
        buckets.append(outputs["DataBucketName"])
    for bucket in buckets:
        _run(["aws", "s3", "rm", f"s3://{bucket}", "--recursive"])
    _run(["aws", "cloudformation", "delete-stack", "--stack-name", stack])
    _run(["aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", stack])
    print(f"deleted {stack}" + (" (tables and data bucket retained)" if len(buckets) == 1 else ""))
    return 0


def _stage_environment(project: Path, stage: str) -> dict[str, str]:
    config_file = project / ".chalice" / "config.json"
    if not config_file.is_file():
        raise CliError(f"{config_file} not found: run this from the Levante project directory", 2)
    stages = json.loads(config_file.read_text()).get("stages", {})
    if stage not in stages:
        raise CliError(f"unknown stage {stage!r} (in .chalice/config.json: {', '.join(stages)})", 2)
    env = {**os.environ, **stages[stage].get("environment_variables", {})}
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))  # chalice wants one, even offline
    return env


def _stack_name(project: Path, stage: str) -> str:
    env = _stage_environment(project, stage)
    return f"{env.get('LEVANTE_PREFIX', 'levante')}-{stage}"


def _stack_outputs(stack: str, missing_ok: bool = False) -> dict[str, str]:
    result = _run(["aws", "cloudformation", "describe-stacks", "--stack-name", stack,
                   "--query", "Stacks[0].Outputs", "--output", "json"], capture=True, check=not missing_ok)
    if result.returncode != 0:
        if "does not exist" in result.stderr:
            return {}
        raise CliError(f"aws cloudformation describe-stacks failed: {result.stderr.strip()}", 1)
    return {o["OutputKey"]: o["OutputValue"] for o in json.loads(result.stdout or "null") or []}


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
         capture: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=capture)
    except FileNotFoundError:
        raise CliError(f"{cmd[0]} not found (see docs/deploy.md: prerequisites)", 1) from None
    if check and result.returncode != 0:
        raise CliError(f"{' '.join(cmd[:3])} failed (exit {result.returncode})" +
                       (f": {result.stderr.strip()}" if capture else ""), 1)
    return result
