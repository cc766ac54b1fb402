"""Logging and the capacity meter stay out of the way until asked for.

Silent by default (a NullHandler, not Python's last-resort handler on stderr); no per-request
record is built while ``dynamorm_async.request`` is not enabled for DEBUG and no meter is
open; ``ReturnConsumedCapacity`` is asked for only inside ``measure_capacity()``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import BatchProgress, Capacity, measure_capacity
from dynamorm_async._instrument import CURRENT_CALL
from dynamorm_async.capacity import units
from dynamorm_async.testing import fake_db
from tests.models import Payment


def test_warnings_print_nothing_until_the_application_configures_logging() -> None:
    code = (
        "import logging, dynamorm_async\n"
        "logging.getLogger('dynamorm_async.retry').warning('gave up')\n"
        "logging.getLogger('elsewhere').warning('printed by the last resort')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr == "printed by the last resort\n"


@pytest.fixture
def request_log_off() -> Iterator[None]:
    logger = logging.getLogger("dynamorm_async.request")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


async def recording_call(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    # What the engine hands the transport: a Call record only when an observer is active.
    return {"Seen": CURRENT_CALL.get() is not None}


@pytest.mark.usefixtures("request_log_off")
async def test_no_record_is_built_while_logging_and_meters_are_off() -> None:
    db, _ = fake_db(recording_call, tracing=False)
    assert (await db.engine.call("GetItem", {"TableName": "t"}))["Seen"] is False
    with measure_capacity():
        assert (await db.engine.call("GetItem", {"TableName": "t"}))["Seen"] is True
    logging.getLogger("dynamorm_async.request").setLevel(logging.DEBUG)
    assert (await db.engine.call("GetItem", {"TableName": "t"}))["Seen"] is True


async def capacity(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    table = params.get("TableName", "payments")
    if operation == "GetItem":
        return {"ConsumedCapacity": {"TableName": table, "CapacityUnits": 0.5}}
    if operation == "TransactWriteItems":
        return {
            "ConsumedCapacity": [
                {"TableName": "a", "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0},
                {"TableName": "b", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
            ]
        }
    return {}


async def test_capacity_is_asked_for_only_inside_a_meter_and_summed_exactly() -> None:
    db, transport = fake_db(capacity)
    await db.find(Payment, {"id": "p"})
    with measure_capacity() as outer:
        await db.find(Payment, {"id": "p"})
        with measure_capacity() as inner:
            await db.find(Payment, {"id": "p"})
            await db.engine.call("TransactWriteItems", {"TransactItems": []})
            await db.engine.call("DescribeTable", {"TableName": "payments"})
    await db.find(Payment, {"id": "p"})

    asked = [params.get("ReturnConsumedCapacity") for _, params in transport.requests]
    assert asked == [None, "TOTAL", "TOTAL", "TOTAL", None, None]
    table = db.table_name(Payment)
    assert inner.tables == {
        table: Capacity(read=Decimal("0.5")),
        "a": Capacity(write=Decimal(4)),
        "b": Capacity(write=Decimal(2)),
    }
    assert inner.requests == 2 and outer.requests == 3
    assert outer.tables[table] == Capacity(read=Decimal("1.0"))
    assert outer.total == Capacity(read=Decimal(1), write=Decimal(6))
    assert outer.total.total == Decimal(7)


def test_units_split_reads_and_writes_by_operation_unless_dynamodb_splits_them() -> None:
    assert units("Query", {"CapacityUnits": 2.5}) == Capacity(read=Decimal("2.5"))
    assert units("UpdateItem", {"CapacityUnits": 1.0}) == Capacity(write=Decimal(1))
    split = {"CapacityUnits": 3.0, "ReadCapacityUnits": 1.0, "WriteCapacityUnits": 2.0}
    assert units("TransactWriteItems", split) == Capacity(read=Decimal(1), write=Decimal(2))
    # Floats from the wire become their shortest exact decimal, never binary noise.
    assert units("Scan", {"CapacityUnits": 0.1}).read == Decimal("0.1")


def test_progress_left_is_what_is_not_done() -> None:
    progress = BatchProgress(operation="BatchWriteItem", total=60, done=25, retried=3, requests=2)
    assert progress.left == 35
