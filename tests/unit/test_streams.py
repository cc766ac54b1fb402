"""Stream records decode into models; process_stream keeps partition order and reports failures.

The events are shaped as Lambda delivers them (tests/streamevents.py). Ordering is made
observable with events (anyio.Event), never with sleeps; the deadline case uses a DB view
with a short deadline and a handler that waits for an event nobody sets.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel
import attrs
import pytest

from dynamorm_async import (
    DB,
    DecodeError,
    StreamImageMissing,
    UnroutableRecord,
    ValidationError,
    attr,
    pk,
    sk,
    table,
)
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.aws_lambda.streams import (
    ChangedFields,
    StreamRecord,
    decode_stream,
    process_stream,
)
from dynamorm_async.testing import FakeLambdaContext, fake_db
from tests import streamevents
from tests.models import Everything, Payment, Status


@table("ledger")
@attrs.define
class Entry:
    account: str = pk()
    seq: int = sk()
    amount: Decimal = attr()


@pytest.fixture
def db() -> DB:
    return fake_db(table_prefix="test-")[0]


def payment_image(db: DB, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": "p-1", "amount": Decimal("10.50"), "customer_id": "c-1"}
    fields.update(changes)
    return db.codec.encode(Payment(**fields))


def payment_record(db: DB, event_name: str, seq: str, *, view_type: str, **kw: Any) -> Any:
    return streamevents.record(
        "test-payments",
        event_name,
        {"id": {"S": "p-1"}},
        sequence_number=seq,
        view_type=view_type,
        **kw,
    )


VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


@pytest.mark.parametrize("view_type", VIEW_TYPES)
def test_every_view_type_decodes_the_images_it_carries(db: DB, view_type: str) -> None:
    before = payment_image(db, status=Status.PENDING)
    after = payment_image(db, status=Status.PAID, version=1)
    event = streamevents.event(
        [
            payment_record(db, "INSERT", "100", view_type=view_type, new=before),
            payment_record(db, "MODIFY", "101", view_type=view_type, new=after, old=before),
            payment_record(db, "REMOVE", "102", view_type=view_type, old=after),
        ]
    )
    inserted, modified, removed = decode_stream(event, db=db, models=Payment)
    has_new = view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    has_old = view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert [r.event_name for r in (inserted, modified, removed)] == ["INSERT", "MODIFY", "REMOVE"]
    for r in (inserted, modified, removed):
        assert r.keys == {"id": "p-1"}
        assert r.view_type == view_type
        assert r.model is Payment and r.table == "test-payments"
    assert inserted.old is None and removed.new is None
    pending = Payment(id="p-1", amount=Decimal("10.50"), customer_id="c-1")
    paid = attrs.evolve(pending, status=Status.PAID, version=1)
    assert inserted.new == (pending if has_new else None)
    assert modified.new == (paid if has_new else None)
    assert modified.old == (pending if has_old else None)
    assert removed.old == (paid if has_old else None)
    assert [r.sequence_number for r in (inserted, modified, removed)] == ["100", "101", "102"]


def test_record_metadata_and_ttl_deletion(db: DB) -> None:
    image = payment_image(db)
    event = streamevents.event(
        [
            payment_record(db, "REMOVE", "7", view_type="OLD_IMAGE", old=image, ttl=True),
            payment_record(
                db, "REMOVE", "8", view_type="OLD_IMAGE", old=image, created=1718096400.5
            ),
        ]
    )
    expired, deleted = decode_stream(event, db=db, models=[Payment])
    assert expired.is_ttl_deletion and not deleted.is_ttl_deletion
    assert expired.new is None and expired.old is not None
    assert expired.approximate_creation_time == dt.datetime(2024, 6, 11, 9, 0, tzinfo=dt.UTC)
    assert deleted.approximate_creation_time == dt.datetime(
        2024, 6, 11, 9, 0, 0, 500000, tzinfo=dt.UTC
    )
    assert expired.size_bytes == event["Records"][0]["dynamodb"]["SizeBytes"] > 0
    assert expired.event_id == "event-7"
    assert expired.event_source_arn == streamevents.stream_arn("test-payments")


def test_binary_and_set_attributes_arrive_as_base64_json_and_decode_exactly(db: DB) -> None:
    item = Everything(
        id="e-1",
        blob=b"\x00\xffraw",
        blobs={b"\x01", b"\x02\x03"},
        names={"a", "b"},
        numbers={1, 2, 10**30},
        amounts={Decimal("0.1"), Decimal("99999999999999999999.99")},
        price=Decimal("12.345"),
    )
    encoded = db.codec.encode(item)
    raw = streamevents.record(
        "test-everything", "INSERT", {"id": {"S": "e-1"}}, sequence_number="1", new=encoded
    )
    assert isinstance(raw["dynamodb"]["NewImage"]["blob"]["B"], str)  # base64 text, as Lambda
    (decoded,) = decode_stream(streamevents.event([raw]), db=db, models=Everything)
    assert decoded.new == item


def test_records_route_by_table_with_the_config_prefix(db: DB) -> None:
    entry = Entry(account="a-1", seq=3, amount=Decimal("1"))
    event = streamevents.event(
        [
            payment_record(db, "INSERT", "1", view_type="NEW_IMAGE", new=payment_image(db)),
            streamevents.record(
                "test-ledger",
                "INSERT",
                db.codec.key_of(entry),
                sequence_number="2",
                new=db.codec.encode(entry),
            ),
        ]
    )
    first, second = decode_stream(event, db=db, models=[Payment, Entry])
    assert first.model is Payment and isinstance(first.new, Payment)
    assert (
        second.model is Entry
        and second.new == entry
        and second.keys == {"account": "a-1", "seq": 3}
    )


def test_a_record_of_an_unknown_table_is_an_error_naming_it(db: DB) -> None:
    event = streamevents.event(
        [
            payment_record(db, "INSERT", "1", view_type="KEYS_ONLY"),
            streamevents.record("payments", "INSERT", {"id": {"S": "x"}}, sequence_number="2"),
        ]
    )
    with pytest.raises(UnroutableRecord, match="no model for table payments") as caught:
        decode_stream(event, db=db, models=Payment)
    assert caught.value.table == "payments"  # the prefix-less table is another table


async def test_process_stream_raises_unroutable_before_running_anything(db: DB) -> None:
    seen: list[str] = []

    async def handler(record: StreamRecord[Payment]) -> None:
        seen.append(record.sequence_number)

    event = streamevents.event(
        [
            payment_record(db, "INSERT", "1", view_type="KEYS_ONLY"),
            streamevents.record("other", "INSERT", {"id": {"S": "x"}}, sequence_number="2"),
        ]
    )
    with pytest.raises(UnroutableRecord, match="other"):
        await process_stream(event, handler, db=db, models=Payment, concurrency=4)
    assert seen == []


def test_bad_events_and_arguments_are_typed_errors(db: DB) -> None:
    with pytest.raises(DecodeError, match="Records"):
        decode_stream({"detail": {}}, db=db, models=Payment)
    bad_arn = payment_record(db, "INSERT", "1", view_type="KEYS_ONLY")
    bad_arn["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:queue"
    with pytest.raises(DecodeError, match="not a DynamoDB stream ARN"):
        decode_stream(streamevents.event([bad_arn]), db=db, models=Payment)

    @table("payments")
    @attrs.define
    class Other:
        id: str = pk()

    with pytest.raises(
        ValidationError, match=r"stored in table test-payments: .* same discriminator"
    ):
        decode_stream(streamevents.event([]), db=db, models=[Payment, Other])


def test_changed_fields_of_a_modify(db: DB) -> None:
    before = payment_image(db, tags={"a"})
    after = payment_image(db, tags={"a", "b"}, status=Status.PAID, version=1)
    (modified,) = decode_stream(
        streamevents.event(
            [
                payment_record(
                    db, "MODIFY", "1", view_type="NEW_AND_OLD_IMAGES", new=after, old=before
                )
            ]
        ),
        db=db,
        models=Payment,
    )
    changes = modified.changes()
    assert isinstance(changes, ChangedFields)
    assert list(changes) == ["tags", "status", "version"]  # declaration order
    assert "status" in changes and "amount" not in changes and len(changes) == 3
    assert changes.before("status") is Status.PENDING and changes.after("status") is Status.PAID
    with pytest.raises(ValidationError, match="stauts"):
        _ = "stauts" in changes


def test_changes_need_both_images(db: DB) -> None:
    image = payment_image(db)
    inserted, modified = decode_stream(
        streamevents.event(
            [
                payment_record(db, "INSERT", "1", view_type="NEW_AND_OLD_IMAGES", new=image),
                payment_record(db, "MODIFY", "2", view_type="NEW_IMAGE", new=image, old=image),
            ]
        ),
        db=db,
        models=Payment,
    )
    with pytest.raises(StreamImageMissing, match="INSERT record 1 has no old image"):
        inserted.changes()
    with pytest.raises(StreamImageMissing, match="view type NEW_IMAGE"):
        modified.changes()


# -- process_stream ----------------------------------------------------------------------------


def ledger_event(db: DB, layout: str) -> dict[str, Any]:
    """Records in stream order; ``"a1 b1 a2"`` = account a's 1st, account b's 1st, a's 2nd."""
    records = []
    for n, name in enumerate(layout.split(), start=1):
        entry = Entry(account=name[0], seq=int(name[1:]), amount=Decimal(n))
        records.append(
            streamevents.record(
                "test-ledger",
                "INSERT",
                db.codec.key_of(entry),
                sequence_number=f"{n:03d}",
                new=db.codec.encode(entry),
            )
        )
    return streamevents.event(records)


def name_of(record: StreamRecord[Entry]) -> str:
    return f"{record.keys['account']}{record.keys['seq']}"


def failures_of(response: Any, event: dict[str, Any]) -> list[str]:
    """The failed records' names (account + seq), from the sequence numbers reported."""
    by_seq = {
        r["dynamodb"]["SequenceNumber"]: r["dynamodb"]["Keys"]["account"]["S"]
        + r["dynamodb"]["Keys"]["seq"]["N"]
        for r in event["Records"]
    }
    return [by_seq[f["itemIdentifier"]] for f in response["batchItemFailures"]]


LAYOUT = "a1 b1 a2 c1 b2 a3 c2 b3"


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_all_records_succeed_in_partition_order(db: DB, concurrency: int) -> None:
    event = ledger_event(db, LAYOUT)
    seen: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        await anyio.lowlevel.checkpoint()  # let other partitions interleave
        seen.append(name_of(record))

    response = await process_stream(event, handler, db=db, models=Entry, concurrency=concurrency)
    assert response == {"batchItemFailures": []}
    assert sorted(seen) == sorted(LAYOUT.split())
    for account in "abc":
        assert [s for s in seen if s[0] == account] == [f"{account}{i}" for i in (1, 2, 3)][
            : LAYOUT.count(account)
        ]


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_a_failure_fails_the_rest_of_its_partition_only(
    db: DB, concurrency: int, caplog: pytest.LogCaptureFixture
) -> None:
    event = ledger_event(db, LAYOUT)
    seen: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        seen.append(name_of(record))
        if name_of(record) == "a2":
            raise RuntimeError("a2 cannot be processed")

    with caplog.at_level(logging.ERROR, logger="dynamorm_async.aws_lambda.streams"):
        response = await process_stream(
            event, handler, db=db, models=Entry, concurrency=concurrency
        )
    assert failures_of(response, event) == ["a2", "a3"]
    assert "a3" not in seen  # never run after a2 failed
    assert sorted(seen) == ["a1", "a2", "b1", "b2", "b3", "c1", "c2"]
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert "a2 cannot be processed" in str(logged.exc_info[1])  # type: ignore[index]


async def test_a_slow_partition_does_not_hold_up_the_others_at_concurrency_16(db: DB) -> None:
    event = ledger_event(db, LAYOUT)
    others_done = anyio.Event()
    finished: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        name = name_of(record)
        if name == "a1":
            await others_done.wait()  # a1 is slow until b and c are through
        finished.append(name)
        if {"b1", "b2", "b3", "c1", "c2"} <= set(finished):
            others_done.set()

    response = await process_stream(event, handler, db=db, models=Entry, concurrency=16)
    assert response == {"batchItemFailures": []}
    assert finished.index("a1") > max(finished.index(n) for n in ("b3", "c2"))
    assert [n for n in finished if n[0] == "a"] == ["a1", "a2", "a3"]


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_a_slow_record_holds_up_the_batch_only_at_concurrency_1(
    db: DB, concurrency: int
) -> None:
    event = ledger_event(db, LAYOUT)
    a1_started, go = anyio.Event(), anyio.Event()
    finished: list[str] = []
    while_a1_waited: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        if name_of(record) == "a1":
            a1_started.set()
            await go.wait()
        finished.append(name_of(record))

    async def watch() -> None:
        await a1_started.wait()
        for _ in range(50):  # let every other runnable task run until it blocks or ends
            await anyio.lowlevel.checkpoint()
        while_a1_waited.extend(finished)
        go.set()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        response = await process_stream(
            event, handler, db=db, models=Entry, concurrency=concurrency
        )
    assert response == {"batchItemFailures": []}
    if concurrency == 1:
        assert while_a1_waited == []
    else:
        assert sorted(while_a1_waited) == ["b1", "b2", "b3", "c1", "c2"]
    assert [n for n in finished if n[0] == "a"] == ["a1", "a2", "a3"]


async def test_concurrency_1_runs_the_batch_in_stream_order_by_partition(db: DB) -> None:
    event = ledger_event(db, LAYOUT)
    finished: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        finished.append(name_of(record))

    await process_stream(event, handler, db=db, models=Entry, concurrency=1)
    # One worker: partitions one after the other, in the order they first appear.
    assert finished == ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2"]


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_at_the_deadline_unfinished_records_are_failures(db: DB, concurrency: int) -> None:
    event = ledger_event(db, LAYOUT)
    never = anyio.Event()
    finished: list[str] = []
    cancelled: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        name = name_of(record)
        if name == "b1":
            try:
                await never.wait()
            except anyio.get_cancelled_exc_class():
                cancelled.append(name)
                raise
        finished.append(name)

    response = await process_stream(
        event, handler, db=db.with_deadline(0.2), models=Entry, concurrency=concurrency
    )
    assert cancelled == ["b1"]
    if concurrency == 1:  # one worker: a, then b (stuck), so c never started
        assert finished == ["a1", "a2", "a3"]
        assert failures_of(response, event) == ["b1", "c1", "b2", "c2", "b3"]
    else:
        assert sorted(finished) == ["a1", "a2", "a3", "c1", "c2"]
        assert failures_of(response, event) == ["b1", "b2", "b3"]


async def test_the_lambda_adapter_deadline_is_honoured(db: DB) -> None:
    event = ledger_event(db, "a1 b1 a2")
    never = anyio.Event()

    async def handler(record: StreamRecord[Entry]) -> None:
        if name_of(record) == "a2":
            await never.wait()

    @lambda_handler(db=db, buffer=1.0)
    async def entry_point(event: Any, context: Any) -> Any:
        return await process_stream(event, handler, db=db, models=Entry, concurrency=4)

    response = await entry_point.invoke(event, FakeLambdaContext(timeout=1.25))
    assert failures_of(response, event) == ["a2"]


@pytest.mark.parametrize("concurrency", [1, 16])
async def test_a_record_that_does_not_decode_fails_with_its_partitions_later_records(
    db: DB, concurrency: int
) -> None:
    event = ledger_event(db, LAYOUT)
    event["Records"][2]["dynamodb"]["NewImage"]["amount"] = {"S": "not a number"}  # a2
    seen: list[str] = []

    async def handler(record: StreamRecord[Entry]) -> None:
        seen.append(name_of(record))

    response = await process_stream(event, handler, db=db, models=Entry, concurrency=concurrency)
    assert failures_of(response, event) == ["a2", "a3"]
    assert sorted(seen) == ["a1", "b1", "b2", "b3", "c1", "c2"]


def test_decode_failure_names_the_record_and_image(db: DB) -> None:
    event = ledger_event(db, "a1")
    event["Records"][0]["dynamodb"]["NewImage"]["amount"] = {"S": "x"}
    with pytest.raises(DecodeError, match=r"Records\[0\]\.dynamodb\.NewImage"):
        decode_stream(event, db=db, models=Entry)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
async def test_concurrency_must_be_a_positive_int(db: DB, bad: Any) -> None:
    handler: Callable[[StreamRecord[Entry]], Any] = lambda record: anyio.lowlevel.checkpoint()  # noqa: E731
    with pytest.raises(ValueError, match="concurrency"):
        await process_stream(ledger_event(db, "a1"), handler, db=db, models=Entry, concurrency=bad)
