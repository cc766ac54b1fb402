"""Field-level conditions and update actions evaluated by the server."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dynamorm_async import DB, ConditionFailed
from dynamorm_async.conditions import compile_condition, cond
from dynamorm_async.expr import compile_request
from dynamorm_async.updates import Changes
from tests.models import Address, Everything

pytestmark = pytest.mark.usefixtures("tables")


async def update(db: DB, changes: Changes, condition: object = None) -> None:
    params = {
        "TableName": db.table_name(Everything),
        "Key": db.codec.encode_key(Everything, {"id": "e"}),
        **compile_request(
            update=changes.compile(Everything, db.codec),
            condition=None
            if condition is None
            else compile_condition(condition, Everything, db.codec),  # type: ignore[arg-type]
        ),
    }
    await db.engine.call("UpdateItem", params)


async def test_actions_and_conditions_on_the_wire(db: DB) -> None:
    await db.put(
        Everything(id="e", count=1, names={"a", "stale"}, items=[2], address=Address("Main St"))
    )
    await update(
        db,
        Changes()
        .add("count", 2)
        .delete("names", {"stale"})
        .append("items", [3])
        .prepend("items", [1])
        .set("address.postal_code", "12345")
        .set_if_not_exists("labels.k", "first")
        .set_if_not_exists("text", "ignored")
        .increment("big", 0),
        cond("count", "=", 1)
        & cond("size(names)", "=", 2)
        & cond("address.street", "=", "Main St"),
    )
    got = await db.get(Everything, {"id": "e"}, consistent=True)
    assert (got.count, got.names, got.items) == (3, {"a"}, [1, 2, 3])
    assert (got.labels, got.text) == ({"k": "first"}, "")
    assert got.address == Address("Main St", "12345")
    with pytest.raises(ConditionFailed):
        await update(db, Changes().set("price", Decimal(1)), cond("count", "between", 5, 9))
    await update(
        db,
        Changes().remove("address").set("text", ""),
        cond("nothing", "attribute_type", "NULL") & ~cond("labels.zzz", "exists"),
    )
    got = await db.get(Everything, {"id": "e"}, consistent=True)
    assert got.address is None and got.text == ""
