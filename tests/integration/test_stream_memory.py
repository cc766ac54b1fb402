"""stream() holds one page at a time; all() holds everything: 5,000 items, live objects counted."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import DB, pk, sk, table

ITEMS = 5_000
# The default page on dynalite. moto spends ~0.3-0.6 ms of CPU per item it returns (its
# generic serializer) and sorts the whole partition on every Query, so there the page is
# 250 items: 20 requests instead of 50, each page still 1/20 of the data. (Holding one page
# is shown as well by 20 pages of 5,000 items as by 20,000: the live objects are counted
# exactly, and the suite runs on four servers and transports.)
PAGES = {"dynalite": 100}
MOTO_PAGE = 250

# Every decoded instance registers itself here; the WeakSet's size is how many are alive.
LIVE: weakref.WeakSet[Bulk] = weakref.WeakSet()


@table("bulk")
@attrs.define(eq=False)  # hashable by identity, for the WeakSet
class Bulk:
    group: str = pk()
    seq: int = sk()

    def __attrs_post_init__(self) -> None:
        LIVE.add(self)


@pytest.fixture
async def bulk_table(db: DB, dynamodb_client: Any) -> AsyncIterator[str]:
    await db.create_table(Bulk)
    name = db.table_name(Bulk)
    try:
        await load(dynamodb_client, name)
        yield name
    finally:
        await db.delete_table(Bulk, missing_ok=True)


async def load(client: Any, name: str) -> None:
    """Write the items with raw BatchWriteItem, 25 per request, 8 requests at a time."""
    limiter = anyio.CapacityLimiter(8)

    async def write(start: int) -> None:
        requests = [
            {"PutRequest": {"Item": {"group": {"S": "g"}, "seq": {"N": str(n)}}}}
            for n in range(start, min(start + 25, ITEMS))
        ]
        async with limiter:
            pending = {name: requests}
            while pending:
                response = await client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    async with anyio.create_task_group() as task_group:
        for start in range(0, ITEMS, 25):
            task_group.start_soon(write, start)


async def test_stream_holds_one_page_while_all_holds_everything(
    db: DB, bulk_table: str, server_kind: str
) -> None:
    page = PAGES.get(server_kind, MOTO_PAGE)
    query = db.model(Bulk).where("group", "=", "g").page_size(page)
    LIVE.clear()
    seen = most_alive = most_buffered = expected = 0
    async with query.stream() as stream:
        async for item in stream:
            assert item.seq == expected
            expected += 1
            seen += 1
            most_alive = max(most_alive, len(LIVE))
            most_buffered = max(most_buffered, stream.buffered)
    del item
    assert seen == ITEMS
    # Raw items held (the rest of the current page) never exceed one page, and decoded
    # instances are made one at a time, so only the one in hand is alive.
    assert most_buffered == page - 1
    assert most_alive == 1
    print(f"\nstream(): {seen} items, page {page}, alive {most_alive}, held {most_buffered}")

    # One request (moto's 1 MB page holds them all): all() keeps every item whatever the page.
    # moto builds that whole answer before sending a byte, which can take longer than the
    # default 5 s read timeout on a busy machine: this one request gets more time.
    async with DB(attrs.evolve(db.session.config, timeout=120.0)) as patient:
        big = patient.model(Bulk).where("group", "=", "g").page_size(ITEMS)
        everything = await big.all()
    assert len(everything) == ITEMS
    assert len(LIVE) == ITEMS
    print(f"all(): {len(LIVE)} alive")
