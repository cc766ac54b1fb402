"""Key templates: declaration rules, round trips and sort order (hypothesis), discriminator."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamorm_async import (
    GSI,
    Config,
    DecodeError,
    EncodeError,
    Query,
    SchemaError,
    Session,
    UnknownEntity,
    ValidationError,
    pk,
    table,
    template,
)
from dynamorm_async._schema import model_meta
from dynamorm_async._views import view_meta
from dynamorm_async.codec import Codec
from dynamorm_async.key_templates import HIGHEST

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CODEC = Codec()
SESSION = Session(Config(region="us-east-1", table_prefix="t-"))


@table(
    "app",
    pk=template("TENANT#{tenant}"),
    sk=template("EVENT#{at}#{seq:08}#{ref}#{day}"),
    discriminator="type",
    entity="event",
    indexes=[
        GSI(
            "by-code", pk=template("CODE#{code}", name="GSI1PK"), sk=template("{at}", name="GSI1SK")
        )
    ],
)
class Event:
    tenant: str
    at: dt.datetime
    seq: int
    ref: uuid.UUID
    day: dt.date
    code: str | None = None


@table("app", pk=template("TENANT#{tenant}"), sk=template("NOTE#{n}"), discriminator="type")
class Note:
    tenant: str
    n: Decimal
    text: str = ""


@attrs.frozen
class EventKeys:
    """A view of what an Event's keys hold (a KEYS_ONLY index's items)."""

    tenant: str
    at: dt.datetime
    seq: int
    ref: uuid.UUID
    day: dt.date


@attrs.frozen
class NoteKeys:
    """A view of what a Note's keys hold."""

    tenant: str
    n: Decimal


# Text without the separator; any Unicode a key may hold (no lone surrogates).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="#"), min_size=1)
MOMENTS = st.datetimes(
    min_value=dt.datetime(1000, 1, 1),
    max_value=dt.datetime(9999, 12, 31),
    timezones=st.just(dt.UTC),
)
EVENTS = st.builds(
    Event,
    tenant=TEXT,
    at=MOMENTS,
    seq=st.integers(0, 10**8 - 1),
    ref=st.uuids(),
    day=st.dates(),
    code=st.none() | TEXT,
)


@SETTINGS
@given(EVENTS)
def test_templates_round_trip(event: Event) -> None:
    item = CODEC.encode(event)
    assert item["PK"] == {"S": f"TENANT#{event.tenant}"}
    assert item["type"] == {"S": "event"}
    assert CODEC.decode(Event, item) == event
    # Only the key attributes (a KEYS_ONLY index, another service's item): the templates
    # are parsed back into the fields they were built from.
    keys = {name: item[name] for name in ("PK", "SK")}
    back = CODEC.decode_view(view_meta(model_meta(Event), EventKeys), keys)
    assert (back.tenant, back.at, back.seq, back.ref, back.day) == (
        event.tenant, event.at, event.seq, event.ref, event.day,
    )  # fmt: skip
    assert ("GSI1PK" in item) == (event.code is not None)  # a sparse index key


@SETTINGS
@given(EVENTS, EVENTS)
def test_sort_keys_sort_as_their_values(a: Event, b: Event) -> None:
    # One field differs at a time: the SK text order is that field's order.
    for field in ("at", "seq", "ref", "day"):
        left = Event(a.tenant, a.at, a.seq, a.ref, a.day)
        right = Event(a.tenant, a.at, a.seq, a.ref, a.day)
        setattr(right, field, getattr(b, field))
        sk_left, sk_right = (CODEC.encode(x)["SK"]["S"] for x in (left, right))
        low, high = getattr(left, field), getattr(right, field)
        if isinstance(low, uuid.UUID):
            low, high = low.int, high.int
        assert (sk_left < sk_right) == (low < high), field
        assert (sk_left.encode() < sk_right.encode()) == (low < high), field  # DynamoDB: bytes


@SETTINGS
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9
    )
)
def test_unpadded_numbers_round_trip(n: Decimal) -> None:
    item = CODEC.encode(Note("t", n))
    keys = {"PK": item["PK"], "SK": item["SK"]}
    assert CODEC.decode_view(view_meta(model_meta(Note), NoteKeys), keys).n == n


def test_a_value_holding_the_separator_is_refused() -> None:
    event = Event(
        "a#b", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), 1, uuid.UUID(int=1), dt.date(2024, 1, 1)
    )
    with pytest.raises(EncodeError, match="separator"):
        CODEC.encode(event)
    with pytest.raises(ValidationError, match="separator"):
        CODEC.encode_key(Note, {"tenant": "x#", "n": Decimal(1)})


def test_a_padded_number_must_fit_its_width() -> None:
    late = Event(
        "t", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), 10**8, uuid.UUID(int=1), dt.date(2024, 1, 1)
    )
    with pytest.raises(EncodeError, match="more than 8 digits"):
        CODEC.encode(late)
    negative = Event("t", late.at, -1, late.ref, late.day)
    with pytest.raises(EncodeError, match="int >= 0"):
        CODEC.encode(negative)


def test_the_discriminator_refuses_another_entity() -> None:
    item = CODEC.encode(Note("t", Decimal(1)))
    with pytest.raises(UnknownEntity) as caught:
        CODEC.decode(Event, item)
    assert isinstance(caught.value, DecodeError)
    assert (caught.value.attribute, caught.value.expected) == ("type", ("event",))
    assert item["type"] == {"S": "Note"}  # the class name unless entity= says otherwise
    untyped = {k: v for k, v in item.items() if k != "type"}
    assert CODEC.decode(Note, untyped) == Note("t", Decimal(1))  # items from before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pk": template("A#{nope}")}, "unknown field 'nope'"),
        ({"pk": template("A#{flag}")}, "has no key text"),
        ({"pk": template("A#{maybe}")}, "cannot be Optional"),
        ({"pk": template("A#{name:04}")}, "zero-padded"),
        ({"pk": template("PK#{name}", name="name")}, "stored name of field"),
        ({"pk": template("A#{name}"), "discriminator": "PK"}, "discriminator attribute"),
        ({"pk": template("A#{name}"), "entity": "x"}, "add discriminator="),
    ],
)
def test_declaration_mistakes(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=message):

        @table("app", **kwargs)
        class Bad:
            name: str
            flag: bool = False
            maybe: str | None = None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "non-empty"),
        ("A{x}#B", "neither literal"),
        ("{a}#{a}", "twice"),
        ("A#{x:1}", "neither"),
    ],
)
def test_malformed_templates(text: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        template(text)


def test_a_pk_field_and_a_pk_template_conflict() -> None:
    with pytest.raises(SchemaError, match="keep one"):

        @table("app", pk=template("A#{b}"))
        class Both:
            a: str = pk()
            b: str = ""


# -- planning ------------------------------------------------------------------------------


def described(query: Query[Any]) -> dict[str, Any]:
    return query.explain().describe()


T1 = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
HI = json.dumps(HIGHEST)[1:-1]  # explain() writes values as JSON


def test_tests_on_template_fields_become_key_conditions() -> None:
    events = Query(SESSION, Event).where("tenant", "=", "t-1")
    plan = described(events)
    assert plan["key_condition"] == 'PK = "TENANT#t-1" AND begins_with(SK, "EVENT#")'
    assert plan["filter"] is None  # the EVENT# prefix holds events only
    assert "PK from template 'TENANT#{tenant}'" in plan["reason"]

    since = described(events.where("at", ">=", T1))
    assert since["key_condition"] == (
        f'PK = "TENANT#t-1" AND SK BETWEEN "EVENT#2024-05-01T12:00:00.000000000Z" AND "EVENT#{HI}"'
    )
    assert since["filter"] is None
    later = described(events.where("at", ">", T1))
    assert later["filter"] == 'at > "2024-05-01T12:00:00Z"'  # the bounds include T1 itself

    at = events.where("at", "=", T1)
    seq = described(at.where("seq", "between", 5, 20))
    assert seq["key_condition"] == (
        'PK = "TENANT#t-1" AND SK BETWEEN "EVENT#2024-05-01T12:00:00.000000000Z#00000005" '
        f'AND "EVENT#2024-05-01T12:00:00.000000000Z#00000020{HI}"'
    )


def test_a_full_templated_key_is_a_get_item() -> None:
    key = {"tenant": "t", "at": T1, "seq": 3, "ref": uuid.UUID(int=7), "day": dt.date(2024, 1, 2)}
    query = Query(SESSION, Event).key(key)
    plan = query.explain()
    assert plan.operation == "GetItem"
    assert plan.keys == (CODEC.encode_key(Event, key),)


def test_the_discriminator_filter_is_added_when_the_range_is_shared() -> None:
    # NOTE#{n} with an unpadded number: a range on n cannot narrow the key; the prefix can.
    notes = Query(SESSION, Note).where("tenant", "=", "t").where("n", ">", Decimal(3))
    plan = described(notes)
    assert plan["key_condition"] == 'PK = "TENANT#t" AND begins_with(SK, "NOTE#")'
    assert plan["filter"] == "n > 3"
    scanned = described(Query(SESSION, Note).scan())
    assert scanned["filter"] == 'type = "Note"'
    assert "other entities" in scanned["reason"]


def test_an_index_template_is_planned_too() -> None:
    plan = Query(SESSION, Event).where("code", "=", "X").where("at", "<=", T1).explain()
    assert plan.index == "by-code"
    assert plan.describe()["key_condition"] == (
        f'GSI1PK = "CODE#X" AND GSI1SK <= "2024-05-01T12:00:00.000000000Z{HI}"'
    )
    assert plan.describe()["filter"] == 'type = "event"'  # an index range holds any entity


# -- a shared base -----------------------------------------------------------------------


@table("app", pk=template("CUSTOMER#{customer_id}"), discriminator="kind", naming="snake_case")
class CustomerItem:
    customer_id: str


@table(sk=template("ORDER#{order_id}"), entity="order")
class PlacedOrder(CustomerItem):
    order_id: str
    total: int = 0


def test_a_model_inherits_what_its_base_model_declares() -> None:
    item = CODEC.encode(PlacedOrder("c-1", "o-1", 3))
    assert item == {
        "customer_id": {"S": "c-1"},
        "order_id": {"S": "o-1"},
        "total": {"N": "3"},
        "PK": {"S": "CUSTOMER#c-1"},
        "SK": {"S": "ORDER#o-1"},
        "kind": {"S": "order"},
    }
    assert CODEC.encode(CustomerItem("c-1"))["kind"] == {"S": "CustomerItem"}
    with pytest.raises(UnknownEntity):
        CODEC.decode(CustomerItem, item)


def test_a_model_without_a_table_name_needs_a_base_model() -> None:
    with pytest.raises(SchemaError, match="needs a table name"):

        @table(pk=template("A#{a}"))
        class Orphan:
            a: str


@table("app", pk=template("DOC#{id}"), sk=template("BODY#{part}"))
class Doc:
    id: str
    part: str
    body: str = ""


def test_the_size_limit_counts_the_template_attributes() -> None:
    # The body alone fits; with PK and SK (which repeat the id and part) the item does not.
    head = "x" * 1000
    body = "b" * (400 * 1024 - 2 * len(head) - 40)
    doc = Doc(head, head, body)
    assert len(CODEC.encode(Doc("d", "p", body))["body"]["S"]) == len(body)
    with pytest.raises(EncodeError, match="with its key templates"):
        CODEC.encode(doc)


# -- updates -----------------------------------------------------------------------------

EVENT_KEY = {"tenant": "t", "at": T1, "seq": 1, "ref": uuid.UUID(int=1), "day": dt.date(2024, 1, 1)}


def _written(body: dict[str, Any]) -> dict[str, Any]:
    names = body["ExpressionAttributeNames"]
    values = body["ExpressionAttributeValues"]
    text = body["UpdateExpression"]
    for token in sorted(names, key=len, reverse=True):
        text = text.replace(token, names[token])
    return {"expression": text, "values": list(values.values())}


@table("app", pk=template("A#{a}"), indexes=[GSI("g", pk=template("B#{b}#{a}", name="G1"))])
class Mixed:
    a: str
    b: str | None = None


def test_an_update_rewrites_the_index_templates_it_changes() -> None:
    builder = Query(SESSION, Mixed).key({"a": "x"}).update().set("b", "y")
    written = _written(builder.write().body)
    assert written["expression"] == "SET b = :v0, G1 = :v1"
    assert {"S": "B#y#x"} in written["values"]  # a comes from the key
    removed = _written(Query(SESSION, Mixed).key({"a": "x"}).update().set("b", None).write().body)
    assert "REMOVE" in removed["expression"] and "G1" in removed["expression"]
    event = _written(Query(SESSION, Event).key(EVENT_KEY).update().set("code", "Z").write().body)
    assert {"S": "CODE#Z"} in event["values"]
    assert {"S": "event"} in event["values"]  # and the discriminator, always


def test_an_update_of_part_of_an_index_template_names_the_rest() -> None:
    @table("app", pk=template("A#{a}"), indexes=[GSI("g", pk=template("B#{b}#{c}", name="G1"))])
    class Two:
        a: str
        b: str = ""
        c: str = ""

    with pytest.raises(ValidationError, match="set c in the same update"):
        Query(SESSION, Two).key({"a": "x"}).update().set("b", "y").write()
