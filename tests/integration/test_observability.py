"""Logging, batch progress and consumed capacity over the real wire (and the fault proxy).

Every record the ``dynamorm_async`` loggers write is checked for what it must never hold:
the items' values (marked ``pii-``), key values unless ``Config(log_keys=True)`` asks (and
then masked), and the credentials (a fake secret key that the server accepts).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    DB,
    BatchProgress,
    BatchWriteError,
    ConditionFailed,
    Config,
    Credentials,
    Throttled,
    TransactionCanceled,
    cond,
    measure_capacity,
)
from dynamorm_async.errors import values_in_errors
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Payment

pytestmark = pytest.mark.usefixtures("tables")

ACCESS_KEY = "AKIAOBSERVE0TESTKEY1"
SECRET = "fake-secret-Qz8wLp3vXk"
PII = ("pii-jane-doe-4471", "pii-key-0042", "pii-customer-77", "9876.54")
SECRETS = (ACCESS_KEY, SECRET)

TRANSPORTS = pytest.mark.parametrize("transport", ["direct", "botocore"])


def traced(config: Config, transport: str, **changes: Any) -> Config:
    """``config`` with the fake credentials, the transport, quick retries and ``changes``."""
    return attrs.evolve(
        config,
        credentials=Credentials(access_key_id=ACCESS_KEY, secret_access_key=SECRET),
        transport=transport,
        **changes,
    )


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("dynamorm_async")]


def assert_clean(records: list[logging.LogRecord], *, also: tuple[str, ...] = ()) -> None:
    """No record's message, args or fields hold a marked value or a credential."""
    assert records
    for record in records:
        text = " ".join([record.getMessage(), repr(record.args), repr(vars(record))])
        for forbidden in (*PII, *SECRETS, *also):
            assert forbidden not in text, (forbidden, record.getMessage())


def payment(key: str = "pii-key-0042") -> Payment:
    return Payment(
        id=key, amount=Decimal("9876.54"), customer_id="pii-customer-77", note="pii-jane-doe-4471"
    )


@TRANSPORTS
async def test_debug_records_one_per_request_without_values(
    config: Config, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dynamorm_async")
    async with DB(traced(config, transport)) as db:
        item = payment()
        await db.create(item)
        assert await db.find(Payment, {"id": item.id}) == item
        await db.model(Payment).where("customer_id", "=", item.customer_id).page()
        with pytest.raises(ConditionFailed):
            await db.put(item, condition=cond("note", "=", "pii-jane-doe-4471-not"))
        await db.batch_put([payment(f"pii-key-b{n}") for n in range(3)], unconditional=True)
        await db.delete(item)

    records = [r for r in ours(caplog) if r.name == "dynamorm_async.request"]
    # The put of a version-0 instance tries it as new, then with the version check: both fail.
    operations = [r.operation for r in records]  # type: ignore[attr-defined]
    assert operations == [
        "PutItem",
        "GetItem",
        "Query",
        "PutItem",
        "PutItem",
        "BatchWriteItem",
        "DeleteItem",
    ]
    table = db.table_name(Payment)
    for record in records:
        assert record.levelno == logging.DEBUG
        fields = vars(record)
        assert fields["table"] == table
        assert fields["attempts"] == 1
        assert fields["latency_ms"] > 0
        assert fields["request_id"]
        assert fields["request_id"] in record.getMessage()
    statuses = [r.status for r in records]  # type: ignore[attr-defined]
    failed = "ConditionalCheckFailedException"
    assert statuses == ["ok", "ok", "ok", failed, failed, "ok", "ok"]
    assert "key" not in vars(records[1])  # keys only when asked
    assert_clean(ours(caplog))


async def test_keys_only_when_asked_and_masked(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dynamorm_async.request")
    async with DB(traced(config, "direct", log_keys=True)) as db:
        await db.find(Payment, {"id": "pii-key-0042"})
        with values_in_errors():
            await db.find(Payment, {"id": "pii-key-0042"})
    masked, shown = ours(caplog)
    assert masked.key == "{id=<S of 12 chars>}"  # type: ignore[attr-defined]
    assert_clean([masked])
    assert "pii-key-0042" in shown.key  # type: ignore[attr-defined]  # values_in_errors() asks


@TRANSPORTS
async def test_throttling_retries_at_info_and_the_give_up_at_warning(
    config: Config, transport: str, fault_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    fault_proxy.faults["PutItem"] = Faults(throttle=1.0)
    caplog.set_level(logging.DEBUG, logger="dynamorm_async")
    # Legacy mode: 50 and 100 ms waits, and no retry quota to blur the count.
    changes = {"retry_mode": "legacy", "max_retries": 2}
    async with DB(through(traced(config, transport), fault_proxy, **changes)) as db:
        with pytest.raises(Throttled):
            await db.create(payment())

    records = ours(caplog)
    retries = [r for r in records if r.name == "dynamorm_async.retry"]
    assert [(r.levelno, r.attempt) for r in retries] == [  # type: ignore[attr-defined]
        (logging.INFO, 1),
        (logging.INFO, 2),
        (logging.WARNING, 3),
    ]
    for record in retries:
        assert vars(record)["status"] == "ProvisionedThroughputExceededException"
        assert vars(record)["operation"] == "PutItem"
    assert all(vars(r)["throttled"] for r in retries[:2])
    assert "no attempts left" in retries[2].getMessage()
    (request,) = [r for r in records if r.name == "dynamorm_async.request"]
    assert vars(request)["attempts"] == 3 and vars(request)["throttles"] == 3
    assert_clean(records)


async def test_batch_resends_at_info_and_what_is_left_at_warning(
    config: Config, fault_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    fault_proxy.faults["BatchWriteItem"] = Faults(partial=1.0, held_back=0.5)
    caplog.set_level(logging.INFO, logger="dynamorm_async")
    quick = {"batch_max_attempts": 2, "backoff_base": 0.001, "backoff_cap": 0.01}
    async with DB(through(traced(config, "direct"), fault_proxy, **quick)) as db:
        result = await db.batch_put(
            [payment(f"pii-key-{n}") for n in range(8)],
            unconditional=True,
            raise_on_unprocessed=False,
        )
    assert result.unprocessed  # half held back twice: some are left
    records = ours(caplog)
    resent = [r for r in records if r.name == "dynamorm_async.batch" and r.levelno == logging.INFO]
    assert [(vars(r)["attempt"], vars(r)["status"]) for r in resent] == [(2, "unprocessed")]
    (left,) = [r for r in records if r.levelno == logging.WARNING]
    assert (vars(left)["done"], vars(left)["left"]) == (result.written, len(result.unprocessed))
    assert_clean(records)


async def test_progress_reports_every_answer_until_all_is_written(
    config: Config, fault_proxy: FaultProxy
) -> None:
    fault_proxy.faults["BatchWriteItem"] = Faults(partial=0.5)
    events: list[BatchProgress] = []
    quick = {"batch_max_attempts": 10, "backoff_base": 0.001, "backoff_cap": 0.01}
    items = [payment(f"p-{n}") for n in range(60)]
    async with DB(through(config, fault_proxy, **quick)) as db:
        result = await db.batch_put(items, unconditional=True, progress=events.append)
        got = await db.batch_get(
            Payment, [{"id": p.id} for p in items[:30]], progress=events.append
        )

    writes = [e for e in events if e.operation == "BatchWriteItem"]
    assert result.written == 60 and len(writes) == result.requests
    assert [e.requests for e in writes] == list(range(1, len(writes) + 1))
    dones = [e.done for e in writes]
    assert dones == sorted(dones) and writes[-1].done == 60 and writes[-1].left == 0
    assert {e.total for e in writes} == {60}
    assert writes[-1].retried > 0  # the proxy held items back; they were resent
    (read,) = [e for e in events if e.operation == "BatchGetItem"]
    assert (read.total, read.done, read.left) == (30, 30, 0) and len(got) == 30


async def test_a_failing_progress_callback_stops_the_batch_and_loses_nothing(
    config: Config,
) -> None:
    class Stop(Exception):
        pass

    def stop_after_first(progress: BatchProgress) -> None:
        raise Stop(f"{progress.done} done")

    items = [payment(f"p-{n}") for n in range(60)]
    async with DB(attrs.evolve(config, batch_concurrency=1)) as db:
        with pytest.raises(BatchWriteError) as caught:
            await db.batch_put(items, unconditional=True, progress=stop_after_first)
    error = caught.value
    assert isinstance(error.__cause__, Stop)
    assert error.written == 25  # the first chunk was written before the callback raised
    assert len(error.unprocessed) == 35


async def test_capacity_meter_counts_single_operations_and_queries(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    async with DB(config) as db:
        table = db.table_name(Payment)
        item = payment()
        await db.create(item)  # outside: not counted
        with measure_capacity() as used:
            await db.find(Payment, {"id": item.id})  # eventually consistent: half a unit
            with measure_capacity() as inner:
                await db.put(item)
            page = await db.model(Payment).where("customer_id", "=", item.customer_id).page()
            await db.delete(item)
        await db.create(payment("after"))  # after: not counted

    assert page.items == [item]  # pages keep their type
    assert inner.requests == 1 and inner.tables == {table: inner.total}
    assert inner.total.write == 1 and inner.total.read == 0
    assert used.requests == 4 and list(used.tables) == [table]
    assert used.total.write == 2  # the put and the delete of a small item
    assert used.total.read > Decimal("0.5")  # the get's half unit and the query's


@pytest.mark.needs_transactions
async def test_transaction_conflicts_retried_at_info_and_the_give_up_at_warning(
    config: Config, fault_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    fault_proxy.faults["TransactWriteItems"] = Faults(conflicts=100)
    caplog.set_level(logging.INFO, logger="dynamorm_async")
    changes = {"transaction_max_attempts": 2, "backoff_base": 0.001, "backoff_cap": 0.001}
    async with DB(through(traced(config, "direct"), fault_proxy, **changes)) as db:
        tx = db.transaction()
        tx.put(payment())
        with pytest.raises(TransactionCanceled):
            await tx.commit()
    records = [r for r in ours(caplog) if r.name == "dynamorm_async.retry"]
    assert [(r.levelno, vars(r)["attempt"]) for r in records] == [
        (logging.INFO, 1),
        (logging.WARNING, 2),
    ]
    assert {vars(r)["table"] for r in records} == {db.table_name(Payment)}
    assert_clean(records)
