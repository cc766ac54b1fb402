"""One table from the models sharing it: merged keys, indexes, TTL and options; conflicts named.

And the drift of a described table from that definition, computed without a server.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dynamorm_async import (
    GSI,
    LSI,
    Provisioned,
    SchemaError,
    TableOptions,
    ValidationError,
    pk,
    sk,
    table,
    ttl,
)
from dynamorm_async._table_definition import create_table_params, table_definition
from dynamorm_async._table_drift import table_drift
from dynamorm_async.deploy.template import build_template
from dynamorm_async.testing import fake_db


@table(
    "shop",
    indexes=[GSI("gsi1", pk="gsi1pk", projection=["name"]), LSI("by-date", sk="date")],
    options=TableOptions(stream="NEW_IMAGE", tags={"team": "shop"}),
)
@attrs.define
class Customer:
    PK: str = pk()
    SK: str = sk()
    gsi1pk: str | None = None
    name: str = ""
    date: str = ""
    expires: int | None = ttl()


@table(
    "shop",
    indexes=[GSI("gsi1", pk="gsi1pk", projection=["total"]), GSI("gsi2", pk="status")],
    options=TableOptions(point_in_time_recovery=True, tags={"owner": "orders"}),
)
@attrs.define
class Order:
    PK: str = pk()
    SK: str = sk()
    gsi1pk: str | None = None
    status: str = "open"
    total: int = 0


def shop(**declaration: Any) -> type:
    """A third model of table "shop", keyed like the others unless ``keys`` says otherwise."""
    keys = declaration.pop("keys", {"PK": pk(type=str), "SK": sk(type=str)})
    fields = {**keys, **declaration.pop("fields", {})}
    cls = attrs.make_class("Stray", fields)
    return table("shop", **declaration)(cls)


def test_models_sharing_a_table_make_one_definition() -> None:
    definition = table_definition([Customer, Order, Customer])
    assert definition.models == ("Customer", "Order")
    assert definition.keys == (("PK", "HASH"), ("SK", "RANGE"))
    assert [(i.kind, i.name) for i in definition.indexes] == [
        ("GSI", "gsi1"),
        ("LSI", "by-date"),
        ("GSI", "gsi2"),
    ]
    # Both models project their own attributes into gsi1: the index projects both.
    assert definition.index("gsi1").non_key_attributes == ("name", "total")  # type: ignore[union-attr]
    assert definition.ttl == "expires"
    assert definition.options == TableOptions(
        stream="NEW_IMAGE",
        point_in_time_recovery=True,
        tags={"team": "shop", "owner": "orders"},
    )
    params = create_table_params(definition, "dev-shop")
    assert [a["AttributeName"] for a in params["AttributeDefinitions"]] == [
        "PK",
        "SK",
        "date",
        "gsi1pk",
        "status",
    ]
    assert params["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"


def test_the_template_merges_as_create_table_does() -> None:
    resource = build_template([Order, Customer])["Resources"]["ShopTable"]["Properties"]
    definition = table_definition([Order, Customer])
    params = create_table_params(definition, "shop")
    assert resource["GlobalSecondaryIndexes"] == params["GlobalSecondaryIndexes"]
    assert resource["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}
    assert resource["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"keys": {"id": pk(type=str)}}, "different keys: (PK HASH, SK RANGE) and (id HASH)"),
        (
            {"keys": {"PK": pk(type=str), "SK": sk(type=int)}},
            "store key attribute 'SK' as S and as N",
        ),
        (
            {
                "indexes": [GSI("gsi1", pk="gsi1pk", projection="ALL")],
                "fields": {"gsi1pk": attrs.field(type=str, default="")},
            },
            "define index 'gsi1' differently: GSI (gsi1pk HASH) projecting INCLUDE and "
            "GSI (gsi1pk HASH) projecting ALL",
        ),
        (
            {
                "indexes": [GSI("gsi2", pk="status")],
                "fields": {"status": attrs.field(type=int, default=0)},
            },
            "store key attribute 'status' as S and as N",
        ),
        (
            {"fields": {"until": ttl(type=int | None)}},
            "ttl() in different attributes ('expires' and 'until')",
        ),
        (
            {"options": TableOptions(stream="KEYS_ONLY")},
            "TableOptions.stream ('NEW_IMAGE' and 'KEYS_ONLY')",
        ),
        ({"options": TableOptions(tags={"team": "other"})}, "tag it 'team' differently"),
    ],
)
def test_a_conflict_names_both_models_and_what_they_disagree_on(
    declaration: dict[str, Any], message: str
) -> None:
    stray = shop(**declaration)
    with pytest.raises(SchemaError) as info:
        table_definition([Customer, Order, stray])
    assert "share table 'shop'" in str(info.value) and "Stray" in str(info.value)
    assert message in str(info.value)
    with pytest.raises(SchemaError, match="share table 'shop'"):
        build_template([Customer, Order, stray])


def test_an_option_one_model_declares_applies_to_the_table() -> None:
    capacity = shop(options=TableOptions(provisioned=Provisioned(read=4, write=1)))
    definition = table_definition([Order, capacity])
    assert definition.options.billing_mode == "PROVISIONED"
    assert definition.options.point_in_time_recovery  # Order's, kept
    gsis = create_table_params(definition, "shop")["GlobalSecondaryIndexes"]
    assert [g["IndexName"] for g in gsis] == ["gsi1", "gsi2"]
    for gsi in gsis:  # every GSI of a provisioned table gets the table's capacity
        assert gsi["ProvisionedThroughput"] == {"ReadCapacityUnits": 4, "WriteCapacityUnits": 1}


def test_indexes_together_within_dynamodb_limits() -> None:
    fields = {f"k{n}": attrs.field(type=str, default="") for n in range(21)}
    first = shop(indexes=[GSI(f"g{n}", pk=f"k{n}") for n in range(11)], fields=fields)
    second = shop(indexes=[GSI(f"g{n}", pk=f"k{n}") for n in range(11, 21)], fields=fields)
    with pytest.raises(SchemaError, match="more than the 20 GSIs DynamoDB allows"):
        table_definition([first, second])


def test_models_of_different_tables_or_none_are_a_callers_mistake() -> None:
    other = table("elsewhere")(attrs.make_class("Elsewhere", {"id": pk(type=str)}))
    with pytest.raises(ValidationError, match="Customer is stored in table 'shop' and Elsewhere"):
        table_definition([Customer, other])
    with pytest.raises(ValidationError, match="no models"):
        table_definition([])


# -- drift from a description ---------------------------------------------------------------


def described(definition_models: list[type], **changes: Any) -> dict[str, Any]:
    """The Table a server describes after CreateTable of these models, with ``changes``."""
    params = create_table_params(table_definition(definition_models), "shop")
    table: dict[str, Any] = {
        "TableName": "shop",
        "TableStatus": "ACTIVE",
        "KeySchema": params["KeySchema"],
        "AttributeDefinitions": params["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": params["BillingMode"]},
        "GlobalSecondaryIndexes": params.get("GlobalSecondaryIndexes", []),
        "LocalSecondaryIndexes": params.get("LocalSecondaryIndexes", []),
    }
    if "StreamSpecification" in params:
        table["StreamSpecification"] = params["StreamSpecification"]
    table.update(changes)
    return table


def test_a_table_made_from_the_definition_has_no_drift() -> None:
    definition = table_definition([Customer, Order])
    ttl_on = {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert table_drift(definition, described([Customer, Order]), ttl=ttl_on) == ()


def test_each_difference_is_typed_with_its_remedy() -> None:
    definition = table_definition([Customer, Order])
    table = described([Customer], StreamSpecification={"StreamEnabled": False})
    table["GlobalSecondaryIndexes"] = [
        {**table["GlobalSecondaryIndexes"][0], "Projection": {"ProjectionType": "KEYS_ONLY"}},
        {
            "IndexName": "legacy",
            "KeySchema": [{"AttributeName": "old", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        },
    ]
    table["LocalSecondaryIndexes"] = []
    ttl_elsewhere = {"TimeToLiveStatus": "ENABLED", "AttributeName": "gone"}
    drift = table_drift(definition, table, ttl=ttl_elsewhere)
    assert [(d.kind, d.subject, d.remedy) for d in drift] == [
        ("index_changed", "gsi1", "update_table"),
        ("index_missing", "by-date", "recreate"),  # an LSI only comes with a new table
        ("index_missing", "gsi2", "ensure_table"),
        ("index_extra", "legacy", "update_table"),
        ("ttl", "expires", "update_table"),  # TTL is on another attribute
        ("stream", "table", "update_table"),
    ]
    assert drift[0].actual == "GSI on gsi1pk HASH (S), projecting KEYS_ONLY"
    assert drift[0].declared == "GSI on gsi1pk HASH (S), projecting INCLUDE [name, total]"
    assert table_drift(definition, table, ttl=None, check_ttl=False)[4].kind == "stream"


def test_key_and_capacity_drift() -> None:
    definition = table_definition([shop(options=TableOptions(provisioned=Provisioned(2, 1)))])
    table = described(
        [Order],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        BillingModeSummary={"BillingMode": "PROVISIONED"},
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 1},
        GlobalSecondaryIndexes=[],
    )
    drift = table_drift(definition, table)
    assert [(d.kind, d.remedy) for d in drift] == [
        ("keys", "recreate"),
        ("billing", "update_table"),
    ]
    assert (drift[0].declared, drift[0].actual) == ("PK HASH (S), SK RANGE (S)", "PK HASH (S)")
    assert (drift[1].declared, drift[1].actual) == (
        "PROVISIONED (2 read / 1 write)",
        "PROVISIONED (5 read / 1 write)",
    )


async def test_fixing_needs_waiting_and_nothing_is_sent_otherwise() -> None:
    db, transport = fake_db()
    with pytest.raises(ValidationError, match="pass wait=True"):
        await db.ensure_table(Order, fix=True, wait=False)
    with pytest.raises(TypeError, match="collection of index names"):
        await db.update_table(Order, drop_indexes="gsi2")
    assert transport.requests == []
