"""Field-level conditions and update actions compile to stored names and encoded values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import SchemaError, ValidationError
from dynamorm_async.codec import Codec
from dynamorm_async.conditions import Cond, compile_condition, cond, resolve_path
from dynamorm_async.expr import Path, compile_request
from dynamorm_async.updates import Changes
from tests.models import Everything, Order, Payment, Status

codec = Codec()


def compiled(c: Cond, model: type = Payment) -> dict[str, Any]:
    return compile_request(condition=compile_condition(c, model, codec))


def test_simple_comparison_uses_stored_names_and_field_types() -> None:
    assert compiled(cond("customer_id", "=", "c-1") & cond("amount", ">", Decimal("10.5"))) == {
        "ConditionExpression": "#n0 = :v0 AND #n1 > :v1",
        "ExpressionAttributeNames": {"#n0": "customerId", "#n1": "amount"},
        "ExpressionAttributeValues": {":v0": {"S": "c-1"}, ":v1": {"N": "10.5"}},
    }


def test_enum_in_or_not_groups() -> None:
    c = cond("status", "in", [Status.PENDING, Status.PAID]) | ~cond("note", "exists")
    assert compiled(c) == {
        "ConditionExpression": "#n0 IN (:v0, :v1) OR NOT attribute_exists(#n1)",
        "ExpressionAttributeNames": {"#n0": "status", "#n1": "note"},
        "ExpressionAttributeValues": {":v0": {"S": "pending"}, ":v1": {"S": "paid"}},
    }


def test_nested_paths_sizes_and_contains() -> None:
    c = (
        cond("address.postal_code", "begins_with", "12")
        & cond("size(names)", ">=", 2)
        & cond("names", "contains", "x")
        & cond("addresses[1].street", "=", "Main")
        & cond("labels.status", "=", "ok")
    )
    out = compiled(c, Everything)
    assert out["ConditionExpression"] == (
        "begins_with(#n0.#n1, :v0) AND size(#n2) >= :v1 AND contains(#n2, :v2) "
        "AND #n3[1].#n4 = :v3 AND #n5.#n6 = :v4"
    )
    assert out["ExpressionAttributeNames"] == {
        "#n0": "address",
        "#n1": "postalCode",
        "#n2": "names",
        "#n3": "addresses",
        "#n4": "street",
        "#n5": "labels",
        "#n6": "status",
    }
    assert out["ExpressionAttributeValues"][":v1"] == {"N": "2"}


def test_ttl_field_compares_as_epoch_seconds() -> None:
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    out = compiled(cond("expires", "<", when), Order)
    assert out["ExpressionAttributeValues"] == {":v0": {"N": str(int(when.timestamp()))}}


@pytest.mark.parametrize(
    ("field", "message"),
    [("nope", "no field 'nope'"), ("address.zip", "no field 'zip'"), ("count[0]", "index")],
)
def test_unknown_paths_are_clear_errors(field: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        resolve_path(Everything, field)


def test_bad_values_and_operators() -> None:
    with pytest.raises(ValidationError, match="between"):
        compiled(cond("amount", "between", Decimal(1)))
    with pytest.raises(ValidationError):
        compiled(cond("amount", "like", Decimal(1)))
    with pytest.raises(ValidationError):
        compiled(cond("amount", "in", list(range(101))))
    with pytest.raises(TypeError):
        bool(cond("amount", "=", 1))


def test_changes_compile() -> None:
    changes = (
        Changes()
        .set("status", Status.PAID)
        .set("note", None)
        .add("version", 1)
        .delete("tags", {"stale"})
        .set_if_not_exists("currency", "EUR")
    )
    update = changes.compile(Payment, codec)
    assert compile_request(update=update) == {
        "UpdateExpression": "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1) REMOVE #n2 "
        "ADD #n3 :v2 DELETE #n4 :v3",
        "ExpressionAttributeNames": {
            "#n0": "status",
            "#n1": "currency",
            "#n2": "note",
            "#n3": "version",
            "#n4": "tags",
        },
        "ExpressionAttributeValues": {
            ":v0": {"S": "paid"},
            ":v1": {"S": "EUR"},
            ":v2": {"N": "1"},
            ":v3": {"SS": ["stale"]},
        },
    }


def test_changes_errors() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        Changes().compile(Payment, codec)
    with pytest.raises(ValidationError, match="key field"):
        Changes().set("id", "x").compile(Payment, codec)
    with pytest.raises(ValidationError, match="non-empty"):
        Changes().delete("tags", set()).compile(Payment, codec)
    with pytest.raises(ValidationError, match=r"overlap|same"):
        Changes().set("address", None).remove("address.street").compile(Everything, codec)
    with pytest.raises((ValidationError, SchemaError)):
        Changes().set("nope", 1).compile(Payment, codec)


def test_resolve_path_returns_annotation() -> None:
    path, tp = resolve_path(Everything, "addresses[0].postal_code")
    assert path == Path(("addresses", 0, "postalCode"))
    assert tp == str | None
