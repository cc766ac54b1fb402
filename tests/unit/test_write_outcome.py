"""Telling a write's own stored result apart (planning.outcome), and deadline-cut writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import Config, DeadlineExceeded, WriteDeadlineExceeded, WriteOutcomeUnknown
from dynamorm_async.codec import Codec
from dynamorm_async.planning import outcome
from dynamorm_async.planning.writes import WritePlanner
from dynamorm_async.testing import fake_db
from dynamorm_async.updates import Changes
from tests.models import Order, Payment

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
CODEC = Codec()
PLANNER = WritePlanner(CODEC, Config(region="us-east-1"), now=NOW)


def payment(**changes: Any) -> Payment:
    return Payment(id="p-1", amount=Decimal(5), customer_id="c", tags={"a", "b"}, **changes)


def test_a_put_is_told_apart_by_its_whole_item_whatever_the_spelling() -> None:
    write = PLANNER.put(payment(version=2))
    whole, expected = outcome.expected_state(CODEC, write)
    assert whole and expected == write.body["Item"]
    stored = dict(write.body["Item"])
    stored["amount"] = {"N": "5.0"}  # DynamoDB's spelling of the same number
    stored["tags"] = {"SS": ["b", "a"]}  # a set in another order
    assert outcome.is_written_state(whole, expected, stored)
    assert not outcome.is_written_state(whole, expected, {**stored, "note": {"S": "x"}})
    assert not outcome.is_written_state(whole, expected, {**stored, "version": {"N": "2"}})
    assert not outcome.is_written_state(whole, expected, None)


def test_an_update_is_told_apart_by_its_version_timestamp_and_fields() -> None:
    item = payment(version=4, note="n")
    write = PLANNER.update(item, fields=["amount", "note"])
    whole, expected = outcome.expected_state(CODEC, write)
    assert not whole
    assert isinstance(expected, dict)
    assert set(expected) == {"amount", "note", "version", "updatedAt"}
    stored = {"id": {"S": "p-1"}, "customerId": {"S": "someone else's"}, **expected}
    assert outcome.is_written_state(whole, expected, stored)  # other fields do not matter
    assert not outcome.is_written_state(whole, expected, {**stored, "version": {"N": "6"}})
    # A field written as None was removed: present means it is not this write's result.
    item.note = None
    whole, expected = outcome.expected_state(CODEC, PLANNER.update(item, fields=["note"]))
    assert isinstance(expected, dict) and expected["note"] is None
    removed = {name: value for name, value in stored.items() if name != "note"}
    assert outcome.is_written_state(whole, expected, removed)
    assert not outcome.is_written_state(whole, expected, stored)


def test_an_update_of_every_field_leaves_keys_and_created_at_out() -> None:
    _, expected = outcome.expected_state(CODEC, PLANNER.update(payment()))
    assert isinstance(expected, dict)
    assert "id" not in expected and "createdAt" not in expected
    assert {"amount", "customerId", "status", "version", "updatedAt"} <= set(expected)


def test_an_update_by_key_is_told_apart_by_updated_at_only_when_it_sets_it() -> None:
    changes = Changes().add("amount", Decimal(-3))
    write = PLANNER.update_actions(Payment, {"id": "p-1"}, changes)
    _, expected = outcome.expected_state(CODEC, write)
    assert expected == {"updatedAt": CODEC.encode_field(Payment, "updated_at", NOW)}
    own = PLANNER.update_actions(Payment, {"id": "p-1"}, changes.set("updated_at", NOW))
    assert outcome.expected_state(CODEC, own) == (False, None)
    order = {"customer": "c", "order_id": "o"}
    no_stamp = PLANNER.update_actions(Order, order, Changes().add("total", 1))
    assert outcome.expected_state(CODEC, no_stamp) == (False, None)


def test_a_delete_left_no_item() -> None:
    write = PLANNER.delete(payment(version=1))
    whole, expected = outcome.expected_state(CODEC, write)
    assert expected is outcome.ABSENT
    assert outcome.is_written_state(whole, expected, None)
    assert not outcome.is_written_state(whole, expected, write.body["Key"])
    assert outcome.key_of(write) == {"id": {"S": "p-1"}}
    assert outcome.key_of(PLANNER.put(payment())) == {"id": {"S": "p-1"}}


async def test_a_write_the_deadline_cuts_in_the_transport_has_an_unknown_outcome() -> None:
    db, transport = fake_db(delay=5.0)
    with pytest.raises(WriteDeadlineExceeded) as cut:
        await db.with_deadline(0.2).put(payment())
    assert isinstance(cut.value, DeadlineExceeded) and transport.requests
    # A read cut the same way is a plain DeadlineExceeded: nothing to be unsure of.
    with pytest.raises(DeadlineExceeded) as read:
        await db.with_deadline(0.2).get(Payment, {"id": "p-1"})
    assert not isinstance(read.value, WriteOutcomeUnknown)


async def test_a_write_with_no_time_left_was_not_sent() -> None:
    db, transport = fake_db()
    late = db.with_deadline(0.0)
    with pytest.raises(DeadlineExceeded) as stopped:
        await late.put(payment())
    assert not isinstance(stopped.value, WriteOutcomeUnknown)
    assert transport.requests == []


def test_the_botocore_transport_knows_which_failed_attempts_were_never_sent() -> None:
    import aiohttp
    import botocore.exceptions as bce
    from aiohttp.client_reqrep import ConnectionKey

    from dynamorm_async.transport.aiobotocore import _never_sent

    key = ConnectionKey("127.0.0.1", 1, False, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    reset = aiohttp.ClientOSError(104, "Connection reset by peer")
    url = "http://127.0.0.1:1/"
    # aiobotocore raises EndpointConnectionError for both: only the cause tells.
    assert _never_sent(bce.EndpointConnectionError(endpoint_url=url, error=refused))
    assert not _never_sent(bce.EndpointConnectionError(endpoint_url=url, error=reset))
    assert _never_sent(bce.ConnectTimeoutError(endpoint_url=url, error=TimeoutError()))
    assert not _never_sent(bce.ReadTimeoutError(endpoint_url=url, error=TimeoutError()))
    assert not _never_sent(bce.ConnectionClosedError(endpoint_url=url, error=reset))
