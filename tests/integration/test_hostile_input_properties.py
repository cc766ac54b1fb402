"""The "done when" property of issue 15, over the wire: hostile input meets only typed errors.

Hypothesis draws items with the input classes the issue lists (values nested past 32
levels, lone surrogates, empty and path-like map keys, floats in Decimal fields, raw enum
values, versions holding a str or None, oversized numbers) and cursors from API callers
(random text, deep JSON). Each item goes through the public write, read, query and cursor
APIs of a DB on the test server. Only ``DynamORMError`` subclasses may escape, and every
write the library accepts must read back exactly.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import uuid
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamorm_async import DB, Config, DynamORMError, Path, pk, table, version

EXAMPLES = 40


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@table("hostile")
@attrs.define
class Thing:
    id: str = pk()
    amount: Decimal = Decimal(0)
    color: Color = Color.RED
    tags: set[str] = attrs.field(factory=set)
    counts: dict[str, int] = attrs.field(factory=dict)
    extra: Any = None
    version: int = version()


# Text with the characters that matter: path syntax, empty strings, lone surrogates.
_odd = st.sampled_from(["", ".", "a.b[0]", "[1]", "\ud800", "\udfff x", "é", "😀", "<&>"])
texts = st.one_of(st.text(max_size=12), _odd, st.tuples(st.text(max_size=4), _odd).map("".join))


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


# Untyped values that read back as they were written (no floats: an untyped float reads
# back as the Decimal of its text; no sets or tuples: they read back as other types).
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**40), 10**40), texts, st.binary(max_size=8)
)
untyped = st.one_of(
    st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)
        ),
        max_leaves=8,
    ),
    st.integers(25, 40).map(_nested),
)
amounts = st.one_of(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6
    ),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**40), 10**40),
)
colors = st.one_of(st.sampled_from(Color), st.sampled_from(["red", "blue", ""]))
versions = st.one_of(st.just(0), st.just("0"), st.none())

things = st.builds(
    Thing,
    id=texts,
    amount=amounts,
    color=colors,
    tags=st.sets(texts, max_size=3),
    counts=st.dictionaries(texts, st.integers(-5, 5), max_size=3),
    extra=untyped,
    version=versions,
)
cursors = st.one_of(
    st.text(max_size=30),
    st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    st.integers(1, 3000).map(
        lambda n: base64.urlsafe_b64encode(b'{"lastKey":' + b"[" * n + b"]" * n + b"}").decode()
    ),
    st.dictionaries(texts, st.dictionaries(st.sampled_from(["S", "N", "M"]), texts, max_size=2))
    .map(lambda key: {"lastKey": key})
    .map(lambda doc: base64.urlsafe_b64encode(repr(doc).replace("'", '"').encode()).decode()),
)


def test_only_typed_errors_escape_and_accepted_writes_read_back(config: Config) -> None:
    runner = asyncio.Runner()
    db = DB(config)
    run = runner.run
    run(db.create_table(Thing))
    run_id = uuid.uuid4().hex[:8]
    accepted = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(thing=things, cursor=cursors, key=texts)
    def check(thing: Thing, cursor: str, key: str) -> None:
        nonlocal accepted
        thing.id = f"{run_id}-{thing.id}"
        accepted += run(_exercise(db, thing, cursor, key))

    try:
        check()
    finally:
        run(db.delete_table(Thing, missing_ok=True))
        run(db.close())
        runner.close()
    assert accepted > 0  # the property is not vacuous: some writes were valid


async def _exercise(db: DB, thing: Thing, cursor: str, key: str) -> int:
    """Write, read, query and page with ``thing``; 1 when the write was accepted."""
    written = 0
    try:
        await db.put(thing)
        written = 1
    except DynamORMError:
        pass
    if written:
        stored = await db.get(Thing, {"id": thing.id})
        assert stored == thing, (stored, thing)
    for attempt in (
        lambda: db.find(Thing, {"id": thing.id}),
        lambda: db.model(Thing).scan().filter(Path.of("counts", key), "=", 1).limit(5).all(),
        lambda: db.model(Thing).scan().filter("extra", "=", thing.extra).limit(5).all(),
        lambda: db.model(Thing).where("id", "=", thing.id).filter("color", "=", thing.color).all(),
        lambda: (
            db.model(Thing).key({"id": thing.id}).update().set(Path.of("counts", key), 2).execute()
        ),
        lambda: db.model(Thing).scan().page(size=2, cursor=cursor),
        lambda: db.batch_put([thing], unconditional=True),
    ):
        with contextlib.suppress(DynamORMError):
            await attempt()
    return written
