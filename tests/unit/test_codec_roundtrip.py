"""Codec round trips: decode(encode(x)) == x for every supported type (hypothesis)."""

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any, Literal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamorm_async import GSI, attr, created_at, pk, sk, table, ttl, updated_at, version
from dynamorm_async.codec import Codec, item_size

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 20


@attrs.define
class Line:
    sku: str
    quantity: int = 1
    price: Decimal | None = None
    tags: set[str] = attr(factory=set)


@attrs.define
class Shipping:
    carrier_name: str
    lines: list[Line] = attrs.Factory(list)
    note: str | None = attr(default=None, omit_empty=True)


@table("everything", indexes=[GSI("by-owner", pk="owner", sk="rank")])
@attrs.define
class Everything:
    id: str = pk()
    seq: int = sk()
    text: str = attr(default="")
    count: int = attr(default=0)
    amount: Decimal = attr(default=Decimal(0))
    ratio: float = attr(default=0.0)
    flag: bool = attr(default=False)
    nothing: None = attr(default=None)
    blob: bytes = attr(default=b"")
    buffer: bytearray = attr(factory=bytearray)
    when: dt.datetime | None = attr(default=None)
    day: dt.date | None = attr(default=None)
    ref: uuid.UUID | None = attr(default=None)
    color: Color = attr(default=Color.RED)
    level: Level | None = attr(default=None)
    kind: Literal["x", "y"] = attr(default="x")
    size: Literal[1, 2, 3] = attr(default=1)
    owner: str | None = attr(default=None)
    rank: int | None = attr(default=None)
    numbers: list[int] = attr(factory=list)
    pairs: tuple[str, ...] = attr(default=())
    point: tuple[int, Decimal] = attr(default=(0, Decimal(0)))
    counts: dict[str, int] = attr(factory=dict)
    strings: set[str] = attr(factory=set)
    ints: set[int] = attr(factory=set)
    decimals: frozenset[Decimal] = attr(factory=frozenset)
    floats: set[float] = attr(factory=set)
    blobs: set[bytes] = attr(factory=set)
    colors: set[Color] = attr(factory=set)
    shipping: Shipping | None = attr(default=None)
    history: list[Shipping] = attr(factory=list)
    by_name: dict[str, Line] = attr(factory=dict)
    anything: Any = attr(default=None)
    expires: dt.datetime | None = ttl()
    created: dt.datetime | None = created_at()
    updated: dt.datetime | None = updated_at()
    ver: int = version()


# --- strategies ----------------------------------------------------------------------------------


def _in_range(d: Decimal) -> bool:
    if not d:
        return True
    digits = list(d.as_tuple().digits)
    while digits and digits[-1] == 0:
        digits.pop()
    return len(digits) <= 38 and -130 <= d.adjusted() <= 125


big_ints = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.sampled_from([10**37, -(10**37), 10**38 - 1, 10**100, -(10**125), 0]),
    st.integers(min_value=-(10**18), max_value=10**18),
)
decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [Decimal("0.1"), Decimal("0.10"), Decimal("-0"), Decimal("1E+125"), Decimal("1E-130")]
    ),
    st.builds(
        lambda digits, exponent: Decimal(f"{digits}E{exponent}"),
        st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
        st.integers(min_value=-130, max_value=125),
    ),
).filter(_in_range)
floats = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda f: f == 0 or 1e-130 <= abs(f) < 1e126
)
zones = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(dt.timedelta(hours=-8)),
    ]
)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=zones
)
texts = st.text(max_size=20)
keys = st.text(min_size=1, max_size=10)
binaries = st.binary(max_size=20)

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), texts, big_ints, decimals, binaries
)
dynamic = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
        st.sets(texts, min_size=1, max_size=4),
        st.sets(big_ints, min_size=1, max_size=4),
        st.sets(binaries, min_size=1, max_size=4),
    ),
    max_leaves=8,
)

lines = st.builds(
    Line,
    sku=texts,
    quantity=big_ints,
    price=st.none() | decimals,
    tags=st.sets(texts, max_size=3),
)
shippings = st.builds(
    Shipping,
    carrier_name=texts,
    lines=st.lists(lines, max_size=3),
    note=st.none() | st.text(min_size=1, max_size=5),
)

everything = st.builds(
    Everything,
    id=st.text(min_size=1, max_size=10),
    seq=big_ints,
    text=texts,
    count=big_ints,
    amount=decimals,
    ratio=floats,
    flag=st.booleans(),
    blob=binaries,
    buffer=binaries.map(bytearray),
    when=st.none() | aware_datetimes,
    day=st.none() | st.dates(),
    ref=st.none() | st.uuids(),
    color=st.sampled_from(Color),
    level=st.none() | st.sampled_from(Level),
    kind=st.sampled_from(["x", "y"]),
    size=st.sampled_from([1, 2, 3]),
    owner=st.none() | st.text(min_size=1, max_size=5),
    rank=st.none() | big_ints,
    numbers=st.lists(big_ints, max_size=4),
    pairs=st.lists(texts, max_size=3).map(tuple),
    point=st.tuples(big_ints, decimals),
    counts=st.dictionaries(keys, big_ints, max_size=3),
    strings=st.sets(texts, max_size=4),
    ints=st.sets(big_ints, max_size=4),
    decimals=st.frozensets(decimals, max_size=4).filter(
        lambda s: len({Decimal(str(d)).normalize() for d in s}) == len(s)
    ),
    floats=st.sets(floats, max_size=4),
    blobs=st.sets(binaries, max_size=4),
    colors=st.sets(st.sampled_from(Color)),
    shipping=st.none() | shippings,
    history=st.lists(shippings, max_size=2),
    by_name=st.dictionaries(keys, lines, max_size=2),
    anything=dynamic,
    expires=st.none() | aware_datetimes.map(lambda d: d.replace(microsecond=0)),
    created=st.none() | aware_datetimes,
    updated=st.none() | aware_datetimes,
    ver=st.integers(min_value=0, max_value=2**63),
)


CODEC = Codec()


def _same(a: Any, b: Any) -> None:
    """Equal, and Decimals with the same digits (Decimal('0.1') stays Decimal('0.1'))."""
    assert a == b
    assert type(a) is type(b)
    if isinstance(a, Decimal):
        assert str(a) == str(b)
    elif isinstance(a, dt.datetime):
        assert b.tzinfo is dt.UTC
    elif isinstance(a, list | tuple):
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, dict):
        for k in a:
            _same(a[k], b[k])
    elif attrs.has(type(a)):
        for field in attrs.fields(type(a)):
            _same(getattr(a, field.name), getattr(b, field.name))


@SETTINGS
@given(everything)
def test_model_round_trip(obj: Everything) -> None:
    item = CODEC.encode(obj)
    decoded = CODEC.decode(Everything, item)
    # An untyped number reads back as int when integral, else Decimal: equal, not same type.
    assert decoded.anything == obj.anything
    _same(attrs.evolve(obj, anything=None), attrs.evolve(decoded, anything=None))
    assert CODEC.encode(attrs.evolve(decoded, anything=obj.anything)) == item
    assert item_size(item) > 0


@pytest.mark.parametrize(
    ("tp", "strategy"),
    [
        (str, texts),
        (int, big_ints),
        (Decimal, decimals),
        (float, floats),
        (bool, st.booleans()),
        (bytes, binaries),
        (dt.datetime, aware_datetimes),
        (dt.date, st.dates()),
        (uuid.UUID, st.uuids()),
        (Color, st.sampled_from(Color)),
        (Level, st.sampled_from(Level)),
        (Literal["x", "y"], st.sampled_from(["x", "y"])),
        (int | None, st.none() | big_ints),
        (list[Decimal], st.lists(decimals, max_size=5)),
        (tuple[int, ...], st.lists(big_ints, max_size=5).map(tuple)),
        (dict[str, list[int]], st.dictionaries(keys, st.lists(big_ints, max_size=3), max_size=3)),
        (set[str], st.sets(texts, min_size=1, max_size=5)),
        (set[int], st.sets(big_ints, min_size=1, max_size=5)),
        (set[bytes], st.sets(binaries, min_size=1, max_size=5)),
        (frozenset[float], st.frozensets(floats, min_size=1, max_size=5)),
        (Line, lines),
        (Shipping | None, st.none() | shippings),
        (list[set[str]], st.lists(st.sets(texts, max_size=3), max_size=3)),
    ],
    ids=lambda p: getattr(p, "__name__", None) or str(p).replace(" ", ""),
)
@SETTINGS
@given(data=st.data())
def test_value_round_trip(tp: Any, strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    value = data.draw(strategy)
    av = CODEC.encode_value(tp, value)
    assert av is not None
    _same(value, CODEC.decode_value(tp, av))


@SETTINGS
@given(dynamic)
def test_untyped_round_trip(value: Any) -> None:
    av = CODEC.encode_value(Any, value)
    assert av is not None
    decoded = CODEC.decode_value(Any, av)
    assert decoded == value


@SETTINGS
@given(decimals)
def test_decimals_keep_their_digits(value: Decimal) -> None:
    av = CODEC.encode_value(Decimal, value)
    assert av == {"N": str(value)}
    assert str(CODEC.decode_value(Decimal, av)) == str(value)


@SETTINGS
@given(floats)
def test_floats_round_trip_through_their_shortest_text(value: float) -> None:
    av = CODEC.encode_value(float, value)
    assert av == {"N": repr(value)}
    assert CODEC.decode_value(float, av) == value
    assert Decimal(av["N"]) == Decimal(repr(value))


@SETTINGS
@given(aware_datetimes)
def test_datetimes_with_microseconds(value: dt.datetime) -> None:
    av = CODEC.encode_value(dt.datetime, value)
    assert av is not None
    text = av["S"]
    assert text.endswith("Z")
    assert not text[:-1].endswith("0") or "." not in text
    decoded = CODEC.decode_value(dt.datetime, av)
    assert decoded == value
    assert decoded.tzinfo is dt.UTC
    assert decoded.microsecond == value.microsecond
