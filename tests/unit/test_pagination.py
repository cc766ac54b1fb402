"""Cursors in DynamORM's format, pagers and streams (no server: a fake send function)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from dynamorm_async import DB, Config, ValidationError
from dynamorm_async.pagination import Cursor, Pager, Stream
from dynamorm_async.testing import fake_db
from tests.models import Payment

# -- cursors ---------------------------------------------------------------------------------


def token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_cursor_text_is_what_dynamorm_go_writes() -> None:
    # encoding/json: struct fields in declaration order (lastKey, index, sort), map keys
    # sorted, no spaces, <>& escaped; omitempty drops an empty index or sort.
    cursor = Cursor(
        last_key={"sk": {"S": "PROFILE#<2024>&"}, "pk": {"S": "USER#123"}, "n": {"N": "42"}},
        index="gsi-1",
        sort="DESC",
    )
    expected = (
        '{"lastKey":{"n":{"N":"42"},"pk":{"S":"USER#123"},'
        '"sk":{"S":"PROFILE#\\u003c2024\\u003e\\u0026"}},"index":"gsi-1","sort":"DESC"}'
    )
    assert cursor.encode() == token(expected)
    assert Cursor(last_key={"id": {"S": "é"}}).encode() == token('{"lastKey":{"id":{"S":"é"}}}')


def test_binary_values_are_standard_base64_inside() -> None:
    raw = b"\xfb\xff\x00"
    cursor = Cursor(
        last_key={"b": {"B": raw}, "m": {"M": {"z": {"BS": [raw]}, "a": {"NULL": True}}}}
    )
    document = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    assert document == {
        "lastKey": {"b": {"B": "+/8A"}, "m": {"M": {"a": {"NULL": True}, "z": {"BS": ["+/8A"]}}}}
    }
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "last_key",
    [
        {"id": {"S": "x"}},
        {"pk": {"N": "-1.5E+3"}, "sk": {"B": b"\x00\x01"}},
        {"a": {"L": [{"BOOL": False}, {"SS": ["a", "b"]}, {"NS": ["1"]}]}},
    ],
)
def test_round_trip(last_key: dict[str, Any]) -> None:
    for index, sort in ((None, None), ("by-x", "ASC")):
        cursor = Cursor(last_key=last_key, index=index, sort=sort)  # type: ignore[arg-type]
        text = cursor.encode()
        assert text.endswith("=") or len(text) % 4 == 0
        assert Cursor.decode(text) == cursor


def test_tokens_from_other_services_are_accepted() -> None:
    padded = token('{"lastKey":{"id":{"S":"test123"}},"index":"test-index","sort":"ASC"}')
    unpadded = padded.rstrip("=")
    assert padded != unpadded
    for text in (padded, unpadded):
        assert Cursor.decode(text) == Cursor({"id": {"S": "test123"}}, "test-index", "ASC")
    # Empty index/sort mean "none"; unknown members are ignored.
    other = token('{"lastKey":{"id":{"S":"x"}},"index":"","sort":"","v":2}')
    assert Cursor.decode(other) == Cursor({"id": {"S": "x"}})


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "non-empty"),
        ("not-valid-base64!@#$", "base64"),
        (token("not json"), "base64 of JSON"),
        (token("[1]"), "object"),
        (token('{"lastKey":{}}'), "lastKey"),
        (token('{"lastKey":{"id":"x"}}'), "AttributeValue"),
        (token('{"lastKey":{"id":{"S":1}}}'), "strings"),
        (token('{"lastKey":{"id":{"Q":"x"}}}'), "unknown"),
        (token('{"lastKey":{"id":{"B":"***"}}}'), "base64"),
        (token('{"lastKey":{"id":{"S":"x"}},"sort":"UP"}'), "sort"),
        (token('{"lastKey":{"id":{"S":"x"}},"index":5}'), "index"),
    ],
)
def test_malformed_cursors_are_rejected(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match="invalid cursor") as info:
        Cursor.decode(text)
    assert why in str(info.value)


def test_a_cursor_of_another_query_is_rejected() -> None:
    db = DB(Config(region="us-east-1"))
    query = db.model(Payment).where("customer_id", "=", "c-1")
    good = {"id": {"S": "p"}, "customerId": {"S": "c-1"}, "createdAt": {"S": "2024"}}

    async def page(cursor: Cursor, q: Any = query) -> None:
        await q.page(cursor=cursor.encode())

    async def main() -> None:
        cases = [
            (Cursor(good, None, "ASC"), "reads the table"),
            (Cursor(good, "by-customer", "DESC"), "DESC order"),
            (Cursor({"id": {"S": "p"}}, "by-customer"), "attributes"),
            (Cursor({**good, "customerId": {"S": "c-2"}}, "by-customer"), "another"),
        ]
        for cursor, why in cases:
            with pytest.raises(ValidationError, match=why):
                await page(cursor)
        with pytest.raises(ValidationError, match="ASC"):
            await page(Cursor(good, "by-customer", "ASC"), query.order("desc"))

    anyio.run(main)


# -- pagers and streams ----------------------------------------------------------------------


class FakeTable:
    """Answers Query/Scan like DynamoDB: Limit items per page, LastEvaluatedKey, segments."""

    def __init__(self, count: int, *, match: int = 1, empty_last_key: bool = False) -> None:
        self.items = [{"n": {"N": str(i)}} for i in range(count)]
        self.match = match  # every match-th item passes the "filter"
        self.empty_last_key = empty_last_key
        self.calls: list[Mapping[str, Any]] = []

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        await anyio.lowlevel.checkpoint()
        items = self.items
        if "Segment" in params:
            items = items[params["Segment"] :: params["TotalSegments"]]
        start = 0
        if "ExclusiveStartKey" in params:
            start = next(i for i, it in enumerate(items) if it == params["ExclusiveStartKey"]) + 1
        limit = params.get("Limit", len(items))
        evaluated = items[start : start + limit]
        kept = [it for it in evaluated if int(it["n"]["N"]) % self.match == 0]
        response: dict[str, Any] = {"Count": len(kept), "ScannedCount": len(evaluated)}
        if params.get("Select") != "COUNT":
            response["Items"] = kept
        if start + limit < len(items):
            response["LastEvaluatedKey"] = evaluated[-1]
        elif self.empty_last_key:
            response["LastEvaluatedKey"] = {}
        return response


def numbers(raw: Mapping[str, Any]) -> int:
    return int(raw["n"]["N"])


async def collect(stream: Stream[int]) -> list[int]:
    async with stream as items:
        return [n async for n in items]


async def test_stream_pages_with_limit_counting_items() -> None:
    table = FakeTable(100)
    pager = Pager(table.send, "Scan", {"TableName": "t"}, page_size=10, limit=25)
    assert await collect(Stream([pager], numbers)) == list(range(25))
    assert [c["Limit"] for c in table.calls] == [10, 10, 5]
    # With a filter, pages come back short: the limit counts items returned, not evaluated.
    table = FakeTable(100, match=2)
    pager = Pager(table.send, "Scan", {"TableName": "t"}, page_size=10, limit=25)
    assert await collect(Stream([pager], numbers)) == list(range(0, 50, 2))
    assert [c["Limit"] for c in table.calls] == [10, 10, 10, 10, 5, 2, 1, 1]


async def test_empty_or_absent_last_key_ends_the_stream() -> None:
    for empty in (False, True):
        table = FakeTable(30, empty_last_key=empty)
        pager = Pager(table.send, "Query", {}, page_size=10)
        assert len(await collect(Stream([pager], numbers))) == 30
        assert len(table.calls) == 3


async def test_stream_holds_one_page_and_stops_fetching_when_the_consumer_breaks() -> None:
    table = FakeTable(100)
    stream = Stream([Pager(table.send, "Query", {}, page_size=10)], numbers)
    held = []
    async with stream as items:
        async for n in items:
            held.append(stream.buffered)
            if n == 34:
                break
    assert max(held) == 9
    assert len(table.calls) == 4  # pages 0-9, 10-19, 20-29, 30-39: nothing after the break
    await anyio.sleep(0.01)
    assert len(table.calls) == 4


async def test_parallel_scan_merges_segments() -> None:
    table = FakeTable(200)
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": 4, "Segment": s}, page_size=7) for s in range(4)
    ]
    async with Stream(pagers, numbers) as items:
        got = [n async for n in items]
    assert sorted(got) == list(range(200))


async def test_parallel_scan_tasks_end_when_the_consumer_stops() -> None:
    table = FakeTable(10_000)
    before = len(asyncio.all_tasks())
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": 4, "Segment": s}, page_size=10)
        for s in range(4)
    ]
    consumed = 0
    async with Stream(pagers, numbers) as items:
        async for _ in items:
            running = len(asyncio.all_tasks())
            consumed += 1
            if consumed == 500:
                break
    assert running > before  # the producers were running
    assert len(asyncio.all_tasks()) == before
    calls = len(table.calls)
    # Backpressure: the pages delivered (the last one partly used), and at most one more
    # per segment, held or in flight.
    assert calls <= consumed // 10 + 1 + 4
    await anyio.sleep(0.01)
    assert len(table.calls) == calls


async def test_parallel_scan_limit_and_errors() -> None:
    table = FakeTable(1000)
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": 2, "Segment": s}, page_size=5) for s in range(2)
    ]
    async with Stream(pagers, numbers, limit=12) as items:
        assert len([n async for n in items]) == 12

    class Boom(Exception):
        pass

    async def failing(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if params["Segment"] == 1:
            raise Boom("segment 1")
        return await table.send(operation, params)

    pagers = [
        Pager(failing, "Scan", {"TotalSegments": 2, "Segment": s}, page_size=5) for s in range(2)
    ]
    before = len(asyncio.all_tasks())
    with pytest.raises(Boom):
        await drain(Stream(pagers, numbers))
    assert len(asyncio.all_tasks()) == before


async def drain(stream: Stream[int], *, fail: bool = False) -> None:
    async with stream as items:
        async for _ in items:
            if fail:
                raise KeyError("mine")


async def test_the_consumers_own_error_is_not_wrapped() -> None:
    table = FakeTable(1000)
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": 2, "Segment": s}, page_size=5) for s in range(2)
    ]
    with pytest.raises(KeyError):
        await drain(Stream(pagers, numbers), fail=True)


@pytest.mark.parametrize("segments", [1, 2])
async def test_every_stream_needs_async_with(segments: int) -> None:
    table = FakeTable(10)
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": segments, "Segment": s}, page_size=5)
        for s in range(segments)
    ]
    with pytest.raises(TypeError, match="async with"):
        async for _ in Stream(pagers, numbers):
            pass
    assert table.calls == []


async def test_parallel_count_sums_every_segment() -> None:
    table = FakeTable(103)
    db, _ = fake_db(table.send)
    async with db:
        assert await db.model(Payment).scan(segments=4).count() == 103
        assert await db.model(Payment).scan(segments=4).page_size(5).count() == 103
        assert await db.model(Payment).scan(segments=4).limit(50).count() == 50
    assert {c["Segment"] for c in table.calls} == {0, 1, 2, 3}


async def test_an_outer_cancel_scope_ends_the_producers_cleanly() -> None:
    table = FakeTable(100_000)
    pagers = [
        Pager(table.send, "Scan", {"TotalSegments": 3, "Segment": s}, page_size=5) for s in range(3)
    ]
    before = len(asyncio.all_tasks())
    seen = 0
    with anyio.CancelScope() as scope:
        async with Stream(pagers, numbers) as items:
            async for _ in items:
                seen += 1
                if seen == 10:
                    scope.cancel()  # as a deadline would, from outside the stream
    assert scope.cancelled_caught
    assert 10 <= seen < 15  # the rest of the page in hand needs no await, so no checkpoint
    assert len(asyncio.all_tasks()) == before
