"""Stream records of a shared table go to the model their discriminator names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import DB, UnroutableRecord, table, template
from dynamorm_async.aws_lambda.streams import StreamRecord, decode_stream, process_stream
from dynamorm_async.testing import fake_db
from tests import streamevents

AT = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


@table("app", pk=template("CUSTOMER#{id}"), sk=template("PROFILE"), discriminator="type")
class Customer:
    id: str
    name: str


@table(
    "app",
    pk=template("CUSTOMER#{customer_id}"),
    sk=template("ORDER#{placed_at}#{id}"),
    discriminator="type",
)
class Order:
    customer_id: str
    placed_at: dt.datetime
    id: str
    total: Decimal


@pytest.fixture
def db() -> DB:
    return fake_db(table_prefix="test-")[0]


def record(db: DB, item: object, seq: str, view_type: str = "NEW_IMAGE") -> dict[str, Any]:
    image = db.codec.encode(item)
    return streamevents.record(
        "test-app",
        "INSERT",
        db.codec.key_of(item),
        sequence_number=seq,
        new=image,
        view_type=view_type,
    )


def test_records_are_decoded_as_their_entity(db: DB) -> None:
    customer, order = Customer("c-1", "Ada"), Order("c-1", AT, "o-1", Decimal(5))
    event = streamevents.event([record(db, customer, "1"), record(db, order, "2")])
    records = decode_stream(event, db=db, models=[Customer, Order])
    assert [r.new for r in records] == [customer, order]
    assert [r.model for r in records] == [Customer, Order]
    # A templated key is given by the fields it is built from.
    assert records[1].keys == {"customer_id": "c-1", "placed_at": AT, "id": "o-1"}


def test_keys_only_records_are_routed_by_their_key_templates(db: DB) -> None:
    event = streamevents.event(
        [
            record(db, Order("c-1", AT, "o-1", Decimal(5)), "1", "KEYS_ONLY"),
            record(db, Customer("c-1", "Ada"), "2", "KEYS_ONLY"),
        ]
    )
    records = decode_stream(event, db=db, models=[Customer, Order])
    assert [r.model for r in records] == [Order, Customer]
    assert records[1].keys == {"id": "c-1"}


def test_an_unknown_entity_is_unroutable(db: DB) -> None:
    raw = record(db, Customer("c-1", "Ada"), "1")
    raw["dynamodb"]["NewImage"]["type"] = {"S": "Refund"}
    with pytest.raises(UnroutableRecord, match="names none of the models"):
        decode_stream(streamevents.event([raw]), db=db, models=[Customer, Order])


async def test_process_stream_hands_each_model_its_records(db: DB) -> None:
    seen: list[str] = []

    async def handler(rec: StreamRecord[Any]) -> None:
        seen.append(type(rec.new).__name__)

    event = streamevents.event(
        [
            record(db, Customer("c-1", "Ada"), "1"),
            record(db, Order("c-1", AT, "o", Decimal(1)), "2"),
        ]
    )
    response = await process_stream(event, handler, db=db, models=[Customer, Order])
    assert response == {"batchItemFailures": []}
    assert seen == ["Customer", "Order"]  # one partition: in stream order
