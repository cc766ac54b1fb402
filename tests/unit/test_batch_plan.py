"""Batch planning and the executor's edge cases, on a scripted transport (no network)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import pytest

from dynamorm_async import (
    AccessDenied,
    BatchDeadlineExceeded,
    BatchWriteError,
    EncodeError,
    Throttled,
    ValidationError,
    attr,
    pk,
    table,
)
from dynamorm_async.testing import fake_db
from tests.models import Order, Payment, PaymentAmount


@table("counters")
@attrs.define
class Counter:
    n: int = pk()
    label: str = attr(default="")


@table("orders")
@attrs.define
class OtherOrder:
    code: str = pk()


async def all_written(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"UnprocessedItems": {}}


async def test_requests_group_tables_and_ask_for_capacity() -> None:
    db, transport = fake_db(all_written)
    orders = [Order(customer="c", order_id=f"o{n}", total=Decimal(n)) for n in range(20)]
    await db.batch_write(
        puts=orders, deletes=[(Payment, {"id": f"p{n}"}) for n in range(6)], unconditional=True
    )
    sizes = [sum(map(len, p["RequestItems"].values())) for _, p in transport.requests]
    assert sizes == [25, 1]
    operation, first = transport.requests[0]
    assert operation == "BatchWriteItem" and first["ReturnConsumedCapacity"] == "TOTAL"
    assert first["RequestItems"]["orders"][0] == {
        "PutRequest": {"Item": db.codec.encode(orders[0])}
    }
    assert first["RequestItems"]["payments"][0] == {"DeleteRequest": {"Key": {"id": {"S": "p0"}}}}


async def test_unprocessed_numbers_match_by_value() -> None:
    calls = 0

    async def spelled_differently(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls > 1:
            return {}
        # DynamoDB may normalise the number it sends back: 1 comes back as "1.0".
        return {"UnprocessedItems": {"counters": [{"DeleteRequest": {"Key": {"n": {"N": "1.0"}}}}]}}

    db, transport = fake_db(spelled_differently, backoff_base=0.001, backoff_cap=0.001)
    result = await db.batch_delete(Counter, [{"n": 1}, {"n": 2}])
    assert (result.written, result.retries) == (2, 1)
    assert transport.requests[1][1]["RequestItems"] == {
        "counters": [{"DeleteRequest": {"Key": {"n": {"N": "1"}}}}]
    }


async def test_an_unknown_unprocessed_entry_resends_the_chunk() -> None:
    calls = 0

    async def confused(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls > 1:
            return {}
        return {"UnprocessedItems": {"counters": [{"DeleteRequest": {"Key": {"n": {"N": "9"}}}}]}}

    db, transport = fake_db(confused, backoff_base=0.001, backoff_cap=0.001)
    result = await db.batch_delete(Counter, [{"n": 1}, {"n": 2}])
    # Nothing was counted from the confusing answer: the whole chunk went again.
    assert result.written == 2 and len(transport.requests) == 2
    assert transport.requests[0][1] == transport.requests[1][1]


async def test_no_back_off_past_the_deadline() -> None:
    async def nothing_done(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"UnprocessedItems": dict(params["RequestItems"])}

    # Back-off waits up to 10**6 s: any draw but a one-in-16,000 one ends after a deadline a
    # minute away, so the batch stops after its first attempt instead of sleeping.
    db, transport = fake_db(nothing_done, backoff_base=10**6, backoff_cap=10**6)
    items = [Counter(n=n) for n in range(30)]
    with (
        anyio.fail_after(30),
        pytest.raises(BatchDeadlineExceeded, match="no time is left") as info,
    ):
        await db.with_deadline(60).batch_put(items)
    assert info.value.written == 0 and info.value.unprocessed == items
    assert len(transport.requests) == 2  # two chunks, one attempt each


async def test_outer_cancellation_is_not_turned_into_an_error() -> None:
    async def slow(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        await anyio.sleep(30)
        return {}

    db, transport = fake_db(slow)
    with anyio.move_on_after(0.05) as scope:
        await db.batch_create([Counter(n=n) for n in range(60)])
    assert scope.cancelled_caught
    assert len(transport.requests) == 3


async def test_hard_failure_keeps_the_cause() -> None:
    async def denied(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        raise AccessDenied("no", operation=operation)

    db, _ = fake_db(denied)
    with pytest.raises(BatchWriteError) as info:
        await db.batch_create([Counter(n=1)])
    assert isinstance(info.value.__cause__, AccessDenied)
    assert info.value.unprocessed == [Counter(n=1)] and info.value.written == 0


async def test_query_batch_get_retries_unprocessed_keys_then_gives_up() -> None:
    calls = 0

    async def half_then_rest(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        ((table_name, request),) = params["RequestItems"].items()
        keys = request["Keys"]
        if calls == 1:  # answer the first key, leave the others unprocessed
            items = [{**keys[0], "amount": {"N": "1"}, "customerId": {"S": "c"}}]
            return {
                "Responses": {table_name: items},
                "UnprocessedKeys": {table_name: {"Keys": keys[1:]}},
            }
        items = [{**k, "amount": {"N": "1"}, "customerId": {"S": "c"}} for k in keys]
        return {"Responses": {table_name: items}, "UnprocessedKeys": {}}

    db, _ = fake_db(half_then_rest, backoff_base=0.001)
    got = await db.model(Payment).where("id", "in", ["a", "b", "c"]).all()
    assert [p.id for p in got] == ["a", "b", "c"]
    assert calls == 2

    async def never(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Responses": {}, "UnprocessedKeys": params["RequestItems"]}

    db, transport = fake_db(never, backoff_base=0.001, batch_max_attempts=3)
    with pytest.raises(Throttled, match="3 attempts"):
        await db.model(Payment).where("id", "in", ["a", "b"]).all()
    assert len(transport.requests) == 3


async def test_items_are_encoded_chunk_by_chunk_and_a_bad_one_is_reported_exactly() -> None:
    db, transport = fake_db(all_written)
    orders = [Order(customer="c", order_id=f"o{n:02d}", total=Decimal(n)) for n in range(60)]
    orders[30].total = Decimal("NaN")  # its key is fine: only encoding the item finds this
    with pytest.raises(BatchWriteError) as info:
        await db.batch_put(orders, concurrency=1)
    # The first chunk was planned, sent and confirmed before the bad item was encoded;
    # its chunk and everything after it were never sent, and are reported.
    assert isinstance(info.value.__cause__, EncodeError)
    assert len(transport.requests) == 1
    assert info.value.written == 25 and info.value.unprocessed == orders[25:]


async def test_every_class_of_a_mixed_batch_is_checked_before_anything_is_sent() -> None:
    db, transport = fake_db(all_written)
    orders = [Order(customer="c", order_id=f"o{n:03d}") for n in range(60)]
    payment = Payment(id="p", amount=Decimal(1), customer_id="c")
    # A versioned model after many items of an unversioned one is still refused...
    with pytest.raises(ValidationError, match="unconditional=True"):
        await db.batch_put([*orders, payment])
    # ...and so is a second class of one table whose key disagrees with the first's.
    with pytest.raises(ValidationError, match="disagree on its key attributes"):
        await db.batch_put([*orders, OtherOrder(code="x")])
    assert transport.requests == []
    # Each class is checked once, but every item is still encoded and sent.
    await db.batch_put([*orders, payment, *[Counter(n) for n in range(3)]], unconditional=True)
    sent = [sum(map(len, p["RequestItems"].values())) for _, p in transport.requests]
    assert sorted(sent) == [14, 25, 25]


async def test_a_repeat_far_apart_is_found_before_anything_is_sent() -> None:
    db, transport = fake_db(all_written)
    orders = [Order(customer="c", order_id=f"o{n:03d}") for n in range(300)]
    with pytest.raises(ValidationError, match="writes 0 and 300"):
        await db.batch_write(puts=orders, deletes=[(Order, {"customer": "c", "order_id": "o000"})])
    assert transport.requests == []


async def test_at_most_concurrency_chunks_are_in_flight() -> None:
    in_flight = peak = 0

    async def slow(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return {}

    db, transport = fake_db(slow)
    result = await db.batch_create([Counter(n=n) for n in range(250)], concurrency=3)
    assert (result.written, len(transport.requests), peak) == (250, 10, 3)
    sent = [
        k["n"]["N"]
        for _, p in transport.requests
        for r in p["RequestItems"]["counters"]
        for k in [r["PutRequest"]["Item"]]
    ]
    assert sent == [str(n) for n in range(250)]  # chunks start in input order


async def test_a_query_by_keys_and_batch_get_send_the_same_request() -> None:
    async def nothing_found(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Responses": {}}

    db, transport = fake_db(nothing_found)
    ids = ["a", "b"]
    await db.model(Payment).where("id", "in", ids).select(PaymentAmount).all()
    result = await db.batch_get(Payment, [{"id": i} for i in ids], select=PaymentAmount)
    (_, by_query), (_, by_batch) = transport.requests
    assert by_query == by_batch
    # The key attributes are read too: without them an item cannot be matched to its key.
    entry = by_query["RequestItems"]["payments"]
    assert sorted(entry["ExpressionAttributeNames"].values()) == ["amount", "id"]
    assert result.missing == [{"id": "a"}, {"id": "b"}]
