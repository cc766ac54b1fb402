"""Single-table design over HTTP: a customer, its orders and payments in one table.

Written with key templates and a discriminator, read back through one partition Query as
the right types, per model, a page at a time with cursors, updated in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import DB, UnknownEntity, table, template, version

T0 = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)


@table(
    "shop",
    pk=template("CUSTOMER#{id}"),
    sk=template("PROFILE"),
    discriminator="type",
    entity="customer",
)
class Customer:
    id: str
    name: str
    version: int = version()


@table(
    "shop",
    pk=template("CUSTOMER#{customer_id}"),
    sk=template("ORDER#{placed_at}#{id}"),
    discriminator="type",
    entity="order",
)
class Order:
    customer_id: str
    placed_at: dt.datetime
    id: str
    total: Decimal
    status: str = "open"
    version: int = version()


@table(
    "shop",
    pk=template("CUSTOMER#{customer_id}"),
    sk=template("PAYMENT#{number:06}"),
    discriminator="type",
    entity="payment",
)
class Payment:
    customer_id: str
    number: int
    amount: Decimal
    version: int = version()


@pytest.fixture
async def shop(db: DB) -> AsyncIterator[DB]:
    """The shared table, holding customer c-1 (3 orders, 2 payments) and customer c-2."""
    await db.create_table(Customer, Order, Payment)
    try:
        await db.create(Customer(id="c-1", name="Ada"))
        await db.create(Customer(id="c-2", name="Bob"))
        await db.batch_put(
            [
                Order("c-1", T0 + dt.timedelta(days=day), f"o-{day}", Decimal(day * 10))
                for day in (1, 2, 3)
            ]
            + [Payment("c-1", number, Decimal("9.99")) for number in (7, 12)]
            + [Order("c-2", T0, "o-x", Decimal(1))],
            unconditional=True,
        )
        yield db
    finally:
        await db.delete_table(Customer, missing_ok=True)


async def test_items_store_their_templates_and_discriminator(
    shop: DB, dynamodb_client: Any
) -> None:
    key = shop.codec.encode_key(
        Order, {"customer_id": "c-1", "placed_at": T0 + dt.timedelta(days=2), "id": "o-2"}
    )
    assert key == {
        "PK": {"S": "CUSTOMER#c-1"},
        "SK": {"S": "ORDER#2024-03-03T09:30:00.000000000Z#o-2"},
    }
    stored = (await dynamodb_client.get_item(TableName=shop.table_name(Order), Key=key))["Item"]
    assert stored["type"] == {"S": "order"}
    assert stored["customerId"] == {"S": "c-1"}  # the source fields stay ordinary attributes
    assert stored["placedAt"] == {"S": "2024-03-03T09:30:00Z"}
    payment = await shop.get(Payment, {"customer_id": "c-1", "number": 12})
    assert payment.amount == Decimal("9.99")


async def test_one_partition_query_reads_every_type(shop: DB) -> None:
    query = shop.collection(Customer, Order, Payment).where("id", "=", "c-1")
    plan = query.explain()
    assert plan.operation == "Query"
    assert plan.filter is None  # a collection takes what the partition holds
    items = await query.all()
    # Sort-key order: ORDER#... < PAYMENT#... < PROFILE, orders by time, payments by number.
    assert [type(item).__name__ for item in items] == ["Order"] * 3 + ["Payment"] * 2 + ["Customer"]
    assert [item.id for item in items[:3]] == ["o-1", "o-2", "o-3"]  # type: ignore[union-attr]
    assert [item.number for item in items[3:5]] == [7, 12]  # type: ignore[union-attr]
    assert items[5] == Customer(id="c-1", name="Ada", version=0)


async def test_a_model_query_reads_its_own_items_only(shop: DB) -> None:
    orders = shop.model(Order).where("customer_id", "=", "c-1")
    plan = orders.explain()
    assert plan.describe()["key_condition"] == 'PK = "CUSTOMER#c-1" AND begins_with(SK, "ORDER#")'
    assert plan.filter is None  # the ORDER# prefix holds orders only
    assert [o.id for o in await orders.all()] == ["o-1", "o-2", "o-3"]

    since = orders.where("placed_at", ">=", T0 + dt.timedelta(days=2))
    assert "between" in (since.explain().describe()["key_condition"] or "").lower()
    assert [o.id for o in await since.all()] == ["o-2", "o-3"]
    assert [p.number for p in await shop.model(Payment).where("customer_id", "=", "c-1").all()] == [
        7,
        12,
    ]


async def test_collection_pages_follow_cursors(shop: DB) -> None:
    query = shop.collection(Customer, Order, Payment).where("id", "=", "c-1")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await query.page(size=2, cursor=cursor)
        pages += 1
        seen.extend(type(item).__name__ for item in page.items)
        cursor = page.cursor
        if cursor is None:
            break
        assert pages < 10
    assert seen == ["Order"] * 3 + ["Payment"] * 2 + ["Customer"]
    assert pages >= 3


async def test_unknown_entities_are_reported_or_skipped(shop: DB, dynamodb_client: Any) -> None:
    await dynamodb_client.put_item(
        TableName=shop.table_name(Customer),
        Item={"PK": {"S": "CUSTOMER#c-1"}, "SK": {"S": "REFUND#1"}, "type": {"S": "refund"}},
    )
    with pytest.raises(UnknownEntity) as caught:
        await shop.collection(Customer, Order, Payment).where("id", "=", "c-1").all()
    assert caught.value.attribute == "type"
    kept = await shop.collection(Customer, Order, skip_unknown=True).where("id", "=", "c-1").all()
    assert sorted({type(item).__name__ for item in kept}) == ["Customer", "Order"]
    assert len(kept) == 4


async def test_updates_by_instance_and_by_key(shop: DB) -> None:
    order = await shop.get(
        Order, {"customer_id": "c-1", "placed_at": T0 + dt.timedelta(days=1), "id": "o-1"}
    )
    before = order.version
    order.status = "shipped"
    await shop.update(order, fields=["status"])
    await (
        shop.model(Payment)
        .key({"customer_id": "c-1", "number": 7})
        .update()
        .set("amount", Decimal("5.00"))
        .execute()
    )
    assert (await shop.get(Payment, {"customer_id": "c-1", "number": 7})).amount == Decimal("5.00")
    again = await shop.get(Order, {"customer_id": "c-1", "placed_at": order.placed_at, "id": "o-1"})
    assert (again.status, again.version) == ("shipped", before + 1)


@pytest.mark.needs_transactions
async def test_one_transaction_updates_three_models(shop: DB) -> None:
    customer = await shop.get(Customer, {"id": "c-1"})
    order = await shop.get(
        Order, {"customer_id": "c-1", "placed_at": T0 + dt.timedelta(days=3), "id": "o-3"}
    )
    customer.name = "Ada L."
    order.status = "paid"
    async with shop.transaction() as tx:
        tx.update(customer, fields=["name"])
        tx.update(order, fields=["status"])
        tx.create(Payment("c-1", 13, Decimal("30")))
    items = await shop.collection(Customer, Order, Payment).where("id", "=", "c-1").all()
    by_type = {type(item).__name__: item for item in items}
    assert by_type["Customer"].name == "Ada L."  # type: ignore[union-attr]
    assert [i.status for i in items if isinstance(i, Order)] == ["open", "open", "paid"]
    assert [i.number for i in items if isinstance(i, Payment)] == [7, 12, 13]
    got = await shop.transact_get([customer, order])
    assert [type(item).__name__ for item in got] == ["Customer", "Order"]
