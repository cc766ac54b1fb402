"""Codec: exact payloads, omission rules, keys, and every error path."""

import base64
import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, Literal

import attrs
import pytest

from dynamorm_async import (
    GSI,
    LSI,
    DecodeError,
    DynamORMError,
    EncodeError,
    SchemaError,
    ValidationError,
    attr,
    created_at,
    pk,
    sk,
    table,
    ttl,
    updated_at,
    version,
)
from dynamorm_async._schema import model_meta
from dynamorm_async._views import view_meta
from dynamorm_async.codec import MAX_ITEM_SIZE, Codec, item_size
from dynamorm_async.errors import values_in_errors

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)


class Status(enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.define
class Money:
    amount: Decimal
    currency: str = "EUR"


@attrs.define
class Address:
    street_name: str
    post_code: str | None = attr(default=None, omit_empty=True)
    country: str = attr(name="CC", default="DE")


@attrs.define
class Meta:
    region: str
    tags: list[str] = attrs.Factory(list)
    address: Address | None = None


@table(
    "orders",
    indexes=[
        GSI("by-customer", pk="customer_id", sk="placed_at"),
        LSI("by-status", sk="status"),
    ],
)
@attrs.define
class Order:
    PK: str = pk()
    SK: str = sk()
    amount: Decimal = attr()
    customer_id: str | None = attr(default=None)
    placed_at: dt.datetime | None = attr(default=None)
    status: Status = attr(default=Status.ACTIVE)
    priority: Priority = attr(default=Priority.LOW)
    item_count: int = attr(default=0)
    paid: bool = attr(default=False)
    ratio: float = attr(default=0.5)
    note: str | None = attr(default=None)
    memo: str = attr(name="m", default="")
    labels: set[str] = attr(factory=set)
    scores: frozenset[int] = attr(factory=frozenset)
    blobs: set[bytes] = attr(factory=set)
    meta: Meta | None = attr(default=None)
    history: list[Money] = attr(factory=list)
    totals: dict[str, Decimal] = attr(factory=dict)
    expires_at: dt.datetime | None = ttl()
    created: dt.datetime | None = created_at()
    updated: dt.datetime | None = updated_at()
    ver: int = version()


@table("events", naming="snake_case")
@attrs.define
class Event:
    event_id: str = pk()
    occurred_on: dt.date = attr()
    ref: uuid.UUID = attr()
    raw_payload: bytes = attr(default=b"")
    kind: Literal["a", "b"] = attr(default="a")
    level: Literal[1, 2, 3] = attr(default=1)
    expires: int | None = ttl()
    extra: Any = attr(default=None)


@table("empties")
@attrs.define
class Sparse:
    id: str = pk()
    name: str | None = attr(default=None, omit_empty=True)
    count: int = attr(default=0, omit_empty=True)
    amount: Decimal = attr(default=Decimal(0), omit_empty=True)
    flag: bool = attr(default=False, omit_empty=True)
    items: list[str] = attr(factory=list, omit_empty=True)
    mapping: dict[str, int] = attr(factory=dict, omit_empty=True)
    tags: set[str] = attr(factory=set, omit_empty=True)
    plain: str | None = attr(default=None)


@table("numbers")
@attrs.define
class Numbers:
    id: int = pk()
    d: Decimal = attr(default=Decimal(0))
    f: float = attr(default=0.0)
    i: int = attr(default=0)
    b: bool = attr(default=False)


@attrs.define
class Node:
    name: str
    children: list["Node"] = attrs.Factory(list)


@table("trees")
@attrs.define
class Tree:
    id: str = pk()
    root: Node | None = None


@table("aliases")
@attrs.define
class Aliased:
    id: str = pk()
    _secret: str = attr(default="s")
    computed: int = attr(init=False, default=7)
    required: str = attr(kw_only=True)
    shared: list[str] = attr(factory=lambda: ["x"])
    derived: str = attr(default=attrs.Factory(lambda self: self.id + "!", takes_self=True))


@table("bytes-keyed")
@attrs.define
class BinKey:
    key: bytes = pk()
    num: int = sk()


@pytest.fixture
def codec() -> Codec:
    return Codec()


# --- payloads ----------------------------------------------------------------------------------


def test_sample_model_payload(codec: Codec) -> None:
    order = Order(
        PK="CUSTOMER#1",
        SK="ORDER#9",
        amount=Decimal("12.50"),
        customer_id="c-1",
        placed_at=T0,
        item_count=3,
        paid=True,
        ratio=0.1,
        memo="hi",
        labels={"b", "a"},
        scores=frozenset({10, 2}),
        blobs={b"\x01"},
        meta=Meta("eu", ["x"], Address("Main St")),
        history=[Money(Decimal("1")), Money(Decimal("2.5"), "USD")],
        totals={"eur": Decimal("3.5")},
        expires_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
        created=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert codec.encode(order) == {
        "PK": {"S": "CUSTOMER#1"},
        "SK": {"S": "ORDER#9"},
        "amount": {"N": "12.50"},
        "customerId": {"S": "c-1"},
        "placedAt": {"S": "2024-01-02T03:04:05.12Z"},
        "status": {"S": "active"},
        "priority": {"N": "1"},
        "itemCount": {"N": "3"},
        "paid": {"BOOL": True},
        "ratio": {"N": "0.1"},
        "note": {"NULL": True},
        "m": {"S": "hi"},
        "labels": {"SS": ["a", "b"]},
        "scores": {"NS": ["2", "10"]},
        "blobs": {"BS": [b"\x01"]},
        "meta": {
            "M": {
                "region": {"S": "eu"},
                "tags": {"L": [{"S": "x"}]},
                "address": {"M": {"streetName": {"S": "Main St"}, "CC": {"S": "DE"}}},
            }
        },
        "history": {
            "L": [
                {"M": {"amount": {"N": "1"}, "currency": {"S": "EUR"}}},
                {"M": {"amount": {"N": "2.5"}, "currency": {"S": "USD"}}},
            ]
        },
        "totals": {"M": {"eur": {"N": "3.5"}}},
        "expiresAt": {"N": "1704067200"},
        "created": {"S": "2024-01-02T03:04:05Z"},
        "ver": {"N": "0"},
    }
    assert codec.decode(Order, codec.encode(order)) == order


def test_snake_case_model_payload(codec: Codec) -> None:
    ref = uuid.UUID("12345678-1234-5678-1234-567812345678")
    event = Event(
        "e1", dt.date(2024, 2, 29), ref, b"\x00\xff", "b", 3, expires=1700000000, extra=[1, "x"]
    )
    item = codec.encode(event)
    assert item == {
        "event_id": {"S": "e1"},
        "occurred_on": {"S": "2024-02-29"},
        "ref": {"S": "12345678-1234-5678-1234-567812345678"},
        "raw_payload": {"B": b"\x00\xff"},
        "kind": {"S": "b"},
        "level": {"N": "3"},
        "expires": {"N": "1700000000"},
        "extra": {"L": [{"N": "1"}, {"S": "x"}]},
    }
    assert codec.decode(Event, item) == event


def test_none_is_null_unless_omitted(codec: Codec) -> None:
    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1)))
    assert item["note"] == {"NULL": True}
    # Index keys (GSI pk/sk, LSI sk) are left out when None: sparse indexes.
    assert "customerId" not in item
    assert "placedAt" not in item
    # created_at/updated_at/ttl are omitted when None.
    assert not {"created", "updated", "expiresAt"} & item.keys()


def test_omit_empty_leaves_out_every_empty_value(codec: Codec) -> None:
    assert codec.encode(Sparse("x")) == {"id": {"S": "x"}, "plain": {"NULL": True}}
    full = Sparse("x", "n", 1, Decimal("0.5"), True, ["a"], {"k": 1}, {"t"}, "p")
    assert codec.encode(full) == {
        "id": {"S": "x"},
        "name": {"S": "n"},
        "count": {"N": "1"},
        "amount": {"N": "0.5"},
        "flag": {"BOOL": True},
        "items": {"L": [{"S": "a"}]},
        "mapping": {"M": {"k": {"N": "1"}}},
        "tags": {"SS": ["t"]},
        "plain": {"S": "p"},
    }
    assert codec.encode(Sparse("x", name="", amount=Decimal("0.00")))["id"] == {"S": "x"}
    assert "name" not in codec.encode(Sparse("x", name=""))
    assert "amount" not in codec.encode(Sparse("x", amount=Decimal("0.00")))


def test_omit_empty_still_type_checks(codec: Codec) -> None:
    with pytest.raises(EncodeError) as info:
        codec.encode(Sparse("x", count=False))  # type: ignore[arg-type]
    assert info.value.path == "count"


def test_empty_sets_are_null_as_dms_says_and_decode_to_empty_sets(codec: Codec) -> None:
    # DynamORM's data model (DMS v0.1): an empty set that is not omit_empty is NULL.
    order = Order(PK="a", SK="b", amount=Decimal(1))
    item = codec.encode(order)
    assert [item[name] for name in ("labels", "scores", "blobs")] == [{"NULL": True}] * 3
    decoded = codec.decode(Order, item)
    assert decoded.labels == set()
    assert decoded.scores == frozenset()
    assert isinstance(decoded.scores, frozenset)
    assert codec.encode_value(set[str], set()) is None
    # ... and an omitted one (written before, or by omit_empty) reads the same.
    absent = codec.decode(Order, {k: v for k, v in item.items() if v != {"NULL": True}})
    assert (absent.labels, absent.scores) == (set(), frozenset())


def test_empty_set_inside_a_container_is_null(codec: Codec) -> None:
    assert codec.encode_value(list[set[str]], [set(), {"a"}]) == {
        "L": [{"NULL": True}, {"SS": ["a"]}]
    }
    assert codec.decode_value(list[set[str]], {"L": [{"NULL": True}, {"SS": ["a"]}]}) == [
        set(),
        {"a"},
    ]


def test_nested_naming_and_overrides(codec: Codec) -> None:
    address = Address("Elm", post_code="123", country="FR")
    assert codec.encode_value(Address, address) == {
        "M": {"streetName": {"S": "Elm"}, "postCode": {"S": "123"}, "CC": {"S": "FR"}}
    }


def test_nested_class_under_snake_case_model(codec: Codec) -> None:
    @table("snake-nest", naming="snake_case")
    @attrs.define
    class SnakeNest:
        id: str = pk()
        home: Address | None = None

    item = codec.encode(SnakeNest("1", Address("Elm")))
    assert item["home"] == {"M": {"street_name": {"S": "Elm"}, "CC": {"S": "DE"}}}
    assert codec.decode(SnakeNest, item) == SnakeNest("1", Address("Elm"))


def test_ttl_is_epoch_seconds(codec: Codec) -> None:
    when = dt.datetime(2024, 1, 1, 0, 0, 1, 999999, tzinfo=UTC)
    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1), expires_at=when))
    assert item["expiresAt"] == {"N": "1704067201"}
    decoded = codec.decode(Order, item)
    assert decoded.expires_at == when.replace(microsecond=0)
    assert decoded.expires_at is not None
    assert decoded.expires_at.tzinfo is UTC
    # An int is accepted for a datetime TTL and a datetime for an int TTL.
    assert codec.encode_field(Order, "expires_at", 1704067200) == {"N": "1704067200"}
    assert codec.encode_field(Event, "expires", when) == {"N": "1704067201"}
    offset = dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert codec.encode_field(Event, "expires", offset) == {"N": "1704067200"}
    assert (
        codec.decode(Event, codec.encode(Event("e", T0.date(), uuid.uuid4(), expires=5))).expires
        == 5
    )


def test_ttl_errors(codec: Codec) -> None:
    with pytest.raises(EncodeError, match="naive") as info:
        codec.encode(Order(PK="a", SK="b", amount=Decimal(1), expires_at=dt.datetime(2024, 1, 1)))
    assert info.value.path == "expires_at"
    with pytest.raises(EncodeError, match="epoch seconds"):
        codec.encode_field(Event, "expires", "tomorrow")
    with pytest.raises(EncodeError):
        codec.encode_field(Event, "expires", True)


def test_created_and_updated_at(codec: Codec) -> None:
    order = Order(PK="a", SK="b", amount=Decimal(1), created=T0, updated=T0)
    item = codec.encode(order)
    assert item["created"] == item["updated"] == {"S": "2024-01-02T03:04:05.12Z"}


def test_extra_attributes_are_ignored(codec: Codec) -> None:
    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1)))
    item["somethingElse"] = {"S": "x"}
    assert codec.decode(Order, item) == Order(PK="a", SK="b", amount=Decimal(1))


@attrs.frozen
class OrderView:
    SK: str
    status: Status
    memo: str
    labels: set[str]


def test_part_of_an_item_reads_into_a_view_never_into_the_model(codec: Codec) -> None:
    projected = {"PK": {"S": "a"}, "SK": {"S": "b"}, "status": {"S": "closed"}}
    with pytest.raises(DecodeError, match="missing attribute 'amount'") as info:
        codec.decode(Order, projected)  # a model is decoded from whole items only
    assert info.value.path == "amount"
    view = view_meta(model_meta(Order), OrderView)
    read = codec.decode_view(view, {**projected, "m": {"S": "x"}})
    assert read == OrderView(SK="b", status=Status.CLOSED, memo="x", labels=set())
    # A view field missing from the item reads as the model field would in a whole item:
    # its default (memo), an empty set; a required one is an error.
    assert codec.decode_view(view, projected).memo == ""
    amount = view_meta(
        model_meta(Order), attrs.make_class("Amount", {"amount": attrs.field(type=Decimal)})
    )
    with pytest.raises(DecodeError, match=r"Amount.*missing attribute 'amount'"):
        codec.decode_view(amount, projected)
    with pytest.raises(DecodeError, match=r"OrderView\.status"):
        codec.decode_view(view, {**projected, "status": {"S": "nope"}})


def test_alias_init_false_kw_only_and_factories(codec: Codec) -> None:
    obj = Aliased("i", secret="hidden", required="r")
    obj.computed = 9
    item = codec.encode(obj)
    assert item == {
        "id": {"S": "i"},
        "secret": {"S": "hidden"},
        "computed": {"N": "9"},
        "required": {"S": "r"},
        "shared": {"L": [{"S": "x"}]},
        "derived": {"S": "i!"},
    }
    assert codec.decode(Aliased, item) == obj
    decoded = codec.decode(Aliased, {"id": {"S": "j"}, "required": {"S": "r"}})
    assert decoded == Aliased("j", required="r")
    assert decoded.derived == "j!"
    assert decoded.computed == 7
    assert decoded.shared == ["x"]
    assert (
        decoded.shared
        is not codec.decode(Aliased, {"id": {"S": "j"}, "required": {"S": "r"}}).shared
    )


def test_recursive_nested_classes(codec: Codec) -> None:
    tree = Tree("t", Node("a", [Node("b"), Node("c", [Node("d")])]))
    item = codec.encode(tree)
    assert item["root"]["M"]["children"]["L"][1]["M"]["name"] == {"S": "c"}
    assert codec.decode(Tree, item) == tree


def test_binary_values(codec: Codec) -> None:
    event = Event("e", T0.date(), uuid.uuid4(), raw_payload=b"\x00\x01")
    item = codec.encode(event)
    assert item["raw_payload"] == {"B": b"\x00\x01"}
    # A raw-JSON transport passes base64 text.
    item["raw_payload"] = {"B": base64.b64encode(b"\x00\x01").decode()}
    assert codec.decode(Event, item) == event
    assert codec.encode_value(bytes, bytearray(b"ab")) == {"B": b"ab"}
    assert codec.decode_value(bytearray, {"B": "YWI="}) == bytearray(b"ab")
    assert codec.decode_value(set[bytes], {"BS": ["YWI=", b"c"]}) == {b"ab", b"c"}
    with pytest.raises(DecodeError, match="base64"):
        codec.decode_value(bytes, {"B": "not base64!"})


def test_enums_and_literals(codec: Codec) -> None:
    assert codec.encode_value(Status, Status.CLOSED) == {"S": "closed"}
    # Members only, everywhere: a raw value would leave the instance holding a str.
    with pytest.raises(EncodeError, match=r"Status member, got str; convert it with Status"):
        codec.encode_value(Status, "closed")
    with pytest.raises(EncodeError, match="Status member"):
        codec.encode_value(set[Status], {"closed"})
    assert codec.encode_value(Priority, Priority.HIGH) == {"N": "2"}
    assert codec.decode_value(Priority, {"N": "2"}) is Priority.HIGH
    assert codec.decode_value(Status, {"S": "active"}) is Status.ACTIVE
    assert codec.encode_value(set[Priority], {Priority.HIGH, Priority.LOW}) == {"NS": ["1", "2"]}
    assert codec.decode_value(set[Status], {"SS": ["active"]}) == {Status.ACTIVE}
    with pytest.raises(EncodeError, match="Status member"):
        codec.encode_value(Status, "open")
    with pytest.raises(EncodeError):
        codec.encode_value(Priority, True)
    with pytest.raises(DecodeError, match="not a Status value"):
        codec.decode_value(Status, {"S": "open"})
    assert codec.encode_value(Literal["a", "b"], "a") == {"S": "a"}
    assert codec.encode_value(Literal[1, 2], 2) == {"N": "2"}
    with pytest.raises(EncodeError, match="expected one of"):
        codec.encode_value(Literal["a", "b"], "c")
    with pytest.raises(EncodeError):
        codec.encode_value(Literal[1, 2], True)
    with pytest.raises(DecodeError, match="expected one of"):
        codec.decode_value(Literal[1, 2], {"N": "3"})


def test_tuples(codec: Codec) -> None:
    assert codec.encode_value(tuple[int, ...], (1, 2)) == {"L": [{"N": "1"}, {"N": "2"}]}
    assert codec.decode_value(tuple[int, ...], {"L": [{"N": "1"}]}) == (1,)
    pair = tuple[str, Decimal]
    assert codec.encode_value(pair, ("a", Decimal("1.5"))) == {"L": [{"S": "a"}, {"N": "1.5"}]}
    assert codec.decode_value(pair, {"L": [{"S": "a"}, {"N": "1.5"}]}) == ("a", Decimal("1.5"))
    with pytest.raises(EncodeError, match="tuple of 2"):
        codec.encode_value(pair, ("a",))
    with pytest.raises(DecodeError) as info:
        codec.decode_value(pair, {"L": [{"S": "a"}, {"S": "x"}]}, path="p")
    assert info.value.path == "p[1]"


def test_dynamic_values(codec: Codec) -> None:
    value = {
        "s": "x",
        "i": 10**30,
        "d": Decimal("1.5"),
        "f": 0.25,
        "b": True,
        "n": None,
        "bin": b"\x01",
        "l": [1, "a"],
        "ss": {"a"},
        "ns": {1, 2},
        "bs": {b"x"},
        "when": T0,
        "day": dt.date(2024, 1, 2),
        "status": Status.ACTIVE,
        "money": Money(Decimal(1)),
    }
    av = codec.encode_value(Any, value)
    assert av == {
        "M": {
            "s": {"S": "x"},
            "i": {"N": str(10**30)},
            "d": {"N": "1.5"},
            "f": {"N": "0.25"},
            "b": {"BOOL": True},
            "n": {"NULL": True},
            "bin": {"B": b"\x01"},
            "l": {"L": [{"N": "1"}, {"S": "a"}]},
            "ss": {"SS": ["a"]},
            "ns": {"NS": ["1", "2"]},
            "bs": {"BS": [b"x"]},
            "when": {"S": "2024-01-02T03:04:05.12Z"},
            "day": {"S": "2024-01-02"},
            "status": {"S": "active"},
            "money": {"M": {"amount": {"N": "1"}, "currency": {"S": "EUR"}}},
        }
    }
    assert av is not None
    decoded = codec.decode_value(Any, av)
    assert decoded["i"] == 10**30 and type(decoded["i"]) is int
    assert decoded["d"] == Decimal("1.5") and type(decoded["d"]) is Decimal
    assert decoded["f"] == Decimal("0.25")
    assert decoded["ns"] == {1, 2}
    assert decoded["bs"] == {b"x"}
    assert decoded["when"] == "2024-01-02T03:04:05.12Z"
    assert codec.decode_value(Any, {"N": "5.0"}) == Decimal("5.0")
    assert codec.decode_value(Any, {"NS": ["1", "1.5"]}) == {1, Decimal("1.5")}
    with pytest.raises(EncodeError, match="a mix of"):
        codec.encode_value(Any, {1, "a"})
    with pytest.raises(EncodeError, match="cannot store"):
        codec.encode_value(Any, object())
    with pytest.raises(EncodeError, match="keys must be str") as info:
        codec.encode_value(Any, {"a": {1: 2}}, path="extra")
    assert info.value.path == "extra[<key>]"  # map keys are data: hidden unless asked
    with values_in_errors(), pytest.raises(EncodeError) as info:
        codec.encode_value(Any, {"a": {1: 2}}, path="extra")
    assert info.value.path == "extra['a']"


def test_untyped_attribute_round_trips(codec: Codec) -> None:
    event = Event("e", T0.date(), uuid.uuid4(), extra={"k": [1, Decimal("2.5"), None, "s"]})
    assert codec.decode(Event, codec.encode(event)) == event


# --- numbers -------------------------------------------------------------------------------------


def test_numbers_are_exact(codec: Codec) -> None:
    item = codec.encode(Numbers(10**37, Decimal("0.1"), 0.1, -(10**37), True))
    assert item == {
        "id": {"N": str(10**37)},
        "d": {"N": "0.1"},
        "f": {"N": "0.1"},
        "i": {"N": str(-(10**37))},
        "b": {"BOOL": True},
    }
    decoded = codec.decode(Numbers, item)
    assert decoded.d == Decimal("0.1") and str(decoded.d) == "0.1"
    assert decoded.f == 0.1
    assert codec.encode_value(int, 10**100) == {"N": str(10**100)}  # 1 significant digit
    assert codec.encode_value(Decimal, Decimal("1E+125")) == {"N": "1E+125"}
    assert codec.encode_value(Decimal, Decimal("1E-130")) == {"N": "1E-130"}
    assert codec.encode_value(Decimal, Decimal("0E-200")) == {"N": "0E-200"}
    assert codec.encode_value(Decimal, 3) == {"N": "3"}
    with pytest.raises(EncodeError, match=r"a float cannot be stored exactly in a Decimal"):
        codec.encode_value(Decimal, 1 / 3)
    assert codec.encode_value(float, 1e125) == {"N": "1e+125"}
    digits38 = Decimal("1." + "1" * 37)
    assert codec.encode_value(Decimal, digits38) == {"N": str(digits38)}
    assert codec.encode_value(Decimal, Decimal("1." + "0" * 50)) == {"N": "1." + "0" * 50}


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5), ("5.0", 5), ("5E+0", 5), ("-12", -12), ("1E+2", 100), ("1.00E+40", 10**40)],
)
def test_int_fields_read_integral_numbers(codec: Codec, text: str, value: int) -> None:
    decoded = codec.decode_value(int, {"N": text})
    assert decoded == value and type(decoded) is int


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (float, float("nan"), "finite"),
        (float, float("inf"), "finite"),
        (float, float("-inf"), "finite"),
        (Decimal, Decimal("NaN"), "finite"),
        (Decimal, Decimal("sNaN"), "finite"),
        (Decimal, Decimal("Infinity"), "finite"),
        (Decimal, Decimal("1." + "1" * 38), "39 significant digits"),
        (int, 10**38 + 1, "39 significant digits"),
        (int, 10**126, "out of DynamoDB's number range"),
        (Decimal, Decimal("1E+126"), "out of DynamoDB's number range"),
        (Decimal, Decimal("9.9E-131"), "out of DynamoDB's number range"),
        (float, 1e126, "out of DynamoDB's number range"),
        (float, 1e-131, "out of DynamoDB's number range"),
        (Decimal, Decimal("nan"), "finite"),
        (Decimal, 0.5, "float cannot be stored exactly"),
        (int, True, "expected int, got bool"),
        (int, 1.0, "expected int, got float"),
        (int, "5", "expected int, got str"),
        (bool, 1, "expected bool, got int"),
        (Decimal, False, "got bool"),
        (float, "1.5", "expected a number"),
        (str, 5, "expected str, got int"),
        (dt.datetime, "2024-01-01", "expected datetime"),
        (dt.date, T0, "expected date, got datetime"),
        (uuid.UUID, "not-a-uuid", "expected UUID"),
        (bytes, "text", "expected bytes"),
        (list[int], {1, 2}, "expected a list"),
        (dict[str, int], [("a", 1)], "expected a dict"),
        (set[str], ["a"], "expected a set"),
        (set[str], {1}, "string set holds str"),
        (set[float], {0.1, Decimal("0.10"), Decimal("0.1")}, "numerically equal"),
        (Money, {"amount": 1}, "expected Money, got dict"),
        (type(None), 0, "expected None"),
    ],
)
def test_encode_errors(codec: Codec, tp: Any, value: Any, message: str) -> None:
    with pytest.raises(EncodeError, match=message) as info:
        codec.encode_value(tp, value, path="field")
    assert info.value.path == "field"


def test_str_in_int_field_names_the_path(codec: Codec) -> None:
    with pytest.raises(EncodeError, match="expected int, got str") as info:
        codec.encode(Numbers(1, i="5"))  # type: ignore[arg-type]
    assert info.value.path == "i"
    assert str(info.value).startswith("Numbers.i: ")


def test_bool_int_confusion_in_models(codec: Codec) -> None:
    with pytest.raises(EncodeError) as info:
        codec.encode(Numbers(1, i=True))
    assert info.value.path == "i"
    with pytest.raises(EncodeError) as info:
        codec.encode(Numbers(1, b=1))  # type: ignore[arg-type]
    assert info.value.path == "b"
    with pytest.raises(DecodeError) as decode_info:
        codec.decode(Numbers, {"id": {"N": "1"}, "b": {"N": "1"}})
    assert decode_info.value.path == "b"
    with pytest.raises(DecodeError) as decode_info:
        codec.decode(Numbers, {"id": {"N": "1"}, "i": {"BOOL": True}})
    assert decode_info.value.path == "i"


def test_nested_error_paths(codec: Codec) -> None:
    base = {"PK": "a", "SK": "b", "amount": Decimal(1)}
    with pytest.raises(EncodeError) as info:
        codec.encode(Order(**base, meta=Meta(region=5)))  # type: ignore[arg-type]
    assert info.value.path == "meta.region"
    history = [Money(Decimal(1))] * 3 + [Money(Decimal("NaN"))]
    with pytest.raises(EncodeError, match="finite") as info:
        codec.encode(Order(**base, history=history))
    assert info.value.path == "history[3].amount"
    with pytest.raises(EncodeError) as info:
        codec.encode(Order(**base, totals={"ok": Decimal(1), "k": "x"}))  # type: ignore[dict-item]
    assert info.value.path == "totals[<key>]"
    with pytest.raises(EncodeError) as info:
        codec.encode(Order(**base, meta=Meta("r", ["a", "b", 3])))  # type: ignore[list-item]
    assert info.value.path == "meta.tags[2]"
    with pytest.raises(EncodeError) as info:
        codec.encode(Order(**base, meta=Meta("r", address=Address(1))))  # type: ignore[arg-type]
    assert info.value.path == "meta.address.street_name"
    with pytest.raises(EncodeError, match="naive") as info:
        codec.encode(Order(**base, placed_at=dt.datetime(2024, 1, 1)))
    assert info.value.path == "placed_at"
    with pytest.raises(EncodeError) as info:
        codec.encode_value(dict[str, list[Money]], {"k": [Money(Decimal(1)), 5]}, path="labels")
    assert info.value.path == "labels[<key>][1]"


def test_decode_error_paths(codec: Codec) -> None:
    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1), meta=Meta("r", ["a", "b", "c"])))
    item["meta"]["M"]["tags"]["L"][2] = {"N": "3"}
    with pytest.raises(DecodeError, match="expected S, got N") as info:
        codec.decode(Order, item)
    assert info.value.path == "meta.tags[2]"
    assert str(info.value).startswith("Order.meta.tags[2]: ")

    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1)))
    item["itemCount"] = {"S": "3"}
    with pytest.raises(DecodeError, match="expected N, got S") as info:
        codec.decode(Order, item)
    assert info.value.path == "item_count"
    item["itemCount"] = {"N": "3.5"}
    with pytest.raises(DecodeError, match="expected an integer") as info:
        codec.decode(Order, item)
    assert info.value.path == "item_count"

    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1), history=[Money(Decimal(1))]))
    del item["history"]["L"][0]["M"]["amount"]
    with pytest.raises(DecodeError, match="missing attribute 'amount'") as info:
        codec.decode(Order, item)
    assert info.value.path == "history[0].amount"

    item = codec.encode(Order(PK="a", SK="b", amount=Decimal(1), totals={"x": Decimal(1)}))
    item["totals"]["M"]["x"] = {"N": "abc"}
    with pytest.raises(DecodeError, match="not a number") as info:
        codec.decode(Order, item)
    assert info.value.path == "totals[<key>]"


@pytest.mark.parametrize(
    ("tp", "av", "message"),
    [
        (str, {"N": "1"}, "expected S, got N"),
        (int, {"N": "x"}, "not a number"),
        (int, {"N": "NaN"}, "not finite"),
        (Decimal, {"S": "1"}, "expected N"),
        (float, {"N": "1e999"}, "finite"),
        (bool, {"S": "true"}, "expected BOOL"),
        (dt.datetime, {"S": "yesterday"}, "RFC 3339"),
        (dt.datetime, {"S": "2024-01-02T03:04:05"}, "RFC 3339"),
        (dt.date, {"S": "2024-02-30"}, "invalid date"),
        (uuid.UUID, {"S": "nope"}, "invalid UUID"),
        (list[int], {"M": {}}, "expected L"),
        (dict[str, int], {"L": []}, "expected M"),
        (set[int], {"SS": ["a"]}, "expected NS"),
        (Money, {"S": "x"}, "expected M"),
        (Money, {"M": {"currency": {"S": "x"}}}, "missing attribute 'amount'"),
        (int, "5", "malformed"),
        (Any, {"X": 1}, "expected an AttributeValue"),
        (type(None), {"S": ""}, "expected NULL"),
    ],
)
def test_decode_errors(codec: Codec, tp: Any, av: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec.decode_value(tp, av)


def test_decode_rejects_non_mapping_items(codec: Codec) -> None:
    with pytest.raises(DecodeError, match="expected a map"):
        codec.decode(Order, [("PK", {"S": "a"})])  # type: ignore[arg-type]
    with pytest.raises(DecodeError) as info:
        codec.decode(Order, {"PK": "a", "SK": {"S": "b"}, "amount": {"N": "1"}})
    assert info.value.path == "PK"


def test_validators_failing_on_decode_are_decode_errors(codec: Codec) -> None:
    @table("validated")
    @attrs.define
    class Validated:
        id: str = pk()
        n: int = attr(default=0, validator=attrs.validators.ge(0))

    with pytest.raises(DecodeError, match="rejected the stored values"):
        codec.decode(Validated, {"id": {"S": "x"}, "n": {"N": "-1"}})


def test_errors_never_leak(codec: Codec) -> None:
    bad_items: list[Any] = [
        {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": None}},
        {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "1"}, "history": {"L": None}},
        {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "1"}, "meta": {"M": 5}},
        {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "1"}, "labels": {"SS": 5}},
        {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "1"}, "placedAt": {"S": 5}},
    ]
    for item in bad_items:
        with pytest.raises(DecodeError):
            codec.decode(Order, item)


# --- item size -----------------------------------------------------------------------------------


def test_item_over_400_kb_is_rejected(codec: Codec) -> None:
    big = Event("e", T0.date(), uuid.uuid4(), raw_payload=b"x" * MAX_ITEM_SIZE)
    with pytest.raises(EncodeError, match=r"the item is 4\d{5} bytes.*409600") as info:
        codec.encode(big)
    assert info.value.path == ""
    # Just under the limit passes, though the cheap bound says "maybe".
    room = MAX_ITEM_SIZE - item_size(codec.encode(Event("e", T0.date(), big.ref)))
    fits = Event("e", T0.date(), big.ref, raw_payload=b"x" * room)
    assert item_size(codec.encode(fits)) == MAX_ITEM_SIZE
    multibyte = Order(PK="a", SK="b", amount=Decimal(1), memo="é" * (MAX_ITEM_SIZE // 2))
    with pytest.raises(EncodeError, match="item size limit"):
        codec.encode(multibyte)
    nested = Order(PK="a", SK="b", amount=Decimal(1), meta=Meta("r", ["x" * 1000] * 420))
    with pytest.raises(EncodeError, match="item size limit"):
        codec.encode(nested)


@pytest.mark.parametrize(
    ("av", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),
        ({"S": "日本"}, 6),
        ({"B": b"\x00\x01"}, 2),
        ({"B": "AAE="}, 2),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"N": "0"}, 1),
        ({"N": "1"}, 2),
        ({"N": "-1"}, 3),
        ({"N": "12.50"}, 3),
        ({"N": "10"}, 2),
        ({"N": "12"}, 2),
        ({"N": "1.2"}, 3),  # an even digit count at an even exponent takes a byte more
        ({"N": "1234"}, 3),
        ({"N": "123.4"}, 4),
        ({"N": "123"}, 3),
        ({"N": "0.001"}, 2),
        ({"N": "1E+100"}, 2),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + 2 + 2 + 2),
        ({"M": {"k": {"S": "ab"}}}, 3 + 1 + 1 + 2),
        ({"SS": ["a", "bc"]}, 3),
        ({"NS": ["1", "10"]}, 4),
        ({"BS": [b"a", b"bc"]}, 3),
        ({"L": []}, 3),
        ({"M": {}}, 3),
    ],
)
def test_item_size(av: dict[str, Any], size: int) -> None:
    assert item_size({"ab": av}) == 2 + size
    assert item_size({"é": av}) == 2 + size


def test_item_size_rejects_garbage() -> None:
    with pytest.raises(EncodeError):
        item_size({"a": {"X": 1}})


# --- keys ----------------------------------------------------------------------------------------


def test_encode_key_and_key_of(codec: Codec) -> None:
    assert codec.encode_key(Order, {"PK": "a", "SK": "b"}) == {"PK": {"S": "a"}, "SK": {"S": "b"}}
    assert codec.encode_key(Numbers, {"id": 5}) == {"id": {"N": "5"}}
    assert codec.encode_key(BinKey, {"key": b"k", "num": 1}) == {
        "key": {"B": b"k"},
        "num": {"N": "1"},
    }
    assert codec.encode_key(Event, {"event_id": "e"}) == {"event_id": {"S": "e"}}
    order = Order(PK="a", SK="b", amount=Decimal(1))
    assert codec.key_of(order) == {"PK": {"S": "a"}, "SK": {"S": "b"}}


@pytest.mark.parametrize(
    ("cls", "key", "message"),
    [
        (Order, {"PK": "a"}, r"Order\.SK: the key part is missing"),
        (Order, {"SK": "b"}, r"Order\.PK: the key part is missing"),
        (Order, {}, "missing"),
        (Order, {"PK": "a", "SK": "b", "amount": 1}, r"Order: 'amount' is not a key field"),
        (Order, {"PK": "a", "sk": "b"}, "'sk' is not a key field"),
        (Order, {"PK": 1, "SK": "b"}, r"Order\.PK: expected str, got int"),
        (Order, {"PK": "", "SK": "b"}, r"Order\.PK: a key attribute cannot be an empty string"),
        (Numbers, {"id": True}, r"Numbers\.id: expected int, got bool"),
        (Numbers, {"id": "5"}, r"Numbers\.id: expected int, got str"),
        (Numbers, {"id": 10**40 + 1}, "significant digits"),
        (BinKey, {"key": b"", "num": 1}, "empty binary"),
        (Order, [("PK", "a")], "a key is a mapping"),
    ],
)
def test_encode_key_errors(codec: Codec, cls: type, key: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        codec.encode_key(cls, key)


def test_empty_key_values_are_encode_errors(codec: Codec) -> None:
    with pytest.raises(EncodeError, match="key attribute cannot be an empty string") as info:
        codec.encode(Order(PK="", SK="b", amount=Decimal(1)))
    assert info.value.path == "PK"
    with pytest.raises(EncodeError, match="secondary index key") as info:
        codec.encode(Order(PK="a", SK="b", amount=Decimal(1), customer_id=""))
    assert info.value.path == "customer_id"
    with pytest.raises(EncodeError) as info:
        codec.key_of(Order(PK="a", SK=None, amount=Decimal(1)))  # type: ignore[arg-type]
    assert info.value.path == "SK"


# --- single values, fields and the converter ------------------------------------------------------


def test_encode_field_applies_the_field_rules(codec: Codec) -> None:
    assert codec.encode_field(Order, "amount", Decimal("2")) == {"N": "2"}
    assert codec.encode_field(Order, "customer_id", None) is None  # sparse index key
    assert codec.encode_field(Order, "note", None) == {"NULL": True}
    assert codec.encode_field(Order, "labels", set()) == {"NULL": True}
    assert codec.encode_field(Sparse, "count", 0) is None
    assert codec.encode_field(Sparse, "count", 2) == {"N": "2"}
    with pytest.raises(EncodeError) as info:
        codec.encode_field(Order, "amount", "x")
    assert info.value.path == "amount"
    with pytest.raises(ValidationError, match="no field 'nope'"):
        codec.encode_field(Order, "nope", 1)


def test_value_paths_are_prefixed(codec: Codec) -> None:
    with pytest.raises(EncodeError) as info:
        codec.encode_value(list[Money], [Money(Decimal(1)), Money("x")], path="history")  # type: ignore[arg-type]
    assert info.value.path == "history[1].amount"
    with pytest.raises(DecodeError) as decode_info:
        codec.decode_value(dict[str, int], {"M": {"a": {"S": "x"}}}, path="counts")
    assert decode_info.value.path == "counts[<key>]"


def test_converter_speaks_attribute_values(codec: Codec) -> None:
    converter = codec.converter
    assert converter is not Codec().converter
    assert converter.unstructure("x") == {"S": "x"}
    assert converter.unstructure(Decimal("1.5")) == {"N": "1.5"}
    assert converter.unstructure([1, "a"], unstructure_as=list[Any]) == {
        "L": [{"N": "1"}, {"S": "a"}]
    }
    assert converter.unstructure(Money(Decimal(1))) == {
        "M": {"amount": {"N": "1"}, "currency": {"S": "EUR"}}
    }
    assert converter.structure({"N": "3"}, int) == 3
    assert converter.structure({"BOOL": False}, bool) is False
    assert converter.structure({"N": "2"}, Priority) is Priority.HIGH
    assert converter.structure({"S": "x"}, str) == "x"
    assert converter.structure({"L": [{"N": "1.5"}]}, list[Decimal]) == [Decimal("1.5")]
    assert converter.structure({"M": {"amount": {"N": "1"}}}, Money) == Money(Decimal(1))
    with pytest.raises(DecodeError):
        converter.structure({"S": "x"}, int)
    with pytest.raises(EncodeError):
        converter.unstructure(float("nan"))


def test_register_builds_ahead_and_rejects_non_models(codec: Codec) -> None:
    codec.register(Order)
    with pytest.raises(SchemaError, match="not a model"):
        codec.register(Money)
    with pytest.raises(SchemaError, match="not a model"):
        codec.encode(Money(Decimal(1)))


def test_unsupported_annotation_is_a_schema_error(codec: Codec) -> None:
    with pytest.raises(SchemaError):
        codec.encode_value(dict[int, str], {1: "a"})
    with pytest.raises(SchemaError):
        codec.encode_value(int | str, 1)


def test_every_error_is_a_dynamorm_error(codec: Codec) -> None:
    for call in (
        lambda: codec.encode_value(int, "x"),
        lambda: codec.decode_value(int, {"S": "x"}),
        lambda: codec.encode_key(Order, {}),
    ):
        with pytest.raises(DynamORMError):
            call()


class Shade(enum.StrEnum):
    DARK = "dark"


@table("kw-only")
@attrs.define(kw_only=True)
class KwOnly:
    id: str = pk()
    size: int = attr(default=1)
    names: list[str] = attr(factory=list)
    when: dt.datetime | None = attr(default=None)


def test_keyword_only_models(codec: Codec) -> None:
    obj = KwOnly(id="k", size=3, names=["a"], when=T0)
    assert codec.decode(KwOnly, codec.encode(obj)) == obj
    assert codec.decode(KwOnly, {"id": {"S": "k"}}) == KwOnly(id="k")


def test_str_subclasses_are_stored_as_plain_text(codec: Codec) -> None:
    assert codec.encode_value(dict[str, int], {Shade.DARK: 1}) == {"M": {"dark": {"N": "1"}}}
    assert codec.encode_value(str, Shade.DARK) == {"S": "dark"}
    assert codec.encode_value(set[str], {Shade.DARK}) == {"SS": ["dark"]}
    assert type(codec.encode_value(str, Shade.DARK)["S"]) is str  # type: ignore[index]


def test_null_collections_written_by_go_read_as_empty(codec: Codec) -> None:
    # DynamORM (Go) writes a nil slice or map as NULL.
    assert codec.decode_value(list[str], {"NULL": True}) == []
    assert codec.decode_value(dict[str, int], {"NULL": True}) == {}
    assert codec.decode_value(set[str], {"NULL": True}) == set()
    assert codec.decode_value(list[str] | None, {"NULL": True}) is None


def test_each_codec_compiles_its_own_functions() -> None:
    first, second = Codec(), Codec()
    first.register(Order)
    second.register(Order)
    assert first._models[Order].encode is not second._models[Order].encode
    order = Order(PK="a", SK="b", amount=Decimal(1))
    assert first.encode(order) == second.encode(order)


def test_abstract_collection_annotations(codec: Codec) -> None:
    import typing
    from collections.abc import Mapping, MutableSequence, Sequence

    from dynamorm_async._annotations import unsupported_reason

    for tp in (typing.AbstractSet[str], typing.MutableSet[int], MutableSequence[int]):
        assert unsupported_reason(tp) is None
    assert codec.encode_value(typing.AbstractSet[str], frozenset({"a"})) == {"SS": ["a"]}
    assert codec.decode_value(typing.AbstractSet[str], {"SS": ["a"]}) == frozenset({"a"})
    assert codec.decode_value(typing.MutableSet[int], {"NS": ["1"]}) == {1}
    assert codec.decode_value(Sequence[int], {"L": [{"N": "1"}]}) == [1]
    assert codec.decode_value(MutableSequence[int], {"L": []}) == []
    assert codec.decode_value(Mapping[str, int], {"M": {"a": {"N": "1"}}}) == {"a": 1}
