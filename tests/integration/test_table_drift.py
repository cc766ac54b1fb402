"""Tables over time: ensure_table reports drift and fixes the safe part; update_table the rest.

Each test declares the same table twice (as a model is changed between two deployments):
the first version creates it, the second is compared with it. dynalite accepts UpdateTable
but neither builds nor drops a GSI nor changes a stream (tests doing so are marked
``needs_table_options``), and has no TTL (``needs_ttl``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import attrs
import pytest

from dynamorm_async import (
    DB,
    GSI,
    LSI,
    Provisioned,
    TableOptions,
    ValidationError,
    attr,
    pk,
    sk,
    table,
    ttl,
)


@table("drift-notes")
@attrs.define
class NoteV1:
    owner: str = pk()
    id: str = sk()
    topic: str = attr()
    text: str = ""


@table(
    "drift-notes",
    indexes=[GSI("by-topic", pk="topic", sk="id", projection="KEYS_ONLY")],
    options=TableOptions(stream="NEW_IMAGE"),
)
@attrs.define
class NoteV2:
    owner: str = pk()
    id: str = sk()
    topic: str = attr()
    text: str = ""


@table("drift-notes", indexes=[GSI("by-topic", pk="topic", sk="id", projection="ALL")])
@attrs.define
class NoteV3:
    """by-topic now projects every attribute: the same index name, another index."""

    owner: str = pk()
    id: str = sk()
    topic: str = attr()
    text: str = ""


@table("drift-notes", options=TableOptions(provisioned=Provisioned(read=3, write=2)))
@attrs.define
class NoteProvisioned:
    owner: str = pk()
    id: str = sk()
    topic: str = attr()
    text: str = ""


@table("drift-notes", indexes=[GSI("by-id", pk="id")])
@attrs.define
class NoteRekeyed:
    """The same table keyed by another attribute: DynamoDB cannot change that in place."""

    topic: str = pk()
    id: str = sk()


@table("drift-notes")
@attrs.define
class NoteExpiring:
    owner: str = pk()
    id: str = sk()
    expires: int | None = ttl()


@pytest.fixture
async def notes(db: DB) -> AsyncIterator[DB]:
    """The table as NoteV1 declares it, with two notes; deleted after the test."""
    await db.create_table(NoteV1)
    try:
        await db.put(NoteV1(owner="ann", id="1", topic="work", text="plan"))
        await db.put(NoteV1(owner="bob", id="2", topic="work", text="ship"))
        yield db
    finally:
        await db.delete_table(NoteV1, missing_ok=True)


async def test_an_existing_table_is_compared_not_changed(notes: DB) -> None:
    check = await notes.ensure_table(NoteV2)
    assert (check.created, check.applied) == (False, ())
    assert {(d.kind, d.subject, d.remedy) for d in check.drift} == {
        ("index_missing", "by-topic", "ensure_table"),
        ("stream", "table", "update_table"),
    }
    missing = next(d for d in check.drift if d.kind == "index_missing")
    assert missing.declared is not None and "KEYS_ONLY" in missing.declared
    assert "ensure_table(fix=True)" in str(missing)
    assert (await notes.describe_table(NoteV1)).indexes == ()  # nothing was sent to change it
    assert (await notes.ensure_table(NoteV1)).in_sync


@pytest.mark.needs_table_options
async def test_fix_adds_the_missing_gsi_and_waits_until_it_is_active(notes: DB) -> None:
    check = await notes.ensure_table(NoteV2, fix=True)
    assert [(d.kind, d.subject) for d in check.applied] == [("index_missing", "by-topic")]
    (index,) = check.description.indexes
    assert (index.name, index.status) == ("by-topic", "ACTIVE")
    # The stream is a change, not an addition: left to update_table.
    assert [(d.kind, d.remedy) for d in check.drift] == [("stream", "update_table")]
    # The index holds the items written before it existed.
    found = await notes.model(NoteV2).index("by-topic").where("topic", "=", "work").all()
    assert sorted(n.owner for n in found) == ["ann", "bob"]

    check = await notes.update_table(NoteV2, stream=True)
    assert [d.kind for d in check.applied] == ["stream"] and check.in_sync
    spec = check.description.raw["StreamSpecification"]
    assert (spec["StreamEnabled"], spec["StreamViewType"]) == (True, "NEW_IMAGE")


@pytest.mark.needs_table_options
async def test_indexes_are_dropped_only_when_named(notes: DB) -> None:
    await notes.ensure_table(NoteV2, fix=True)
    # NoteV1 does not declare by-topic: fix=True reports it and leaves it.
    check = await notes.ensure_table(NoteV1, fix=True)
    extra = [(d.kind, d.subject, d.remedy) for d in check.drift]
    assert extra == [("index_extra", "by-topic", "update_table")]
    assert [i.name for i in check.description.indexes] == ["by-topic"]

    # NoteV3 declares it with another projection: rebuilt when told to drop it.
    changed = await notes.ensure_table(NoteV3, fix=True)
    assert [(d.kind, d.remedy) for d in changed.drift] == [("index_changed", "update_table")]
    rebuilt = await notes.update_table(NoteV3, drop_indexes=["by-topic"])
    assert [d.kind for d in rebuilt.applied] == ["index_changed"] and rebuilt.in_sync
    (gsi,) = rebuilt.description.raw["GlobalSecondaryIndexes"]
    assert gsi["Projection"]["ProjectionType"] == "ALL"

    dropped = await notes.update_table(NoteV1, drop_indexes=["by-topic"])
    assert dropped.in_sync and dropped.description.indexes == ()
    with pytest.raises(ValidationError, match="has no index 'by-topic' to drop"):
        await notes.update_table(NoteV1, drop_indexes=["by-topic"])


async def test_billing_changes_only_through_update_table(notes: DB) -> None:
    check = await notes.ensure_table(NoteProvisioned, fix=True)
    (billing,) = check.drift
    assert (billing.kind, billing.remedy, billing.actual) == (
        "billing",
        "update_table",
        "PAY_PER_REQUEST",
    )
    assert billing.declared == "PROVISIONED (3 read / 2 write)"
    assert check.description.billing_mode == "PAY_PER_REQUEST"

    updated = await notes.update_table(NoteProvisioned, billing=True)
    assert updated.applied == (billing,) and updated.in_sync
    capacity = updated.description.raw["ProvisionedThroughput"]
    assert (capacity["ReadCapacityUnits"], capacity["WriteCapacityUnits"]) == (3, 2)
    back = await notes.update_table(NoteV1, billing=True)
    assert back.in_sync and back.description.billing_mode == "PAY_PER_REQUEST"


async def test_a_key_schema_change_is_reported_as_needing_a_new_table(notes: DB) -> None:
    check = await notes.ensure_table(NoteRekeyed, fix=True)
    (keys,) = check.needs_recreate
    assert (keys.kind, keys.subject) == ("keys", "table")
    assert keys.declared == "topic HASH (S), id RANGE (S)"
    assert keys.actual == "owner HASH (S), id RANGE (S)"
    assert "recreated" in str(keys) and check.applied == ()
    # The missing GSI is not added to a table keyed otherwise (it is not this model's table).
    assert ("index_missing", "by-id") in {(d.kind, d.subject) for d in check.drift}
    assert check.description.indexes == ()
    # Nothing was changed: the items are still there under the old keys.
    assert (await notes.get(NoteV1, {"owner": "ann", "id": "1"})).text == "plan"


@pytest.mark.needs_ttl
async def test_fix_enables_ttl_on_an_existing_table(notes: DB) -> None:
    check = await notes.ensure_table(NoteExpiring)
    assert [(d.kind, d.subject, d.remedy) for d in check.drift] == [
        ("ttl", "expires", "ensure_table")
    ]
    fixed = await notes.ensure_table(NoteExpiring, fix=True)
    assert [d.kind for d in fixed.applied] == ["ttl"] and fixed.in_sync
    answer = await notes.engine.call("DescribeTimeToLive", {"TableName": notes.table_name(NoteV1)})
    spec = answer["TimeToLiveDescription"]
    assert (spec["AttributeName"], spec["TimeToLiveStatus"]) in {
        ("expires", "ENABLED"),
        ("expires", "ENABLING"),
    }


# -- several models, one table ----------------------------------------------------------------


@table("drift-shop", indexes=[GSI("gsi1", pk="gsi1pk", sk="gsi1sk"), LSI("by-date", sk="date")])
@attrs.define
class Customer:
    PK: str = pk()
    SK: str = sk()
    gsi1pk: str | None = None
    gsi1sk: str | None = None
    date: str = ""


@table("drift-shop", indexes=[GSI("gsi2", pk="gsi2pk"), GSI("gsi1", pk="gsi1pk", sk="gsi1sk")])
@attrs.define
class Order:
    PK: str = pk()
    SK: str = sk()
    gsi1pk: str | None = None
    gsi1sk: str | None = None
    gsi2pk: str | None = None
    total: int = 0


async def test_models_sharing_a_table_create_it_together(db: DB) -> None:
    description = await db.create_table(Customer, Order)
    try:
        assert {(i.kind, i.name) for i in description.indexes} == {
            ("GSI", "gsi1"),
            ("GSI", "gsi2"),
            ("LSI", "by-date"),
        }
        assert (await db.ensure_table(Order, Customer)).in_sync
        # One model alone does not know the other's index: reported, never dropped.
        alone = await db.ensure_table(Customer, fix=True)
        assert [(d.kind, d.subject) for d in alone.drift] == [("index_extra", "gsi2")]
        with pytest.raises(ValidationError, match="local secondary index"):
            await db.update_table(Customer, Order, drop_indexes=["by-date"])
        await db.put(Order(PK="c#1", SK="o#1", gsi2pk="open", total=5))
        await db.put(Customer(PK="c#1", SK="profile", date="2024-06-11"))
        (order,) = await db.model(Order).index("gsi2").where("gsi2pk", "=", "open").all()
        assert order.total == 5
    finally:
        await db.delete_table(Customer, missing_ok=True)
