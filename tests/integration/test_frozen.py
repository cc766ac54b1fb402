"""Frozen models (``@attrs.frozen``) over the wire: never changed, the write returns the new one."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import attrs
import pytest

from dynamorm_async import DB, ConditionFailed, attr, created_at, pk, table, updated_at, version


@table("frozen-accounts")
@attrs.frozen
class Account:
    id: str = pk()
    balance: Decimal = attr(default=Decimal(0))
    created_at: dt.datetime | None = created_at()
    updated_at: dt.datetime | None = updated_at()
    version: int = version()


@pytest.fixture
async def accounts(db: DB) -> AsyncIterator[None]:
    await db.create_table(Account)
    try:
        yield
    finally:
        await db.delete_table(Account, missing_ok=True)


pytestmark = pytest.mark.usefixtures("accounts")

UNWRITTEN = (None, None, 0)


def lifecycle(account: Account) -> tuple[object, object, int]:
    return account.created_at, account.updated_at, account.version


async def test_single_writes_return_the_new_instance_and_leave_the_old_one(db: DB) -> None:
    original = Account(id="a-1", balance=Decimal(5))
    created = await db.create(original)
    assert lifecycle(original) == UNWRITTEN
    assert created is not original and created.version == 0 and created.created_at is not None

    richer = attrs.evolve(created, balance=Decimal(7))
    updated = await db.update(richer, fields=["balance"])
    assert lifecycle(richer) == lifecycle(created)
    assert updated.version == 1 and updated.balance == Decimal(7)

    put = await db.put(updated)
    assert updated.version == 1 and put.version == 2
    assert await db.get(Account, {"id": "a-1"}, consistent=True) == put

    # The old instance is still at version 1: it is stale, and stays as it was.
    with pytest.raises(ConditionFailed):
        await db.put(updated)
    assert updated.version == 1

    new = await db.put(Account(id="a-2"))
    assert new.version == 0 and new.created_at is not None


@pytest.mark.needs_transactions
async def test_a_transaction_gives_the_new_instances_back(db: DB) -> None:
    stored = await db.create(Account(id="a-1"))
    fresh = Account(id="a-2")
    async with db.transaction() as tx:
        tx.update(attrs.evolve(stored, balance=Decimal(3)), fields=["balance"])
        tx.create(fresh)
        tx.delete(Account, {"id": "gone"})
    assert lifecycle(fresh) == UNWRITTEN and stored.version == 0
    updated, created, deleted = tx.written
    assert (updated.version, updated.balance) == (1, Decimal(3))
    assert created.version == 0 and created.created_at is not None and deleted is None
    assert await db.get(Account, {"id": "a-2"}, consistent=True) == created


async def test_batches_leave_frozen_instances_as_they_were(db: DB) -> None:
    items = [Account(id=f"b-{n}") for n in range(3)]
    result = await db.batch_create(items)
    assert result.written == 3
    assert all(lifecycle(item) == UNWRITTEN for item in items)
    await db.batch_put(items, unconditional=True)
    assert all(lifecycle(item) == UNWRITTEN for item in items)
    stored = await db.get(Account, {"id": "b-0"}, consistent=True)
    assert stored.version == 1 and stored.created_at is not None
