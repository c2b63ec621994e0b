"""The DagBag on real files in a temporary DAGs folder, and `levante dags test` on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from chalicelib.loader.dagbag import DagBag

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("good_dag"):
    EmptyOperator(task_id="a")
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


# Each: file name, source, the line the error must point at, words the message must contain.
BROKEN = [
    pytest.param(
        "syntax.py",
        """\
        from airflow.sdk import DAG

        with DAG("syntax_dag"):
            x = (
        """,
        4, ["SyntaxError", "never closed"], id="syntax-error",
    ),
    pytest.param(
        "provider.py",
        """\
        import pendulum
        from airflow.sdk import DAG
        from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

        with DAG("provider_dag", start_date=pendulum.datetime(2024, 1, 1)):
            pass
        """,
        3, ["does not support", "airflow.providers.google.cloud.operators.bigquery.BigQueryInsertJobOperator",
            "provider 'google'"], id="unsupported-provider",
    ),
    pytest.param(
        "asset.py",
        """\
        from airflow.sdk import DAG
        from airflow.sdk import ObjectStoragePath

        with DAG("asset_dag"):
            pass
        """,
        2, ["does not support", "'airflow.sdk.ObjectStoragePath'"], id="unsupported-name",
    ),
    pytest.param(
        "operator_name.py",
        """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.bash import BashOperator, FancyBashOperator

        with DAG("operator_name_dag"):
            pass
        """,
        2, ["does not support", "airflow.providers.standard.operators.bash.FancyBashOperator"],
        id="unsupported-name-in-module",
    ),
    pytest.param(
        "cycle.py",
        """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("cycle_dag"):
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> b >> c >> a
        """,
        4, ["Cycle", "cycle_dag"], id="cycle",
    ),
    pytest.param(
        "duplicate_task.py",
        """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("duplicate_task_dag"):
            EmptyOperator(task_id="same")
            EmptyOperator(task_id="same")
        """,
        6, ["'same'", "duplicate_task_dag"], id="duplicate-task-id",
    ),
    pytest.param(
        "cron.py",
        """\
        from airflow.sdk import DAG

        with DAG(
            "cron_dag",
            schedule="61 * * * *",
        ):
            pass
        """,
        3, ["cron", "61 * * * *"], id="invalid-cron",
    ),
    pytest.param(
        "rule.py",
        """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("rule_dag"):
            EmptyOperator(task_id="first")
            EmptyOperator(task_id="second", trigger_rule="all_sucess")
        """,
        6, ["trigger_rule", "'all_sucess'", "none_failed_min_one_success"], id="unknown-trigger-rule",
    ),
    pytest.param(
        "removed_argument.py",
        """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("arg_dag"):
            EmptyOperator(
                task_id="a",
                execution_date="2024-01-01",
            )
        """,
        7, ["execution_date", "use logical_date"], id="removed-argument-points-at-its-line",
    ),
    pytest.param(
        "dag_argument.py",
        """\
        from airflow.sdk import DAG

        with DAG("dag_argument_dag", foo=1):
            pass
        """,
        3, ["unsupported argument", "foo"], id="unknown-dag-argument",
    ),
    pytest.param(
        "expand.py",
        """\
        from airflow.sdk import DAG, task

        with DAG("expand_dag"):
            @task
            def double(x):
                return 2 * x

            double.expand(x=[1, 2, 3]).zip([4, 5, 6])
        """,
        8, ["zip", "not supported"], id="expand-zip",
    ),
]


@pytest.mark.parametrize(("name", "source", "lineno", "words"), BROKEN)
def test_broken_file_becomes_an_import_error_and_good_file_still_loads(tmp_path, name, source, lineno, words):
    write(tmp_path, name, source)
    write(tmp_path, "good.py", GOOD)
    bag = DagBag(tmp_path)
    assert bag.dag_ids == ["good_dag"]
    assert list(bag.import_errors) == [name]
    error = bag.import_errors[name]
    assert error.filename == name
    assert error.lineno == lineno
    for word in words:
        assert word in error.message
    assert error.traceback
    assert str(error).startswith(f"{name}:{lineno}: ")


def test_all_broken_files_at_once_are_each_recorded(tmp_path):
    for param in BROKEN:
        name, source, _, _ = param.values
        write(tmp_path, name, source)
    write(tmp_path, "good.py", GOOD)
    bag = DagBag(tmp_path)
    assert bag.dag_ids == ["good_dag"]
    assert sorted(bag.import_errors) == sorted(p.values[0] for p in BROKEN)


def test_duplicate_dag_id_across_files_blames_the_second_file(tmp_path):
    write(tmp_path, "a_first.py", GOOD.replace('"good_dag"', '"shared"'))
    write(tmp_path, "b_second.py", """\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        # the same id as a_first.py
        with DAG("shared"):
            EmptyOperator(task_id="other")
        """)
    bag = DagBag(tmp_path)
    assert bag.dag_ids == ["shared"]
    assert bag.files["shared"].relpath == "a_first.py"
    error = bag.import_errors["b_second.py"]
    assert error.lineno == 5
    assert "'shared'" in error.message and "a_first.py" in error.message and "b_second.py" in error.message


def test_error_in_a_subfolder_keeps_its_relative_path(tmp_path):
    write(tmp_path, "team/broken.py", "from airflow.sdk import DAG\n\nraise RuntimeError('boom')\n")
    bag = DagBag(tmp_path)
    error = bag.import_errors["team/broken.py"]
    assert (error.filename, error.lineno) == ("team/broken.py", 3)
    assert error.message == "RuntimeError: boom"


def test_airflowignore_skips_matching_files_and_folders(tmp_path):
    write(tmp_path, ".airflowignore", "# comments are fine\nscratch_*.py\nvendored/\n")
    write(tmp_path, "scratch_one.py", "from airflow.sdk import DAG\nraise RuntimeError('not me')\n")
    write(tmp_path, "vendored/lib.py", "from airflow.sdk import DAG\nraise RuntimeError('nor me')\n")
    write(tmp_path, "good.py", GOOD)
    bag = DagBag(tmp_path)
    assert bag.dag_ids == ["good_dag"]
    assert bag.import_errors == {}


def test_safe_mode_skips_files_that_do_not_mention_airflow_and_dag(tmp_path):
    write(tmp_path, "plain.py", "raise RuntimeError('never imported')\n")
    write(tmp_path, "only_airflow.py", "# airflow\nraise RuntimeError('never imported')\n")
    write(tmp_path, "good.py", GOOD)
    bag = DagBag(tmp_path)
    assert bag.dag_ids == ["good_dag"]
    assert bag.import_errors == {}
    unsafe = DagBag(tmp_path, safe_mode=False)
    assert sorted(unsafe.import_errors) == ["only_airflow.py", "plain.py"]


def test_dag_files_can_import_helper_modules_from_the_dags_folder(tmp_path):
    helper = f"levante_helpers_{uuid.uuid4().hex[:8]}"  # unique: sys.modules outlives the test
    write(tmp_path, f"{helper}/__init__.py", "")
    write(tmp_path, f"{helper}/naming.py", "def task_name(n):\n    return f'step_{n}'\n")
    write(tmp_path, "uses_helper.py", f"""\
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator
        from {helper}.naming import task_name

        with DAG("helper_dag"):
            EmptyOperator(task_id=task_name(1)) >> EmptyOperator(task_id=task_name(2))
        """)
    bag = DagBag(tmp_path)
    assert bag.import_errors == {}
    assert sorted(bag.get_dag("helper_dag").task_dict) == ["step_1", "step_2"]


def test_dag_defined_by_the_dag_decorator_and_module_level_object_are_found(tmp_path):
    write(tmp_path, "decorated.py", """\
        from airflow.sdk import DAG, dag, task

        @dag(dag_id="decorated")
        def pipeline():
            @task
            def one():
                return 1
            one()

        pipeline()
        plain = DAG("module_level")
        """)
    assert DagBag(tmp_path).dag_ids == ["decorated", "module_level"]


# --- the CLI ----------------------------------------------------------------------------------------


def levante(*args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", *args, "--dags-folder", str(folder)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def test_cli_missing_dag_exits_2_and_lists_the_import_errors(tmp_path):
    write(tmp_path, "broken.py", "from airflow.sdk import DAG\nfrom airflow.sdk import ObjectStoragePath\n")
    result = levante("dags", "test", "missing_dag", folder=tmp_path)
    assert result.returncode == 2
    assert "missing_dag" in result.stderr
    assert "broken.py:2" in result.stderr
    assert "airflow.sdk.ObjectStoragePath" in result.stderr


def test_cli_conf_that_is_not_json_exits_2(tmp_path):
    write(tmp_path, "good.py", GOOD)
    result = levante("dags", "test", "good_dag", "--conf", "not json", folder=tmp_path)
    assert result.returncode == 2
    assert "--conf" in result.stderr and "JSON" in result.stderr


def test_cli_conf_violating_a_param_schema_exits_2_naming_the_param(tmp_path):
    write(tmp_path, "params.py", """\
        from airflow.sdk import DAG, Param
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("params_dag", params={"batch_size": Param(10, type="integer", minimum=1)}):
            EmptyOperator(task_id="a")
        """)
    bad = levante("dags", "test", "params_dag", "--conf", json.dumps({"batch_size": "many"}), folder=tmp_path)
    assert bad.returncode == 2
    assert "batch_size" in bad.stderr
    good = levante("dags", "test", "params_dag", "--quiet", "--output", "json", "--conf",
                   json.dumps({"batch_size": 3}), folder=tmp_path)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["state"] == "success"
