"""Lifecycle values and guards, the one computation every write path uses (no network)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dynamorm_async import ValidationError
from dynamorm_async.codec import Codec
from dynamorm_async.expr import compile_request
from dynamorm_async.planning import lifecycle
from tests.models import Order, Payment

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=dt.UTC)
EARLIER = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def codec() -> Codec:
    return Codec()


def payment(**kw: object) -> Payment:
    return Payment(id="p-1", amount=Decimal(1), customer_id="c", **kw)  # type: ignore[arg-type]


def compiled(stamp: lifecycle.Stamp) -> dict[str, object]:
    assert stamp.condition is not None
    return compile_request(condition=stamp.condition)


def test_create_sets_version_zero_and_both_timestamps(codec: Codec) -> None:
    stamp = lifecycle.on_create(codec, payment(version=7), now=NOW)
    assert stamp.values == {"version": 0, "created_at": NOW, "updated_at": NOW}
    assert stamp.condition is None
    guarded = lifecycle.on_create(codec, payment(), now=NOW, if_not_exists=True)
    assert compiled(guarded)["ConditionExpression"] == "attribute_not_exists(#n0)"


def test_put_bumps_and_guards_the_version(codec: Codec) -> None:
    first = lifecycle.on_put(codec, payment(), now=NOW)
    assert first.values == {"version": 1, "updated_at": NOW, "created_at": NOW}
    assert compiled(first) == {
        "ConditionExpression": "attribute_not_exists(#n0) OR #n1 = :v0",
        "ExpressionAttributeNames": {"#n0": "id", "#n1": "version"},
        "ExpressionAttributeValues": {":v0": {"N": "0"}},
    }
    later = lifecycle.on_put(codec, payment(version=4, created_at=EARLIER), now=NOW)
    assert later.values == {"version": 5, "updated_at": NOW}  # created_at is kept
    assert compiled(later)["ConditionExpression"] == "#n0 = :v0"
    unchecked = lifecycle.on_put(codec, payment(version=4), now=NOW, check_version=False)
    assert unchecked.values["version"] == 5 and unchecked.condition is None


def test_update_never_touches_created_at(codec: Codec) -> None:
    stamp = lifecycle.on_update(codec, payment(version=2, created_at=EARLIER), now=NOW)
    assert stamp.values == {"version": 3, "updated_at": NOW}
    update = lifecycle.update_of(codec, payment(version=2), ["amount"], stamp)
    assert compile_request(update=update)["UpdateExpression"] == (
        "SET #n0 = :v0, #n1 = :v1, #n2 = :v2"
    )
    # Without a version the guard is existence: an update never creates an item.
    order = Order(customer="c", order_id="o")
    assert compiled(lifecycle.on_update(codec, order, now=NOW))["ConditionExpression"] == (
        "attribute_exists(#n0)"
    )


def test_update_field_names_are_checked(codec: Codec) -> None:
    stamp = lifecycle.on_update(codec, payment(), now=NOW)
    with pytest.raises(ValidationError, match="key field"):
        lifecycle.update_of(codec, payment(), ["id"], stamp)
    with pytest.raises(ValidationError, match="names no fields"):
        lifecycle.update_of(codec, payment(), [], stamp)


def test_delete_guards_the_version_only_when_there_is_one(codec: Codec) -> None:
    guard = compiled(lifecycle.on_delete(codec, payment(version=3)))
    assert guard["ExpressionAttributeValues"] == {":v0": {"N": "3"}}
    assert lifecycle.on_delete(codec, payment(), check_version=False).condition is None
    assert lifecycle.on_delete(codec, Order(customer="c", order_id="o")).condition is None


def test_put_item_carries_the_stamp_and_apply_copies_it(codec: Codec) -> None:
    item = payment(version=1)
    stamp = lifecycle.on_put(codec, item, now=NOW)
    encoded = lifecycle.put_item(codec, item, stamp)
    assert encoded["version"] == {"N": "2"}
    assert encoded["updatedAt"] == {"S": "2024-05-06T07:08:09.12Z"}
    assert item.version == 1  # nothing changes before the write is confirmed
    lifecycle.apply(item, stamp)
    assert (item.version, item.updated_at, item.created_at) == (2, NOW, NOW)
