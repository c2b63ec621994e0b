"""The template's tables are what PynamoDB creates from the models (`levante init`'s path), index for index."""

from __future__ import annotations

import boto3
import pytest

from tests.deploy.conftest import STAGES, load_template

pytestmark = pytest.mark.slow


def _key_schema(keys: list[dict]) -> list[tuple[str, str]]:
    return sorted(((k["AttributeName"], k["KeyType"]) for k in keys), key=lambda k: k[1] != "HASH")


def _indexes(indexes: list[dict] | None) -> dict[str, tuple]:
    return {i["IndexName"]: (_key_schema(i["KeySchema"]), i["Projection"]["ProjectionType"],
                             sorted(i["Projection"].get("NonKeyAttributes", [])))
            for i in indexes or []}


def _shape(table: dict, ttl: str | None) -> dict:
    return {
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]),
        "keys": _key_schema(table["KeySchema"]),
        "gsis": _indexes(table.get("GlobalSecondaryIndexes")),
        "lsis": _indexes(table.get("LocalSecondaryIndexes")),
        "ttl": ttl,
    }


def template_tables(template: dict) -> dict[str, dict]:
    tables = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    for table in tables:
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    return {t["TableName"]: _shape(t, t.get("TimeToLiveSpecification", {}).get("AttributeName")) for t in tables}


def created_tables(stage: str) -> dict[str, dict]:
    """Create every model's table the way `levante init` does, then read back what DynamoDB holds."""
    from generate import Stage

    from chalicelib.store.models import build_models

    client = boto3.client("dynamodb", region_name="us-east-1")
    shapes = {}
    for model in build_models(Stage.load(stage).settings).all():
        model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        name = model.Meta.table_name
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        shapes[name] = _shape(client.describe_table(TableName=name)["Table"],
                              ttl.get("AttributeName") if ttl["TimeToLiveStatus"] == "ENABLED" else None)
    return shapes


@pytest.mark.parametrize("stage", STAGES)
def test_template_tables_equal_the_models(packages, aws, stage):
    template = template_tables(load_template(packages, stage))

    assert template == created_tables(stage)
    # Only the per-minute stats counters expire; run history is kept (no retention setting, docs/data-model.md).
    assert {name for name, shape in template.items() if shape["ttl"]} == {f"levante-{stage}-meta"}


def test_stateful_resources_survive_deletion_only_in_prod(packages):
    for stage, policy in (("dev", "Delete"), ("prod", "Retain")):
        resources = load_template(packages, stage)["Resources"]
        stateful = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"] + [resources["DataBucket"]]
        assert {r["DeletionPolicy"] for r in stateful} == {policy}
        assert load_template(packages, stage)["Outputs"]["DataRetainedOnDelete"]["Value"] == str(policy == "Retain").lower()
