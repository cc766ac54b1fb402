"""CRUD over HTTP against the local server."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from dynamorm_async import (
    DB,
    ConditionFailed,
    EncodeError,
    ItemNotFound,
    ValidationError,
)
from tests.models import Address, Everything, Order, Payment, Priority, Status

pytestmark = pytest.mark.usefixtures("tables")


def payment(id: str = "p-1", **kw: object) -> Payment:
    kw.setdefault("amount", Decimal("12.34"))
    kw.setdefault("customer_id", "c-1")
    return Payment(id=id, **kw)  # type: ignore[arg-type]


async def test_create_get_find_delete(db: DB) -> None:
    p = await db.create(payment(tags={"a", "b"}))
    assert p.version == 0
    assert p.created_at is not None and p.created_at == p.updated_at
    got = await db.get(Payment, {"id": "p-1"})
    assert got == p
    assert await db.find(Payment, {"id": "nope"}) is None
    with pytest.raises(ItemNotFound) as info:
        await db.get(Payment, {"id": "nope"})
    assert info.value.table == db.table_name(Payment)
    await db.delete(got)
    assert await db.find(Payment, {"id": "p-1"}, consistent=True) is None


async def test_every_type_round_trips_exactly(db: DB) -> None:
    item = Everything(
        id="e-1",
        text="héllo",
        count=-7,
        big=10**37 + 1,
        price=Decimal("0.1"),
        ratio=0.1,
        flag=True,
        blob=b"\x00\xff",
        nothing=None,
        when=dt.datetime(2024, 2, 29, 23, 59, 59, 123450, tzinfo=dt.UTC),
        day=dt.date(2024, 1, 2),
        ref=uuid.UUID(int=42),
        status=Status.PAID,
        priority=Priority.HIGH,
        names={"x", "y"},
        numbers={1, 2, 10**30},
        amounts={Decimal("0.1"), Decimal("1E-5")},
        blobs={b"a", b"b"},
        items=[1, 2, 3],
        labels={"k": "v", "status": "reserved word"},
        address=Address("Main St", None, ["flat 2"]),
        addresses=[Address("A"), Address("B", "123")],
        anything={"nested": [1, Decimal("2.5"), "x", None, True]},
    )
    await db.put(item)
    got = await db.get(Everything, {"id": "e-1"}, consistent=True)
    assert got == item
    assert got.price == Decimal("0.1") and isinstance(got.price, Decimal)
    assert got.big == 10**37 + 1


async def test_conditional_create(db: DB, server_kind: str) -> None:
    await db.create(payment(), if_not_exists=True)
    with pytest.raises(ConditionFailed) as info:
        await db.create(payment(amount=Decimal(1)), if_not_exists=True)
    if server_kind == "moto":  # dynalite ignores ReturnValuesOnConditionCheckFailure
        assert isinstance(info.value.item, Payment)
        assert info.value.item.amount == Decimal("12.34")
    assert (await db.get(Payment, {"id": "p-1"})).amount == Decimal("12.34")
    await db.create(payment(amount=Decimal(2)))  # unconditional create replaces
    assert (await db.get(Payment, {"id": "p-1"})).amount == Decimal(2)


async def test_update_writes_only_named_fields(db: DB) -> None:
    p = await db.create(payment(note="first"))
    stale = payment(amount=Decimal("99"), customer_id="other", note=None)
    stale.version = p.version
    await db.update(stale, fields=["amount", "note"])
    got = await db.get(Payment, {"id": "p-1"})
    assert got.amount == Decimal("99")
    assert got.customer_id == "c-1"  # not named, not written
    assert got.note is None  # omitted when empty -> REMOVE
    assert got.version == 1 and stale.version == 1
    assert got.created_at == p.created_at
    with pytest.raises(ValidationError, match="key field"):
        await db.update(got, fields=["id"])
    with pytest.raises(ValidationError, match="no field"):
        await db.update(got, fields=["nope"])


async def test_update_of_missing_item_fails(db: DB) -> None:
    with pytest.raises(ConditionFailed):
        await db.update(Order(customer="c", order_id="o"), fields=["total"])
    assert await db.find(Order, {"customer": "c", "order_id": "o"}) is None


async def test_versioning(db: DB) -> None:
    p = await db.create(payment())
    copy = await db.get(Payment, {"id": "p-1"})
    await db.put(p)
    assert p.version == 1
    with pytest.raises(ConditionFailed):
        await db.put(copy)  # stale: version 0 in memory, 1 stored
    with pytest.raises(ConditionFailed):
        await db.delete(copy)
    assert (await db.get(Payment, {"id": "p-1"})).version == 1
    await db.delete(p)
    assert await db.find(Payment, {"id": "p-1"}) is None


async def test_composite_keys_and_delete_by_key(db: DB) -> None:
    for n in range(3):
        await db.put(Order(customer="c", order_id=f"o{n}", total=Decimal(n), state="open"))
    got = await db.get(Order, {"customer": "c", "order_id": "o1"})
    assert got.total == Decimal(1)
    await db.delete(Order, {"customer": "c", "order_id": "o1"})
    assert await db.find(Order, {"customer": "c", "order_id": "o1"}) is None
    assert await db.find(Order, {"customer": "c", "order_id": "o2"}) is not None


async def test_bad_keys_are_clear_errors(db: DB) -> None:
    with pytest.raises(ValidationError, match="order_id"):
        await db.get(Order, {"customer": "c"})
    with pytest.raises(ValidationError, match="id"):
        await db.get(Payment, {"id": 5})
    with pytest.raises(ValidationError, match="nope"):
        await db.get(Payment, {"id": "x", "nope": 1})
    with pytest.raises(ValidationError):
        await db.delete(Order, {"customer": "c"})


async def test_oversized_item_rejected_before_sending(db: DB) -> None:
    huge = Everything(id="big", text="x" * (400 * 1024))
    with pytest.raises(EncodeError, match="400"):
        await db.put(huge)
    assert await db.find(Everything, {"id": "big"}) is None
