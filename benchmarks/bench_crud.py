"""Put and get through raw aiobotocore, dynamorm_async and aiodynamo, side by side.

Every client talks to the same null server (``null_server.py``, a child process answering
instantly), so what is measured is the client: its CPU time per operation
(:func:`time.process_time` over a sequential loop), its wall time per operation, and the
throughput of 16-way concurrent ``asyncio.gather`` batches. The clients take turns in
rounds (the order rotates every round) so that the machine's noise spreads over all of them;
the figures are medians over the rounds, and each ratio is the median of the per-round
ratios to the baseline's run of the same round.

The clients, all sending the same 10-attribute item and the same key:

* ``aiobotocore``: ``put_item``/``get_item`` with a ready AttributeValue dict; the result is
  not decoded. The baseline of every ratio. Configured as dynamorm_async configures its
  own client (timeouts, pool, ``adaptive`` retries).
* ``aiobotocore + hand mapping``: the same, plus hand-written code turning the model
  instance into AttributeValues and the response back into an instance: what any
  application on raw aiobotocore has to do.
* ``dynamorm_async``: ``db.put(order)`` and ``db.get(Order, {"id": ...})``.
* ``aiodynamo``: ``table.put_item(dict)``/``table.get_item(key)`` on its aiohttp client, with
  plain Python values (``numeric_type=Decimal``); skipped if aiodynamo is not installed.

Beside them, ``dynamorm_async, no I/O`` runs ``db.put``/``db.get`` over an in-memory
transport that answers as the null server does: dynamorm_async's own code alone, with hot
caches, so a floor (``--profile`` times the mapping inside real requests, 3-7 times this).

Usage::

    python benchmarks/bench_crud.py                 # full run, about a minute on 2 cores
    python benchmarks/bench_crud.py --quick         # a few seconds (CI smoke)
    python benchmarks/bench_crud.py --ops 5000 --json crud.json
    python benchmarks/bench_crud.py --profile       # where dynamorm_async spends its time
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import attrs
from _common import (
    ORDER,
    PLAIN_ITEM,
    QUICK_ENV,
    Order,
    from_item,
    median,
    print_table,
    quick_requested,
    ratio,
    to_item,
    write_json,
)
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from null_server import ITEM, TABLE, NullServer

from dynamorm_async import DB
from dynamorm_async.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_MODE,
    DEFAULT_TIMEOUT,
)
from dynamorm_async.local import LOCAL_REGION, local_config

Op = Callable[[], Awaitable[object]]

BASELINE = "aiobotocore"
LAYER = "dynamorm_async, no I/O"
DEFAULT_OPS = 3000
DEFAULT_ROUNDS = 5
QUICK_OPS = 160
QUICK_ROUNDS = 1
WIDTH = 16
KEY = {"id": ITEM["id"]}
OPERATIONS = ("put", "get")


@attrs.define
class Contender:
    """One client under test: a name and its put and get operations."""

    name: str
    put: Op
    get: Op
    network: bool = True


@attrs.define
class Sample:
    """One timed loop: total CPU and wall seconds over ``ops`` operations."""

    cpu: float
    wall: float
    ops: int

    def as_dict(self) -> dict[str, float]:
        """Per-operation microseconds and operations per second."""
        return {
            "cpu_us": self.cpu / self.ops * 1e6,
            "wall_us": self.wall / self.ops * 1e6,
            "ops_per_s": self.ops / self.wall,
        }


class FixedTransport:
    """A transport answering as the null server does, without any I/O."""

    async def call(self, operation: str, params: Any) -> dict[str, Any]:
        """Return the null server's answer to ``operation``."""
        return {"Item": ITEM} if operation == "GetItem" else {}

    async def aclose(self) -> None:
        """Nothing to release."""


async def open_fixed_transport(config: Any) -> FixedTransport:
    """The :class:`FixedTransport` factory a DB takes."""
    return FixedTransport()


# -- the clients ---------------------------------------------------------------------------


async def open_contenders(stack: AsyncExitStack, endpoint_url: str) -> list[Contender]:
    """Open every client on ``endpoint_url`` and check that each reads back the order."""
    config = AioConfig(
        connect_timeout=DEFAULT_CONNECT_TIMEOUT,
        read_timeout=DEFAULT_TIMEOUT,
        max_pool_connections=WIDTH,
        retries={"max_attempts": DEFAULT_MAX_RETRIES, "mode": DEFAULT_RETRY_MODE},
    )
    client = await stack.enter_async_context(
        get_session().create_client(
            "dynamodb",
            region_name=LOCAL_REGION,
            endpoint_url=endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )
    )

    async def raw_put() -> object:
        return await client.put_item(TableName=TABLE, Item=ITEM)

    async def raw_get() -> object:
        return await client.get_item(TableName=TABLE, Key=KEY)

    async def hand_put() -> object:
        return await client.put_item(TableName=TABLE, Item=to_item(ORDER))

    async def hand_get() -> Order:
        response = await client.get_item(TableName=TABLE, Key={"id": {"S": ORDER.id}})
        return from_item(response["Item"])

    db = DB(local_config(endpoint_url, max_pool_connections=WIDTH))
    stack.push_async_callback(db.close)
    db.register(Order)

    async def orm_put() -> object:
        return await db.put(ORDER)

    async def orm_get() -> Order:
        return await db.get(Order, {"id": ORDER.id})

    # The benchmark is only fair if every client sends and reads the same item.
    assert to_item(ORDER) == ITEM == db.codec.encode(ORDER), "the item drifted from the model"
    assert await hand_get() == ORDER == await orm_get(), "the null server's item drifted"
    alone = DB(local_config(endpoint_url), transport_factory=open_fixed_transport)
    stack.push_async_callback(alone.close)

    async def alone_put() -> object:
        return await alone.put(ORDER)

    async def alone_get() -> Order:
        return await alone.get(Order, {"id": ORDER.id})

    assert await alone_get() == ORDER
    contenders = [
        Contender(BASELINE, raw_put, raw_get),
        Contender("aiobotocore + hand mapping", hand_put, hand_get),
        Contender("dynamorm_async", orm_put, orm_get),
        Contender(LAYER, alone_put, alone_get, network=False),
    ]
    aiodynamo = await open_aiodynamo(stack, endpoint_url)
    if aiodynamo is not None:
        contenders.append(aiodynamo)
    return contenders


async def open_aiodynamo(stack: AsyncExitStack, endpoint_url: str) -> Contender | None:
    """The aiodynamo contender, or ``None`` when aiodynamo is not installed."""
    try:
        import aiohttp
        from aiodynamo.client import Client
        from aiodynamo.credentials import Key, StaticCredentials
        from aiodynamo.http.aiohttp import AIOHTTP
        from yarl import URL
    except ImportError:
        print("aiodynamo is not installed (pip install -e '.[bench]'): skipping it")
        return None
    http = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WIDTH))
    )
    table = Client(
        AIOHTTP(http),
        StaticCredentials(Key("testing", "testing")),
        LOCAL_REGION,
        endpoint=URL(endpoint_url),
        numeric_type=Decimal,
    ).table(TABLE)

    async def put() -> object:
        return await table.put_item(PLAIN_ITEM)

    async def get() -> object:
        return await table.get_item({"id": ORDER.id})

    assert await get() == PLAIN_ITEM, "aiodynamo read back another item"
    return Contender("aiodynamo", put, get)


# -- measuring -----------------------------------------------------------------------------


async def sequential(op: Op, ops: int) -> Sample:
    """Await ``op`` ``ops`` times, one after the other."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ops):
        await op()
    return Sample(time.process_time() - cpu, time.perf_counter() - wall, ops)


async def concurrent(op: Op, ops: int) -> Sample:
    """Run ``op`` in gathered batches of :data:`WIDTH` until ``ops`` (rounded up) ran."""
    batches = max(1, -(-ops // WIDTH))
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(batches):
        await asyncio.gather(*[op() for _ in range(WIDTH)])
    return Sample(time.process_time() - cpu, time.perf_counter() - wall, batches * WIDTH)


Samples = dict[str, dict[str, list[Sample]]]


async def measure(contenders: list[Contender], ops: int, rounds: int) -> Samples:
    """Time every contender's put and get, sequential and 16-way, in rotating rounds."""
    samples: Samples = {c.name: {} for c in contenders}
    per_round = max(1, ops // rounds)
    for contender in contenders:  # warm-up: caches, and a pool of WIDTH open connections
        for op in (contender.put, contender.get):
            await sequential(op, max(20, per_round // 10))
            if contender.network:
                await concurrent(op, 4 * WIDTH)
    for number in range(rounds):
        shift = number % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            for name in OPERATIONS:
                op = getattr(contender, name)
                samples[contender.name].setdefault(name, []).append(await sequential(op, per_round))
                if contender.network:
                    samples[contender.name].setdefault(f"{name}_x{WIDTH}", []).append(
                        await concurrent(op, per_round)
                    )
    return samples


def summarise(samples: Samples) -> dict[str, dict[str, dict[str, Any]]]:
    """Median per-operation figures of every contender and measurement, with the rounds."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for name, by_kind in samples.items():
        summary[name] = {}
        for kind, runs in by_kind.items():
            per_round = [run.as_dict() for run in runs]
            figures: dict[str, Any] = {
                key: median([r[key] for r in per_round]) for key in per_round[0]
            }
            figures["rounds"] = per_round
            summary[name][kind] = figures
    return summary


def paired(summary: dict[str, dict[str, dict[str, Any]]], name: str, kind: str, key: str) -> float:
    """The median over the rounds of ``name``'s figure / the baseline's in the same round.

    Pairing each round with the baseline's run of that round cancels the machine's slow
    drifts (other processes starting and stopping), which medians taken apart do not.
    """
    rounds, base = summary[name][kind]["rounds"], summary[BASELINE][kind]["rounds"]
    return median([r[key] / b[key] for r, b in zip(rounds, base, strict=True)])


def report(summary: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Print the tables; return each contender's paired ratios against the baseline."""
    ratios: dict[str, dict[str, float]] = {}
    rows = []
    for op in OPERATIONS:
        wide = f"{op}_x{WIDTH}"
        for name, figures in summary.items():
            if name == LAYER:
                continue
            found = {
                f"{op}_cpu": paired(summary, name, op, "cpu_us"),
                f"{op}_wall": paired(summary, name, op, "wall_us"),
                f"{wide}_cpu": paired(summary, name, wide, "cpu_us"),
                f"{wide}_ops_per_s": paired(summary, name, wide, "ops_per_s"),
            }
            ratios.setdefault(name, {}).update(found)
            seq, par = figures[op], figures[wide]
            rows.append(
                [
                    op,
                    name,
                    f"{seq['cpu_us']:.0f}",
                    f"{found[f'{op}_cpu']:.2f}x",
                    f"{seq['wall_us']:.0f}",
                    f"{found[f'{op}_wall']:.2f}x",
                    f"{par['cpu_us']:.0f}",
                    f"{found[f'{wide}_cpu']:.2f}x",
                    f"{par['ops_per_s']:.0f}",
                    f"{found[f'{wide}_ops_per_s']:.2f}x",
                ]
            )
    print_table(
        f"per operation, medians of the rounds; x = median of (client / {BASELINE}) paired by "
        "round (CPU, wall: >1 is slower; ops/s: <1 is slower)",
        [
            "op",
            "client",
            "CPU us",
            "x",
            "wall us",
            "x",
            f"{WIDTH}-way CPU us",
            "x",
            f"{WIDTH}-way ops/s",
            "x",
        ],
        rows,
        left=2,
    )
    layer = summary[LAYER]
    print_table(
        "dynamorm_async's own layer: db.put/db.get over an in-memory transport (no I/O, hot "
        "caches: a floor, see README)",
        ["op", "CPU us", f"x {BASELINE}'s CPU"],
        [
            [op, f"{layer[op]['cpu_us']:.1f}", f"{paired(summary, LAYER, op, 'cpu_us'):.3f}x"]
            for op in OPERATIONS
        ],
    )
    for op in OPERATIONS:
        ratios.setdefault(LAYER, {})[f"{op}_cpu"] = paired(summary, LAYER, op, "cpu_us")
    return ratios


# -- profiling -----------------------------------------------------------------------------

# Packages whose modules are listed one by one: the ORM's own, and where a request's time goes.
_DETAILED = ("botocore", "aiobotocore")


def area(filename: str) -> str:
    """Where a profiled function lives: a dynamorm_async or botocore module, or a package."""
    if filename == "~":
        return "C built-ins"
    if filename.startswith("<dynamorm_async"):
        return "dynamorm_async codec (generated code)"
    path = filename.replace(os.sep, "/")
    if "/dynamorm_async/" in path:
        module = path.rsplit("/dynamorm_async/", 1)[1].removesuffix(".py").replace("/", ".")
        return f"dynamorm_async.{module}"
    if "/benchmarks/" in path:
        return "benchmark loop"
    if "/site-packages/" in path:
        parts = path.rsplit("/site-packages/", 1)[1].removesuffix(".py").split("/")
        return ".".join(parts[:2]) if parts[0] in _DETAILED else parts[0]
    if "/lib/python" in path:
        return path.rsplit("/lib/python", 1)[1].split("/", 2)[1].removesuffix(".py")
    return "other"


FunctionKey = tuple[str, int, str]


async def profile_loop(op: Op, ops: int) -> dict[FunctionKey, float]:
    """Own (not cumulative) seconds per operation of every function ``op`` runs."""
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    for _ in range(ops):
        await op()
    profiler.disable()
    stats: dict[FunctionKey, tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return {key: entry[2] / ops for key, entry in stats.items()}


def by_area(own: dict[FunctionKey, float]) -> dict[str, float]:
    """Own time per operation summed by :func:`area`."""
    totals: dict[str, float] = {}
    for (filename, _, _), seconds in own.items():
        totals[area(filename)] = totals.get(area(filename), 0.0) + seconds
    return totals


def is_orm(filename: str) -> bool:
    """Whether a profiled function is dynamorm_async's own code."""
    return area(filename).startswith("dynamorm_async")


async def profile(contenders: list[Contender], ops: int, top: int) -> dict[str, Any]:
    """Profile the baseline's and dynamorm_async's put/get loops and print where time goes."""
    chosen = {c.name: c for c in contenders if c.name in (BASELINE, "dynamorm_async")}
    assert len(chosen) == 2
    found: dict[str, Any] = {}
    for op in OPERATIONS:
        own: dict[str, dict[FunctionKey, float]] = {}
        for name, contender in chosen.items():
            await sequential(getattr(contender, op), 200)  # warm-up
            own[name] = await profile_loop(getattr(contender, op), ops)
        raw, orm = own[BASELINE], own["dynamorm_async"]
        raw_areas, orm_areas = by_area(raw), by_area(orm)
        total_raw, total_orm = sum(raw.values()), sum(orm.values())
        names = sorted(set(raw_areas) | set(orm_areas), key=lambda n: -orm_areas.get(n, 0.0))
        orm_names = [n for n in names if n.startswith("dynamorm_async")]
        listed = [n for n in names if not n.startswith("dynamorm_async")][:top]
        rest = [n for n in names if n not in listed and n not in orm_names]

        def row(
            label: str, keys: list[str], raw: dict[str, float], orm: dict[str, float]
        ) -> list[str]:
            r = sum(raw.get(k, 0.0) for k in keys)
            o = sum(orm.get(k, 0.0) for k in keys)
            return [label, f"{r * 1e6:.1f}", f"{o * 1e6:.1f}", f"{o / sum(orm.values()):.1%}"]

        print_table(
            f"{op}: own time by module, us per op under cProfile (inflated: read the shares)",
            ["module or package", BASELINE, "dynamorm_async", "share"],
            [
                row("dynamorm_async (all its modules)", orm_names, raw_areas, orm_areas),
                *(row(name, [name], raw_areas, orm_areas) for name in listed),
                row("everything else", rest, raw_areas, orm_areas),
                row("total", names, raw_areas, orm_areas),
            ],
        )
        orm_functions = sorted(
            ((seconds, key) for key, seconds in orm.items() if is_orm(key[0])), reverse=True
        )
        print_table(
            f"{op}: dynamorm_async's own functions (own time, us per op under cProfile)",
            ["function", "us per op", "share"],
            [
                [
                    f"{area(file)}:{line} {func}",
                    f"{seconds * 1e6:.1f}",
                    f"{seconds / total_orm:.1%}",
                ]
                for seconds, (file, line, func) in orm_functions[:top]
            ],
        )
        found[op] = {
            "us_per_op_profiled": {BASELINE: total_raw * 1e6, "dynamorm_async": total_orm * 1e6},
            "by_module_us": {
                BASELINE: {k: v * 1e6 for k, v in raw_areas.items()},
                "dynamorm_async": {k: v * 1e6 for k, v in orm_areas.items()},
            },
        }
    return found


async def probe(endpoint_url: str, ops: int) -> dict[str, dict[str, float]]:
    """Time the mapping calls inside real requests and in a tight loop, without a profiler.

    The codec's calls are wrapped on this benchmark's own DB instance (no package code
    changes): the in-request figure is what a put or get really pays for mapping, the
    tight-loop figure what a micro-benchmark such as ``bench_codec.py`` sees.
    """
    spent: dict[str, float] = {}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    db = DB(local_config(endpoint_url, max_pool_connections=WIDTH))
    calls = {
        "dynamorm_async codec.encode (put)": "encode",
        "dynamorm_async codec.encode_key (get)": "encode_key",
        "dynamorm_async codec.decode (get)": "decode",
    }
    for label, method in calls.items():
        setattr(db.codec, method, timed(label, getattr(db.codec, method)))
    encode, decode = (
        timed("hand-written to_item (put)", to_item),
        timed("hand-written from_item (get)", from_item),
    )

    async def loop() -> None:
        for _ in range(ops):
            await db.put(ORDER)
        for _ in range(ops):
            await db.get(Order, {"id": ORDER.id})
        for _ in range(ops):
            await db.engine.call("PutItem", {"TableName": TABLE, "Item": encode(ORDER)})
        for _ in range(ops):
            response = await db.engine.call("GetItem", {"TableName": TABLE, "Key": KEY})
            decode(response["Item"])

    try:
        await loop()  # warm-up
        spent.clear()
        await loop()
        in_requests = {name: seconds / ops * 1e6 for name, seconds in spent.items()}
        spent.clear()
        for _ in range(ops):
            db.codec.encode(ORDER)
            db.codec.encode_key(Order, {"id": ORDER.id})
            db.codec.decode(Order, ITEM)
            decode(encode(ORDER))
        tight = {name: seconds / ops * 1e6 for name, seconds in spent.items()}
    finally:
        await db.close()
    print_table(
        "mapping calls timed in place, us per call: inside the request loop vs a tight loop",
        ["call", "in requests", "tight loop", "x"],
        [
            [
                name,
                f"{in_requests[name]:.1f}",
                f"{tight[name]:.1f}",
                ratio(in_requests[name], tight[name]),
            ]
            for name in in_requests
        ],
    )
    return {"in_requests_us": in_requests, "tight_loop_us": tight}


# -- main ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the null server, open the clients, measure (or profile) and report."""
    with NullServer() as server:
        async with AsyncExitStack() as stack:
            contenders = await open_contenders(stack, server.endpoint_url)
            if args.profile:
                return {
                    "profile": await profile(contenders, args.ops, args.top),
                    "probe": await probe(server.endpoint_url, args.ops),
                }
            print(
                f"{len(contenders)} contenders x {args.ops} ops of each kind in {args.rounds} "
                f"round(s); null server at {server.endpoint_url}"
            )
            load_before = os.getloadavg()
            started = time.perf_counter()
            samples = await measure(contenders, args.ops, args.rounds)
            summary = summarise(samples)
            ratios = report(summary)
            load = {"before": load_before[0], "after": os.getloadavg()[0]}
            print(
                f"\nmeasured in {time.perf_counter() - started:.1f} s; 1-minute load average "
                f"{load['before']:.2f} before, {load['after']:.2f} after, on {os.cpu_count()} CPUs"
            )
            return {
                "benchmark": "crud",
                "settings": {"ops": args.ops, "rounds": args.rounds, "concurrency": WIDTH},
                "load_average": load,
                "baseline": BASELINE,
                "results": summary,
                "ratios": ratios,
            }


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, help=f"ops of each kind per client ({DEFAULT_OPS})")
    parser.add_argument("--rounds", type=int, help=f"rounds ({DEFAULT_ROUNDS})")
    parser.add_argument(
        "--quick", action="store_true", help=f"a few seconds' smoke run (or {QUICK_ENV}=1)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="profile aiobotocore vs dynamorm_async instead"
    )
    parser.add_argument("--top", type=int, default=15, help="functions listed by --profile")
    args = parser.parse_args(argv)
    quick = quick_requested(args.quick)
    args.ops = args.ops or (QUICK_OPS if quick else DEFAULT_OPS)
    args.rounds = args.rounds or (QUICK_ROUNDS if quick else DEFAULT_ROUNDS)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
