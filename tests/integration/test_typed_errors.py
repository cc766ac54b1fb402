"""Only the library's typed errors escape: every fan-out path, and HTTP timeouts.

Each concurrent path (a query's count, a parallel scan, batch writes and reads, a
transaction) meets a missing table over the wire and must raise ``TableNotFound`` itself,
never an ``ExceptionGroup``; cancellation passes through unchanged. A read timeout is a
``TimeoutError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import (
    DB,
    BatchGetError,
    BatchWriteError,
    Config,
    DynamORMError,
    RequestTimeout,
    TableNotFound,
    TransactionCanceled,
    TransportError,
    attr,
    pk,
    table,
)
from dynamorm_async.testing import FaultProxy, Faults, fake_db, through


@table("never-created")
@attrs.define
class Ghost:
    id: str = pk()
    amount: Decimal = attr(default=Decimal(0))


async def _count(db: DB) -> object:
    return await db.model(Ghost).scan().count()


async def _count_segments(db: DB) -> object:
    return await db.model(Ghost).scan(segments=3).count()


async def _count_keys(db: DB) -> object:
    return await db.model(Ghost).where("id", "in", ["a", "b"]).count()


async def _parallel_scan(db: DB) -> object:
    return await db.model(Ghost).scan(segments=3).all()


async def _batch_put(db: DB) -> object:
    return await db.batch_put([Ghost(id=f"g{i}") for i in range(30)])


async def _batch_get(db: DB) -> object:
    return await db.batch_get(Ghost, [{"id": f"g{i}"} for i in range(120)])


async def _transaction(db: DB) -> object:
    async with db.transaction() as tx:
        tx.put(Ghost(id="g1"))
        tx.put(Ghost(id="g2"))
    return None


async def _transact_get(db: DB) -> object:
    return await db.transact_get([(Ghost, {"id": "g1"}), (Ghost, {"id": "g2"})])


PATHS: dict[str, tuple[Callable[[DB], Awaitable[object]], tuple[type[Exception], ...]]] = {
    "count": (_count, (TableNotFound,)),
    "count with segments": (_count_segments, (TableNotFound,)),
    "count by keys": (_count_keys, (TableNotFound, BatchGetError)),
    "parallel scan": (_parallel_scan, (TableNotFound,)),
    "batch put": (_batch_put, (BatchWriteError,)),
    "batch get": (_batch_get, (TableNotFound, BatchGetError)),
    "transaction": (_transaction, (TableNotFound, TransactionCanceled)),
    "transact_get": (_transact_get, (TableNotFound, TransactionCanceled)),
}


@pytest.mark.parametrize("name", list(PATHS))
async def test_every_fan_out_raises_the_typed_error(db: DB, name: str, server_kind: str) -> None:
    run, expected = PATHS[name]
    if server_kind == "dynalite" and "trans" in name:
        pytest.skip("dynalite has no transactions")
    with pytest.raises(expected) as caught:
        await run(db)
    # Not wrapped: the error itself, with the cause the transport chained it from.
    assert not isinstance(caught.value, BaseExceptionGroup)
    error = caught.value
    if isinstance(error, BatchWriteError | BatchGetError):
        assert isinstance(error.__cause__, TableNotFound)


async def test_a_failing_segment_cancels_the_others_and_raises_its_own_error() -> None:
    release = anyio.Event()

    async def answer(operation: str, params: Any) -> dict[str, Any]:
        if params.get("Segment") == 1:
            raise TableNotFound("gone", operation=operation)
        await release.wait()  # the other segments would wait forever: they are cancelled
        return {"Count": 1}

    db, transport = fake_db(answer)
    async with db:
        with pytest.raises(TableNotFound):
            await db.model(Ghost).scan(segments=4).count()
    assert len(transport.requests) == 4
    assert transport.answered == 0


async def test_cancelling_a_fan_out_is_not_wrapped() -> None:
    started = anyio.Event()

    async def answer(operation: str, params: Any) -> dict[str, Any]:
        started.set()
        await anyio.Event().wait()
        return {}

    db, _ = fake_db(answer)
    async with db:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(_count_segments, db)
                await started.wait()
                scope.cancel()
        assert scope.cancelled_caught


async def test_a_read_timeout_is_a_timeout_error(config: Config, fault_proxy: FaultProxy) -> None:
    # The proxy holds every GetItem well past the client's read timeout.
    fault_proxy.faults["GetItem"] = Faults(delay=5.0)
    slow = through(config, fault_proxy, timeout=0.2, max_retries=0)
    async with DB(slow) as db:
        with pytest.raises(TimeoutError) as caught:
            await db.find(Ghost, {"id": "g1"})
    assert isinstance(caught.value, RequestTimeout)
    assert isinstance(caught.value, TransportError | DynamORMError)
    assert caught.value.operation == "GetItem"
