"""What the codec refuses, and how fast: nesting, cycles, surrogates, map keys, floats, enums.

Issue 15, items 4 (empty sets), 5, 15 and 16.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import attrs
import pytest

from dynamorm_async import EncodeError, SchemaError, ValidationError, attr, pk, table
from dynamorm_async.codec import Codec
from dynamorm_async.errors import values_in_errors


class Status(enum.Enum):
    PENDING = "pending"
    PAID = "paid"


@attrs.define
class Node:
    name: str
    children: list[Node] = attrs.field(factory=list)


@table("limits")
@attrs.define
class Doc:
    id: str = pk()
    extra: Any = None
    tree: Node | None = None
    amount: Decimal = Decimal(0)
    loose: Decimal = attr(default=Decimal(0), floats="str")
    status: Status = Status.PENDING
    labels: set[str] = attrs.field(factory=set)
    kept: set[str] = attr(factory=set, omit_empty=True)
    maybe: set[int] | None = None
    counts: dict[str, int] = attrs.field(factory=dict)
    text: str = ""


@pytest.fixture
def codec() -> Codec:
    return Codec()


def nested(levels: int, leaf: Any = "x") -> Any:
    """``leaf`` inside ``levels`` lists."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def tree(levels: int) -> Node:
    node = Node("leaf")
    for _ in range(levels - 1):
        node = Node("n", [node])
    return node


# -- nesting (items 15, 16) -------------------------------------------------------------------


def test_31_lists_are_stored_32_are_refused(codec: Codec) -> None:
    # DynamoDB: a top-level attribute is level 1, a scalar may sit at level 32.
    item = codec.encode(Doc("d", extra=nested(31)))
    assert codec.decode(Doc, item).extra == nested(31)
    with pytest.raises(EncodeError, match="deeper than DynamoDB's 32 levels") as caught:
        codec.encode(Doc("d", extra=nested(32)))
    assert caught.value.path == "extra"


def test_a_recursive_class_is_bounded_too(codec: Codec) -> None:
    # tree(n) is n maps with a list between each two, and the last one's empty list: 2n
    # levels. A list or map may sit at level 31 at most (its contents are at 32).
    assert codec.decode(Doc, codec.encode(Doc("d", tree=tree(15)))).tree == tree(15)
    with pytest.raises(EncodeError, match="32 levels"):
        codec.encode(Doc("d", tree=tree(16)))


def test_updates_and_conditions_check_the_depth_as_well(codec: Codec) -> None:
    with pytest.raises(EncodeError, match="32 levels"):
        codec.encode_field(Doc, "extra", nested(40))
    with pytest.raises(EncodeError, match="32 levels"):
        codec.encode_value(Any, nested(40))
    assert codec.encode_value(list[int], [1]) == {"L": [{"N": "1"}]}


@pytest.mark.parametrize("levels", [300, 5000])
def test_a_very_deep_value_fails_fast_with_a_bad_leaf(codec: Codec, levels: int) -> None:
    # The old error path re-encoded every level's elements: 2**levels steps.
    with pytest.raises(EncodeError, match=r"32 levels|nests|cannot store"):
        codec.encode(Doc("d", extra=nested(levels, leaf=object())))


def test_a_cyclic_value_is_an_encode_error(codec: Codec) -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    looped: dict[str, Any] = {}
    looped["self"] = looped
    for value in (cycle, looped, [1, {"a": [cycle]}]):
        with pytest.raises(EncodeError) as caught:
            codec.encode(Doc("d", extra=value))
        assert caught.value.path.startswith("extra")


def test_a_failure_deep_inside_names_its_path(codec: Codec) -> None:
    value = {"a": [[1, 2, {"b": [object()]}]]}
    with pytest.raises(EncodeError, match="cannot store") as caught:
        codec.encode(Doc("d", extra=value))
    assert caught.value.path == "extra[<key>][0][2][<key>][0]"
    with values_in_errors(), pytest.raises(EncodeError) as caught:
        codec.encode(Doc("d", extra=value))
    assert caught.value.path == "extra['a'][0][2]['b'][0]"


# -- text and map keys (item 16) --------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        Doc("d", text="ok \ud800 no"),
        Doc("d\udfff"),
        Doc("d", labels={"a", "\ud83d"}),
        Doc("d", extra={"k": "\udc00"}),
        Doc("d", extra={"\ud800": 1}),
        Doc("d", counts={"\ud800": 1}),
        Doc("d", extra={"s": {"\ud800"}}),
    ],
)
def test_lone_surrogates_are_refused(codec: Codec, doc: Doc) -> None:
    with pytest.raises(EncodeError, match="lone surrogate"):
        codec.encode(doc)


def test_valid_non_ascii_text_is_stored(codec: Codec) -> None:
    doc = Doc("día", text="naïve 😀", labels={"ü"}, counts={"ключ": 1})
    assert codec.decode(Doc, codec.encode(doc)) == doc


@pytest.mark.parametrize("value", [{"": 1}, {"a": {"": "y"}}, [{"": None}]])
def test_empty_map_keys_are_refused(codec: Codec, value: Any) -> None:
    with pytest.raises(EncodeError, match="map key cannot be empty"):
        codec.encode(Doc("d", extra=value))
    with pytest.raises(EncodeError, match="map key cannot be empty"):
        codec.encode(Doc("d", counts={"": 1}))


def test_a_lone_surrogate_in_a_stored_name_is_refused_at_table() -> None:
    with pytest.raises(SchemaError, match="lone surrogate"):

        @table("bad-names")
        @attrs.define
        class Bad:
            id: str = pk()
            value: str = attr(default="", name="v\ud800")


def test_a_key_with_a_lone_surrogate_is_a_validation_error(codec: Codec) -> None:
    with pytest.raises(ValidationError, match="lone surrogate"):
        codec.encode_key(Doc, {"id": "\ud800"})


# -- empty sets (item 4, codec half) ----------------------------------------------------------


def test_empty_sets_are_null_unless_omit_empty(codec: Codec) -> None:
    item = codec.encode(Doc("d"))
    assert item["labels"] == {"NULL": True}
    assert "kept" not in item
    assert item["maybe"] == {"NULL": True}
    back = codec.decode(Doc, item)
    assert (back.labels, back.kept, back.maybe) == (set(), set(), None)
    # An Optional set: None and set() are both NULL, and NULL reads back as None.
    assert codec.encode(Doc("d", maybe=set()))["maybe"] == {"NULL": True}


# -- floats and enums (item 5) ----------------------------------------------------------------


def test_a_float_in_a_decimal_field_is_refused(codec: Codec) -> None:
    with pytest.raises(EncodeError, match="float cannot be stored exactly") as caught:
        codec.encode(Doc("d", amount=1 / 3))  # type: ignore[arg-type]
    assert caught.value.path == "amount"
    with pytest.raises(EncodeError, match="float"):
        codec.encode_field(Doc, "amount", 0.5)


def test_floats_str_converts_through_the_shortest_text(codec: Codec) -> None:
    item = codec.encode(Doc("d", loose=0.1))  # type: ignore[arg-type]
    assert item["loose"] == {"N": "0.1"}
    assert codec.encode_field(Doc, "loose", 1 / 3) == {"N": "0.3333333333333333"}
    assert codec.decode(Doc, item).loose == Decimal("0.1")
    with pytest.raises(EncodeError, match="finite"):
        codec.encode(Doc("d", loose=float("inf")))  # type: ignore[arg-type]


def test_floats_str_is_only_for_decimal_fields() -> None:
    with pytest.raises(SchemaError, match="Decimal fields"):

        @table("bad-floats")
        @attrs.define
        class Bad:
            id: str = pk()
            ratio: float = attr(default=0.0, floats="str")

    with pytest.raises(SchemaError):
        attr(floats="round")  # type: ignore[arg-type]


def test_enum_fields_take_members_only_everywhere(codec: Codec) -> None:
    with pytest.raises(EncodeError, match=r"Status member, got str"):
        codec.encode(Doc("d", status="paid"))  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match="Status member"):
        codec.encode_field(Doc, "status", "paid")
    assert codec.encode_field(Doc, "status", Status.PAID) == {"S": "paid"}
