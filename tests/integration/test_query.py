"""Queries against the local server: routing, index choice, operators, paging and cursors.

Each test's DB records the operations it sends (a transport wrapper), so the tests show
what was sent as well as what came back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    DB,
    ConditionFailed,
    Config,
    ItemNotFound,
    QueryPlanError,
    ValidationError,
    attr,
    pk,
    sk,
    table,
)
from dynamorm_async.conditions import cond
from dynamorm_async.pagination import Cursor
from dynamorm_async.testing import ScriptedTransport
from dynamorm_async.transport.aiobotocore import AiobotocoreTransport
from tests.models import (
    Address,
    Everything,
    Order,
    OrderKeys,
    Payment,
    PaymentAmount,
    Status,
)

pytestmark = pytest.mark.usefixtures("tables")

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class Recorded:
    def __init__(self, db: DB, calls: list[tuple[str, dict[str, Any]]]) -> None:
        self.db = db
        self.calls = calls

    def take(self) -> list[str]:
        """The operations sent since the last take()."""
        names = [name for name, _ in self.calls]
        self.calls.clear()
        return names

    def params(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


@pytest.fixture
async def rec(config: Config) -> AsyncIterator[Recorded]:
    transport = ScriptedTransport.wrapping(await AiobotocoreTransport.open(config))

    async def factory(_: Config) -> ScriptedTransport:
        return transport

    async with DB(config, transport_factory=factory) as db:
        yield Recorded(db, transport.requests)
    await transport.aclose()  # opened here, so closed here even if the test sent nothing


async def seed_payments(db: DB) -> None:
    for n in range(10):
        await db.put(
            Payment(
                id=f"p-{n}",
                amount=Decimal(n * 100),
                customer_id="c-1" if n % 2 == 0 else "c-2",
                status=Status.PAID if n % 3 == 0 else Status.PENDING,
                created_at=T0 + dt.timedelta(days=n),
                note="vip" if n == 4 else None,
            )
        )


async def seed_orders(db: DB, count: int = 10) -> None:
    for n in range(count):
        state = "open" if n % 2 else "closed"
        await db.put(
            Order(customer="c", order_id=f"o{n:02}", total=Decimal(count - n), state=state)
        )


def ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


# -- routing ---------------------------------------------------------------------------------


async def test_full_key_reads_use_getitem_and_batchgetitem(rec: Recorded) -> None:
    db = rec.db
    await seed_payments(db)
    rec.take()
    got = await db.model(Payment).where("id", "=", "p-3").first()
    assert got.amount == Decimal(300)
    partial = await db.model(Payment).key({"id": "p-3"}).select(PaymentAmount).first()
    assert partial == PaymentAmount(id="p-3", amount=Decimal(300))
    assert rec.take() == ["GetItem", "GetItem"]
    with pytest.raises(ItemNotFound):
        await db.model(Payment).key({"id": "nope"}).first()
    several = await db.model(Payment).where("id", "in", ["p-5", "p-1", "nope", "p-3"]).all()
    assert ids(several) == ["p-5", "p-1", "p-3"]
    assert rec.take() == ["GetItem", "BatchGetItem"]
    assert await db.model(Payment).where("id", "in", ["p-5", "p-1"]).count() == 2


async def test_gsi_is_chosen_for_customer_and_date_range(rec: Recorded) -> None:
    db = rec.db
    await seed_payments(db)
    rec.take()
    query = (
        db.model(Payment)
        .where("customer_id", "=", "c-1")
        .where("created_at", ">=", T0 + dt.timedelta(days=4))
    )
    assert ids(await query.all()) == ["p-4", "p-6", "p-8"]
    assert ids(await query.order("desc").all()) == ["p-8", "p-6", "p-4"]
    assert (await query.order("desc").first()).id == "p-8"
    sent = rec.params("Query")
    assert [p["IndexName"] for p in sent] == ["by-customer"] * 3
    assert sent[2]["Limit"] == 1 and sent[2]["ScanIndexForward"] is False
    between = query.where("amount", "between", Decimal(500), Decimal(900))
    assert ids(await between.all()) == ["p-6", "p-8"]  # amount became a filter
    assert "FilterExpression" in rec.params("Query")[-1]


async def test_lsi_and_keys_only_gsi(rec: Recorded) -> None:
    db = rec.db
    await seed_orders(db)
    rec.take()
    by_total = db.model(Order).where("customer", "=", "c").where("total", "<=", Decimal(3))
    assert by_total.explain().index == "by-total"
    got = await by_total.consistent().all()
    assert [o.total for o in got] == [Decimal(1), Decimal(2), Decimal(3)]
    assert rec.params("Query")[-1]["IndexName"] == "by-total"
    assert rec.params("Query")[-1]["ConsistentRead"] is True
    # KEYS_ONLY holds no total: whole Orders cannot come from it, a view of its keys can.
    with pytest.raises(QueryPlanError, match="not every field of a whole Order"):
        await db.model(Order).where("state", "=", "open").all()
    open_orders = await db.model(Order).where("state", "=", "open").select(OrderKeys).all()
    assert sorted(o.order_id for o in open_orders) == ["o01", "o03", "o05", "o07", "o09"]
    assert {o.state for o in open_orders} == {"open"}
    with pytest.raises(QueryPlanError, match="consistent"):
        await db.model(Order).where("state", "=", "open").select(OrderKeys).consistent().all()
    assert rec.take() == ["Query", "Query"]


async def test_scan_needs_asking_and_explain_sends_nothing(rec: Recorded) -> None:
    db = rec.db
    await seed_payments(db)
    rec.take()
    paid = db.model(Payment).filter("status", "=", Status.PAID)
    with pytest.raises(QueryPlanError, match="by-customer"):
        await paid.all()
    with pytest.raises(QueryPlanError):
        paid.stream()
    plan = paid.allow_scan().explain()
    assert plan.operation == "Scan"
    assert rec.take() == []
    assert sorted(ids(await paid.allow_scan().all())) == ["p-0", "p-3", "p-6", "p-9"]
    assert sorted(
        ids(await db.model(Payment).allow_scan().filter("status", "=", Status.PAID).all())
    ) == ["p-0", "p-3", "p-6", "p-9"]
    assert len(await db.model(Payment).scan().all()) == 10
    assert rec.take() == ["Scan", "Scan", "Scan"]


# -- operators, reserved words, nested paths ---------------------------------------------------


@pytest.fixture
async def everything(db: DB, tables: list[type]) -> None:
    await db.put(
        Everything(
            id="e1",
            text="hello",
            count=1,
            names={"a", "b"},
            items=[1, 2, 3],
            labels={"status": "x"},
            address=Address("Main St", "123"),
        )
    )
    await db.put(Everything(id="e2", text="help", count=5, names={"c"}))
    await db.put(
        Everything(id="e3", text="world", count=10, names={"a"}, items=[7], address=Address("Side"))
    )


@pytest.mark.usefixtures("everything")
@pytest.mark.parametrize(
    ("field", "op", "values", "expected"),
    [
        ("text", "=", ("hello",), ["e1"]),
        ("text", "!=", ("hello",), ["e2", "e3"]),
        ("count", "<", (5,), ["e1"]),
        ("count", "<=", (5,), ["e1", "e2"]),
        ("count", ">", (5,), ["e3"]),
        ("count", ">=", (5,), ["e2", "e3"]),
        ("count", "between", (2, 10), ["e2", "e3"]),
        ("text", "in", (["help", "world"],), ["e2", "e3"]),
        ("text", "begins_with", ("hel",), ["e1", "e2"]),
        ("text", "contains", ("orl",), ["e3"]),
        ("names", "contains", ("a",), ["e1", "e3"]),
        ("labels.status", "exists", (), ["e1"]),
        ("labels.status", "not_exists", (), ["e2", "e3"]),
        ("size(names)", ">", (1,), ["e1"]),
        ("size(items)", "=", (0,), ["e2"]),
        ("size(text)", "between", (5, 5), ["e1", "e3"]),
        ("size(names)", "in", ([1, 2],), ["e1", "e2", "e3"]),
        ("nothing", "attribute_type", ("NULL",), ["e1", "e2", "e3"]),
        ("items[0]", "=", (7,), ["e3"]),
        ("address.postal_code", "=", ("123",), ["e1"]),
        ("labels.status", "=", ("x",), ["e1"]),
    ],
)
async def test_every_operator(
    db: DB, field: str, op: str, values: tuple[Any, ...], expected: list[str]
) -> None:
    got = await db.model(Everything).scan().filter(field, op, *values).all()
    assert sorted(ids(got)) == expected


@table("odd-names", naming="snake_case")
@attrs.define
class Odd:
    """Reserved words as keys, stored names with a dot and a dash."""

    name: str = pk()
    size: int = sk()
    status: str = ""
    dotted: str = attr(name="a.b", default="")
    dashed: str = attr(name="x-y", default="")
    meta: Address | None = None


@attrs.frozen
class OddView:
    name: str
    size: int
    dotted: str


@pytest.fixture
async def odd(db: DB) -> AsyncIterator[None]:
    await db.create_table(Odd)
    try:
        for n in range(5):
            await db.put(
                Odd(
                    name="n",
                    size=n,
                    status="on" if n % 2 else "off",
                    dotted=f"d{n}",
                    dashed=f"q{n}",
                    meta=Address("s", str(n)),
                )
            )
        yield
    finally:
        await db.delete_table(Odd, missing_ok=True)


@pytest.mark.usefixtures("odd")
async def test_reserved_words_dots_and_dashes_are_safe(db: DB) -> None:
    query = (
        db.model(Odd)
        .where("name", "=", "n")
        .where("size", "between", 1, 4)
        .filter("status", "=", "on")
        .filter("dotted", "begins_with", "d")
        .filter_group(
            lambda g: g.filter("dashed", "=", "q1").or_filter("meta.postal_code", "=", "3")
        )
        .select(OddView)
    )
    got = await query.all()
    assert got == [OddView("n", 1, "d1"), OddView("n", 3, "d3")]
    request = query.explain().request()
    assert set(request["ExpressionAttributeNames"].values()) >= {"name", "size", "a.b", "x-y"}
    assert "a.b" not in request["FilterExpression"]
    assert await query.count() == 2


# -- writes with conditions ------------------------------------------------------------------


async def test_update_builder_actions(rec: Recorded, server_kind: str) -> None:
    db = rec.db
    await db.put(
        Everything(id="e1", text="hello", count=1, names={"a", "b"}, items=[2], nothing="x")
    )
    builder = (
        db.model(Everything)
        .key({"id": "e1"})
        .update()
        .set("text", "paid")
        .add("count", 2)
        .remove("nothing")
        .delete("names", {"b"})
        .append("items", [3])
        .prepend("items", [1])
        .append("addresses", [Address("New")])
        .set_if_not_exists("amounts", {Decimal("1.5")})  # an empty set is stored as NULL
        .set_if_not_exists("day", dt.date(2024, 5, 6))  # None is stored as NULL: kept
        .set("labels.status", "reserved")  # labels exists (empty map)
        .condition("text", "=", "hello")
        .returning("ALL_NEW")
    )
    rec.take()
    request = builder.request()
    assert rec.take() == []  # request() sends nothing
    assert request["ReturnValues"] == "ALL_NEW"
    updated = await builder.execute()
    assert updated is not None
    assert (updated.text, updated.count, updated.nothing) == ("paid", 3, None)
    assert (updated.names, updated.items) == ({"a"}, [1, 2, 3])
    assert updated.addresses == [Address("New")]
    assert (updated.amounts, updated.day) == (set(), None)  # both kept
    assert updated.labels == {"status": "reserved"}
    assert await db.get(Everything, {"id": "e1"}) == updated
    with pytest.raises(ConditionFailed) as info:
        await builder.execute()
    if server_kind == "moto":  # dynalite ignores ReturnValuesOnConditionCheckFailure
        assert isinstance(info.value.item, Everything)
        assert info.value.item.text == "paid"
    changed = await (
        db.model(Everything)
        .key({"id": "e1"})
        .update()
        .set("count", 9)
        .returning("ALL_OLD")
        .execute()
    )
    assert changed is not None and (changed.count, changed.text) == (3, "paid")


async def test_update_builder_lifecycle_existence_and_upsert(db: DB) -> None:
    created = await db.create(Payment(id="p", amount=Decimal(1), customer_id="c"))
    assert created.version == 0
    await db.model(Payment).key({"id": "p"}).update().set("status", Status.PAID).execute()
    stored = await db.get(Payment, {"id": "p"}, consistent=True)
    assert (stored.status, stored.version) == (Status.PAID, 1)
    assert stored.updated_at is not None and created.updated_at is not None
    assert stored.updated_at > created.updated_at
    missing = db.model(Payment).key({"id": "nope"}).update().set("amount", Decimal(2))
    with pytest.raises(ConditionFailed):
        await missing.execute()
    assert await db.find(Payment, {"id": "nope"}) is None
    made = await missing.set("customer_id", "c").upsert().returning("ALL_NEW").execute()
    assert made is not None and made.created_at is not None and made.amount == Decimal(2)
    with pytest.raises(ValidationError, match="key"):
        db.model(Payment).where("customer_id", "=", "c").update()
    with pytest.raises(ValidationError, match="key field"):
        db.model(Payment).key({"id": "p"}).update().set("id", "q").request()


async def test_condition_on_put_update_delete_create(db: DB) -> None:
    p = await db.create(Payment(id="p", amount=Decimal(5), customer_id="c"))
    with pytest.raises(ConditionFailed):
        await db.put(p, condition=cond("status", "=", Status.PAID))
    assert p.version == 0
    await db.put(p, condition=cond("status", "=", Status.PENDING) & ~cond("note", "exists"))
    assert p.version == 1
    p.amount = Decimal(6)
    with pytest.raises(ConditionFailed):
        await db.update(p, fields=["amount"], condition=cond("amount", ">", 100))
    await db.update(p, fields=["amount"], condition=cond("amount", "<", 100))
    with pytest.raises(ConditionFailed):
        await db.delete(Payment, {"id": "p"}, condition=cond("status", "=", Status.PAID))
    with pytest.raises(ConditionFailed):
        await db.create(
            Payment(id="p", amount=Decimal(1), customer_id="c"),
            condition=cond("amount", "=", 1),
        )
    await db.delete(p, condition=cond("status", "=", Status.PAID) | cond("amount", "=", 6))
    assert await db.find(Payment, {"id": "p"}) is None


# -- paging ----------------------------------------------------------------------------------


async def test_count_sums_pages_and_limit_stops_paging(rec: Recorded) -> None:
    db = rec.db
    await seed_orders(db)
    rec.take()
    query = db.model(Order).where("customer", "=", "c")
    assert await query.page_size(3).count() == 10
    counts = rec.params("Query")
    assert [(p["Select"], p["Limit"]) for p in counts] == [("COUNT", 3)] * 4
    rec.take()
    assert await query.filter("state", "=", "open").count() == 5
    assert await query.limit(4).count() == 4
    assert rec.take() == ["Query", "Query"]
    limited = await query.page_size(3).limit(7).all()
    assert [o.order_id for o in limited] == [f"o{n:02}" for n in range(7)]
    assert [p["Limit"] for p in rec.params("Query")] == [3, 3, 1]
    rec.take()
    first = await query.filter("state", "=", "open").first()
    assert first.order_id == "o01"
    assert rec.params("Query")[0]["Limit"] == db.config.page_size


async def test_cursor_round_trip_and_mismatch(rec: Recorded) -> None:
    db = rec.db
    await seed_orders(db)
    query = db.model(Order).where("customer", "=", "c")
    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        page = await query.page(size=4, cursor=cursor)
        seen.extend(o.order_id for o in page.items)
        sizes.append(len(page.items))
        if not page.has_more:
            assert page.cursor is None
            break
        cursor = page.cursor
    assert sizes[:2] == [4, 4] and sum(sizes) == 10
    assert seen == [f"o{n:02}" for n in range(10)]
    first = await query.page(size=3)
    assert first.cursor is not None
    decoded = Cursor.decode(first.cursor)
    assert decoded.last_key == {"customer": {"S": "c"}, "orderId": {"S": "o02"}}
    assert (decoded.index, decoded.sort) == (None, "ASC")
    # A token another DynamORM service wrote for the same position works the same way.
    theirs = Cursor(last_key=decoded.last_key, sort="ASC").encode()
    assert [o.order_id for o in (await query.page(size=2, cursor=theirs)).items] == ["o03", "o04"]
    with pytest.raises(ValidationError, match="DESC"):
        await query.order("desc").page(cursor=first.cursor)
    by_total = await query.where("total", ">", Decimal(0)).page(size=3)
    assert by_total.cursor is not None and Cursor.decode(by_total.cursor).index == "by-total"
    with pytest.raises(ValidationError, match="index 'by-total'"):
        await query.page(cursor=by_total.cursor)
    with pytest.raises(ValidationError, match="invalid cursor"):
        await query.page(cursor="garbage!")


async def test_stream_stops_fetching_when_the_consumer_breaks(rec: Recorded) -> None:
    db = rec.db
    await seed_orders(db)
    rec.take()
    got = []
    async with db.model(Order).where("customer", "=", "c").page_size(2).stream() as orders:
        async for order in orders:
            got.append(order.order_id)
            if len(got) == 3:
                break
    assert got == ["o00", "o01", "o02"]
    assert rec.take() == ["Query", "Query"]
    await asyncio.sleep(0.05)
    assert rec.take() == []


async def test_parallel_scan_merges_and_ends_its_tasks_on_early_exit(rec: Recorded) -> None:
    db = rec.db
    await seed_orders(db, 40)
    rec.take()
    everything = await db.model(Order).scan(segments=4).page_size(3).all()
    assert sorted(o.order_id for o in everything) == [f"o{n:02}" for n in range(40)]
    segments = {p["Segment"] for p in rec.params("Scan")}
    assert segments == {0, 1, 2, 3}
    assert all(p["TotalSegments"] == 4 for p in rec.params("Scan"))
    rec.take()
    before = len(asyncio.all_tasks())
    taken = 0
    async with db.model(Order).scan(segments=4).page_size(2).stream() as orders:
        async for _ in orders:
            taken += 1
            if taken == 3:
                break
    assert len(asyncio.all_tasks()) == before
    sent = len(rec.take())
    assert sent <= 2 + 4  # the pages used, and at most one more per segment
    await asyncio.sleep(0.05)
    assert rec.take() == []
    assert await db.model(Order).scan(segments=3).count() == 40
    assert await db.model(Order).scan(segments=3).filter("state", "=", "open").count() == 20
