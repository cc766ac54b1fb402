"""A write is never reported as not done when it may have been (issue 15, item 13).

The fault proxy forwards a write to the server and then resets the client's connection
instead of answering: the write landed, the client never heard so, and its transport
retries. The retry meets the state the first attempt left, so a version-checked write
fails its own check. These tests show the ORM tells that apart, on both transports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botocore.session import get_session as sync_session

from dynamorm_async import (
    DB,
    BatchDeadlineExceeded,
    ConditionFailed,
    Config,
    DeadlineExceeded,
    WriteDeadlineExceeded,
    WriteOutcomeUnknown,
    cond,
)
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Order, Payment

pytestmark = pytest.mark.usefixtures("tables")

TRANSPORTS = ["direct", "botocore"]


def _lossy(config: Config, proxy: FaultProxy, transport: str, **changes: Any) -> Config:
    # Standard mode retries the reset at once; adaptive would too, after its rate limiter.
    return through(config, proxy, transport=transport, retry_mode="standard", **changes)


def _forwarded_twice(proxy: FaultProxy, operation: str) -> None:
    entries = proxy.entries(operation)
    assert [entry.fault for entry in entries] == ["reset-after", None]
    assert all(entry.forwarded == 1 for entry in entries)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_debit_whose_answer_is_lost_is_applied_once(
    config: Config, db: DB, fault_proxy: FaultProxy, transport: str
) -> None:
    # The scenario: a debit of 30 from 100, version-checked; the UpdateItem lands,
    # its answer is lost, the retry fails its own version check. Before, ConditionFailed
    # ("nothing was written") sent the caller to the documented recovery (reload, debit
    # again, write again): 40 stored. Now the write is reported done, and it was, once.
    account = Payment(id="acct-1", amount=Decimal(100), customer_id="c")
    await db.create(account)
    fault_proxy.lose_answers("UpdateItem")
    async with DB(_lossy(config, fault_proxy, transport)) as lossy:
        account.amount -= 30
        try:
            await lossy.update(account, fields=["amount"])
        except ConditionFailed:  # the documented recovery of a failed version check
            account = await lossy.get(Payment, {"id": "acct-1"})
            account.amount -= 30
            await lossy.update(account, fields=["amount"])
    _forwarded_twice(fault_proxy, "UpdateItem")
    stored = await db.get(Payment, {"id": "acct-1"})
    assert stored.amount == Decimal(70)
    assert stored.version == account.version == 1
    assert stored.updated_at == account.updated_at


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_puts_creates_and_deletes_whose_answer_is_lost_are_reported_done(
    config: Config, db: DB, fault_proxy: FaultProxy, transport: str
) -> None:
    async with DB(_lossy(config, fault_proxy, transport)) as lossy:
        # create(if_not_exists): the retry finds the item the first attempt created.
        created = Payment(id="new-1", amount=Decimal(5), customer_id="c")
        fault_proxy.lose_answers("PutItem")
        await lossy.create(created, if_not_exists=True)
        # A put at version 0 is tried as a new item first; it exists (the lost answer said
        # so, unheard), the retry shows it is not ours, and the version-checked put follows.
        await db.create(Payment(id="put-1", amount=Decimal(1), customer_id="c"))
        changed = await db.get(Payment, {"id": "put-1"})
        changed.amount = Decimal(2)
        fault_proxy.lose_answers("PutItem")
        await lossy.put(changed)
        assert changed.version == 1
        # A version-checked delete: the retry finds no item.
        gone = await db.get(Payment, {"id": "new-1"})
        fault_proxy.lose_answers("DeleteItem")
        await lossy.delete(gone)
    put_faults = [entry.fault for entry in fault_proxy.entries("PutItem")]
    assert put_faults == ["reset-after", None, "reset-after", None, None]
    assert created.version == 0
    _forwarded_twice(fault_proxy, "DeleteItem")
    assert await db.find(Payment, {"id": "new-1"}) is None
    stored = await db.get(Payment, {"id": "put-1"})
    assert (stored.amount, stored.version) == (Decimal(2), 1)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_update_builder_whose_answer_is_lost_is_reported_done(
    config: Config, db: DB, fault_proxy: FaultProxy, transport: str
) -> None:
    await db.create(Payment(id="b-1", amount=Decimal(100), customer_id="c"))
    fault_proxy.lose_answers("UpdateItem")
    async with DB(_lossy(config, fault_proxy, transport)) as lossy:
        new = await (
            lossy.model(Payment)
            .key({"id": "b-1"})
            .update()
            .add("amount", Decimal(-30))
            .condition("version", "=", 0)
            .returning("ALL_NEW")
            .execute()
        )
    _forwarded_twice(fault_proxy, "UpdateItem")
    stored = await db.get(Payment, {"id": "b-1"})
    assert stored.amount == Decimal(70) and stored.version == 1
    assert new == stored


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_lost_answer_that_cannot_be_told_apart_is_an_unknown_outcome(
    config: Config, db: DB, fault_proxy: FaultProxy, transport: str
) -> None:
    # Order has no version and no updated_at: nothing in the stored item says whose write
    # it holds, so the outcome is unknown, never ConditionFailed.
    await db.put(Order(customer="c", order_id="o-1", total=Decimal(100)))
    fault_proxy.lose_answers("UpdateItem")
    async with DB(_lossy(config, fault_proxy, transport)) as lossy:
        debit = (
            lossy.model(Order)
            .key({"customer": "c", "order_id": "o-1"})
            .update()
            .add("total", Decimal(-80))
            .condition(cond("total", ">=", Decimal(80)))
        )
        with pytest.raises(WriteOutcomeUnknown) as unknown:
            await debit.execute()
    assert not isinstance(unknown.value, ConditionFailed)
    assert isinstance(unknown.value.__cause__, ConditionFailed)
    assert unknown.value.item == Order(customer="c", order_id="o-1", total=Decimal(20))
    stored = await db.get(Order, {"customer": "c", "order_id": "o-1"})
    assert stored.total == Decimal(20)  # applied once, and the caller knows to look


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_condition_failure_after_a_refused_attempt_stays_condition_failed(
    config: Config, db: DB, fault_proxy: FaultProxy, transport: str
) -> None:
    # A throttled attempt was refused (not applied): the retry's failed version check is the
    # truth, and a stale instance gets ConditionFailed as always.
    await db.create(Payment(id="stale-1", amount=Decimal(1), customer_id="c"))
    stale = await db.get(Payment, {"id": "stale-1"})
    await db.update(await db.get(Payment, {"id": "stale-1"}), fields=["amount"])

    def throttle_only_the_first(number: int) -> float:
        fault_proxy.faults["UpdateItem"] = Faults()  # for the requests after this one
        return 0.0

    fault_proxy.faults["UpdateItem"] = Faults(throttle=1.0, delay=throttle_only_the_first)
    async with DB(_lossy(config, fault_proxy, transport)) as lossy:
        with pytest.raises(ConditionFailed):
            await lossy.update(stale, fields=["amount"])
    assert [e.fault for e in fault_proxy.entries("UpdateItem")] == ["throttle", None]


async def test_a_lost_answer_then_another_writer_is_an_unknown_outcome(
    config: Config, db: DB, fault_proxy: FaultProxy, client_kwargs_sync: dict[str, Any]
) -> None:
    # Between the lost answer and the retry, another writer changes the item: the stored
    # item is not the one this call wrote, and it may or may not have been applied.
    await db.create(Payment(id="race-1", amount=Decimal(100), customer_id="c"))
    table = db.table_name(Payment)
    other = sync_session().create_client("dynamodb", **client_kwargs_sync)

    def other_writer_before_the_retry(number: int) -> float:
        if number == 2:  # the retry: another writer goes first (synchronously, directly)
            other.update_item(
                TableName=table,
                Key={"id": {"S": "race-1"}},
                UpdateExpression="SET #v = #v + :one, note = :n",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"S": "other"}},
            )
        return 0.0

    fault_proxy.faults["UpdateItem"] = Faults(delay=other_writer_before_the_retry)
    fault_proxy.lose_answers("UpdateItem")
    account = await db.get(Payment, {"id": "race-1"})
    account.amount -= 30
    async with DB(_lossy(config, fault_proxy, "direct")) as lossy:
        with pytest.raises(WriteOutcomeUnknown) as unknown:
            await lossy.update(account, fields=["amount"])
    assert unknown.value.item is not None and unknown.value.item.version == 2
    assert account.version == 0  # not confirmed: the instance is unchanged
    other.close()


async def test_a_write_the_deadline_cuts_after_sending_has_an_unknown_outcome(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # The proxy holds the request (a slow server); the deadline cuts it in flight.
    fault_proxy.faults["PutItem"] = Faults(delay=60.0)
    async with DB(through(config, fault_proxy)) as db:
        with pytest.raises(WriteDeadlineExceeded) as cut:
            await db.with_deadline(1.0).put(Payment(id="d-1", amount=Decimal(1), customer_id="c"))
    assert isinstance(cut.value, DeadlineExceeded) and isinstance(cut.value, WriteOutcomeUnknown)


async def test_batch_cut_by_the_deadline_reports_three_disjoint_groups(
    config: Config, db: DB, fault_proxy: FaultProxy, dynamodb_client: Any
) -> None:
    # 10 chunks of 25, two at a time, one request per chunk (no ORM retries). The first
    # chunk's answer is lost (the transport's retry finds part of it held back), the next
    # three are answered partially, later ones are held by the proxy until the deadline
    # cuts them; the rest are never sent.
    items = [Payment(id=f"bd-{n:03d}", amount=Decimal(n), customer_id="c") for n in range(250)]

    def slow_after_four(number: int) -> float:
        return 0.0 if number <= 5 else 60.0

    fault_proxy.faults["BatchWriteItem"] = Faults(partial=1.0, held_back=0.2, delay=slow_after_four)
    fault_proxy.lose_answers("BatchWriteItem")
    changes = {"batch_max_attempts": 1, "batch_concurrency": 2, "retry_mode": "standard"}
    async with DB(through(config, fault_proxy, **changes)) as proxied:
        with pytest.raises(BatchDeadlineExceeded) as cut:
            await proxied.with_deadline(3.0).batch_put(items, unconditional=True)
    error = cut.value
    stored = await _stored_ids(dynamodb_client, db.table_name(Payment))
    unprocessed = {p.id for p in error.unprocessed}
    unknown = {p.id for p in error.unknown}
    written = {p.id for p in items} - unprocessed - unknown
    assert len(written) == error.written == error.result.written
    assert not unprocessed & unknown
    assert written | unprocessed | unknown == {p.id for p in items}
    assert written <= stored  # confirmed means stored
    assert not unprocessed & stored  # "not written" means not stored
    assert stored <= written | unknown
    # Both kinds of unknown happened: a lost answer whose items were stored, and chunks the
    # deadline cut before the proxy forwarded them.
    assert unknown & stored and unknown - stored
    for p in items:
        assert p.version == (1 if p.id in written else 0)


async def _stored_ids(client: Any, table: str) -> set[str]:
    ids: set[str] = set()
    pages = client.get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True, ProjectionExpression="id"
    )
    async for page in pages:
        ids.update(raw["id"]["S"] for raw in page["Items"])
    return ids


@pytest.mark.needs_transactions
async def test_a_commit_whose_answer_is_lost_is_retried_with_its_token(
    config: Config, db: DB, fault_proxy: FaultProxy, server_kind: str, request: Any
) -> None:
    # DynamoDB applies a TransactWriteItems token at most once (for 10 minutes): the retry
    # of a commit whose answer was lost returns success without applying it again. moto
    # ignores ClientRequestToken and applies the retry anew, whose version check then fails.
    if server_kind == "moto":
        request.applymarker(
            pytest.mark.xfail(reason="moto ignores ClientRequestToken", strict=True)
        )
    await db.create(Payment(id="tx-1", amount=Decimal(100), customer_id="c"))
    fault_proxy.lose_answers("TransactWriteItems")
    account = await db.get(Payment, {"id": "tx-1"})
    account.amount -= 30
    async with DB(_lossy(config, fault_proxy, "direct")) as lossy, lossy.transaction() as tx:
        tx.update(account, fields=["amount"])
    entries = fault_proxy.entries("TransactWriteItems")
    assert [e.fault for e in entries] == ["reset-after", None]
    assert entries[0].token == entries[1].token == tx.token
    stored = await db.get(Payment, {"id": "tx-1"})
    assert (stored.amount, stored.version) == (Decimal(70), 1)


@pytest.fixture
def client_kwargs_sync(config: Config) -> dict[str, Any]:
    """Arguments for a synchronous botocore client straight to the server."""
    kwargs: dict[str, Any] = {"region_name": config.region, "endpoint_url": config.endpoint_url}
    if config.credentials is not None:
        kwargs["aws_access_key_id"] = config.credentials.access_key_id
        kwargs["aws_secret_access_key"] = config.credentials.secret_access_key
    return kwargs
