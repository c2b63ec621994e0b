"""The layer contracts in .importlinter are enforced: the linter passes on Levante and fails on a breach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"], cwd=cwd,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)


def test_levante_keeps_its_layer_contracts():
    result = _lint(ROOT / ".importlinter", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("layer", "imports", "contract"), [
    ("core", "store", "core imports nothing of Levante's"),
    ("sdk", "runner", "sdk never imports runner, loader, store, services"),
    ("store", "sdk", "store never imports sdk, runner, services, api"),
    ("services", "api", "services never import api or cli"),
    ("api", "loader", "api never imports loader or runner"),
])
def test_a_breach_of_a_contract_fails_the_linter(tmp_path, layer, imports, contract):
    # A copy of Levante's layout with one forbidden import, checked against the real contract file.
    package = tmp_path / "fakelib"
    for name in ("core", "sdk", "store", "services", "api", "loader", "runner", "cli", "devstack"):
        (package / name).mkdir(parents=True)
        (package / name / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "taskqueue.py").write_text("")
    (package / layer / "breach.py").write_text(f"import fakelib.{imports}\n")
    config = tmp_path / "contracts.ini"
    config.write_text((ROOT / ".importlinter").read_text().replace("chalicelib", "fakelib"))
    result = _lint(config, tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
