"""dynamorm_async against its peers, side by side in one run, on the null server.

Contenders: raw aiobotocore (the baseline of every ratio, plain AttributeValue dicts),
dynamorm_async on its direct transport and on ``transport="botocore"`` (attrs models both),
aiodynamo (plain dicts), pydynox (plain dicts, Rust core) and PynamoDB (its models,
synchronous). A peer that is not installed is left out (``pip install -e '.[bench]'``).

What is measured, client CPU (:func:`time.process_time`, this process and its threads):

- ``put``/``get``: per operation, one after the other; ``put x32``/``get x32``: 32 in flight
  (``asyncio.gather``; PynamoDB, synchronous, has none);
- ``batch``: writing 5,000 items (BatchWriteItem, 25 per request, 32 requests in flight),
  CPU per item; ``batch 10ms``: the same with every answer 10 ms late, wall time divided by
  the ideal for the concurrency used (``ceil(200 / C) * 10 ms``), the client's CPU for that
  batch divided by the same ideal (above 1, no overlap can reach the ideal), and wall time
  divided by the larger of the two (how well the waiting is hidden behind the work);
- ``query``: one Query answered with a 1,000-item page, decoded into the contender's
  objects (models for the ORMs, dicts for the others), CPU per item;
- ``stream``: peak RSS of a fresh process streaming 100,000 items (100 pages of 1,000) one
  at a time, against the same process streaming 10,000 (flat memory: the two agree);
- ``cold``: a fresh process importing the library, building its client and sending one
  GetItem: CPU of each phase and peak RSS.

Every figure is the median of several rounds; contenders take turns, the order rotating
each round; a ratio is the median over rounds of contender / aiobotocore in the same round.

Usage::

    python benchmarks/compare.py                 # full run (several minutes on 2 cores)
    python benchmarks/compare.py --quick         # CI smoke (DYNAMORM_BENCH_QUICK=1 too)
    python benchmarks/compare.py --json out.json --markdown out.md
    python benchmarks/compare.py --profile       # where dynamorm_async's put/get time goes
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import math
import os
import pstats
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from _common import (
    ORDER,
    PLAIN_ITEM,
    CustomerOrder,
    Order,
    environment,
    median,
    quick_requested,
)
from null_server import ITEM, TABLE, NullServer

from dynamorm_async import DB
from dynamorm_async.testing.local import LOCAL_REGION, local_config

BASELINE = "aiobotocore"
WIDTH = 32
BATCH_ITEMS = 5000
QUERY_ITEMS = 1000
LATENCY = 0.010
KEY = {"id": ITEM["id"]}
HERE = Path(__file__).parent

Op = Callable[[], Awaitable[object]]


@attrs.define
class Contender:
    """A client: its name, what its objects are, and its operations (``None``: it has none)."""

    name: str
    objects: str
    put: Op
    get: Op
    batch: Callable[[list[Order]], Awaitable[object]]
    query: Callable[[], Awaitable[int]]
    wide: bool = True


def order_items(count: int) -> list[Order]:
    """``count`` distinct orders (ids ``order-000000``...)."""
    return [attrs.evolve(ORDER, id=f"order-{n:06d}") for n in range(count)]


def as_item(order: Order) -> dict[str, Any]:
    """An order as AttributeValues (what raw clients send)."""
    return {**ITEM, "id": {"S": order.id}}


def as_plain(order: Order) -> dict[str, Any]:
    """An order as plain Python values (what aiodynamo and pydynox send)."""
    return {**PLAIN_ITEM, "id": order.id}


async def gather_limited(width: int, jobs: list[Callable[[], Awaitable[object]]]) -> None:
    """Run ``jobs`` with at most ``width`` in flight."""
    gate = asyncio.Semaphore(width)

    async def run(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


def chunks(items: list[Any], size: int = 25) -> list[list[Any]]:
    """``items`` in lists of ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


# -- the contenders -----------------------------------------------------------------------


async def aiobotocore_contender(stack: AsyncExitStack, url: str) -> Contender:
    """Raw aiobotocore: AttributeValue dicts in and out, nothing decoded."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    client = await stack.enter_async_context(
        get_session().create_client(
            "dynamodb",
            region_name=LOCAL_REGION,
            endpoint_url=url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=AioConfig(max_pool_connections=WIDTH, retries={"mode": "standard"}),
        )
    )

    async def batch(orders: list[Order]) -> None:
        async def write(part: list[Order]) -> None:
            requests = [{"PutRequest": {"Item": as_item(o)}} for o in part]
            await client.batch_write_item(RequestItems={TABLE: requests})

        await gather_limited(WIDTH, [lambda p=p: write(p) for p in chunks(orders)])

    async def query() -> int:
        page = await client.query(
            TableName=TABLE,
            KeyConditionExpression="#c = :c",
            ExpressionAttributeNames={"#c": "customerId"},
            ExpressionAttributeValues={":c": ITEM["customerId"]},
        )
        return len(page["Items"])

    return Contender(
        BASELINE,
        "dicts",
        lambda: client.put_item(TableName=TABLE, Item=ITEM),
        lambda: client.get_item(TableName=TABLE, Key=KEY),
        batch,
        query,
    )


async def dynamorm_db(stack: AsyncExitStack, url: str, transport: str) -> DB:
    """The benchmark's DB on one transport, checked against the null server's item."""
    db = DB(
        local_config(
            url,
            transport=transport,
            max_pool_connections=WIDTH,
            batch_concurrency=WIDTH,
            retry_mode="standard",
        )
    )
    stack.push_async_callback(db.close)
    db.register(Order, CustomerOrder)
    assert await db.get(Order, {"id": ORDER.id}) == ORDER, "the null server's item drifted"
    return db


async def dynamorm_contender(stack: AsyncExitStack, url: str, transport: str) -> Contender:
    """dynamorm_async on one transport: attrs models in and out."""
    db = await dynamorm_db(stack, url, transport)

    async def query() -> int:
        query = db.model(CustomerOrder).where("customer_id", "=", ORDER.customer_id)
        found = await query.page_size(QUERY_ITEMS).all()
        assert isinstance(found[0], CustomerOrder)
        return len(found)

    return Contender(
        f"dynamorm_async ({transport})",
        "models",
        lambda: db.put(ORDER),
        lambda: db.get(Order, {"id": ORDER.id}),
        db.batch_put,
        query,
    )


async def aiodynamo_contender(stack: AsyncExitStack, url: str) -> Contender | None:
    """aiodynamo over its aiohttp adapter, plain values."""
    try:
        import aiohttp
        from aiodynamo.client import Client
        from aiodynamo.credentials import Key, StaticCredentials
        from aiodynamo.expressions import F
        from aiodynamo.http.aiohttp import AIOHTTP
        from yarl import URL
    except ImportError:
        return None
    http = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WIDTH))
    )
    client = Client(
        AIOHTTP(http),
        StaticCredentials(Key("testing", "testing")),
        LOCAL_REGION,
        endpoint=URL(url),
        numeric_type=Decimal,
    )
    table = client.table(TABLE)

    async def batch(orders: list[Order]) -> None:
        from aiodynamo.models import BatchWriteRequest

        async def write(part: list[Order]) -> None:
            await client.batch_write(
                {TABLE: BatchWriteRequest(items_to_put=[as_plain(o) for o in part])}
            )

        await gather_limited(WIDTH, [lambda p=p: write(p) for p in chunks(orders)])

    async def query() -> int:
        count = 0
        async for _ in table.query(F("customerId").equals(ORDER.customer_id), limit=QUERY_ITEMS):
            count += 1
        return count

    return Contender(
        "aiodynamo",
        "dicts",
        lambda: table.put_item(as_plain(ORDER)),
        lambda: table.get_item({"id": ORDER.id}),
        batch,
        query,
    )


async def pydynox_contender(stack: AsyncExitStack, url: str) -> Contender | None:
    """pydynox's async client (Rust core), plain values."""
    try:
        from pydynox import DynamoDBClient
    except ImportError:
        return None
    client = DynamoDBClient(
        region=LOCAL_REGION, access_key="testing", secret_key="testing", endpoint_url=url
    )

    async def batch(orders: list[Order]) -> None:
        async def write(part: list[Order]) -> None:
            await client.batch_write(TABLE, put_items=[as_plain(o) for o in part])

        await gather_limited(WIDTH, [lambda p=p: write(p) for p in chunks(orders)])

    async def query() -> int:
        count = 0
        result = client.query(
            TABLE,
            key_condition_expression="#c = :c",
            expression_attribute_names={"#c": "customerId"},
            expression_attribute_values={":c": ORDER.customer_id},
            limit=QUERY_ITEMS,
        )
        async for _ in result:
            count += 1
        return count

    return Contender(
        "pydynox",
        "dicts",
        lambda: client.put_item(TABLE, as_plain(ORDER)),
        lambda: client.get_item(TABLE, {"id": ORDER.id}),
        batch,
        query,
    )


def pynamodb_contender(url: str) -> Contender | None:
    """PynamoDB's models (synchronous: its calls block the loop, so no x32 figures)."""
    try:
        from pynamodb.attributes import (
            BooleanAttribute,
            NumberAttribute,
            UnicodeAttribute,
            UnicodeSetAttribute,
        )
        from pynamodb.models import Model
    except ImportError:
        return None

    class PynamoOrder(Model):
        class Meta:
            table_name = TABLE
            host = url
            region = LOCAL_REGION
            aws_access_key_id = "testing"
            aws_secret_access_key = "testing"
            max_pool_connections = WIDTH

        id = UnicodeAttribute(hash_key=True)
        customerId = UnicodeAttribute()  # the stored names
        amount = NumberAttribute()
        currency = UnicodeAttribute()
        status = UnicodeAttribute()
        description = UnicodeAttribute()
        quantity = NumberAttribute()
        gift = BooleanAttribute()
        tags = UnicodeSetAttribute()
        placedAt = UnicodeAttribute()

    def model(order: Order) -> Any:
        values = {k: v for k, v in as_plain(order).items() if k != "id"}
        values["amount"] = float(values["amount"])  # PynamoDB's numbers are floats
        return PynamoOrder(id=order.id, **values)

    one = model(ORDER)

    async def put() -> None:
        one.save()

    async def get() -> Any:
        return PynamoOrder.get(ORDER.id)

    async def batch(orders: list[Order]) -> None:
        with PynamoOrder.batch_write() as writer:
            for order in orders:
                writer.save(model(order))

    async def query() -> int:
        return sum(1 for _ in PynamoOrder.query(ORDER.customer_id, limit=QUERY_ITEMS))

    return Contender("PynamoDB", "models", put, get, batch, query, wide=False)


async def open_contenders(stack: AsyncExitStack, url: str) -> list[Contender]:
    """Every installed contender, on ``url``."""
    found: list[Contender | None] = [
        await aiobotocore_contender(stack, url),
        await dynamorm_contender(stack, url, "direct"),
        await dynamorm_contender(stack, url, "botocore"),
        await aiodynamo_contender(stack, url),
        await pydynox_contender(stack, url),
        pynamodb_contender(url),
    ]
    return [c for c in found if c is not None]


# -- measuring ------------------------------------------------------------------------------


async def cpu_of(run: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """CPU and wall seconds of one awaited ``run()``."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    await run()
    return time.process_time() - cpu, time.perf_counter() - wall


async def loop(op: Op, ops: int) -> None:
    """``op`` ``ops`` times in sequence."""
    for _ in range(ops):
        await op()


async def wide(op: Op, ops: int) -> None:
    """``op`` in gathered batches of :data:`WIDTH`."""
    for _ in range(max(1, ops // WIDTH)):
        await asyncio.gather(*(op() for _ in range(WIDTH)))


Figures = dict[str, dict[str, list[float]]]


async def measure_in_process(contenders: list[Contender], ops: int, rounds: int) -> Figures:
    """Per-op CPU (µs) of put/get/x32, batch and query CPU per item, in rotating rounds."""
    figures: Figures = {c.name: {} for c in contenders}
    orders = order_items(BATCH_ITEMS)
    for c in contenders:  # warm-up
        await loop(c.put, 20)
        await loop(c.get, 20)
        if c.wide:
            await wide(c.put, 2 * WIDTH)
        await c.query()
    for number in range(rounds):
        shift = number % len(contenders)
        for c in contenders[shift:] + contenders[:shift]:
            record = figures[c.name]
            for name, op in (("put", c.put), ("get", c.get)):
                cpu, _ = await cpu_of(lambda op=op: loop(op, ops))
                record.setdefault(name, []).append(cpu / ops * 1e6)
                if c.wide:
                    cpu, _ = await cpu_of(lambda op=op: wide(op, ops))
                    record.setdefault(f"{name} x{WIDTH}", []).append(
                        cpu / (ops // WIDTH * WIDTH) * 1e6
                    )
            cpu, _ = await cpu_of(lambda c=c: c.batch(orders))
            record.setdefault("batch", []).append(cpu / BATCH_ITEMS * 1e6)
            counted: list[int] = []

            async def query_pages(c: Contender = c, counted: list[int] = counted) -> None:
                for _ in range(3):
                    counted.append(await c.query())

            cpu, _ = await cpu_of(query_pages)
            assert counted == [QUERY_ITEMS] * 3, f"{c.name} read {counted}"
            record.setdefault("query", []).append(cpu / (3 * QUERY_ITEMS) * 1e6)
    return figures


async def measure_latency(contenders: list[Contender], rounds: int) -> Figures:
    """Wall time of the 5,000-item batch at 10 ms per answer, divided by the ideal.

    One untimed batch per client first opens its connection pool, as a warm Lambda's is:
    otherwise the first round also times the connecting of up to :data:`WIDTH` sockets.
    """
    figures: Figures = {c.name: {} for c in contenders}
    orders = order_items(BATCH_ITEMS)
    requests = math.ceil(BATCH_ITEMS / 25)
    for c in contenders:
        await c.batch(orders)
    for number in range(rounds):
        shift = number % len(contenders)
        for c in contenders[shift:] + contenders[:shift]:
            width = WIDTH if c.wide else 1
            ideal = math.ceil(requests / width) * LATENCY
            cpu, wall = await cpu_of(lambda c=c: c.batch(orders))
            figures[c.name].setdefault("batch 10ms", []).append(wall / ideal)
            figures[c.name].setdefault("batch 10ms C", []).append(width)
            # The client's own CPU is a floor too: a client on one thread cannot finish before
            # its work is done, however well it overlaps that work with the waiting.
            figures[c.name].setdefault("batch 10ms floor", []).append(wall / max(ideal, cpu))
            figures[c.name].setdefault("batch 10ms cpu", []).append(cpu / ideal)
    return figures


# -- fresh processes ----------------------------------------------------------------------

# The library and the model only, as a function would import them: not the benchmark's own
# helpers (_common pulls in the null server, statistics, argparse, importlib.metadata;
# testing.local pulls in http.client and email), which are no part of a cold start.
_DYNAMORM_IMPORTS = """\
import datetime as dt
from decimal import Decimal
import attrs
from dynamorm_async import DB, Config, Credentials, pk, table
KEYS = Credentials(access_key_id='testing', secret_access_key='testing')
@table('bench-orders')
@attrs.define(kw_only=True)
class Order:
    id: str = pk()
    customer_id: str
    amount: Decimal
    placed_at: dt.datetime
    currency: str = 'EUR'
    status: str = 'paid'
    description: str = ''
    quantity: int = 0
    gift: bool = False
    tags: set[str] = attrs.field(factory=set)"""

COLD = {
    BASELINE: (
        "from aiobotocore.session import get_session",
        "ctx = get_session().create_client('dynamodb', region_name='us-east-1', endpoint_url=URL,"
        " aws_access_key_id='testing', aws_secret_access_key='testing')\n"
        "client = await ctx.__aenter__()",
        "await client.get_item(TableName='bench-orders', Key={'id': {'S': 'order-0001'}})",
    ),
    "dynamorm_async (direct)": (
        _DYNAMORM_IMPORTS,
        "db = DB(Config(region='us-east-1', endpoint_url=URL, credentials=KEYS))\nawait db.open()",
        "await db.get(Order, {'id': 'order-0001'})",
    ),
    "dynamorm_async (botocore)": (
        _DYNAMORM_IMPORTS,
        "db = DB(Config(region='us-east-1', endpoint_url=URL, credentials=KEYS,"
        " transport='botocore'))\nawait db.open()",
        "await db.get(Order, {'id': 'order-0001'})",
    ),
    "aiodynamo": (
        "import aiohttp\nfrom aiodynamo.client import Client\n"
        "from aiodynamo.credentials import Key, StaticCredentials\n"
        "from aiodynamo.http.aiohttp import AIOHTTP\nfrom yarl import URL as Y",
        "http = aiohttp.ClientSession()\n"
        "table = Client(AIOHTTP(http), StaticCredentials(Key('testing', 'testing')), 'us-east-1',"
        " endpoint=Y(URL)).table('bench-orders')",
        "await table.get_item({'id': 'order-0001'})",
    ),
    "pydynox": (
        "from pydynox import DynamoDBClient",
        "client = DynamoDBClient(region='us-east-1', access_key='testing', secret_key='testing',"
        " endpoint_url=URL)",
        "await client.get_item('bench-orders', {'id': 'order-0001'})",
    ),
    "PynamoDB": (
        "from pynamodb.models import Model\nfrom pynamodb.attributes import UnicodeAttribute",
        "class O(Model):\n"
        "    class Meta:\n"
        "        table_name = 'bench-orders'; host = URL; region = 'us-east-1'\n"
        "        aws_access_key_id = 'testing'; aws_secret_access_key = 'testing'\n"
        "    id = UnicodeAttribute(hash_key=True)\n"
        "O._get_connection()",
        "O.get('order-0001')",
    ),
}

_PEAK_RSS = """
def peak_rss_mb():
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's across exec).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_COLD_SCRIPT = """
import asyncio, json, resource, sys, time
sys.path.insert(0, {here!r})
URL = {url!r}
{peak}
t0 = time.process_time()
{imports}
t1 = time.process_time()
async def main():
    global t1
{client}
    t2 = time.process_time()
{request}
    t3 = time.process_time()
    return t2, t3
t2, t3 = asyncio.run(main())
print(json.dumps({{"import": t1 - t0, "client": t2 - t1, "request": t3 - t2,
    "total": t3 - t0, "rss_mb": peak_rss_mb()}}))
"""


def _bytecode_env() -> dict[str, str]:
    """The environment of a cold-start child: byte-code caches read, as a deployment's are.

    pip byte-compiles the peers when it installs them; dynamorm_async, installed editable,
    is compiled by :func:`byte_compile` before the first child. With
    ``PYTHONDONTWRITEBYTECODE`` set (as in this project's shells) the children would
    otherwise compile dynamorm_async from source every time, and only it.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def byte_compile() -> None:
    """Write dynamorm_async's ``.pyc`` files, as a Lambda layer ships them."""
    import compileall

    import dynamorm_async

    compileall.compile_dir(Path(dynamorm_async.__file__).parent, quiet=1)


def cold_start(name: str, url: str) -> dict[str, float] | None:
    """One fresh process's import/client/first-request CPU (ms) and peak RSS (MB)."""
    imports, client, request = COLD[name]
    script = _COLD_SCRIPT.format(
        peak=_PEAK_RSS,
        here=str(HERE),
        url=url,
        imports=imports,
        client=textwrap.indent(client, "    "),
        request=textwrap.indent(request, "    "),
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=120, check=False, env=_bytecode_env(),
    )  # fmt: skip
    if done.returncode != 0:
        if "ModuleNotFoundError" in done.stderr:
            return None
        raise RuntimeError(f"cold start of {name} failed:\n{done.stderr}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: (v * 1000 if k != "rss_mb" else v) for k, v in raw.items()}


_STREAM_SCRIPT = """
import asyncio, json, resource, sys
sys.path.insert(0, {here!r})
{peak}
from _common import CustomerOrder
URL, ITEMS, TRANSPORT = {url!r}, {items}, {transport!r}
async def main():
    if TRANSPORT == "aiobotocore":
        from aiobotocore.session import get_session
        async with get_session().create_client('dynamodb', region_name='us-east-1',
                endpoint_url=URL, aws_access_key_id='testing',
                aws_secret_access_key='testing') as client:
            count = 0
            paginator = client.get_paginator('query')
            async for page in paginator.paginate(TableName='bench-orders',
                    KeyConditionExpression='id = :i',
                    ExpressionAttributeValues={{':i': {{'S': 'x'}}}}):
                count += len(page['Items'])
                if count >= ITEMS:
                    break
            return count
    from dynamorm_async import DB
    from dynamorm_async.testing.local import local_config
    async with DB(local_config(URL, transport=TRANSPORT)) as db:
        count = 0
        query = db.model(CustomerOrder).where('customer_id', '=', 'c').page_size(1000)
        async with query.stream() as items:
            async for _ in items:
                count += 1
                if count >= ITEMS:
                    break
        return count
count = asyncio.run(main())
print(json.dumps({{"count": count, "rss_mb": peak_rss_mb()}}))
"""


def stream_peak(transport: str, url: str, items: int) -> float:
    """Peak RSS (MB) of a fresh process streaming ``items`` items."""
    script = _STREAM_SCRIPT.format(
        peak=_PEAK_RSS, here=str(HERE), url=url, items=items, transport=transport
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True
    )
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    assert raw["count"] == items, raw
    return float(raw["rss_mb"])


# -- the report -----------------------------------------------------------------------------


def paired_ratio(values: list[float], base: list[float]) -> float:
    """The median over rounds of value / baseline in the same round."""
    return median([v / b for v, b in zip(values, base, strict=True)])


COLUMNS = ["put", "get", f"put x{WIDTH}", f"get x{WIDTH}", "batch", "query"]
UNITS = dict.fromkeys(COLUMNS, "µs")


def markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table: figures, and ratios against raw aiobotocore."""
    names = list(results["in_process"])
    base = results["in_process"][BASELINE]
    head = [
        "client",
        "objects",
        *[f"{c} CPU µs{'/item' if c in ('batch', 'query') else ''}" for c in COLUMNS],
        "batch 5,000 at 10 ms: wall ÷ ideal (C); CPU ÷ ideal; wall ÷ max(ideal, CPU)",
        "cold start CPU ms (import+client+GetItem)",
        "peak RSS MB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        row = results["in_process"][name]
        cells = [name, results["objects"][name]]
        for column in COLUMNS:
            values = row.get(column)
            if not values:
                cells.append("-")
                continue
            ratio = paired_ratio(values, base[column])
            cells.append(f"{median(values):.1f} ({ratio:.2f}x)")
        latency = results["latency"].get(name, {})
        if latency.get("batch 10ms"):
            cells.append(
                f"{median(latency['batch 10ms']):.2f} (C={int(latency['batch 10ms C'][0])});"
                f" {median(latency['batch 10ms cpu']):.2f};"
                f" {median(latency['batch 10ms floor']):.2f}"
            )
        else:
            cells.append("-")
        cold = results["cold"].get(name)
        base_cold = results["cold"][BASELINE]
        if cold:
            total = median(cold["total"])
            rss = median(cold["rss_mb"])
            cells.append(f"{total:.0f} ({total / median(base_cold['total']):.2f}x)")
            cells.append(f"{rss:.0f} ({rss / median(base_cold['rss_mb']):.2f}x)")
        else:
            cells += ["-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    stream = results.get("stream") or {}
    if stream:
        lines.append("")
        sizes = results.get("stream_items") or {"small": 10_000, "large": 100_000}
        lines.append(
            f"| streaming (one item at a time) | peak RSS MB, {sizes['small']:,} items"
            f" | {sizes['large']:,} items |"
        )
        lines.append("|---|---|---|")
        for name, peaks in stream.items():
            lines.append(f"| {name} | {peaks['small']:.0f} | {peaks['large']:.0f} |")
    return "\n".join(lines) + "\n"


def _by_module(profiler: cProfile.Profile) -> tuple[dict[str, float], float, float]:
    """Own time by top-level module, the busy total and the idle time (epoll's wait)."""
    stats = pstats.Stats(profiler)
    by_module: dict[str, float] = {}
    total = 0.0
    for (file, _, func), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        if file == "~":
            key = f"built-in {func.split(' of ')[0].strip('<>')}"
        elif "site-packages" in file:
            key = file.split("site-packages/")[1].split("/")[0]
        elif "dynamorm_async" in file:
            key = "dynamorm_async/" + file.split("dynamorm_async/")[-1]
        else:
            key = "stdlib " + Path(file).stem
        by_module[key] = by_module.get(key, 0.0) + own
    # epoll's wait is time spent idle (the answer is on its way), not CPU: left out.
    idle = by_module.pop("built-in method 'poll'", 0.0)
    return by_module, total - idle, idle


def _shares(by_module: dict[str, float], busy: float, rows: int) -> str:
    return "".join(
        f"{seconds / busy * 100:6.1f} %  {key}\n"
        for key, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:rows]
    )


async def batch_split(db: DB, orders: list[Order], repeats: int) -> dict[str, float]:
    """CPU µs per item of a batch write, whole and in its two halves (medians of runs).

    ``planning`` is what the batch does before a request leaves (checks, duplicate
    detection, encoding, request bodies: :mod:`dynamorm_async.planning.batches`, no
    network); ``sending`` is sending those very requests, :data:`WIDTH` in flight, through
    the engine (serialisation, signing, aiohttp, the event loop).
    """
    from dynamorm_async.planning.batches import WRITE_CHUNK, BatchWritePlan, chunked
    from dynamorm_async.planning.lifecycle import utcnow
    from dynamorm_async.planning.writes import WritePlanner

    def plan() -> Iterator[dict[str, Any]]:
        batch = BatchWritePlan(
            WritePlanner(db.codec, db.config, utcnow()), mode="put", unconditional=False
        )
        for order in orders:
            batch.add_put(order)
        for chunk in chunked(batch.entries, WRITE_CHUNK):
            yield batch.request(batch.plan(chunk))
            for entry in chunk:  # as an answered chunk lets its encoded items go
                entry.write = None

    requests = list(plan())
    gate = asyncio.Semaphore(WIDTH)

    async def send(params: dict[str, Any]) -> None:
        async with gate:
            await db.engine.call("BatchWriteItem", params)

    async def planning() -> None:
        for _ in plan():
            pass

    async def sending() -> None:
        await asyncio.gather(*(send(params) for params in requests))

    async def whole() -> None:
        await db.batch_put(orders)

    figures: dict[str, list[float]] = {}
    await whole()  # the pool's connections, opened
    for _ in range(repeats):
        for name, run in (("whole", whole), ("planning", planning), ("sending", sending)):
            cpu, _ = await cpu_of(run)
            figures.setdefault(name, []).append(cpu / len(orders) * 1e6)
    return {name: median(values) for name, values in figures.items()}


def profile(url: str, ops: int) -> str:
    """cProfile of dynamorm_async (direct): puts and gets, then a batch write, by module."""

    async def run() -> str:
        out = io.StringIO()
        async with AsyncExitStack() as stack:
            db = await dynamorm_db(stack, url, "direct")
            c = await dynamorm_contender(stack, url, "direct")
            await loop(c.put, 50)
            profiler = cProfile.Profile()
            profiler.enable()
            await loop(c.put, ops)
            await loop(c.get, ops)
            profiler.disable()
            by_module, busy, idle = _by_module(profiler)
            out.write(
                f"own time by module, {2 * ops} operations (put then get): "
                f"{busy / (2 * ops) * 1e6:.0f} µs busy per operation under cProfile, shares of "
                f"it ({idle / (busy + idle):.0%} idle in epoll left out)\n"
            )
            out.write(_shares(by_module, busy, 25))
            orders = order_items(BATCH_ITEMS)
            split = await batch_split(db, orders, 7)
            requests = math.ceil(BATCH_ITEMS / 25)
            ideal = math.ceil(requests / WIDTH) * LATENCY
            sending_ms = split["sending"] * BATCH_ITEMS / 1000
            out.write(
                f"\nbatch write of {BATCH_ITEMS:,} items ({requests} requests, {WIDTH} in "
                f"flight), client CPU µs per item, medians of 7 runs without the profiler: "
                f"whole {split['whole']:.1f} = planning {split['planning']:.1f} (checks, "
                f"encoding, request bodies) + sending {split['sending']:.1f} (serialising, "
                f"signing, aiohttp, event loop) + the fan-out's bookkeeping; sending alone is "
                f"{sending_ms:.0f} ms, {sending_ms / (ideal * 1000):.2f} x the {ideal * 1000:.0f}"
                f" ms ideal at {LATENCY * 1000:.0f} ms RTT\n"
            )
            sizes = (2_000, BATCH_ITEMS, 20_000)
            many = order_items(max(sizes))
            per_item: dict[int, list[float]] = {}
            for _ in range(5):
                for size in sizes:
                    cpu, _ = await cpu_of(lambda size=size: db.batch_put(many[:size]))
                    per_item.setdefault(size, []).append(cpu / size * 1e6)
            out.write(
                "the whole batch's CPU µs per item by its size (medians of 5): "
                + ", ".join(f"{size:,} items {median(v):.1f}" for size, v in per_item.items())
                + "\n"
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(3):
                await c.batch(orders)
            profiler.disable()
            by_module, busy, idle = _by_module(profiler)
            out.write(
                f"own time by module, 3 batch writes: {busy / (3 * BATCH_ITEMS) * 1e6:.0f} µs busy"
                " per item under cProfile, shares of it\n"
            )
            out.write(_shares(by_module, busy, 25))
        return out.getvalue()

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    """Run everything and print the table (and write JSON/markdown when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--json", help="write every figure here")
    parser.add_argument("--markdown", help="write the table here")
    parser.add_argument("--profile", action="store_true", help="profile dynamorm_async instead")
    parser.add_argument("--ops", type=int, help="operations per round (default 640; quick 64)")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; quick 1)")
    parser.add_argument(
        "--sleeping-server",
        action="store_true",
        help="a null server that sleeps between requests (its wake-ups count as client CPU)",
    )
    args = parser.parse_args(argv)
    quick = quick_requested(args.quick)
    ops, rounds, repeats = (64, 1, 1) if quick else (640, 5, 3)
    ops, rounds = args.ops or ops, args.rounds or rounds
    awake = not args.sleeping_server
    started = time.perf_counter()
    load = os.getloadavg()[0]
    if args.profile:
        with NullServer(query_items=QUERY_ITEMS, awake=awake) as server:
            print(profile(server.endpoint_url, 2000))
        return
    results: dict[str, Any] = {"environment": environment(), "quick": quick}
    with NullServer(query_items=QUERY_ITEMS, awake=awake) as server:

        async def in_process() -> tuple[Figures, dict[str, str]]:
            async with AsyncExitStack() as stack:
                contenders = await open_contenders(stack, server.endpoint_url)
                figures = await measure_in_process(contenders, ops, rounds)
                return figures, {c.name: c.objects for c in contenders}

        results["in_process"], results["objects"] = asyncio.run(in_process())
        names = list(results["in_process"])
        cold: dict[str, dict[str, list[float]]] = {}
        byte_compile()
        for _ in range(repeats):
            for name in names:
                found = cold_start(name, server.endpoint_url)
                if found:
                    for key, value in found.items():
                        cold.setdefault(name, {}).setdefault(key, []).append(value)
        results["cold"] = cold
    with NullServer(query_items=QUERY_ITEMS, latency=LATENCY, awake=awake) as slow:

        async def latency() -> Figures:
            async with AsyncExitStack() as stack:
                contenders = await open_contenders(stack, slow.endpoint_url)
                return await measure_latency(contenders, rounds)

        results["latency"] = asyncio.run(latency())
    small, large = (2_000, 10_000) if quick else (10_000, 100_000)
    with NullServer(
        query_items=QUERY_ITEMS, query_pages=large // QUERY_ITEMS, awake=awake
    ) as pages:
        results["stream"] = {
            name: {
                "small": stream_peak(kind, pages.endpoint_url, small),
                "large": stream_peak(kind, pages.endpoint_url, large),
            }
            for name, kind in (
                ("dynamorm_async (direct)", "direct"),
                ("dynamorm_async (botocore)", "botocore"),
                (BASELINE + " paginator (dicts)", "aiobotocore"),
            )
        }
    results["stream_items"] = {"small": small, "large": large}
    table = markdown(results)
    print(table)
    elapsed = time.perf_counter() - started
    print(
        f"measured in {elapsed:.0f} s ({'quick' if quick else 'full'}: {ops} ops x {rounds} "
        f"rounds); 1-minute load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} CPUs"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    if args.markdown:
        Path(args.markdown).write_text(table)


if __name__ == "__main__":
    main()
