"""`levante package`: the deployment zip and the SAM template of one stage, built for Lambda's Python.

Chalice packages a *staging* copy of the project, never the project itself, so that the zip holds only what
Lambda runs:
- `app.py` and `chalicelib/` without the developer-only parts (CLI, local stack, this package);
- the runtime dependencies (requirements.txt, and requirements-dags.txt for the DAGs) as wheels for
  `target.LAMBDA_PYTHON` on `target.LAMBDA_PLATFORM`, fetched by pip whatever Python runs the packaging
  (Chalice would pick the wheels of the running Python), minus the AWS SDK that the Lambda runtime already has;
- no DAG files: they reach Lambda only as bundles in S3 (`levante dags deploy`, and `levante deploy`
  publishes the project's DAGs folder once the stack exists), so a DAG change never updates a function;
- the IAM policy files Chalice wants, generated (policies.py); the merge template replaces them anyway.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chalicelib.cli.errors import CliError
from chalicelib.deploy import target

LEFT_OUT = ("cli", "devstack", "deploy")  # chalicelib subpackages that never run in Lambda
DAG_REQUIREMENTS = "requirements-dags.txt"  # Python packages the DAG files need, bundled like Levante's own


def package(project: Path, stage: str, out: Path, *, env: dict[str, str],
            python_version: str = target.LAMBDA_PYTHON) -> Path:
    """Writes `out/deployment.zip` and `out/sam.json`. `python_version` other than Lambda's is for tests
    that import the packaged code with the local interpreter (same files, other binary wheels)."""
    env = {**env, "LEVANTE_API_AUTHORIZER": "on"}  # app.py puts the token authorizer on every route but health
    with tempfile.TemporaryDirectory(prefix="levante-package-") as tmp:
        staging = Path(tmp) / "project"
        stage_project(project, stage, staging, python_version)
        merge_template = Path(tmp) / "infra.json"
        _run([sys.executable, str(project / "infra" / "generate.py"), "--stage", stage, "--out", str(merge_template)],
             env=env)
        # app.py reads the queue name from the environment at import, and chalice imports it to package.
        _run([str(Path(sys.executable).with_name("chalice")), "package", "--stage", stage,
              "--merge-template", str(merge_template), str(out.resolve())], cwd=staging, env=env)
    return out


def stage_project(project: Path, stage: str, staging: Path, python_version: str) -> None:
    staging.mkdir(parents=True)
    shutil.copy2(project / "app.py", staging / "app.py")
    shutil.copytree(project / "chalicelib", staging / "chalicelib",
                    ignore=lambda folder, names: [n for n in names if n == "__pycache__" or
                                                  (Path(folder) == project / "chalicelib" and n in LEFT_OUT)])
    _stage_chalice_config(project, stage, staging / ".chalice")
    (staging / "requirements.txt").write_text("")  # dependencies come in vendor/, built for Lambda below
    vendor = staging / "vendor"
    shutil.copytree(dependencies(project, python_version), vendor)


def _stage_chalice_config(project: Path, stage: str, chalice_dir: Path) -> None:
    """The project's config, each function pointing at a generated policy file (one role per function)."""
    from chalicelib.deploy.stage import Stage
    from chalicelib.deploy.task_policy import TaskPolicyError

    chalice_dir.mkdir()
    config = json.loads((project / ".chalice" / "config.json").read_text())
    stage_config = Stage.load(stage, project)
    functions = config["stages"][stage].setdefault("lambda_functions", {})
    for function in stage_config.functions:
        filename = f"policy-{function}.json"
        functions.setdefault(function, {})["iam_policy_file"] = filename
        try:
            policy = stage_config.policy(function)
        except TaskPolicyError as error:
            raise CliError(f"task policy refused:\n{error}", 2) from None
        (chalice_dir / filename).write_text(json.dumps(policy, indent=2))
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2))


def dependencies(project: Path, python_version: str) -> Path:
    """requirements.txt, and requirements-dags.txt (the packages DAG files import) when present, installed
    together for Lambda's platform; cached per requirements, Python and platform."""
    files = [f for f in (project / "requirements.txt", project / DAG_REQUIREMENTS) if f.is_file()]
    contents = "|".join(f.read_text() for f in files)
    recipe = f"{contents}|{python_version}|{target.LAMBDA_PLATFORM}|{target.RUNTIME_PROVIDED}|tests"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    cached = project / ".chalice" / "deployments" / f"vendor-{key}"
    if cached.is_dir():
        return cached
    building = cached.with_name(cached.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
          "--target", str(building), "--implementation", "cp", "--python-version", python_version,
          "--platform", target.LAMBDA_PLATFORM, "--only-binary=:all:",
          *[arg for f in files for arg in ("-r", str(f))]])
    _prune(building)
    building.rename(cached)
    return cached


def _prune(site: Path) -> None:
    """Leaves out what Lambda never runs: the AWS SDK (the runtime has it), console scripts, packages' tests."""
    shutil.rmtree(site / "bin", ignore_errors=True)
    for tests in [p for p in site.glob("*/tests") if p.is_dir()] + [p for p in site.glob("*/test") if p.is_dir()]:
        shutil.rmtree(tests)
    provided = {name.lower().replace("-", "_") for name in target.RUNTIME_PROVIDED}
    for path in site.iterdir():
        name = path.name.lower()
        distribution = name.split("-")[0] if name.endswith(".dist-info") else name
        if distribution in provided:
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def _run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True)
    if result.returncode != 0:
        raise CliError(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} failed (exit {result.returncode}):\n"
                       f"{(result.stdout + result.stderr).strip()}", 1)
