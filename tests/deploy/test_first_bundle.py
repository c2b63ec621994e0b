"""`levante deploy` publishes the project's DAGs folder as the stage's first bundle once the stack exists: the
package carries no DAG, so without it a fresh stage would have nothing to schedule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest

from tests.deploy.conftest import ROOT

BUCKET = "levante-STAGE-data-123456789012-us-east-1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project's config and a DAGs folder holding an example DAG and a user's DAG."""
    shutil.copytree(ROOT / ".chalice", tmp_path / ".chalice", ignore=shutil.ignore_patterns("deployments"))
    (tmp_path / "dags").mkdir()
    shutil.copy(ROOT / "dags" / "example_branching.py", tmp_path / "dags")
    (tmp_path / "dags" / "orders.py").write_text("# a user's DAG file\n")
    return tmp_path


def published_files(bucket: str) -> set[str]:
    s3 = boto3.client("s3")
    current = json.loads(s3.get_object(Bucket=bucket, Key="bundles/current.json")["Body"].read())
    assert s3.head_object(Bucket=bucket, Key=f"bundles/{current['version']}.zip")["ContentLength"] == current["size"]
    return set(current["files"])


@pytest.mark.parametrize(("stage", "expected"), [("dev", {"example_branching.py", "orders.py"}),
                                                 ("prod", {"orders.py"})])  # examples ship to dev only
def test_deploy_publishes_the_stage_dags_folder_as_the_current_bundle(aws, project, capsys, stage, expected):
    from chalicelib.cli.deploy import publish_dags
    from chalicelib.deploy.stage import Stage

    bucket = BUCKET.replace("STAGE", stage)
    boto3.client("s3").create_bucket(Bucket=bucket)

    publish_dags(project, Stage.load(stage, project), "us-east-1", bucket)

    assert published_files(bucket) == expected
    assert f"s3://{bucket}/bundles/" in capsys.readouterr().out


def test_a_folder_named_on_the_command_line_ships_whole(aws, project):
    from chalicelib.cli.deploy import publish_dags
    from chalicelib.deploy.stage import Stage

    bucket = BUCKET.replace("STAGE", "prod")
    boto3.client("s3").create_bucket(Bucket=bucket)

    publish_dags(project, Stage.load("prod", project), "us-east-1", bucket, str(project / "dags"))

    assert published_files(bucket) == {"example_branching.py", "orders.py"}


def test_a_missing_dags_folder_names_the_folder_and_says_the_stack_is_deployed(aws, project):
    from chalicelib.cli.deploy import publish_dags
    from chalicelib.cli.errors import CliError
    from chalicelib.deploy.stage import Stage

    boto3.client("s3").create_bucket(Bucket=BUCKET.replace("STAGE", "dev"))
    shutil.rmtree(project / "dags")

    with pytest.raises(CliError, match=r"the stack is deployed, but its DAGs were not published: DAGs folder .*/dags "
                                       r"does not exist"):
        publish_dags(project, Stage.load("dev", project), "us-east-1", BUCKET.replace("STAGE", "dev"))
