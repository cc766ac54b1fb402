"""One rule for mistakes, walked through the public API (issue 15, items 10, 14 and 17).

A mistake in a call is a ``ValidationError`` (a ``ValueError``); a mistake in a declaration
is a ``SchemaError`` (a ``TypeError``). Nothing is sent for either.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    DB,
    GSI,
    BatchWriteError,
    EncodeError,
    SchemaError,
    ValidationError,
    attr,
    cond,
    pk,
    sk,
    table,
    version,
)
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.pagination import MAX_CURSOR_DEPTH, MAX_CURSOR_LENGTH, Cursor
from dynamorm_async.testing import fake_db
from dynamorm_async.updates import Changes
from tests.models import Payment, Status


def _cursor(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def _deep_cursor(levels: int) -> str:
    return base64.urlsafe_b64encode(b"[" * levels + b"]" * levels).decode()


Call = Callable[[DB], Awaitable[object]]


async def _tx_update(db: DB, changes: Changes) -> None:
    async with db.transaction() as tx:
        builder = db.model(Payment).key({"id": "p"}).update()
        for action, field, value in changes.actions:
            builder = getattr(builder, action)(field, value)
        tx.update(builder)


CALLER_MISTAKES: dict[str, Call] = {
    "get: unknown key field": lambda db: db.get(Payment, {"id": "p", "nope": 1}),
    "get: missing key part": lambda db: db.get(Payment, {}),
    "get: key of the wrong type": lambda db: db.get(Payment, {"id": 5}),
    "get: empty key": lambda db: db.get(Payment, {"id": ""}),
    "put: value of the wrong type": lambda db: db.put(
        Payment(id="p", amount="4111111111111111", customer_id="c")  # type: ignore[arg-type]
    ),
    "put: float in a Decimal field": lambda db: db.put(
        Payment(id="p", amount=0.5, customer_id="c")  # type: ignore[arg-type]
    ),
    "put: raw enum value": lambda db: db.put(
        Payment(id="p", amount=Decimal(1), customer_id="c", status="paid")  # type: ignore[arg-type]
    ),
    "put: version holding a str": lambda db: db.put(
        Payment(id="p", amount=Decimal(1), customer_id="c", version="1")  # type: ignore[arg-type]
    ),
    "put: version holding None": lambda db: db.put(
        Payment(id="p", amount=Decimal(1), customer_id="c", version=None)  # type: ignore[arg-type]
    ),
    "update: version holding a str": lambda db: db.update(
        Payment(id="p", amount=Decimal(1), customer_id="c", version="1"),  # type: ignore[arg-type]
        fields=["amount"],
    ),
    "update: unknown field": lambda db: db.update(
        Payment(id="p", amount=Decimal(1), customer_id="c"), fields=["nope"]
    ),
    "where: unknown field": lambda db: db.model(Payment).where("nope", "=", 1).all(),
    "where: unknown operator": lambda db: db.model(Payment).where("id", "~", "p").all(),
    "where: value of the wrong type": lambda db: db.model(Payment).where("id", "=", 5).all(),
    "filter: unknown field": lambda db: db.model(Payment).scan().filter("nope", "=", 1).all(),
    "filter: raw enum value": lambda db: (
        db.model(Payment).scan().filter("status", "=", "paid").all()
    ),
    "select: unknown field": lambda db: db.model(Payment).key({"id": "p"}).select("nope").all(),
    "index: unknown index": lambda db: db.model(Payment).index("nope").all(),
    "order: bad direction": lambda db: db.model(Payment).where("id", "=", "p").order("up").all(),
    "limit: negative": lambda db: db.model(Payment).scan().limit(-1).all(),
    "page_size: zero": lambda db: db.model(Payment).scan().page_size(0).all(),
    "scan: zero segments": lambda db: db.model(Payment).scan(segments=0).all(),
    "query without a key condition": lambda db: db.model(Payment).filter("amount", ">", 1).all(),
    "key update: unknown field": lambda db: (
        db.model(Payment).key({"id": "p"}).update().set("nope", 1).execute()
    ),
    "transaction changes: unknown field": lambda db: _tx_update(db, Changes().set("nope", 1)),
    "update: delete from a non-set": lambda db: (
        db.model(Payment).key({"id": "p"}).update().delete("amount", {1}).execute()
    ),
    "delete: unknown key field": lambda db: db.delete(Payment, {"nope": "p"}),
    "batch_get: bad key": lambda db: db.batch_get(Payment, [{"nope": 1}]),
    "batch_put: duplicate item": lambda db: db.batch_put(
        [Payment(id="p", amount=Decimal(1), customer_id="c")] * 2, unconditional=True
    ),
    "cursor: not base64": lambda db: db.model(Payment).scan().page(cursor="%%%"),
    "cursor: not an object": lambda db: db.model(Payment).scan().page(cursor=_cursor([1])),
    "cursor: too long": lambda db: (
        db.model(Payment).scan().page(cursor="A" * (MAX_CURSOR_LENGTH + 4))
    ),
    "cursor: too deep": lambda db: (
        db.model(Payment).scan().page(cursor=_deep_cursor(MAX_CURSOR_DEPTH + 1))
    ),
    "cursor: deeper than the recursion limit": lambda db: (
        db.model(Payment).scan().page(cursor=_deep_cursor(100_000))
    ),
}


@pytest.mark.parametrize("name", list(CALLER_MISTAKES))
async def test_caller_mistakes_are_validation_errors(name: str) -> None:
    db, transport = fake_db()
    async with db:
        with pytest.raises(ValidationError) as caught:
            await CALLER_MISTAKES[name](db)
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, SchemaError)
    assert transport.requests == []  # refused before anything was sent


def _no_partition_key() -> None:
    @table("t")
    @attrs.define
    class NoKey:
        name: str = ""


def _index_on_unknown_field() -> None:
    @table("t", indexes=[GSI("by-x", pk="nope")])
    @attrs.define
    class BadIndex:
        id: str = pk()


def _unsupported_annotation() -> None:
    @table("t")
    @attrs.define
    class BadType:
        id: str = pk()
        value: int | str = 0


def _two_sort_keys() -> None:
    @table("t")
    @attrs.define
    class TwoSorts:
        id: str = pk()
        a: str = sk()
        b: str = sk()


def _version_not_int() -> None:
    @table("t")
    @attrs.define
    class BadVersion:
        id: str = pk()
        v: str = version(default="0")


def _same_stored_name() -> None:
    @table("t")
    @attrs.define
    class Clash:
        id: str = pk()
        a: str = attr(default="", name="x")
        b: str = attr(default="", name="x")


def _plain_def_handler() -> None:
    def handler(event: Any, context: Any) -> None:
        return None

    lambda_handler(handler)


DECLARATION_MISTAKES: dict[str, Callable[[], object]] = {
    "no partition key": _no_partition_key,
    "index on an unknown field": _index_on_unknown_field,
    "unsupported annotation": _unsupported_annotation,
    "two sort keys": _two_sort_keys,
    "version not an int": _version_not_int,
    "two fields, one stored name": _same_stored_name,
    "@table on a plain class": lambda: table("t")(type("Plain", (), {})),
    "floats= not a known choice": lambda: attr(floats="round"),  # type: ignore[arg-type]
    "lambda_handler on a plain def": _plain_def_handler,
}


@pytest.mark.parametrize("name", list(DECLARATION_MISTAKES))
def test_declaration_mistakes_are_schema_errors(name: str) -> None:
    with pytest.raises(SchemaError) as caught:
        DECLARATION_MISTAKES[name]()
    assert isinstance(caught.value, TypeError)
    assert not isinstance(caught.value, ValidationError)


async def test_something_that_is_not_a_model_is_a_type_error() -> None:
    # A class where an instance is expected (or a class without @table): a TypeError.
    db, _ = fake_db()
    async with db:
        with pytest.raises(TypeError):
            await db.put(Payment)


def test_one_filter_form_a_cond_goes_to_filter_group() -> None:
    # filter() takes (field, op, *values); a whole Cond is a group: filter_group() takes it.
    db, _ = fake_db()
    paid = cond("status", "=", Status.PAID)
    query = db.model(Payment).where("customer_id", "=", "c-1")
    with pytest.raises(TypeError, match="filter_group"):
        query.filter(paid, "=")  # type: ignore[arg-type]
    grouped = query.filter_group(paid).explain().describe()["filter"]
    assert grouped == query.filter("status", "=", Status.PAID).explain().describe()["filter"]


async def test_a_batch_reports_a_bad_version_as_its_typed_error() -> None:
    # Batches encode chunk by chunk and report what failed, chained from the EncodeError.
    db, transport = fake_db()
    bad = Payment(id="p", amount=Decimal(1), customer_id="c", version=None)  # type: ignore[arg-type]
    async with db:
        with pytest.raises(BatchWriteError) as caught:
            await db.batch_put([bad], unconditional=True)
    assert isinstance(caught.value.__cause__, EncodeError)
    assert transport.requests == []


def test_a_real_cursor_still_reads_back() -> None:
    cursor = Cursor({"id": {"S": "p<1>"}, "n": {"N": "5"}}, index="by-customer", sort="DESC")
    assert Cursor.decode(cursor.encode()) == cursor


def test_status_enum_from_the_models_is_a_member() -> None:
    assert Status("paid") is Status.PAID
