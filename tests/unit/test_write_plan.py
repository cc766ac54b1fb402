"""The write planner: each single-item write request, built once, without a DB or I/O."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from dynamorm_async import Config, ValidationError
from dynamorm_async.codec import Codec
from dynamorm_async.conditions import cond
from dynamorm_async.planning import lifecycle
from dynamorm_async.planning.writes import RETURN_ON_FAILURE, WritePlanner
from dynamorm_async.updates import Changes
from tests.models import Order, Payment, Status

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
PLANNER = WritePlanner(Codec(), Config(region="us-east-1", table_prefix="t-"), now=NOW)


def payment(version: int = 0) -> Payment:
    return Payment(id="p-1", amount=Decimal(5), customer_id="c", version=version)


def test_a_versioned_put_is_guarded_and_stamped_but_the_instance_waits() -> None:
    item = payment(version=3)
    write = PLANNER.put(item, condition=cond("status", "=", Status.PENDING))
    assert (write.kind, write.operation, write.table) == ("put", "PutItem", "t-payments")
    body = write.body
    assert body["Item"]["version"] == {"N": "4"} and body["Item"]["updatedAt"]
    assert body["ConditionExpression"] == "#n0 = :v0 AND #n1 = :v1"
    assert body["ExpressionAttributeNames"] == {"#n0": "version", "#n1": "status"}
    assert body["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert item.version == 3  # lifecycle values land only once the write is confirmed
    write.confirm()
    assert (item.version, item.updated_at) == (4, NOW)


def test_a_write_without_a_guard_asks_for_nothing_back() -> None:
    write = PLANNER.create(Order(customer="c", order_id="o", total=Decimal(1)))
    assert set(write.body) == {"TableName", "Item"}
    assert write.batch_request() == {"PutRequest": {"Item": write.body["Item"]}}


def test_one_item_has_one_fingerprint_whatever_names_it() -> None:
    item = payment()
    by_instance = PLANNER.delete(item)
    by_key = PLANNER.delete(Payment, {"id": "p-1"})
    updated = PLANNER.update(item, fields=["amount"])
    actions = PLANNER.update_actions(Payment, {"id": "p-1"}, Changes().add("amount", 1))
    prints = {w.fingerprint for w in (by_instance, by_key, updated, actions)}
    assert prints == {("t-payments", ("S", "p-1"))}
    assert by_key.body == {"TableName": "t-payments", "Key": {"id": {"S": "p-1"}}}
    # The instance carries its version: deleting it checks that version.
    assert by_instance.body["ConditionExpression"] == "#n0 = :v0"


def test_the_transaction_entry_is_the_same_body() -> None:
    write = PLANNER.condition_check(Payment, {"id": "p-1"}, cond("amount", ">", Decimal(1)))
    assert write.transact_item() == {"ConditionCheck": write.body}
    assert write.body["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    with pytest.raises(ValidationError, match="only sent in a transaction"):
        _ = write.operation


def test_update_actions_require_the_item_unless_upserting() -> None:
    changes = Changes().set("note", "x")
    guarded = PLANNER.update_actions(Payment, {"id": "p-1"}, changes, returning="ALL_NEW")
    body = guarded.body
    guard = body["ConditionExpression"]
    assert (
        guard.startswith("attribute_exists(#n")
        and body["ExpressionAttributeNames"][guard[17:-1]] == "id"
    )
    assert guarded.body["ReturnValues"] == "ALL_NEW"
    with pytest.raises(ValidationError, match="needs amount, customer_id"):
        PLANNER.update_actions(Payment, {"id": "p-1"}, changes, upsert=True)
    changes = changes.set_if_not_exists("amount", Decimal(0)).set("customer_id", "c")
    upsert = PLANNER.update_actions(Payment, {"id": "p-1"}, changes, upsert=True)
    assert "ConditionExpression" not in upsert.body
    assert not set(RETURN_ON_FAILURE) & set(upsert.body)
    # A created item's version starts at 0, as create writes it: missing counts as -1.
    expression = upsert.body["UpdateExpression"]
    names = {v: k for k, v in upsert.body["ExpressionAttributeNames"].items()}
    values = upsert.body["ExpressionAttributeValues"]
    version = names["version"]
    start = expression.split(f"{version} = if_not_exists({version}, ", 1)[1]
    assert values[start[:3]] == {"N": "-1"} and "ADD" not in expression


@pytest.mark.parametrize(
    "plan",
    [
        lambda: PLANNER.put(Payment),
        lambda: PLANNER.put((Payment, {"id": "p-1"})),
        lambda: PLANNER.delete(Payment),
        lambda: PLANNER.delete(Payment, "p-1"),
        lambda: PLANNER.delete(payment(), {"id": "p-1"}),
        lambda: PLANNER.put(payment(), condition="status = 'x'"),
    ],
    ids=["class", "pair", "class-no-key", "key-not-mapping", "instance-and-key", "str-condition"],
)
def test_api_misuse_is_a_type_error(plan: object) -> None:
    with pytest.raises(TypeError):
        plan()  # type: ignore[operator]


def test_mistaken_values_are_validation_errors() -> None:
    with pytest.raises(ValidationError):
        PLANNER.delete(Payment, {"id": "p-1", "nope": 1})
    with pytest.raises(ValidationError, match="at least one action"):
        PLANNER.update_actions(Payment, {"id": "p-1"}, Changes())


def test_a_put_sent_alone_tries_a_version_0_item_as_new_first() -> None:
    item = payment(version=0)
    write = PLANNER.put(item, new_first=True)
    assert write.body["Item"]["version"] == {"N": "0"}
    assert write.body["ConditionExpression"] == "attribute_not_exists(#n0)"
    assert write.if_exists is not None and write.if_exists.body["Item"]["version"] == {"N": "1"}
    assert write.instead(None) is write.if_exists  # not returned: the second guard decides
    assert write.instead(payment(version=0)) is write.if_exists
    assert write.instead(payment(version=3)) is None  # stored elsewhere: stale, no retry
    # In a transaction or batch (one request), and above version 0, nothing changes.
    assert PLANNER.put(item).body["Item"]["version"] == {"N": "1"}
    assert PLANNER.put(payment(version=2), new_first=True).if_exists is None


def test_confirming_a_frozen_instance_returns_a_new_one() -> None:
    @attrs.frozen
    class Frozen:
        id: str
        version: int = 0

    old = Frozen("x")
    new = lifecycle.apply(old, lifecycle.Stamp({"version": 1}))
    assert (old.version, new.version, new.id) == (0, 1, "x")
    mutable = payment()
    assert lifecycle.apply(mutable, lifecycle.Stamp({"version": 4})) is mutable
    assert mutable.version == 4
