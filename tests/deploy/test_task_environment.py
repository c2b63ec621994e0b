"""The task environment on AWS: an extra IAM policy for DAG tasks (validated), DAG packages in the deployment
package, the 15-minute limit refused at DAG load, and BashOperator's working folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.deploy import task_policy
from chalicelib.deploy.stage import Stage
from tests.deploy.conftest import ROOT

OWN_BUCKET = "arn:aws:s3:::acme-reports"


def project_with(tmp_path: Path, statements: list, env: dict[str, str] | None = None) -> Path:
    (tmp_path / ".chalice").mkdir()
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    config["stages"]["prod"]["environment_variables"].update(env or {})
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    task_policy.path(tmp_path, "prod").write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return tmp_path


def test_the_task_policy_joins_the_worker_role_only(tmp_path):
    statement = {"Sid": "Reports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": [f"{OWN_BUCKET}/daily/*"]}
    stage = Stage.load("prod", project_with(tmp_path, [statement]))

    assert statement in stage.policy("worker")["Statement"]
    assert statement not in stage.policy("api_handler")["Statement"]
    assert statement not in stage.policy("scheduler")["Statement"]


@pytest.mark.parametrize(("statement", "complaint"), [
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "resource '*' uses a wildcard"),
    ({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:1:table/t"},
     "action 'dynamodb:*' uses a wildcard"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-*/x"}, "uses a wildcard"),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction/NotResource"),
    ({"Effect": "Allow", "Action": "sqs:SendMessage"}, '"Action" and "Resource" are required'),
])
def test_a_wildcard_on_data_or_a_broken_statement_is_refused_naming_file_and_statement(tmp_path, statement, complaint):
    good = {"Sid": "Ok", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}  # not data
    stage = Stage.load("prod", project_with(tmp_path, [good, statement]))

    with pytest.raises(task_policy.TaskPolicyError) as raised:
        stage.policy("worker")
    assert str(task_policy.path(tmp_path, "prod")) + ": statement 2" in str(raised.value)
    assert complaint in str(raised.value)


def test_wildcards_are_allowed_when_the_stage_opts_in(tmp_path):
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    stage = Stage.load("prod", project_with(tmp_path, [statement], {task_policy.OPT_IN: "true"}))

    assert {**statement, "Sid": "DagTasks1"} in stage.policy("worker")["Statement"]


def test_an_execution_timeout_above_the_lambda_limit_is_an_import_error(tmp_path, monkeypatch):
    from chalicelib.loader.dagbag import DagBag

    (tmp_path / "long.py").write_text(
        "from datetime import timedelta\n"
        "import pendulum\n"
        "from airflow.sdk import DAG\n"
        "from airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('long', start_date=pendulum.datetime(2024, 1, 1), schedule=None):\n"
        "    EmptyOperator(task_id='short', execution_timeout=timedelta(minutes=5))\n"
        "    EmptyOperator(task_id='hours', execution_timeout=timedelta(hours=2))\n")
    monkeypatch.setenv("LEVANTE_MAX_TASK_SECONDS", "870")

    bag = DagBag(str(tmp_path))

    [error] = bag.import_errors.values()
    assert "Task 'hours' of DAG 'long': execution_timeout 7200s exceeds the 870s" in error.message
    assert "long" not in bag.dags
    monkeypatch.delenv("LEVANTE_MAX_TASK_SECONDS")  # locally (levante dev, dags test) there is no such limit
    assert "long" in DagBag(str(tmp_path)).dags


def test_bash_runs_in_a_scratch_folder_not_the_code_folder(tmp_path, monkeypatch):
    from chalicelib.sdk.operators.bash import BashOperator, run_command

    monkeypatch.chdir(tmp_path)  # on Lambda: /var/task, read-only

    task = BashOperator(task_id="pwd", bash_command="pwd")
    code, last = run_command(task, "pwd", {"PATH": "/usr/bin:/bin"})

    assert code == 0 and Path(last).name.startswith("airflowtmp") and Path(last) != tmp_path
    assert not Path(last).exists()  # removed after the command


@pytest.mark.slow
def test_requirements_dags_are_installed_for_lambda_beside_levantes_own(tmp_path):
    from chalicelib.deploy import packaging
    from chalicelib.deploy.target import LAMBDA_PYTHON

    (tmp_path / ".chalice").mkdir()
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / packaging.DAG_REQUIREMENTS).write_text("tabulate==0.9.0\n")  # small, pure Python

    site = packaging.dependencies(tmp_path, LAMBDA_PYTHON)

    assert (site / "tabulate").is_dir() and not (site / "bin").exists()
