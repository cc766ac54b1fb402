"""The update builder's request: actions, lifecycle fields and conditions share placeholders."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import pytest

from dynamorm_async import Config, Query, Session, ValidationError
from dynamorm_async.conditions import cond
from tests.models import Everything, Payment, Status

T = TypeVar("T")

# Planning needs no DB: a Session built from a Config alone does no I/O.
SESSION = Session(Config(region="us-east-1", table_prefix="t-"))


def model(cls: type[T]) -> Query[T]:
    return Query(SESSION, cls)


def test_actions_and_condition_never_collide() -> None:
    request = (
        model(Everything)
        .key({"id": "e"})
        .update()
        .set("status", Status.PAID)
        .add("count", 1)
        .remove("labels.size")
        .delete("names", {"x"})
        .condition("status", "=", Status.PENDING)
        .condition(cond("count", "<", 5) | ~cond("labels.size", "exists"))
        .returning("ALL_NEW")
        .request()
    )
    assert request == {
        "TableName": "t-everything",
        "Key": {"id": {"S": "e"}},
        "UpdateExpression": "SET #n0 = :v0 REMOVE #n1.#n2 ADD #n3 :v1 DELETE #n4 :v2",
        "ConditionExpression": (
            "attribute_exists(#n5) AND #n0 = :v3 AND (#n3 < :v4 OR NOT attribute_exists(#n1.#n2))"
        ),
        "ExpressionAttributeNames": {
            "#n0": "status",
            "#n1": "labels",
            "#n2": "size",
            "#n3": "count",
            "#n4": "names",
            "#n5": "id",
        },
        "ExpressionAttributeValues": {
            ":v0": {"S": "paid"},
            ":v1": {"N": "1"},
            ":v2": {"SS": ["x"]},
            ":v3": {"S": "pending"},
            ":v4": {"N": "5"},
        },
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_lifecycle_fields_follow_db_update() -> None:
    request = model(Payment).key({"id": "p"}).update().set("amount", Decimal(2)).request()
    names = request["ExpressionAttributeNames"]
    assert sorted(names.values()) == ["amount", "id", "updatedAt", "version"]
    assert request["UpdateExpression"] == "SET #n0 = :v0, #n1 = :v1 ADD #n2 :v2"
    assert request["ExpressionAttributeValues"][":v2"] == {"N": "1"}
    required = model(Payment).key({"id": "p"}).update().set("version", 7)
    upsert = required.set("amount", Decimal(1)).set("customer_id", "c").upsert().request()
    assert "ConditionExpression" not in upsert
    assert "ReturnValues" not in upsert
    assert "if_not_exists" in upsert["UpdateExpression"]  # created_at on a new item
    assert upsert["ExpressionAttributeValues"][":v0"] == {"N": "7"}


def test_builder_mistakes() -> None:
    builder = model(Payment).key({"id": "p"}).update()
    with pytest.raises(ValidationError, match="at least one action"):
        builder.request()
    with pytest.raises(ValidationError, match="no field"):
        builder.set("nope", 1)
    with pytest.raises(ValidationError, match="returning"):
        builder.returning("EVERYTHING")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="operator"):
        builder.condition("status")
    with pytest.raises(ValidationError, match="key"):
        model(Payment).update()
    with pytest.raises(ValidationError, match="not a key field"):
        model(Payment).key({"idx": "p"})


@pytest.mark.parametrize("what", ["UPDATED_NEW", "UPDATED_OLD"])
def test_returning_only_the_updated_attributes_is_refused(what: str) -> None:
    # They are part of an item: a model instance built from them would show defaults for
    # every other field (text="" where "paid" is stored).
    builder = model(Everything).key({"id": "e"}).update().set("count", 1)
    with pytest.raises(ValidationError, match="not a whole Everything: use 'ALL_NEW'"):
        builder.returning(what)  # type: ignore[arg-type]
