"""#15 items 15-17 and #16's same-origin bug, on real processes: `levante dev` keeps Levante's tokens out of
task environments, refuses short tokens at start, serves the API on the dashboard's origin, and its moto
server is reachable by Levante's processes only (loopback, no CORS, a per-start key)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.devstack.ports import free_port
from chalicelib.devstack.process_groups import wait_until

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin-token-for-reliability-0123"
VIEWER = "viewer-token-for-reliability-01"
ENV_DAG = '''
import os
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

with DAG("envdump", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
    @task
    def names():
        print("ENV", sorted(os.environ))
        return sorted(os.environ)

    BashOperator(task_id="bash_env", bash_command="env")
    names()
'''


def http(method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def dev_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEVANTE_", "AWS_"))}
    env.update(LEVANTE_UI_PORT=str(free_port()), LEVANTE_API_PORT=str(free_port()),
               LEVANTE_MOTO_PORT=str(free_port()), LEVANTE_PREFIX="rel", PYTHONUNBUFFERED="1", **extra)
    return env


def test_tokens_shorter_than_16_characters_are_refused_at_start(tmp_path: Path) -> None:
    for name in ("LEVANTE_ADMIN_TOKEN", "LEVANTE_OPERATOR_TOKEN", "LEVANTE_VIEWER_TOKEN"):
        env = dev_env(**{name: "a" * 15})
        done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(tmp_path)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and name in done.stderr + done.stdout, done
        assert "Levante is running" not in done.stdout
    api = subprocess.run([sys.executable, "-m", "chalicelib.devstack.api_server", "--port", str(free_port())],
                         cwd=ROOT, env=dev_env(LEVANTE_ADMIN_TOKEN="a"), capture_output=True, text=True, timeout=60)
    assert api.returncode == 2 and "LEVANTE_ADMIN_TOKEN is 1 characters long" in api.stderr


class DevStack:
    def __init__(self, tmp_path: Path):
        self.dags = tmp_path / "dags"
        self.dags.mkdir()
        (self.dags / "envdump.py").write_text(ENV_DAG)
        self.env = dev_env(LEVANTE_ADMIN_TOKEN=ADMIN, LEVANTE_VIEWER_TOKEN=VIEWER)
        self.ui, self.api, self.moto = (int(self.env[k]) for k in ("LEVANTE_UI_PORT", "LEVANTE_API_PORT",
                                                                   "LEVANTE_MOTO_PORT"))
        self.output = tmp_path / "dev.log"

    def __enter__(self) -> DevStack:
        self.log = open(self.output, "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "dev", "--dags-folder", str(self.dags),
                                      "--concurrency", "1"], cwd=ROOT, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.wait(lambda: "Levante is running" in self.output.read_text(errors="replace"), 120, "levante dev")
        # DAG files are processed beside the stack (the DAG processor): wait until the DAG is listed.
        self.wait(lambda: b'"dag_id":"envdump"' in self.call("GET", "/dags")[2], 120, "the DAG to be processed")
        return self

    def wait(self, condition, timeout: float, what: str) -> None:
        def alive() -> None:
            if self.proc.poll() is not None:
                raise AssertionError(f"levante dev exited:\n{self.output.read_text(errors='replace')[-3000:]}")

        wait_until(condition, timeout=timeout, what=what, interval=0.3, check=alive)

    def call(self, method: str, path: str, *, host: str = "127.0.0.1", token: str = ADMIN, body: dict | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})}
        return http(method, f"http://{host}:{self.ui}/api/v1{path}", headers=all_headers, body=data)

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    with DevStack(tmp_path_factory.mktemp("dev")) as stack:
        yield stack


def test_the_dashboard_origin_serves_the_api_whatever_the_host_name(dev: DevStack) -> None:
    for host in ("127.0.0.1", "localhost"):
        status, _, body = dev.call("GET", "/dags", host=host, headers={"Origin": f"http://{host}:{dev.ui}"})
        # The browser calls its own origin: no CORS needed, whichever name it used for the dashboard.
        assert status == 200 and "envdump" in body.decode(), (host, status, body[:200])
    status, _, body = http("GET", f"http://localhost:{dev.ui}/config.json")
    assert json.loads(body)["apiBaseUrl"] == "/api/v1"


def test_no_levante_token_reaches_a_task_environment(dev: DevStack) -> None:
    status, _, _ = dev.call("POST", "/dags/envdump/dagRuns", body={"dag_run_id": "env_1"})
    assert status == 200

    def finished() -> bool:
        _, _, body = dev.call("GET", "/dags/envdump/dagRuns/env_1")
        return json.loads(body)["state"] in ("success", "failed")

    dev.wait(finished, 90, "the envdump run")
    logs = ""
    for task_id in ("names", "bash_env"):
        status, _, body = dev.call("GET", f"/dags/envdump/dagRuns/env_1/taskInstances/{task_id}/logs/1", token=VIEWER)
        assert status == 200
        logs += json.loads(body)["content"]
    assert "ENV [" in logs and "AIRFLOW_CTX_DAG_ID" in logs  # both tasks printed their environment
    for secret in (ADMIN, VIEWER):
        assert secret not in logs
    for name in ("LEVANTE_ADMIN_TOKEN", "LEVANTE_OPERATOR_TOKEN", "LEVANTE_VIEWER_TOKEN"):
        assert name not in logs


def test_errors_outside_the_handlers_are_json_through_the_dashboard_origin(dev: DevStack) -> None:
    cases = [
        dev.call("GET", "/no/such/route"),
        dev.call("POST", "/dags/envdump/dagRuns", headers={"Content-Type": "text/plain"}, body={}),
        dev.call("PUT", "/dags/envdump"),
        http("POST", f"http://localhost:{dev.ui}/api/v1/dags/envdump/dagRuns", body=b'{"conf": ',
             headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}),
        http("GET", f"http://127.0.0.1:{dev.api}/api/v1/health", headers={"X-Big": "a" * 70_000}),
        http("BREW", f"http://127.0.0.1:{dev.api}/api/v1/health"),
    ]
    statuses = []
    for status, headers, body in cases:
        payload = json.loads(body)
        assert set(payload) == {"error", "detail"} and payload["detail"], (status, body)
        assert headers["content-type"].startswith("application/json")
        statuses.append(status)
    assert statuses == [404, 415, 405, 400, 431, 501]


def test_moto_answers_levante_processes_only(dev: DevStack) -> None:
    moto = f"http://127.0.0.1:{dev.moto}"
    signed = "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    page = {"Origin": "http://evil.example", "Authorization": signed.format(key="AKIAANYTHING")}
    for status, headers, _ in (http("GET", moto + "/", headers=page),
                               http("OPTIONS", moto + "/", headers={**page, "Access-Control-Request-Method": "GET"}),
                               http("GET", moto + "/"),  # no credentials
                               http("GET", moto + "/", headers={"Authorization": signed.format(key="testing")}),
                               http("GET", moto + "/moto-api/data.json")):
        assert status == 403, status
        assert not [h for h in headers if h.startswith("access-control-")]
    rebinding = http("GET", moto + "/", headers={"Host": f"evil.example:{dev.moto}"})
    assert rebinding[0] == 403
    assert _listening_address(dev.moto) == "127.0.0.1"
    # Levante's own processes work: the run above went through this very server.


def _listening_address(port: int) -> str:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # LISTEN
            return ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
    raise AssertionError(f"nothing listens on port {port}")


def test_the_guard_admits_the_stacks_key_and_strips_cors_from_moto(tmp_path: Path) -> None:
    import boto3
    import botocore.exceptions

    from chalicelib.devstack.moto_guard import Credentials, GuardedMotoServer

    creds, port = Credentials.generate(), free_port()
    server = GuardedMotoServer(port, creds.access_key_id)
    server.start()
    try:
        def s3(key: str, secret: str):
            return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                                aws_access_key_id=key, aws_secret_access_key=secret)

        ours = s3(creds.access_key_id, creds.secret_access_key)
        ours.create_bucket(Bucket="guarded")
        ours.put_bucket_cors(Bucket="guarded", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        ours.put_object(Bucket="guarded", Key="k", Body=b"v")
        response = ours.get_object(Bucket="guarded", Key="k")
        assert response["Body"].read() == b"v"
        assert not [h for h in response["ResponseMetadata"]["HTTPHeaders"] if h.startswith("access-control-")]
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3("AKIAOTHERKEY", creds.secret_access_key).list_buckets()
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:
        server.stop()
