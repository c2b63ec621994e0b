"""The real local stack as subprocesses: a moto server, `levante init`, `levante dag-processor --watch`,
`levante scheduler`, `levante worker`.

One stack per test module (it takes a few seconds to start). Every process runs in its own process group;
teardown kills the groups and fails if any process survives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.devstack.process_groups import ProcessGroups, free_port, http_answers, wait_until

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE_DAGS = ROOT / "tests" / "conformance" / "dags"
BIN = Path(sys.executable).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs the real local stack (moto server + levante processes)")


def levante_argv(*args: str) -> list[str]:
    script = BIN / "levante"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "chalicelib.cli", *args]


@dataclass
class LocalStack:
    endpoint: str
    env: dict[str, str]
    dags_folder: Path
    processes: ProcessGroups

    def levante(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(levante_argv(*args), env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    def trigger(self, dag_id: str, *, dags_folder: Path | None = None, logical_date: str | None = None,
                timeout: float = 120) -> tuple[subprocess.CompletedProcess, dict[str, Any] | None]:
        """`levante dags trigger --wait --output json`; the payload is None when stdout is not JSON."""
        args = ["dags", "trigger", dag_id, "--wait", "--output", "json", "--timeout", str(timeout),
                "--dags-folder", str(dags_folder or self.dags_folder)]
        if logical_date:
            args += ["--logical-date", logical_date]
        proc = self.levante(*args, timeout=timeout + 30)
        try:
            payload = json.loads(proc.stdout)
        except json.JSONDecodeError:
            payload = None
        return proc, payload

    def s3(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    @property
    def bucket(self) -> str:
        from chalicelib.store.settings import Settings

        return Settings.from_env(self.env).bucket


def stack_env(endpoint: str, prefix: str, dags_folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LEVANTE_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", LEVANTE_PREFIX=prefix,
        LEVANTE_DAGS_FOLDER=str(dags_folder), PYTHONUNBUFFERED="1",
        # A hostile DAG file costs the processor this long, not the default 30 s.
        LEVANTE_DAG_PROCESSOR_TIMEOUT="5", LEVANTE_DAG_PROCESSOR_MEMORY_MB="512",
    )
    return env


def start_moto(processes: ProcessGroups) -> str:
    from chalicelib.devstack.moto_atomic import server_argv

    port = free_port()
    processes.start("moto", server_argv("127.0.0.1", port), env=dict(os.environ), cwd=ROOT)
    endpoint = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        processes.assert_running()
        return http_answers(f"{endpoint}/moto-api/data.json")

    wait_until(answers, timeout=30, what=f"moto server on port {port}")
    return endpoint


@pytest.fixture(scope="module")
def e2e_dags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack's DAGs folder: the conformance corpus plus the files a test module adds."""
    folder = tmp_path_factory.mktemp("dags")
    for path in CONFORMANCE_DAGS.glob("*.py"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory: pytest.TempPathFactory, e2e_dags: Path) -> Iterator[LocalStack]:
    processes = ProcessGroups(tmp_path_factory.mktemp("stack-logs"))
    try:
        endpoint = start_moto(processes)
        env = stack_env(endpoint, f"e2e{uuid.uuid4().hex[:8]}", e2e_dags)
        stack = LocalStack(endpoint, env, e2e_dags, processes)
        init = stack.levante("init", timeout=60)
        assert init.returncode == 0, f"levante init failed:\n{init.stdout}\n{init.stderr}"
        processes.start("dag-processor", levante_argv("dag-processor", "--watch", "--interval", "0.5",
                                                       "--dags-folder", str(e2e_dags)), env=env, cwd=ROOT)
        processes.start("scheduler", levante_argv("scheduler", "--interval", "0.5"), env=env, cwd=ROOT)
        processes.start("worker", levante_argv("worker", "--concurrency", "4", "--dags-folder", str(e2e_dags)),
                        env=env, cwd=ROOT)
        yield stack
        processes.assert_running()
    finally:
        survivors = processes.kill_all()
        assert not survivors, f"processes survived teardown: {survivors}"
