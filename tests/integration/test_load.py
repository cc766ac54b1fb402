"""Under load, over the loopback wire: a fair, bounded pool; batches at their concurrency;
a bundled server that loses no write.

Bounded in count (a few thousand requests in all) and measured as ratios within one run,
never against the clock.
"""

from __future__ import annotations

import collections
import json
import random
import statistics
import threading
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import attrs
import pytest

from dynamorm_async import DB, Config, PoolTimeout, TransactionCanceled, pk, table, version
from dynamorm_async.testing import FaultProxy, Faults, through


@table("load-accounts")
@attrs.define
class Account:
    id: str = pk()
    balance: int = 0
    version: int = version()


@pytest.fixture
async def accounts(config: Config) -> AsyncIterator[None]:
    """The accounts table, for one test."""
    async with DB(config) as db:
        await db.create_table(Account)
        try:
            yield
        finally:
            await db.delete_table(Account, missing_ok=True)


pytestmark = pytest.mark.usefixtures("accounts")


def pool_waits(lines: list[str]) -> dict[str, list[float]]:
    """Every request's PoolWait (ms) in the EMF documents written, per operation."""
    waits: dict[str, list[float]] = collections.defaultdict(list)
    for line in lines:
        document = json.loads(line)
        value = document.get("PoolWait")
        if value is not None:
            waits[document["Operation"]] += value if isinstance(value, list) else [value]
    return waits


async def test_child_tasks_wait_for_a_connection_as_long_as_plain_callers(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # 12 plain callers send GetItem one after another while a batch_get's chunk tasks send
    # BatchGetItem, 4 connections for both, every answer 10 ms late. At aiohttp's pool the
    # chunks waited ~2.5x longer (a caller that just got its answer took the connection
    # before a queued chunk woke up); first come, first served, both wait alike.
    delay = Faults(delay=0.01)
    fault_proxy.faults.update(GetItem=delay, BatchGetItem=delay)
    lines: list[str] = []
    settings = through(
        config, fault_proxy, max_pool_connections=4, batch_concurrency=4, metrics=True
    )
    async with DB(settings) as db:
        db.metrics.emit = lines.append
        done = anyio.Event()

        async def plain_caller(n: int) -> None:
            for _ in range(60):  # bounded even if the chunks starved
                if done.is_set():
                    return
                assert await db.find(Account, {"id": f"plain-{n}"}) is None

        async with anyio.create_task_group() as tg:
            for n in range(12):
                tg.start_soon(plain_caller, n)
            result = await db.batch_get(Account, [{"id": f"k-{n}"} for n in range(3000)])
            done.set()
        await db.metrics.flush()
    assert len(result.missing) == 3000
    waits = pool_waits(lines)
    plain, chunks = waits["GetItem"], waits["BatchGetItem"]
    assert len(chunks) == 30
    assert len(plain) > 30
    ratio = statistics.median(chunks) / statistics.median(plain)
    # The bar: child tasks wait no more than 1.2x what plain callers wait. (Below 1 is
    # not unfair to them: seen at 0.77 on dynalite through the botocore transport.)
    assert ratio <= 1.2, (ratio, statistics.median(chunks), statistics.median(plain))


async def test_a_wait_past_pool_timeout_is_a_typed_timeout_and_sends_nothing(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # The only connection is held by a request the proxy sits on; the next one gives up
    # after pool_timeout, unsent, as a TimeoutError naming its operation and table.
    arrived = threading.Event()

    def hold_the_first(number: int) -> float:
        arrived.set()
        return 30.0 if number == 1 else 0.0

    fault_proxy.faults["GetItem"] = Faults(delay=hold_the_first)
    lines: list[str] = []
    settings = through(
        config,
        fault_proxy,
        max_pool_connections=1,
        batch_concurrency=1,
        pool_timeout=0.05,
        metrics=True,
    )
    async with DB(settings) as db:
        db.metrics.emit = lines.append

        async def held() -> None:
            await db.find(Account, {"id": "held"})

        async with anyio.create_task_group() as tg:
            tg.start_soon(held)
            assert await anyio.to_thread.run_sync(arrived.wait, 10)  # it holds the connection
            with pytest.raises(PoolTimeout) as caught:
                await db.find(Account, {"id": "waits"})
            tg.cancel_scope.cancel()  # the held request: the proxy sees its client hang up
        documents = await db.metrics.flush()
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert (error.operation, error.table) == ("GetItem", db.table_name(Account))
    assert "pool_timeout=0.05 s" in str(error)
    assert fault_proxy.requests == 1  # the second request never reached the wire
    (get,) = [d for d in documents if d.get("Operation") == "GetItem"]
    assert get["Errors"] == 1
    assert "Latency" not in get  # no answer came, for either request
    assert pool_waits(lines)["GetItem"][0] > 0


async def test_batches_reach_their_configured_concurrency(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # With the default pool size and batch concurrency, as many chunks are in flight at once
    # as configured: the proxy holds each chunk until that many have arrived (a pool smaller
    # than the concurrency, as before, could never get them there).
    default = Config()
    assert (config.max_pool_connections, config.batch_concurrency) == (
        default.max_pool_connections,
        default.batch_concurrency,
    )
    chunks = config.batch_concurrency
    fault_proxy.faults["BatchWriteItem"] = Faults(gate=chunks)
    async with DB(through(config, fault_proxy)) as db:
        items = [Account(id=f"a-{n}") for n in range(25 * chunks)]
        result = await db.batch_put(items, unconditional=True)
    assert (result.written, result.requests) == (25 * chunks, chunks)
    assert fault_proxy.peak("BatchWriteItem") == chunks


@pytest.mark.needs_transactions
async def test_no_write_is_lost_under_500_concurrent_version_checked_transfers(
    config: Config,
) -> None:
    # 500 transfers between 4 accounts, as many in flight as the pool has connections: each
    # reads both accounts and commits both, each write checked against the version it read.
    # A transfer that meets a newer version is refused. Every committed one must show in
    # the balances and versions, exactly once; moto handling requests on concurrent threads
    # lost about 1 in 500.
    rng = random.Random(16)
    names = [f"acct-{n}" for n in range(4)]
    committed: collections.Counter[str] = collections.Counter()
    balance_change: collections.Counter[str] = collections.Counter()
    refused = 0
    async with DB(config) as db:
        for name in names:
            await db.create(Account(id=name, balance=1000))
        before = {a.id: a.version for a in await db.batch_get(Account, [{"id": n} for n in names])}
        limiter = anyio.CapacityLimiter(config.max_pool_connections)

        async def transfer(source: str, target: str) -> None:
            nonlocal refused
            async with limiter:
                debit, credit = await db.transact_get(
                    [(Account, {"id": source}), (Account, {"id": target})]
                )
                debit.balance -= 1
                credit.balance += 1
                try:
                    async with db.transaction() as tx:
                        tx.put(debit)
                        tx.put(credit)
                except TransactionCanceled:
                    refused += 1
                    return
            committed.update((source, target))
            balance_change.update({source: -1, target: 1})

        async with anyio.create_task_group() as tg:
            for _ in range(500):
                source, target = rng.sample(names, 2)
                tg.start_soon(transfer, source, target)
        after = {a.id: a for a in await db.batch_get(Account, [{"id": n} for n in names])}
    assert 0 < refused < 500
    for name in names:
        assert after[name].version - before[name] == committed[name], name
        assert after[name].balance == 1000 + balance_change[name], name
    assert sum(a.balance for a in after.values()) == 4000
