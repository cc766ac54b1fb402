"""End to end: writes through the DB, the table's stream read back, processed by process_stream.

On moto the records come from its DynamoDB Streams API (DescribeStream, GetShardIterator,
GetRecords) through ``dynamorm_async.testing.streams.StreamPoller``, shaped into the event
Lambda would send. dynalite has no streams API: there the records are built from the items
as the server stored them (read back with a raw client), in write order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import DB, TableOptions, ValidationError, attr, pk, sk, table
from dynamorm_async.aws_lambda.streams import StreamRecord, process_stream
from dynamorm_async.testing.streams import StreamPoller
from tests import streamevents


@table("stream-ledger", options=TableOptions(stream="NEW_AND_OLD_IMAGES"))
@attrs.define
class Ledger:
    account: str = pk()
    seq: int = sk()
    amount: Decimal = attr()
    tags: set[str] = attrs.field(factory=set)
    receipt: bytes = b"-"


@table("stream-nostream")
@attrs.define
class Plain:
    id: str = pk()


@pytest.fixture
async def ledger(db: DB) -> AsyncIterator[DB]:
    await db.create_table(Ledger)
    try:
        yield db
    finally:
        await db.delete_table(Ledger, missing_ok=True)


class Written:
    """What the test wrote, to build records from where the server has no streams API."""

    def __init__(self, db: DB, client: Any) -> None:
        self.db = db
        self.client = client
        self.records: list[dict[str, Any]] = []

    async def stored(self, key: dict[str, Any]) -> dict[str, Any] | None:
        response = await self.client.get_item(
            TableName=self.db.table_name(Ledger), Key=key, ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    async def write(self, entry: Ledger, *, delete: bool = False) -> None:
        key = self.db.codec.key_of(entry)
        old = await self.stored(key)
        if delete:
            await self.db.delete(entry)
        else:
            await self.db.put(entry)
        new = await self.stored(key)
        name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        self.records.append(
            streamevents.record(
                self.db.table_name(Ledger),
                name,
                key,
                sequence_number=f"{len(self.records) + 1:021d}",
                new=new,
                old=old,
            )
        )


async def test_records_of_real_writes_are_processed_in_partition_order(
    ledger: DB, dynamodb_client: Any, server_kind: str
) -> None:
    db = ledger
    written = Written(db, dynamodb_client)
    entries = {
        name: Ledger(account=name[0], seq=int(name[1]), amount=Decimal(f"{n}.01"), tags={name})
        for n, name in enumerate(["a1", "b1", "a2", "c1", "b2"], start=1)
    }
    for entry in entries.values():
        await written.write(entry)
    entries["a1"].amount = Decimal("100.10")
    entries["a1"].receipt = b"\x00\xff"
    await written.write(entries["a1"])  # MODIFY of a1
    await written.write(entries["c1"], delete=True)  # REMOVE of c1

    if server_kind == "dynalite":
        event = streamevents.event(written.records)
    else:
        poller = StreamPoller(db, Ledger)
        event = await poller.poll()
        assert (await poller.poll())["Records"] == []  # nothing new since
    assert [r["eventName"] for r in event["Records"]] == (["INSERT"] * 5 + ["MODIFY", "REMOVE"])

    handled: list[tuple[str, str]] = []

    async def handler(record: StreamRecord[Ledger]) -> None:
        name = f"{record.keys['account']}{record.keys['seq']}"
        handled.append((record.event_name, name))
        if record.event_name == "INSERT" and name == "b1":
            raise RuntimeError("b1 is refused")

    response = await process_stream(event, handler, db=db, models=Ledger, concurrency=4)
    sequence = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    # b1 failed: it and b2 (same partition, later) are retried; nothing else is.
    assert response == {"batchItemFailures": [{"itemIdentifier": sequence[i]} for i in (1, 4)]}
    assert ("INSERT", "b2") not in handled
    assert [h for h in handled if h[1][0] == "a"] == [
        ("INSERT", "a1"),
        ("INSERT", "a2"),
        ("MODIFY", "a1"),
    ]
    assert [h for h in handled if h[1][0] == "c"] == [("INSERT", "c1"), ("REMOVE", "c1")]


async def test_decoded_images_are_the_written_items(
    ledger: DB, dynamodb_client: Any, server_kind: str
) -> None:
    db = ledger
    written = Written(db, dynamodb_client)
    entry = Ledger(
        account="z",
        seq=1,
        amount=Decimal("0.000000000000000000000000000001"),
        tags={"x", "y"},
        receipt=b"\x01\x02",
    )
    await written.write(entry)
    changed = attrs.evolve(entry, amount=Decimal("2"), tags={"x"})
    await written.write(changed)
    if server_kind == "dynalite":
        event = streamevents.event(written.records)
    else:
        event = await StreamPoller(db, Ledger).poll()
    records: list[StreamRecord[Ledger]] = []

    async def handler(record: StreamRecord[Ledger]) -> None:
        records.append(record)

    assert await process_stream(event, handler, db=db, models=Ledger) == {"batchItemFailures": []}
    inserted, modified = records
    assert inserted.new == entry and inserted.old is None
    assert modified.old == entry and modified.new == changed
    assert list(modified.changes()) == ["amount", "tags"]
    assert inserted.approximate_creation_time.tzinfo is not None


@pytest.mark.needs_streams
async def test_the_poller_needs_a_table_with_a_stream(db: DB) -> None:
    await db.create_table(Plain)
    try:
        with pytest.raises(ValidationError, match="has no stream"):
            await StreamPoller(db, Plain).poll()
    finally:
        await db.delete_table(Plain)
