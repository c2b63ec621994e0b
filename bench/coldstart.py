"""Cold start of each packaged Lambda handler: `import app` and its first invocation, in a fresh interpreter
started with `-S` (only the unzipped package and the AWS SDK that Lambda's runtime provides), against a moto
server; plus the package's size.

Usage: .venv/bin/python bench/coldstart.py [--package ZIP] [--label NAME] [--runs 3]
Without --package it builds the dev stage for the local Python (`levante package --python-version`), the
same files Lambda gets but with wheels this interpreter can import. Pass an older deployment.zip to
compare. Prints a table and writes bench/results/coldstart-NAME.json. Numbers are medians of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.devstack.ports import free_port  # noqa: E402

SDK = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
TOKEN = "bench-admin-token-0123456789"
# Runs inside the -S interpreter: times `import app` and the handler's first invocation.
PROBE = r"""
import json, sys, time, uuid
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
class Context:
    function_name = "bench"; memory_limit_in_mb = 1024; aws_request_id = str(uuid.uuid4())
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self): return 60000
handler = sys.argv[1]
if handler == "api_health":
    event = {"resource": "/api/v1/health", "path": "/api/v1/health", "httpMethod": "GET", "headers": {},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/api/v1/health", "httpMethod": "GET", "path": "/api/api/v1/health",
                                "stage": "api", "requestId": "r", "identity": {"sourceIp": "127.0.0.1"}}}
    answer = app.app(event, Context())
    assert answer["statusCode"] == 200, answer
elif handler == "api_dags":
    event = {"resource": "/api/v1/dags", "path": "/api/v1/dags", "httpMethod": "GET",
             "headers": {"Authorization": "Bearer @TOKEN@"}, "multiValueHeaders": {}, "queryStringParameters": None,
             "multiValueQueryStringParameters": None, "pathParameters": None, "stageVariables": None, "body": None,
             "isBase64Encoded": False, "requestContext": {"resourcePath": "/api/v1/dags", "httpMethod": "GET",
             "path": "/api/api/v1/dags", "stage": "api", "requestId": "r", "identity": {"sourceIp": "127.0.0.1"}}}
    answer = app.app(event, Context())
    assert answer["statusCode"] == 200, answer
elif handler == "authorizer":
    app.token_authorizer({"type": "TOKEN", "authorizationToken": "Bearer @TOKEN@",
                          "methodArn": "arn:aws:execute-api:us-east-1:1:a/api/GET/api/v1/dags"}, Context())
elif handler == "scheduler":
    app.scheduler({"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
                   "account": "123456789012", "time": "2026-12-01T00:00:00Z", "region": "us-east-1",
                   "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench"], "detail": {}}, Context())
elif handler == "worker":  # a message for a task that does not exist: the claim finds nothing to run
    body = json.dumps({"dag_id": "none", "run_id": "none", "task_id": "none", "try_number": 1})
    app.worker({"Records": [{"messageId": "m", "receiptHandle": "r", "body": body, "attributes": {
        "ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:levante-dev-tasks",
        "awsRegion": "us-east-1"}]}, Context())
t2 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_ms": (t2 - t1) * 1000}))
""".replace("@TOKEN@", TOKEN)
HANDLERS = ("api_health", "api_dags", "authorizer", "scheduler", "worker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path)
    parser.add_argument("--label", default="current")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="levante-coldstart-") as tmp_name:
        tmp = Path(tmp_name)
        package = args.package or build(tmp)
        task_root, runtime = unpack(package, tmp)
        moto = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1",
                                 "-p", str(port := free_port())], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            env = prepare(f"http://127.0.0.1:{port}", task_root, runtime)
            results = {handler: measure(handler, env, args.runs) for handler in HANDLERS}
        finally:
            moto.terminate()
            moto.wait(timeout=10)
        with zipfile.ZipFile(package) as archive:
            unzipped = sum(i.file_size for i in archive.infolist())
            files = len(archive.infolist())
        report = {"label": args.label, "zipped_mb": round(package.stat().st_size / 2**20, 2),
                  "unzipped_mb": round(unzipped / 2**20, 2), "files": files, "python": sys.version.split()[0],
                  "handlers": results}
    print(f"package {args.label}: {report['zipped_mb']} MB zipped, {report['unzipped_mb']} MB unzipped, {files} files")
    print(f"{'handler':<12} {'import app (ms)':>16} {'first call (ms)':>16} {'process (ms)':>13}")
    for handler, r in results.items():
        if r is None:
            print(f"{handler:<12} {'n/a':>16}")
            continue
        print(f"{handler:<12} {r['import_ms']:>16.0f} {r['first_ms']:>16.0f} {r['process_ms']:>13.0f}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"coldstart-{args.label}.json").write_text(json.dumps(report, indent=2))
    return 0


def build(tmp: Path) -> Path:
    local = f"{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([sys.executable, "-m", "chalicelib.cli", "package", "--stage", "dev", "--out", str(tmp / "pkg"),
                    "--python-version", local], cwd=ROOT, check=True, capture_output=True)
    return tmp / "pkg" / "deployment.zip"


def unpack(package: Path, tmp: Path) -> tuple[Path, Path]:
    task_root, runtime = tmp / "task", tmp / "runtime"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(task_root)
    runtime.mkdir()
    import boto3

    site = Path(boto3.__file__).parents[1]
    for name in SDK:
        if not (task_root / name).exists():  # an older package may bundle its own SDK
            (runtime / name).symlink_to(site / name)
    return task_root, runtime


def prepare(endpoint: str, task_root: Path, runtime: Path) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "LEVANTE_PREFIX": "levante", "LEVANTE_STAGE": "dev", "LEVANTE_DAGS_FOLDER": "dags",
           "LEVANTE_BUCKET": "levante-dev-data-123456789012-us-east-1", "LEVANTE_ADMIN_TOKEN": TOKEN,
           "LEVANTE_TOKENS_PARAMETER_PATH": "/levante-dev/tokens", "LEVANTE_WORKER_TIMEOUT": "300",
           "AWS_LAMBDA_FUNCTION_NAME": "bench", "LAMBDA_TASK_ROOT": str(task_root),
           "PYTHONPATH": f"{task_root}:{runtime}"}
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    import boto3

    from chalicelib.services.backend import Backend
    from chalicelib.services.resources import init_resources
    from chalicelib.store.settings import Settings

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "LEVANTE_")) and k != "AWS_LAMBDA_FUNCTION_NAME"})
    try:
        init_resources(Backend(Settings.from_env()))
        boto3.client("ssm").put_parameter(Name="/levante-dev/tokens/admin", Value=TOKEN, Type="SecureString")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env


def measure(handler: str, env: dict[str, str], runs: int) -> dict[str, float] | None:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-S", "-c", PROBE, handler], env=env, cwd=env["LAMBDA_TASK_ROOT"],
                              capture_output=True, text=True, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if proc.returncode != 0:
            if "has no attribute 'token_authorizer'" in proc.stderr:
                return None  # a package from before the authorizer
            raise RuntimeError(f"{handler}: {proc.stderr[-2000:]}")
        sample = json.loads(proc.stdout.strip().splitlines()[-1])
        samples.append({**sample, "process_ms": elapsed})
    return {key: statistics.median(s[key] for s in samples) for key in ("import_ms", "first_ms", "process_ms")}


if __name__ == "__main__":
    raise SystemExit(main())
