"""Version, timestamps and TTL over the wire, as DynamORM (Go/TypeScript) stores them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import DB, ConditionFailed, ValidationError, attr, cond, pk, table, ttl
from tests.models import Order, Payment, Status

pytestmark = pytest.mark.usefixtures("tables")


@table("sessions")
@attrs.define
class Session:
    id: str = pk()
    expires: int | None = ttl()
    keep: int = attr(default=0)


@table("grants")
@attrs.define
class Grant:
    id: str = pk()
    expires: int = ttl(omit_empty=False, default=0)


@pytest.fixture
async def ttl_tables(db: DB, server_kind: str) -> AsyncIterator[None]:
    for model in (Session, Grant):
        await db.create_table(model, ttl=server_kind != "dynalite")
    try:
        yield
    finally:
        for model in (Session, Grant):
            await db.delete_table(model, missing_ok=True)


async def stored(client: Any, db: DB, model: type, **key: Any) -> dict[str, Any]:
    response = await client.get_item(
        TableName=db.table_name(model), Key=db.codec.encode_key(model, key), ConsistentRead=True
    )
    item: dict[str, Any] = response["Item"]
    return item


def payment(id: str = "p-1") -> Payment:
    return Payment(id=id, amount=Decimal("10.00"), customer_id="c-1")


async def test_stale_update_changes_nothing(db: DB, dynamodb_client: Any) -> None:
    fresh = await db.create(payment())
    stale = await db.get(Payment, {"id": "p-1"}, consistent=True)
    fresh.amount = Decimal("20.00")
    await db.update(fresh, fields=["amount"])
    before = await stored(dynamodb_client, db, Payment, id="p-1")
    stale.amount = Decimal("99.00")
    stale.note = "stale"
    stale_updated_at = stale.updated_at
    with pytest.raises(ConditionFailed):
        await db.update(stale)
    assert await stored(dynamodb_client, db, Payment, id="p-1") == before
    assert (stale.version, stale.updated_at) == (0, stale_updated_at)  # instance untouched
    assert before["version"] == {"N": "1"} and Decimal(before["amount"]["N"]) == Decimal(20)


async def test_timestamps_follow_dynamorm(db: DB, dynamodb_client: Any) -> None:
    p = await db.create(payment())
    assert p.created_at is not None and p.created_at.tzinfo is dt.UTC
    raw = await stored(dynamodb_client, db, Payment, id="p-1")
    assert raw["createdAt"] == raw["updatedAt"]
    assert raw["createdAt"]["S"].endswith("Z") and "+" not in raw["createdAt"]["S"]
    created = raw["createdAt"]
    await db.update(p, fields=["amount"])
    await db.put(p)
    raw = await stored(dynamodb_client, db, Payment, id="p-1")
    assert raw["createdAt"] == created  # never touched after create
    assert raw["updatedAt"] != created
    assert raw["version"] == {"N": "2"} and p.version == 2


@pytest.mark.usefixtures("ttl_tables")
async def test_ttl_is_stored_as_epoch_seconds(db: DB, dynamodb_client: Any) -> None:
    when = dt.datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=dt.UTC)
    await db.put(Order(customer="c", order_id="o", expires=when))
    raw = await stored(dynamodb_client, db, Order, customer="c", order_id="o")
    assert raw["expires"] == {"N": str(int(when.timestamp()))}
    got = await db.get(Order, {"customer": "c", "order_id": "o"})
    assert got.expires == when.replace(microsecond=0)

    await db.put(Session(id="int", expires=1_900_000_000))
    await db.put(Session(id="datetime", expires=when))  # type: ignore[arg-type]
    await db.put(Session(id="none"))
    await db.put(Session(id="zero", expires=0))
    assert (await stored(dynamodb_client, db, Session, id="int"))["expires"] == {"N": "1900000000"}
    assert (await stored(dynamodb_client, db, Session, id="datetime"))["expires"] == {
        "N": str(int(when.timestamp()))
    }
    # omit_empty (the ttl() default): None and 0 leave the attribute out.
    assert "expires" not in await stored(dynamodb_client, db, Session, id="none")
    assert "expires" not in await stored(dynamodb_client, db, Session, id="zero")
    # Without omit_empty a 0 is stored.
    await db.put(Grant(id="g"))
    assert (await stored(dynamodb_client, db, Grant, id="g"))["expires"] == {"N": "0"}


@pytest.mark.needs_ttl
@pytest.mark.usefixtures("ttl_tables")
async def test_create_table_enables_ttl_on_the_field(db: DB, dynamodb_client: Any) -> None:
    response = await dynamodb_client.describe_time_to_live(TableName=db.table_name(Session))
    description = response["TimeToLiveDescription"]
    assert description["AttributeName"] == "expires"
    assert description["TimeToLiveStatus"] in ("ENABLED", "ENABLING")


async def test_an_update_of_every_field_leaves_created_at_alone(
    db: DB, dynamodb_client: Any
) -> None:
    # An instance built from a request payload: no created_at, the stored version.
    await db.create(payment())
    created = (await stored(dynamodb_client, db, Payment, id="p-1"))["createdAt"]
    incoming = payment()
    incoming.amount = Decimal("11.00")
    assert incoming.created_at is None
    await db.update(incoming)
    raw = await stored(dynamodb_client, db, Payment, id="p-1")
    assert raw["createdAt"] == created and raw["version"] == {"N": "1"}
    assert Decimal(raw["amount"]["N"]) == Decimal(11)


@pytest.mark.needs_transactions
async def test_a_transaction_update_of_every_field_leaves_created_at_alone(
    db: DB, dynamodb_client: Any
) -> None:
    await db.create(payment())
    created = (await stored(dynamodb_client, db, Payment, id="p-1"))["createdAt"]
    incoming = payment()
    async with db.transaction() as tx:
        tx.update(incoming)
    raw = await stored(dynamodb_client, db, Payment, id="p-1")
    assert raw["createdAt"] == created and raw["version"] == {"N": "1"}


async def test_an_update_cannot_name_a_lifecycle_field(db: DB) -> None:
    p = await db.create(payment())
    for name in ("created_at", "updated_at", "version"):
        with pytest.raises(ValidationError, match=name):
            await db.update(p, fields=[name])
        with pytest.raises(ValidationError, match=name):
            db.transaction().update(p, fields=["amount", name])
    assert p.version == 0


async def test_a_put_of_a_new_item_writes_version_0_as_create_does(
    db: DB, dynamodb_client: Any
) -> None:
    fresh = await db.put(payment("new"))
    raw = await stored(dynamodb_client, db, Payment, id="new")
    assert raw["version"] == {"N": "0"} and fresh.version == 0
    assert raw["createdAt"] == raw["updatedAt"] and fresh.created_at is not None

    # The item exists at version 0 now: the next put is version-checked and writes 1.
    fresh.amount = Decimal("12.00")
    await db.put(fresh)
    raw = await stored(dynamodb_client, db, Payment, id="new")
    assert raw["version"] == {"N": "1"} and fresh.version == 1

    # A stale instance at version 0 changes nothing, whichever request refused it.
    stale = payment("new")
    with pytest.raises(ConditionFailed):
        await db.put(stale)
    assert stale.version == 0
    assert await stored(dynamodb_client, db, Payment, id="new") == raw


async def test_a_put_at_version_0_keeps_the_callers_condition(db: DB) -> None:
    with pytest.raises(ConditionFailed):
        await db.put(payment("cond"), condition=cond("status", "=", Status.PAID))
    await db.create(payment("cond"))
    with pytest.raises(ConditionFailed):
        await db.put(payment("cond"), condition=cond("status", "=", Status.PAID))
    assert (await db.get(Payment, {"id": "cond"}, consistent=True)).version == 0


async def test_an_upsert_that_could_create_an_unreadable_item_is_refused(
    db: DB, dynamodb_client: Any
) -> None:
    builder = db.model(Payment).key({"id": "up"}).update()
    with pytest.raises(ValidationError, match="amount, customer_id"):
        await builder.set("note", "x").upsert().execute()
    with pytest.raises(ValidationError, match="customer_id"):
        await builder.add("amount", Decimal(1)).set("customer_id", None).upsert().execute()
    assert "Item" not in await dynamodb_client.get_item(
        TableName=db.table_name(Payment), Key={"id": {"S": "up"}}
    )

    # Given the required fields, the item is created at version 0, as create writes it.
    upsert = builder.add("amount", Decimal(1)).set_if_not_exists("customer_id", "c-9").upsert()
    await upsert.execute()
    got = await db.get(Payment, {"id": "up"}, consistent=True)
    assert (got.version, got.amount, got.customer_id) == (0, Decimal(1), "c-9")
    assert got.created_at is not None and got.created_at == got.updated_at
    await upsert.execute()
    got = await db.get(Payment, {"id": "up"}, consistent=True)
    assert (got.version, got.amount) == (1, Decimal(2))
    # Without upsert the item must exist, so nothing is required of the actions.
    await builder.set("note", "y").execute()
    assert (await db.get(Payment, {"id": "up"}, consistent=True)).version == 2
