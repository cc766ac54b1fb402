"""Table management against the local server."""

from __future__ import annotations

import attrs
import pytest

from dynamorm_async import DB, TableDescription, TableExists, TableNotFound, pk, table
from tests.models import Order, Payment


@table("scratch")
@attrs.define
class Scratch:
    id: str = pk()


async def test_create_describe_delete(db: DB, server_kind: str) -> None:
    description = await db.create_table(Order, ttl=server_kind != "dynalite")
    assert isinstance(description, TableDescription)
    assert (description.name, description.status) == (db.table_name(Order), "ACTIVE")
    assert db.table_name(Order).startswith(db.config.table_prefix)
    described = await db.describe_table(Order)
    assert described.active and described.billing_mode == "PAY_PER_REQUEST"
    assert described.arn is not None and described.item_count == 0
    assert {(i.kind, i.name, i.status) for i in described.indexes} == {
        ("GSI", "by-state", "ACTIVE"),
        ("LSI", "by-total", "ACTIVE"),
    }
    keys = {k["AttributeName"]: k["KeyType"] for k in described.raw["KeySchema"]}
    assert keys == {"customer": "HASH", "orderId": "RANGE"}
    lsi = {i["IndexName"]: i for i in described.raw["LocalSecondaryIndexes"]}
    assert lsi["by-total"]["KeySchema"][1]["AttributeName"] == "total"
    gsi = {i["IndexName"]: i for i in described.raw["GlobalSecondaryIndexes"]}
    assert gsi["by-state"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    with pytest.raises(TableExists):
        await db.create_table(Order, ttl=False)
    await db.delete_table(Order)
    with pytest.raises(TableNotFound) as info:
        await db.describe_table(Order)
    assert info.value.operation == "DescribeTable"
    assert info.value.table == db.table_name(Order)
    with pytest.raises(TableNotFound):
        await db.delete_table(Order)
    await db.delete_table(Order, missing_ok=True)


async def test_ensure_table_is_idempotent(db: DB) -> None:
    first = await db.ensure_table(Scratch)
    assert (first.created, first.description.status) == (True, "ACTIVE")
    again = await db.ensure_table(Scratch)
    assert (again.created, again.in_sync, again.applied) == (False, True, ())
    await db.delete_table(Scratch)


@pytest.mark.needs_ttl
async def test_ttl_enabled_from_model(db: DB) -> None:
    await db.create_table(Order)
    try:
        response = await db.engine.call("DescribeTimeToLive", {"TableName": db.table_name(Order)})
        spec = response["TimeToLiveDescription"]
        assert spec["AttributeName"] == "expires"
        assert spec["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    finally:
        await db.delete_table(Order)


@pytest.mark.needs_ttl
async def test_ttl_of_a_table_created_without_waiting_is_pending_until_enabled(db: DB) -> None:
    description = await db.create_table(Order, wait=False)
    try:
        assert description.ttl_pending == "expires"
        name = db.table_name(Order)
        before = await db.engine.call("DescribeTimeToLive", {"TableName": name})
        assert before["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
        await db.enable_ttl(Order)
        after = await db.engine.call("DescribeTimeToLive", {"TableName": name})
        spec = after["TimeToLiveDescription"]
        assert (spec["AttributeName"], spec["TimeToLiveStatus"] in ("ENABLED", "ENABLING")) == (
            "expires",
            True,
        )
    finally:
        await db.delete_table(Order)


async def test_gsi_payload_for_payment(db: DB) -> None:
    await db.create_table(Payment)
    try:
        described = await db.describe_table(Payment)
        (gsi,) = described.raw["GlobalSecondaryIndexes"]
        assert [k["AttributeName"] for k in gsi["KeySchema"]] == ["customerId", "createdAt"]
        definitions = described.raw["AttributeDefinitions"]
        types = {a["AttributeName"]: a["AttributeType"] for a in definitions}
        assert types == {"id": "S", "customerId": "S", "createdAt": "S"}
    finally:
        await db.delete_table(Payment)
