from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    GSI,
    LSI,
    Provisioned,
    SchemaError,
    TableOptions,
    attr,
    pk,
    sk,
    table,
    ttl,
    version,
)
from dynamorm_async._schema import model_meta, stored_name
from dynamorm_async._table_definition import create_table_params, table_definition, ttl_params
from tests.models import Order, Payment


@pytest.mark.parametrize(
    ("name", "camel"),
    [
        ("id", "id"),
        ("customer_id", "customerId"),
        ("a_b_c", "aBC"),
        ("PK", "PK"),
        ("GSI1SK", "GSI1SK"),
        ("userID", "userID"),
        ("_private", "private"),
    ],
)
def test_camel_case_names(name: str, camel: str) -> None:
    assert stored_name(name, "camelCase") == camel
    assert stored_name("customer_id", "snake_case") == "customer_id"


def test_metadata_is_computed_once() -> None:
    meta = model_meta(Payment)
    assert meta is model_meta(Payment)
    assert meta.pk.name == "id" and meta.sk is None
    assert meta.by_name["customer_id"].stored == "customerId"
    assert meta.version is not None and meta.version.name == "version"
    assert [i.name for i in meta.indexes] == ["by-customer"]


def test_overrides_and_snake_case() -> None:
    @table("t", naming="snake_case")
    @attrs.define
    class M:
        user_id: str = pk()
        full_name: str = attr(name="fn")
        other_field: int = 0

    meta = model_meta(M)
    assert [f.stored for f in meta.fields] == ["user_id", "fn", "other_field"]


def declare(**fields: Any) -> type:
    cls = attrs.make_class("Bad", fields)
    return table("t")(cls)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"x": attrs.field(type=str, default="")}, "no partition key"),
        ({"a": pk(type=str), "b": pk(type=str)}, "two pk fields"),
        ({"a": pk(type=str), "b": sk(type=str), "c": sk(type=str)}, "two sk fields"),
        ({"a": pk(type=dict)}, "key must be stored as"),
        ({"a": pk(type=str | None)}, "cannot be Optional"),
        ({"a": pk(type=str), "b": attrs.field(type=complex)}, "unsupported type complex"),
        ({"a": pk(type=str), "b": attrs.field(type=set[dict[str, int]])}, "sets hold"),
        ({"a": pk(type=str), "b": attrs.field(type=int | str)}, "unions"),
        ({"a": pk(type=str), "b": attrs.field(type=dict[int, str])}, "dict keys"),
        ({"a": pk(type=str), "b": version(type=str)}, "version"),
        ({"a": pk(type=str), "b": ttl(type=str)}, "ttl"),
        ({"a": pk(type=str), "b": attr(type=str, name="a")}, "both stored as"),
    ],
)
def test_declaration_mistakes(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        declare(**fields)


def test_index_mistakes() -> None:
    with pytest.raises(SchemaError, match="unknown field 'nope'"):

        @table("t", indexes=[GSI("g", pk="nope")])
        @attrs.define
        class A:
            id: str = pk()

    with pytest.raises(SchemaError, match="needs a table with a sort key"):

        @table("t", indexes=[LSI("l", sk="x")])
        @attrs.define
        class B:
            id: str = pk()
            x: str = ""

    with pytest.raises(SchemaError, match="must be a string, number or binary"):

        @table("t", indexes=[GSI("g", pk="flags")])
        @attrs.define
        class C:
            id: str = pk()
            flags: list[str] = attrs.field(factory=list)

    with pytest.raises(SchemaError, match="two indexes"):

        @table("t", indexes=[GSI("g", pk="x"), GSI("g", pk="x")])
        @attrs.define
        class D:
            id: str = pk()
            x: str = ""

    with pytest.raises(SchemaError, match="must decorate a class"):
        table("t")(lambda: None)  # type: ignore[type-var]


def test_table_makes_the_attrs_class() -> None:
    @table("t")
    class Made:
        id: str = pk()
        amount: Decimal
        version: int = version()

    @table("t", frozen=True)
    class Frozen:
        id: str = pk()

    made = Made(id="a", amount=Decimal(1))
    assert attrs.has(Made) and made.version == 0
    assert model_meta(Made).pk.name == "id"
    made.amount = Decimal(2)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Frozen(id="a").id = "b"  # type: ignore[misc]
    with pytest.raises(TypeError, match="amount"):
        Made(id="a")  # type: ignore[call-arg]


def test_table_keeps_an_attrs_class_as_declared() -> None:
    @table("t")
    @attrs.frozen
    class Declared:
        id: str = pk()
        amount: Decimal = attr()

    assert Declared(id="a", amount=Decimal(1)) == Declared(id="a", amount=Decimal(1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Declared(id="a", amount=Decimal(1)).id = "b"  # type: ignore[misc]
    with pytest.raises(SchemaError, match="already an attrs class"):

        @table("t", frozen=True)
        @attrs.define
        class Twice:
            id: str = pk()


def test_an_attrs_decorator_above_table_is_refused() -> None:
    # attrs remakes the class from the model @table made, without the markers' metadata
    # (the stored name "amt" would be silently lost): the remade class is refused on use.
    @attrs.define
    @table("t")
    class Remade:
        id: str = pk()
        amount: Decimal = attr(name="amt")

    with pytest.raises(SchemaError, match="put @table on top"):
        model_meta(Remade)


def test_forward_references_resolve_on_first_use() -> None:
    @table("t")
    @attrs.define
    class Holder:
        id: str = pk()
        child: Later | None = None

    global Later

    @attrs.define
    class Later:
        x: int = 0

    assert model_meta(Holder).by_name["child"].optional


def test_create_table_params() -> None:
    params = create_table_params(table_definition([Order]), "dev-orders")
    assert params == {
        "TableName": "dev-orders",
        "KeySchema": [
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "orderId", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "orderId", "AttributeType": "S"},
            {"AttributeName": "state", "AttributeType": "S"},
            {"AttributeName": "total", "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by-state",
                "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by-total",
                "KeySchema": [
                    {"AttributeName": "customer", "KeyType": "HASH"},
                    {"AttributeName": "total", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }
    assert ttl_params(table_definition([Order]), "dev-orders") == {
        "TableName": "dev-orders",
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
    }
    assert ttl_params(table_definition([Payment]), "p") is None


def test_provisioned_and_include_projection() -> None:
    @table(
        "t",
        indexes=[GSI("g", pk="x", projection=["amount"])],
        options=TableOptions(provisioned=Provisioned(read=5, write=2)),
    )
    @attrs.define
    class M:
        id: str = pk()
        x: str = ""
        amount: Decimal = Decimal(0)
        when: dt.datetime | None = None

    params = create_table_params(table_definition([M]), "t")
    assert params["BillingMode"] == "PROVISIONED"
    assert params["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    (gsi,) = params["GlobalSecondaryIndexes"]
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["amount"]}
    assert gsi["ProvisionedThroughput"] == params["ProvisionedThroughput"]
