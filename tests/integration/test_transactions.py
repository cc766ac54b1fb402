"""Transactions over HTTP: commit, cancellation reasons, limits, conflict retries, reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import (
    DB,
    Config,
    Transaction,
    TransactionCanceled,
    TransportError,
    ValidationError,
)
from dynamorm_async.conditions import cond
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Order, Payment, Status

pytestmark = [pytest.mark.usefixtures("tables"), pytest.mark.needs_transactions]


def payment(id: str, amount: str = "10.00", **kw: Any) -> Payment:
    return Payment(id=id, amount=Decimal(amount), customer_id="c-1", **kw)


async def raw(client: Any, db: DB, model: type, **key: Any) -> dict[str, Any] | None:
    response = await client.get_item(
        TableName=db.table_name(model), Key=db.codec.encode_key(model, key), ConsistentRead=True
    )
    item: dict[str, Any] | None = response.get("Item")
    return item


async def test_commit_applies_every_action_and_stamps_instances(
    db: DB, dynamodb_client: Any
) -> None:
    p1 = await db.create(payment("p-1"))
    await db.create(payment("p-3"))
    await db.put(Order(customer="c", order_id="old"))
    p1.amount = Decimal("11.00")
    p2 = payment("p-2")
    order = Order(customer="c", order_id="new", total=Decimal(5))
    async with db.transaction() as tx:
        tx.update(p1, fields=["amount"])
        tx.create(p2)
        tx.put(order)
        tx.delete(Order, {"customer": "c", "order_id": "old"})
        tx.condition_check(Payment, {"id": "p-3"}, condition=cond("amount", "=", Decimal(10)))
        assert len(tx) == 5
    assert tx.committed
    assert (p1.version, p2.version) == (1, 0)
    assert p2.created_at is not None and p2.created_at == p2.updated_at
    assert await db.get(Payment, {"id": "p-1"}, consistent=True) == p1
    assert await db.get(Payment, {"id": "p-2"}, consistent=True) == p2
    assert await db.find(Order, {"customer": "c", "order_id": "old"}, consistent=True) is None
    assert (await db.get(Order, {"customer": "c", "order_id": "new"})).total == Decimal(5)


async def test_nothing_is_sent_when_the_block_raises(
    db: DB, config: Config, fault_proxy: FaultProxy
) -> None:
    async def change_of_mind(proxied: DB) -> None:
        async with proxied.transaction() as tx:
            tx.put(Order(customer="c", order_id="o"))
            started.append(tx)
            raise RuntimeError("changed my mind")

    started: list[Transaction] = []
    async with DB(through(config, fault_proxy)) as proxied:
        with pytest.raises(RuntimeError, match="changed my mind"):
            await change_of_mind(proxied)
    [tx] = started
    assert fault_proxy.log == []
    assert not tx.committed
    with pytest.raises(ValidationError, match="abandoned"):
        tx.put(Order(customer="c", order_id="o2"))
    assert await db.find(Order, {"customer": "c", "order_id": "o"}) is None


async def test_cancellation_names_the_failed_action(db: DB, dynamodb_client: Any) -> None:
    existing = await db.create(payment("p-exists", amount="1.00"))
    stale = await db.get(Payment, {"id": "p-exists"})
    await db.update(existing, fields=["amount"])  # stored version 1; `stale` holds 0
    fresh = payment("p-new")
    before = await raw(dynamodb_client, db, Payment, id="p-exists")
    tx = db.transaction()
    tx.create(fresh)  # 0: fine on its own
    tx.put(Order(customer="c", order_id="o"))  # 1: fine on its own
    tx.update(stale, fields=["amount"])  # 2: stale version
    with pytest.raises(TransactionCanceled) as info:
        await tx.commit()
    error = info.value
    assert error.failed_index == 2
    assert [(r.index, r.code) for r in error.reasons] == [(2, "ConditionalCheckFailed")]
    # Key values are masked in messages (they are data): type and length only.
    assert "action 2 (update Payment {id=<str of 8 chars>})" in str(error)
    assert isinstance(error.reasons[0].item, Payment)  # decoded, as stored
    assert error.reasons[0].item.version == 1
    # Nothing happened: no new items, the stale target unchanged, instances unstamped.
    assert await raw(dynamodb_client, db, Payment, id="p-new") is None
    assert await raw(dynamodb_client, db, Order, customer="c", order_id="o") is None
    assert await raw(dynamodb_client, db, Payment, id="p-exists") == before
    assert (fresh.version, fresh.created_at, stale.version) == (0, None, 0)


async def test_create_and_condition_check_guards(db: DB) -> None:
    await db.create(payment("p-1", amount="3.00"))
    check = db.transaction()
    check.condition_check(Payment, {"id": "p-1"}, condition=cond("amount", ">", Decimal(5)))
    with pytest.raises(TransactionCanceled) as info:
        await check.commit()
    assert info.value.failed_index == 0
    create = db.transaction()
    create.put(Order(customer="c", order_id="o"))
    create.create(payment("p-1"))  # exists already
    with pytest.raises(TransactionCanceled) as info:
        await create.commit()
    assert info.value.failed_index == 1


async def test_update_actions_by_key(db: DB) -> None:
    p = await db.create(payment("p-1", tags={"a"}))
    async with db.transaction() as tx:
        tx.update(
            db.model(Payment)
            .key({"id": "p-1"})
            .update()
            .add("tags", {"b"})
            .set("note", "paid")
            .condition(cond("amount", "=", Decimal(10)))
        )
    stored = await db.get(Payment, {"id": "p-1"}, consistent=True)
    assert (stored.tags, stored.note, stored.version) == ({"a", "b"}, "paid", 1)
    assert stored.updated_at is not None and stored.updated_at > p.updated_at  # type: ignore[operator]
    assert stored.created_at == p.created_at
    missing = db.transaction()
    missing.update(db.model(Payment).key({"id": "missing"}).update().set("note", "x"))
    with pytest.raises(TransactionCanceled):
        await missing.commit()


async def test_update_builder_in_a_transaction(db: DB) -> None:
    p = await db.create(payment("p-1"))
    builder = db.model(Payment).key({"id": "p-1"}).update().set("status", Status.PAID)
    async with db.transaction() as tx:
        tx.update(builder.condition("status", "=", Status.PENDING))
        tx.put(Order(customer="c", order_id="o"))
    stored = await db.get(Payment, {"id": "p-1"}, consistent=True)
    assert (stored.status, stored.version) == (Status.PAID, p.version + 1)
    failing = db.transaction()
    failing.put(Order(customer="c", order_id="o2"))
    failing.update(builder.condition("status", "=", Status.PENDING))  # it is PAID now
    with pytest.raises(TransactionCanceled) as info:
        await failing.commit()
    assert info.value.failed_index == 1
    assert "action 1 (update Payment {id=<str of 3 chars>})" in str(info.value)
    with pytest.raises(ValidationError, match="returning"):
        db.transaction().update(builder.returning("ALL_NEW"))


async def test_actions_are_checked_when_added(db: DB) -> None:
    async with db.transaction() as tx:
        tx.put(Order(customer="c", order_id="o"))
        with pytest.raises(ValidationError, match="one item twice"):
            tx.delete(Order, {"customer": "c", "order_id": "o"})
        with pytest.raises(TypeError, match="model instance"):
            tx.update(Payment)
        builder = db.model(Payment).key({"id": "p-1"}).update().set("note", "x")
        with pytest.raises(TypeError, match="builder alone"):
            tx.update(builder, fields=["amount"])  # type: ignore[call-overload]
    assert await db.find(Order, {"customer": "c", "order_id": "o"}) is not None


async def test_the_100_action_limit(db: DB, config: Config, fault_proxy: FaultProxy) -> None:
    orders = [Order(customer="c", order_id=f"o{n:03d}") for n in range(101)]
    async with DB(through(config, fault_proxy)) as proxied:
        tx = proxied.transaction()
        for order in orders[:100]:
            tx.put(order)
        with pytest.raises(ValidationError, match="at most 100 actions"):
            tx.put(orders[100])
        assert fault_proxy.log == []  # the error came before anything was sent
        await tx.commit()
    [entry] = fault_proxy.entries("TransactWriteItems")
    assert entry.sent == 100
    found = await db.batch_get(Order, [{"customer": "c", "order_id": o.order_id} for o in orders])
    assert len(found.items) == 100 and found.missing == [{"customer": "c", "order_id": "o100"}]


async def test_conflicts_are_retried_with_the_same_token(
    db: DB, config: Config, fault_proxy: FaultProxy
) -> None:
    fault_proxy.faults["TransactWriteItems"] = Faults(conflicts=2)
    p = payment("p-1")
    async with (
        DB(through(config, fault_proxy, backoff_base=0.001, backoff_cap=0.01)) as proxied,
        proxied.transaction() as tx,
    ):
        tx.put(p)
        tx.put(Order(customer="c", order_id="o"))
    entries = fault_proxy.entries("TransactWriteItems")
    assert [e.fault for e in entries] == ["conflict", "conflict", None]
    assert {e.token for e in entries} == {tx.token}
    assert p.version == 1  # stamped once, after the commit
    assert (await db.get(Payment, {"id": "p-1"}, consistent=True)).version == 1


async def test_conflict_retries_are_bounded(config: Config, fault_proxy: FaultProxy) -> None:
    fault_proxy.faults["TransactWriteItems"] = Faults(conflicts=100)
    changes = {"transaction_max_attempts": 3, "backoff_base": 0.001, "backoff_cap": 0.001}
    async with DB(through(config, fault_proxy, **changes)) as proxied:
        tx = proxied.transaction()
        tx.put(Order(customer="c", order_id="o"))
        with pytest.raises(TransactionCanceled) as info:
            await tx.commit()
    assert [r.code for r in info.value.reasons] == ["TransactionConflict"]
    assert len(fault_proxy.entries("TransactWriteItems")) == 3


async def test_a_commit_with_unknown_outcome_can_be_sent_again(
    db: DB, config: Config, fault_proxy: FaultProxy
) -> None:
    fault_proxy.faults["TransactWriteItems"] = Faults(reset=1.0)
    changes = {"max_retries": 0, "transaction_max_attempts": 2, "backoff_base": 0.001}
    async with DB(through(config, fault_proxy, **changes)) as proxied:
        tx = proxied.transaction()
        tx.put(Order(customer="c", order_id="o", total=Decimal(3)))
        with pytest.raises(TransportError):
            await tx.commit()  # every answer lost: written or not, nobody knows
        assert not tx.committed
        with pytest.raises(ValidationError, match="unknown"):
            tx.put(Order(customer="c", order_id="other"))  # the request is fixed now
        fault_proxy.faults.clear()
        await tx.commit()  # the identical request, the same token
    assert tx.committed
    entries = fault_proxy.entries("TransactWriteItems")
    assert len(entries) == 3 and {e.token for e in entries} == {tx.token}
    assert (await db.get(Order, {"customer": "c", "order_id": "o"}, consistent=True)).total == 3
    with pytest.raises(ValidationError, match="committed"):
        await tx.commit()


async def test_transact_get_reads_in_order(db: DB) -> None:
    p = await db.create(payment("p-1"))
    order = await db.put(Order(customer="c", order_id="o"))
    got = await db.transact_get([(Payment, {"id": "missing"}), order, (Payment, {"id": "p-1"})])
    assert got == [None, order, p]
    assert await db.transact_get([]) == []
    with pytest.raises(ValidationError, match="at most 100"):
        await db.transact_get([(Payment, {"id": f"p{n}"}) for n in range(101)])
