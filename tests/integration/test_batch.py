"""Batch writes and reads over HTTP, through the fault-injecting proxy where faults matter."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    DB,
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
    Config,
    DeadlineExceeded,
    TableNotFound,
    ValidationError,
    attr,
    pk,
    table,
)
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Order, Payment, PaymentAmount

pytestmark = pytest.mark.usefixtures("tables")


@table("nowhere")
@attrs.define
class Ghost:
    """A model whose table is never created."""

    id: str = pk()
    note: str = attr(default="")


def payments(count: int, start: int = 0) -> list[Payment]:
    return [
        Payment(id=f"p-{n:05d}", amount=Decimal(n) / 100, customer_id=f"c-{n % 7}")
        for n in range(start, start + count)
    ]


async def scan(client: Any, name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    async for page in client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
        items.extend(page["Items"])
    return items


async def stored_ids(client: Any, db: DB, model: type) -> list[str]:
    key = "id" if model is Payment else "orderId"
    return sorted(item[key]["S"] for item in await scan(client, db.table_name(model)))


def overlapping(a: Any, b: Any) -> bool:
    return a.started < b.ended and b.started < a.ended


async def test_sixty_items_make_three_concurrent_requests(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    # The gate holds each request until three are in the proxy at once: a client that sent
    # its chunks one after the other could never get there.
    fault_proxy.faults["BatchWriteItem"] = Faults(gate=3)
    items = payments(60)
    async with DB(through(config, fault_proxy)) as db:
        result = await db.batch_create(items)
    entries = fault_proxy.entries("BatchWriteItem")
    assert sorted(entry.sent for entry in entries) == [10, 25, 25]
    assert fault_proxy.peak("BatchWriteItem") == 3
    assert all(overlapping(a, b) for a, b in itertools.combinations(entries, 2))
    assert (result.written, result.requests, result.retries) == (60, 3, 0)
    assert result.unprocessed == []
    assert result.consumed_capacity  # reported per table
    assert await stored_ids(dynamodb_client, db, Payment) == [p.id for p in items]
    assert all(p.version == 0 and p.created_at == p.updated_at is not None for p in items)


@pytest.mark.parametrize("transport", ["direct", "botocore"])
async def test_a_request_over_a_mebibyte_is_sent_and_resent_whole(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any, transport: str
) -> None:
    # 25 items of 60 KB are one BatchWriteItem of 1.5 MB (DynamoDB takes up to 16 MB).
    # aiohttp warns of raw bodies over 1 MiB with a ResourceWarning, an error in suites
    # that turn warnings into errors, as this one does. The first answer is lost: the
    # transport sends the same body again.
    fault_proxy.lose_answers("BatchWriteItem")
    items = [attrs.evolve(p, note="n" * 60_000) for p in payments(25)]
    async with DB(through(config, fault_proxy, transport=transport)) as db:
        result = await db.batch_create(items)
        assert (result.written, result.requests) == (25, 1)
        assert await stored_ids(dynamodb_client, db, Payment) == [p.id for p in items]
    assert [e.fault for e in fault_proxy.entries("BatchWriteItem")] == ["reset-after", None]


async def test_concurrency_is_bounded(config: Config, fault_proxy: FaultProxy) -> None:
    async with DB(through(config, fault_proxy, batch_concurrency=2)) as db:
        await db.batch_create(payments(200))
        assert fault_proxy.peak("BatchWriteItem") <= 2
        await db.batch_delete(Payment, [{"id": p.id} for p in payments(200)], concurrency=1)
    assert len(fault_proxy.entries("BatchWriteItem")) == 16
    assert fault_proxy.peak("BatchWriteItem") <= 2


async def test_batch_get_keeps_input_order_and_reports_missing(
    db: DB, config: Config, fault_proxy: FaultProxy
) -> None:
    await db.batch_create(payments(200))
    keys = [{"id": f"p-{n:05d}"} for n in range(250)]  # 50 of them were never written
    random.Random(3).shuffle(keys)
    async with DB(through(config, fault_proxy)) as proxied:
        result = await proxied.batch_get(Payment, keys)
    assert sorted(entry.sent for entry in fault_proxy.entries("BatchGetItem")) == [50, 100, 100]
    existing = {f"p-{n:05d}" for n in range(200)}
    assert [p.id for p in result.items] == [k["id"] for k in keys if k["id"] in existing]
    assert result.missing == [k for k in keys if k["id"] not in existing]
    assert len(result) == 200 and list(result) == list(result.items)
    assert result.requests == 3 and result.unprocessed == []


async def test_batch_get_select_and_repeated_keys(db: DB) -> None:
    await db.batch_create(payments(3))
    keys = [{"id": "p-00002"}, {"id": "p-00000"}, {"id": "p-00002"}, {"id": "gone"}]
    result = await db.batch_get(Payment, keys, select=PaymentAmount, consistent=True)
    assert result.items == [
        PaymentAmount("p-00002", Decimal("0.02")),
        PaymentAmount("p-00000", Decimal(0)),
        PaymentAmount("p-00002", Decimal("0.02")),
    ]
    assert result.missing == [{"id": "gone"}]


async def test_unprocessed_items_and_keys_are_retried(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    fault_proxy.faults["BatchWriteItem"] = Faults(partial=0.3)
    fault_proxy.faults["BatchGetItem"] = Faults(partial=0.3)
    items = payments(300)
    async with DB(through(config, fault_proxy, backoff_base=0.001, backoff_cap=0.01)) as db:
        # The proxy draws one number per request, so the seed fixes the fault of the n-th
        # request. Seed 3 at 30 %: the first request is partial, and the first 18 requests
        # (12 chunks + one retry per partial answer) hold only 6 partial answers: fewer than
        # the 8 attempts a chunk would need to give up. Reseeded for each phase.
        fault_proxy.rng = random.Random(3)
        result = await db.batch_create(items)
        fault_proxy.rng = random.Random(3)
        got = await db.batch_get(Payment, [{"id": p.id} for p in items])
    partial_writes = [e for e in fault_proxy.entries("BatchWriteItem") if e.fault == "partial"]
    assert partial_writes and result.retries == len(partial_writes)
    assert result.written == 300 and result.requests == len(fault_proxy.entries("BatchWriteItem"))
    assert await stored_ids(dynamodb_client, db, Payment) == [p.id for p in items]
    assert [p.id for p in got.items] == [p.id for p in items] and got.retries > 0


async def test_throttling_and_server_errors_are_retried(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    fault_proxy.faults["BatchWriteItem"] = Faults(throttle=0.25, server_error=0.25)
    # max_retries=0: botocore does not retry, so every fault reaches the ORM's own retries.
    changes = {"max_retries": 0, "backoff_base": 0.001, "backoff_cap": 0.01}
    items = payments(250)
    # Seed 33: the first 12 requests (10 chunks + one retry per fault) hold one throttle and
    # one 500, far from the 8 faults in a row a chunk would need to give up.
    fault_proxy.rng = random.Random(33)
    async with DB(through(config, fault_proxy, **changes)) as db:
        result = await db.batch_create(items)
    faults = {e.fault for e in fault_proxy.entries("BatchWriteItem")}
    assert {"throttle", "500"} <= faults
    assert result.written == 250 and result.retries == 2
    assert await stored_ids(dynamodb_client, db, Payment) == [p.id for p in items]


async def test_retries_are_bounded(config: Config, fault_proxy: FaultProxy) -> None:
    # A server that leaves everything unprocessed, every time.
    fault_proxy.faults["BatchWriteItem"] = Faults(partial=1.0, held_back=1.0)
    fault_proxy.faults["BatchGetItem"] = Faults(partial=1.0, held_back=1.0)
    changes = {"batch_max_attempts": 3, "backoff_base": 0.001, "backoff_cap": 0.001}
    items = payments(60)
    async with DB(through(config, fault_proxy, **changes)) as db:
        with pytest.raises(BatchWriteError) as info:
            await db.batch_create(items)
        error = info.value
        assert not isinstance(error, DeadlineExceeded)
        assert error.written == 0
        assert [id(x) for x in error.unprocessed] == [id(p) for p in items]  # the same objects
        assert len(fault_proxy.entries("BatchWriteItem")) == 3 * 3  # chunks x attempts
        assert all(p.created_at is None for p in items)  # nothing confirmed, nothing stamped

        result = await db.batch_create(items, raise_on_unprocessed=False)
        assert result.written == 0 and len(result.unprocessed) == 60

        keys = [{"id": p.id} for p in items]
        with pytest.raises(BatchGetError) as get_info:
            await db.batch_get(Payment, keys)
        assert get_info.value.unprocessed == keys
        lenient = await db.batch_get(Payment, keys, raise_on_unprocessed=False)
        assert lenient.unprocessed == keys and not lenient.missing


async def test_connection_resets_lose_and_duplicate_nothing(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    # With the fixture's seed the first ten requests already meet both kinds of reset.
    fault_proxy.faults["BatchWriteItem"] = Faults(reset=0.3)
    changes = {"max_retries": 1, "backoff_base": 0.001, "backoff_cap": 0.01}
    items = payments(250)
    async with DB(through(config, fault_proxy, **changes)) as db:
        result = await db.batch_put(items, unconditional=True)
    assert {"reset-before", "reset-after"} <= {
        e.fault for e in fault_proxy.entries("BatchWriteItem")
    }
    assert result.written == 250
    stored = await scan(dynamodb_client, db.table_name(Payment))
    # A resent write carries the same encoded item: the version went up by exactly one.
    assert sorted(item["id"]["S"] for item in stored) == [p.id for p in items]
    assert {item["version"]["N"] for item in stored} == {"1"}
    assert {p.version for p in items} == {1}


async def test_two_writes_of_one_item_are_rejected_before_sending(
    config: Config, fault_proxy: FaultProxy
) -> None:
    async with DB(through(config, fault_proxy)) as db:
        first, second = payments(1) * 2
        with pytest.raises(ValidationError, match="same item twice"):
            await db.batch_create([*payments(30, start=1), first, second])
        with pytest.raises(ValidationError, match="same item twice"):
            await db.batch_write(
                puts=[Order(customer="c", order_id="o")],
                deletes=[(Order, {"customer": "c", "order_id": "o"})],
            )
    assert fault_proxy.log == []


async def test_versioned_models_need_an_explicit_choice(db: DB, dynamodb_client: Any) -> None:
    items = await db.batch_create(payments(3)) and payments(3)
    with pytest.raises(ValidationError, match="unconditional=True"):
        await db.batch_put(items)
    with pytest.raises(ValidationError, match="unconditional=True"):
        await db.batch_delete(items)
    for p in items:
        p.version = 7  # whatever is in memory: a batch cannot compare it with the table
    await db.batch_put(items, unconditional=True)
    stored = await scan(dynamodb_client, db.table_name(Payment))
    assert {item["version"]["N"] for item in stored} == {"8"}
    assert all(p.version == 8 and p.updated_at is not None for p in items)
    await db.batch_delete(items, unconditional=True)
    assert await scan(dynamodb_client, db.table_name(Payment)) == []


async def test_batch_write_across_tables_and_delete_forms(db: DB, dynamodb_client: Any) -> None:
    orders = [Order(customer="c", order_id=f"o{n}", total=Decimal(n)) for n in range(30)]
    result = await db.batch_write(puts=[*orders, *payments(5)], unconditional=True)
    assert result.written == 35 and set(result.consumed_capacity) == {
        db.table_name(Order),
        db.table_name(Payment),
    }
    await db.batch_write(
        deletes=[orders[0], (Order, {"customer": "c", "order_id": "o1"})],
        puts=[Order(customer="c", order_id="new")],
    )
    await db.batch_delete(Order, [{"customer": "c", "order_id": f"o{n}"} for n in range(2, 30)])
    assert await stored_ids(dynamodb_client, db, Order) == ["new"]
    assert len(await stored_ids(dynamodb_client, db, Payment)) == 5
    with pytest.raises(TypeError, match="model"):
        await db.batch_delete(orders[0], [{"customer": "c"}])  # type: ignore[call-overload]


async def test_a_hard_failure_reports_what_was_and_was_not_written(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    orders = [Order(customer="c", order_id=f"o{n:02d}") for n in range(30)]
    ghosts = [Ghost(id=f"g{n}") for n in range(30)]
    # Chunks: 25 orders | 5 orders + 20 ghosts | 10 ghosts. One at a time: the first is
    # written, the second fails (no table), the third is not sent.
    async with DB(through(config, fault_proxy)) as db:
        with pytest.raises(BatchWriteError) as info:
            await db.batch_put([*orders, *ghosts], concurrency=1)
    error = info.value
    assert isinstance(error.__cause__, TableNotFound)
    assert error.written == 25
    assert error.unprocessed == [*orders[25:], *ghosts]
    assert len(fault_proxy.entries("BatchWriteItem")) == 2
    assert await stored_ids(dynamodb_client, db, Order) == [o.order_id for o in orders[:25]]


async def test_chunks_in_flight_finish_after_a_hard_failure(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    fault_proxy.faults["BatchWriteItem"] = Faults(gate=3)
    orders = [Order(customer="c", order_id=f"o{n:02d}") for n in range(50)]
    ghosts = [Ghost(id=f"g{n}") for n in range(25)]
    async with DB(through(config, fault_proxy)) as db:
        with pytest.raises(BatchWriteError) as info:
            await db.batch_put([*orders, *ghosts])
    assert info.value.written == 50 and info.value.unprocessed == ghosts
    assert len(await stored_ids(dynamodb_client, db, Order)) == 50


async def test_deadline_mid_batch_reports_written_and_unwritten(
    config: Config, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    # Every request takes at least 0.2 s in the proxy and one is sent at a time, so a
    # 0.5 s deadline ends the batch of four chunks half-way, whatever the machine's speed.
    fault_proxy.faults["BatchWriteItem"] = Faults(delay=0.2)
    items = payments(100)
    async with DB(through(config, fault_proxy)) as db:
        view = db.with_deadline(0.5)
        with pytest.raises(BatchDeadlineExceeded) as info:
            await view.batch_create(items, concurrency=1)
    error = info.value
    assert isinstance(error, DeadlineExceeded) and isinstance(error, BatchWriteError)
    assert error.written < 100
    # Three disjoint groups: confirmed, not written, and the chunk cut in flight (unknown).
    assert error.written + len(error.unprocessed) + len(error.unknown) == 100
    assert len(error.unknown) == 25  # one chunk at a time: the one the deadline cut
    stored = set(await stored_ids(dynamodb_client, db, Payment))
    unprocessed = {p.id for p in error.unprocessed}
    unknown = {p.id for p in error.unknown}
    written = [p for p in items if p.id not in unprocessed | unknown]
    assert len(written) == error.written
    assert {p.id for p in written} <= stored  # what it says was written, was
    assert not unprocessed & stored  # what it says was not written, was not
    assert all(p.created_at is not None for p in written)
    assert all(p.created_at is None for p in error.unprocessed + error.unknown)
