"""Partial reads over the wire: views for select(), KEYS_ONLY and INCLUDE indexes.

The rule users rely on: a model instance always shows what is stored. Part of an item (a
projection, an index that does not hold every attribute) comes back as a view instance,
which has only the fields that were read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import DB, GSI, Config, QueryPlanError, attr, pk, table, version
from dynamorm_async.testing import ScriptedTransport
from dynamorm_async.transport.aiobotocore import AiobotocoreTransport


@table(
    "charges",
    indexes=[
        GSI("by-state", pk="state", sk="at", projection="KEYS_ONLY"),
        GSI("by-customer", pk="customer", sk="at", projection=["amount"]),
    ],
)
@attrs.define
class Charge:
    id: str = pk()
    customer: str = attr()
    state: str = "pending"
    at: int = 0
    amount: Decimal = Decimal(0)
    note: str = ""
    version: int = version()


@attrs.frozen
class ChargeKeys:
    """What by-state (KEYS_ONLY) holds: the table's and the index's keys."""

    id: str
    state: str
    at: int


@attrs.frozen
class ChargeAmount:
    """What by-customer (INCLUDE amount) holds, less its sort key."""

    id: str
    customer: str
    amount: Decimal


@attrs.frozen
class ChargeState:
    """Fields no index holds: only the table serves this view."""

    id: str
    state: str
    version: int


@pytest.fixture
async def sent(config: Config) -> AsyncIterator[tuple[DB, list[tuple[str, dict[str, Any]]]]]:
    """A DB whose requests are recorded, with the charges table: 5 paid, then 3 pending."""
    transport = ScriptedTransport.wrapping(await AiobotocoreTransport.open(config))

    async def factory(_: Config) -> ScriptedTransport:
        return transport

    async with DB(config, transport_factory=factory) as db:
        await db.create_table(Charge)
        try:
            for n in range(8):
                charge = Charge(
                    id=f"ch-{n}",
                    customer="c-1" if n % 2 else "c-2",
                    at=n,
                    amount=Decimal(n) + Decimal("0.5"),
                    note=f"n{n}",
                )
                await db.create(charge)
                if n < 5:
                    charge.state = "paid"
                    await db.put(charge)  # stored: state "paid", version 1
            transport.requests.clear()
            yield db, transport.requests
        finally:
            await db.delete_table(Charge, missing_ok=True)
    await transport.aclose()


async def test_a_view_shows_the_stored_values_and_nothing_else(
    sent: tuple[DB, list[tuple[str, dict[str, Any]]]],
) -> None:
    db, requests = sent
    # The case: the default state is "pending" and version 0; "paid" and 1 are stored.
    got = await db.model(Charge).key({"id": "ch-2"}).select(ChargeState).first()
    assert got == ChargeState(id="ch-2", state="paid", version=1)
    assert not isinstance(got, Charge) and not hasattr(got, "note")
    ((operation, params),) = requests
    assert operation == "GetItem"
    assert sorted(params["ExpressionAttributeNames"].values()) == ["id", "state", "version"]
    # batch_get takes the same views; the key attributes are requested to match items.
    result = await db.batch_get(Charge, [{"id": "ch-6"}, {"id": "nope"}], select=ChargeState)
    assert result.items == [ChargeState(id="ch-6", state="pending", version=0)]
    assert result.missing == [{"id": "nope"}]
    # A whole read of the same item is the whole stored item.
    whole = await db.get(Charge, {"id": "ch-2"})
    assert (whole.state, whole.version, whole.note) == ("paid", 1, "n2")


async def test_keys_only_index_serves_views_of_its_keys_and_refuses_whole_items(
    sent: tuple[DB, list[tuple[str, dict[str, Any]]]],
) -> None:
    db, requests = sent
    paid = db.model(Charge).where("state", "=", "paid")
    # Whole Charges cannot come from by-state, and no other path serves state = "paid":
    # the error names the fix, and nothing is sent.
    with pytest.raises(QueryPlanError, match=r"KEYS_ONLY.*read it with \.select\(View\)"):
        await paid.all()
    with pytest.raises(QueryPlanError, match="not every field of a whole Charge"):
        await db.model(Charge).index("by-state").where("state", "=", "paid").first()
    assert requests == []
    keys = paid.select(ChargeKeys)
    assert await keys.all() == [ChargeKeys(f"ch-{n}", "paid", n) for n in range(5)]
    assert requests[-1][1]["IndexName"] == "by-state"
    assert await keys.order("desc").first() == ChargeKeys("ch-4", "paid", 4)
    # Counting returns no attributes: a whole-model count may use the KEYS_ONLY index.
    assert await paid.count() == 5
    assert requests[-1][1]["Select"] == "COUNT"
    # Pages and cursors through the index, and a stream.
    page = await keys.page(size=2)
    seen = [k.id for k in page.items]
    while page.cursor is not None:
        page = await keys.page(size=2, cursor=page.cursor)
        seen.extend(k.id for k in page.items)
    assert seen == [f"ch-{n}" for n in range(5)]
    async with keys.where("at", ">=", 3).stream() as stream:
        assert [k.at async for k in stream] == [3, 4]
    # A scan of the index, with a filter on what it holds.
    scanned = db.model(Charge).index("by-state").scan().filter("at", "<", 2).select(ChargeKeys)
    assert sorted(k.id for k in await scanned.all()) == ["ch-0", "ch-1"]
    assert requests[-1][0] == "Scan" and requests[-1][1]["IndexName"] == "by-state"


async def test_include_index_serves_only_what_it_includes(
    sent: tuple[DB, list[tuple[str, dict[str, Any]]]],
) -> None:
    db, requests = sent
    by_customer = db.model(Charge).where("customer", "=", "c-1")
    lines = await by_customer.where("at", ">", 2).select(ChargeAmount).all()
    assert lines == [
        ChargeAmount("ch-3", "c-1", Decimal("3.5")),
        ChargeAmount("ch-5", "c-1", Decimal("5.5")),
        ChargeAmount("ch-7", "c-1", Decimal("7.5")),
    ]
    assert requests[-1][1]["IndexName"] == "by-customer"
    big = by_customer.filter("amount", ">", Decimal(4)).select(ChargeAmount)
    assert [line.id for line in await big.all()] == ["ch-5", "ch-7"]
    with pytest.raises(QueryPlanError, match=r"does not project the selected field\(s\) \(state"):
        by_customer.select(ChargeState).explain()
    with pytest.raises(QueryPlanError, match=r"the filter tests \(note\)"):
        await by_customer.filter("note", "=", "n1").select(ChargeAmount).all()
    with pytest.raises(QueryPlanError, match=r"INCLUDE \(amount, at, customer, id\)"):
        await by_customer.all()
    # The table serves whole items (a Scan, as asked), with the stored values.
    whole = await db.model(Charge).scan().filter("customer", "=", "c-1").all()
    assert sorted((c.id, c.state, c.version) for c in whole) == [
        ("ch-1", "paid", 1),
        ("ch-3", "paid", 1),
        ("ch-5", "pending", 0),
        ("ch-7", "pending", 0),
    ]
