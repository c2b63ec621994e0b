"""Fixtures for the deployment checks: packaged stages (built once per session) and a moto account."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")
sys.path.insert(0, str(ROOT / "infra"))  # generate.py, for test_tables


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`levante package` for every stage; a lock keeps xdist workers from writing chalice's cache at once."""
    out = tmp_path_factory.mktemp("packages")
    lock_file = ROOT / ".chalice" / "deployments" / ".levante-package.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stage in STAGES:
            proc = subprocess.run([sys.executable, "-m", "chalicelib.cli", "package", "--stage", stage,
                                   "--out", str(out / stage)], cwd=ROOT, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            print(proc.stdout.strip().splitlines()[-1])
    return {stage: out / stage for stage in STAGES}


def load_template(packages: dict[str, Path], stage: str) -> dict:
    return json.loads((packages[stage] / "sam.json").read_text())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_S3",
                 "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-east-1"),
                        ("LEVANTE_INDEX_SHARDS", "1")):
        monkeypatch.setenv(name, value)
    from moto import mock_aws

    with mock_aws():
        yield
