"""Must type-check cleanly: constructors, field types, index declarations and read results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import assert_type

import attrs

from dynamorm_async import (
    DB,
    GSI,
    LSI,
    BatchGetResult,
    Page,
    ProjectedQuery,
    Stream,
    table,
    template,
)
from tests.typing.models import Entry, Legacy, Payment, PaymentLine, Rate

payment = Payment(id="p1", amount=Decimal("9.99"), customer_id="c1")
assert_type(payment, Payment)
assert_type(payment.id, str)
assert_type(payment.amount, Decimal)
assert_type(payment.currency, str)
assert_type(payment.created, datetime | None)
assert_type(payment.tags, list[str])
assert_type(payment.version, int)
assert_type(payment.expires, int | None)
# Every defaulted field may be given, by keyword or position.
Payment("p2", Decimal(1), "c1", "USD", None, None, ["a"], 3, 1_700_000_000)
payment.amount = Decimal("10.00")

entry = Entry(account="a1", at="2024-01-01", amount=Decimal(5))
assert_type(entry.note, str | None)

rate = Rate(currency="EUR", value=Decimal("1.1"))
assert_type(rate.value, Decimal)

legacy = Legacy(id="l1")
assert_type(legacy.note, str)
assert_type(attrs.evolve(legacy, note="n"), Legacy)

indexes: list[GSI | LSI] = [
    GSI("by-customer", pk="customer_id"),
    GSI("by-status", pk="status", sk="created", projection="KEYS_ONLY"),
    LSI("by-amount", sk="amount", projection=["note", "currency"]),
]


async def reads_and_writes(db: DB) -> None:
    """What the read and write calls return."""
    assert_type(await db.create(payment), Payment)
    assert_type(await db.put(rate), Rate)
    assert_type(await db.get(Payment, {"id": "p1"}), Payment)
    assert_type(await db.find(Payment, {"id": "p1"}), Payment | None)
    assert_type(await db.find(Entry, {"account": "a1", "at": "2024-01-01"}), Entry | None)
    assert_type(await db.model(Payment).all(), list[Payment])
    assert_type(await db.model(Rate).first(), Rate)


async def projections(db: DB) -> None:
    """A projection reads into its view: every read returns the view, typed field by field."""
    query = db.model(Payment).where("customer_id", "=", "c1")
    lines = query.select(PaymentLine)
    assert_type(lines, ProjectedQuery[PaymentLine])
    # The builder methods keep the view.
    assert_type(
        lines.where("created", ">=", None).filter("amount", ">", 1).limit(5),
        ProjectedQuery[PaymentLine],
    )
    line = await lines.first()
    assert_type(line, PaymentLine)
    assert_type(line.amount, Decimal)
    assert_type(await lines.all(), list[PaymentLine])
    assert_type(await lines.count(), int)
    assert_type(lines.stream(), Stream[PaymentLine])
    assert_type(await lines.page(10), Page[PaymentLine])
    assert_type(await db.model(Payment).key({"id": "p1"}).select(PaymentLine).first(), PaymentLine)
    assert_type(await db.batch_get(Payment, [{"id": "p1"}]), BatchGetResult[Payment])
    assert_type(
        await db.batch_get(Payment, [{"id": "p1"}], select=PaymentLine), BatchGetResult[PaymentLine]
    )


# Single-table design: templated keys, a shared base, and a typed collection.
@table("app", pk=template("CUSTOMER#{customer_id}"), discriminator="type")
class CustomerItem:
    customer_id: str


@table(sk=template("ORDER#{order_id}"), entity="order")
class Order(CustomerItem):
    order_id: str
    total: Decimal = Decimal(0)


@table(sk=template("PROFILE"), entity="customer")
class Profile(CustomerItem):
    name: str


order = Order("c1", "o1")
assert_type(order.customer_id, str)
assert_type(order.total, Decimal)


async def collections(db: DB) -> None:
    """A collection's items are the union of its models."""
    everything = db.collection(Profile, Order).where("customer_id", "=", "c1")
    assert_type(await everything.all(), list[Profile | Order])
    page = await everything.page(size=10)
    assert_type(page.items, list[Profile | Order])
