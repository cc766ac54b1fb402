"""`dynamorm-async template`: templates cfn-lint accepts, whose tables equal create_table's.

A table created from the template's resource (translated to CreateTable, as CloudFormation
does) and one created by `db.create_table` for the same model are described by the server,
and the descriptions compared: keys, attributes, indexes, billing, stream, SSE, class,
deletion protection, tags, TTL and point-in-time recovery.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from cfnlint.api import lint

from dynamorm_async import DB, Config
from dynamorm_async._schema import model_meta
from dynamorm_async._table_definition import create_table_params, table_definition
from dynamorm_async.cli import main
from dynamorm_async.deploy.template import DATA_ACTIONS, build_template, logical_id, render
from examples.payments.models import Payment
from tests import deploy_models
from tests.deploy_models import Customer, Entry, Order, Quota

MODEL_SETS = {
    "payments example": [Payment],
    "every option": [Entry],
    "provisioned": [Quota],
    "single table": [Customer, Order],
    "all together": [Payment, Entry, Quota, Customer, Order],
}


@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
@pytest.mark.parametrize("as_json", [False, True], ids=["yaml", "json"])
@pytest.mark.parametrize("models", MODEL_SETS.values(), ids=MODEL_SETS.keys())
def test_cfn_lint_accepts_the_template(models: list[type], fmt: Any, as_json: bool) -> None:
    text = render(build_template(models, format=fmt), json=as_json)
    assert lint(text) == []


def test_cli_prints_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "tests.deploy_models", "--format", "sam", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["Transform"] == "AWS::Serverless-2016-10-31"
    resources = document["Resources"]
    # Customer and Order share "shop": one table, both models' indexes.
    tables = ["LedgerTable", "QuotasTable", "ShopTable"]
    assert sorted(resources) == ["DynamormAsyncAccessPolicy", *tables]
    shop = resources["ShopTable"]["Properties"]
    assert [i["IndexName"] for i in shop["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
    policy = resources["DynamormAsyncAccessPolicy"]["Properties"]["PolicyDocument"]
    on_tables, on_indexes = policy["Statement"]
    assert on_tables["Action"] == list(DATA_ACTIONS)
    assert on_tables["Resource"] == [{"Fn::GetAtt": [t, "Arn"]} for t in tables]
    with_indexes = ("LedgerTable", "ShopTable")
    assert on_indexes["Resource"] == [{"Fn::Sub": f"${{{t}.Arn}}/index/*"} for t in with_indexes]
    outputs = document["Outputs"]
    assert outputs["LedgerTableStreamArn"]["Value"] == {"Fn::GetAtt": ["LedgerTable", "StreamArn"]}
    assert "QuotasTableStreamArn" not in outputs


def test_cli_errors_say_what_to_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "tests.no_such_module"]) == 3
    assert "cannot import 'tests.no_such_module'" in capsys.readouterr().err
    assert main(["template", "tests"]) == 3
    assert "defines no @table model" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["template", "tests.deploy_models", "--format", "terraform"])
    assert exited.value.code == 2


def test_models_sharing_a_table_must_agree_on_keys() -> None:
    from dynamorm_async import SchemaError, pk, table

    @table("shop")
    @attrs.define
    class Stray:
        id: str = pk()

    with pytest.raises(SchemaError, match="share table 'shop' but have different keys"):
        build_template([Customer, Stray])
    assert deploy_models.Customer is Customer


def create_table_request(properties: dict[str, Any]) -> dict[str, Any]:
    """What CloudFormation sends for an AWS::DynamoDB::Table resource's properties."""
    request = {
        key: value
        for key, value in properties.items()
        if key in {
            "TableName", "KeySchema", "AttributeDefinitions", "BillingMode",
            "ProvisionedThroughput", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
            "TableClass", "DeletionProtectionEnabled", "Tags",
        }
    }  # fmt: skip
    if "StreamSpecification" in properties:
        view = properties["StreamSpecification"]["StreamViewType"]
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        request["SSESpecification"] = {
            "Enabled": sse["SSEEnabled"],
            "SSEType": sse["SSEType"],
            "KMSMasterKeyId": sse["KMSMasterKeyId"],
        }
    return request


async def create_from_template(client: Any, properties: dict[str, Any]) -> None:
    name = properties["TableName"]
    await client.create_table(**create_table_request(properties))
    await client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    if "TimeToLiveSpecification" in properties:
        spec = properties["TimeToLiveSpecification"]
        await client.update_time_to_live(TableName=name, TimeToLiveSpecification=spec)
    if "PointInTimeRecoverySpecification" in properties:
        spec = properties["PointInTimeRecoverySpecification"]
        await client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification=spec
        )


async def table_shape(client: Any, name: str) -> dict[str, Any]:
    """Everything the server reports about a table's definition, normalised for comparing."""
    table = (await client.describe_table(TableName=name))["Table"]

    def indexes(key: str) -> list[Any]:
        return sorted(
            (
                i["IndexName"],
                i["KeySchema"],
                i["Projection"],
                {
                    k: v
                    for k, v in i.get("ProvisionedThroughput", {}).items()
                    if k.endswith("Units")
                },
            )
            for i in table.get(key, [])
        )

    throughput = table.get("ProvisionedThroughput", {})
    tags = await client.list_tags_of_resource(ResourceArn=table["TableArn"])
    ttl = await client.describe_time_to_live(TableName=name)
    backups = await client.describe_continuous_backups(TableName=name)
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    return {
        "keys": table["KeySchema"],
        "attributes": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "billing": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        "capacity": (throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")),
        "gsis": indexes("GlobalSecondaryIndexes"),
        "lsis": indexes("LocalSecondaryIndexes"),
        "stream": table.get("StreamSpecification"),
        "sse": table.get("SSEDescription", {}).get("SSEType"),
        "class": table.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
        "protected": table.get("DeletionProtectionEnabled", False),
        "tags": sorted((t["Key"], t["Value"]) for t in tags.get("Tags", [])),
        "ttl": ttl["TimeToLiveDescription"].get("AttributeName"),
        "pitr": pitr["PointInTimeRecoveryStatus"],
    }


@pytest.mark.needs_ttl
@pytest.mark.needs_table_options
@pytest.mark.parametrize("model", [Entry, Quota, Payment], ids=lambda m: m.__name__)
async def test_table_from_template_equals_create_table(
    model: type, config: Config, dynamodb_client: Any
) -> None:
    template_prefix = config.table_prefix + "cfn-"
    document = build_template([model], table_prefix=template_prefix)
    name = template_prefix + model_meta(model).table
    properties = document["Resources"][logical_id(name)]["Properties"]
    # The request CloudFormation makes is the one create_table makes, option for option.
    definition = table_definition([model])
    assert create_table_request(properties) == create_table_params(
        definition, properties["TableName"]
    )
    made: list[str] = []
    try:
        await create_from_template(dynamodb_client, properties)
        made.append(properties["TableName"])
        async with DB(attrs.evolve(config, table_prefix=config.table_prefix + "orm-")) as db:
            await db.create_table(model)
            made.append(db.table_name(model))
        from_template, from_orm = [await table_shape(dynamodb_client, name) for name in made]
    finally:
        for name in made:
            await dynamodb_client.update_table(TableName=name, DeletionProtectionEnabled=False)
            await dynamodb_client.delete_table(TableName=name)
    assert from_template == from_orm
    if model is Entry:  # the options really reached the server (not dropped by both paths)
        assert from_orm["pitr"] == "ENABLED"
        assert from_orm["stream"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert from_orm["sse"] == "KMS"
        # moto accepts TableClass but does not report it; DynamoDB does.
        assert from_orm["class"] in ("STANDARD_INFREQUENT_ACCESS", "STANDARD")
        assert from_orm["protected"] is True
        assert from_orm["tags"] == [("cost-centre", "42"), ("team", "payments")]
        assert from_orm["ttl"] == "expires"
        assert [i[0] for i in from_orm["lsis"]] == ["by-amount"]
    if model is Quota:
        assert (from_orm["billing"], from_orm["capacity"]) == ("PROVISIONED", (5, 2))
