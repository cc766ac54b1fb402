"""Encode and decode one item: dynamorm_async's codec beside boto3's serializers and others.

Every contender turns the same 10-attribute order into DynamoDB AttributeValues and back;
they do not all do the same work, which the table says:

* ``dynamorm_async``: ``codec.encode(order)`` (an attrs instance; type and range checks,
  camelCase names, RFC 3339 timestamp, the 400 KB size bound) and
  ``codec.decode(Order, item)`` (back to an instance).
* ``boto3``: ``TypeSerializer``/``TypeDeserializer`` over a plain dict of the same values
  (no model, no names, the timestamp already text). The baseline of the ratios.
* ``hand-written``: the functions an application on raw aiobotocore would write (instance in
  and out, no checks): the floor.
* ``aiodynamo``: its ``py2dy``/``dy2py`` helpers over the plain dict, if installed.

Timing is :mod:`timeit`'s: each figure is the best of several repeats (rotated among the
contenders so that noise spreads over all), per call.

Usage::

    python benchmarks/bench_codec.py            # 5-10 s
    python benchmarks/bench_codec.py --quick    # about a second
    python benchmarks/bench_codec.py --json codec.json
"""

from __future__ import annotations

import argparse
import gc
import statistics
import timeit
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from _common import (
    ORDER,
    PLAIN_ITEM,
    QUICK_ENV,
    Order,
    from_item,
    print_table,
    quick_requested,
    ratio,
    to_item,
    write_json,
)
from null_server import ITEM

from dynamorm_async.codec import Codec

BASELINE = "boto3"
DEFAULT_NUMBER = 20_000
DEFAULT_REPEAT = 7
QUICK_NUMBER = 1_000
QUICK_REPEAT = 3

Call = Callable[[], object]


def contenders() -> dict[str, dict[str, Call]]:
    """Each contender's encode and decode call, checked to produce the expected values."""
    codec = Codec()
    codec.register(Order)
    found: dict[str, dict[str, Call]] = {
        "dynamorm_async": {
            "encode": lambda: codec.encode(ORDER),
            "decode": lambda: codec.decode(Order, ITEM),
        }
    }
    try:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
    except ImportError:
        print("boto3 is not installed (pip install -e '.[bench]'): no baseline")
    else:
        serialize = TypeSerializer().serialize
        deserialize = TypeDeserializer().deserialize
        found[BASELINE] = {
            "encode": lambda: {name: serialize(value) for name, value in PLAIN_ITEM.items()},
            "decode": lambda: {name: deserialize(av) for name, av in ITEM.items()},
        }
    found["hand-written"] = {"encode": lambda: to_item(ORDER), "decode": lambda: from_item(ITEM)}
    try:
        from aiodynamo.utils import dy2py, py2dy
    except ImportError:
        print("aiodynamo is not installed (pip install -e '.[bench]'): skipping it")
    else:
        found["aiodynamo"] = {
            "encode": lambda: py2dy(PLAIN_ITEM),
            "decode": lambda: dy2py(ITEM, Decimal),
        }
    check(found)
    return found


def check(found: dict[str, dict[str, Call]]) -> None:
    """Fail unless every contender encodes to :data:`ITEM` and decodes to the order's values."""
    for name, calls in found.items():
        assert _sorted_sets(calls["encode"]()) == ITEM, f"{name} encodes another item"
        decoded = calls["decode"]()
        expected: Any = ORDER if isinstance(decoded, Order) else PLAIN_ITEM
        assert decoded == expected, f"{name} decodes to another value"


def _sorted_sets(item: Any) -> Any:
    # boto3 and aiodynamo keep a set's iteration order; DynamoDB does not care.
    return {name: {"SS": sorted(av["SS"])} if "SS" in av else av for name, av in dict(item).items()}


def measure(
    found: dict[str, dict[str, Call]], number: int, repeat: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Time every call ``repeat`` times ``number`` calls, rotating among the contenders."""
    runs: dict[tuple[str, str], list[float]] = {}
    timers = [(key, timeit.Timer(call)) for key, call in _flatten(found)]
    for _, warm in timers:
        warm.timeit(max(1, number // 20))
    for index in range(repeat):
        shift = index % len(timers)
        for key, timer in timers[shift:] + timers[:shift]:
            gc.collect()
            runs.setdefault(key, []).append(timer.timeit(number) / number * 1e6)
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for (name, op), us in runs.items():
        summary.setdefault(name, {})[op] = {
            "best_us": min(us),
            "median_us": statistics.median(us),
            "repeats_us": us,
        }
    return summary


def _flatten(found: dict[str, dict[str, Call]]) -> list[tuple[tuple[str, str], Call]]:
    return [((name, op), call) for name, calls in found.items() for op, call in calls.items()]


def report(summary: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """Print the table; return ratios against boto3 (when it ran)."""
    base = summary.get(BASELINE)
    ratios: dict[str, dict[str, float]] = {}
    rows = []
    for op in ("encode", "decode"):
        for name, figures in summary.items():
            best = figures[op]["best_us"]
            base_us = base[op]["best_us"] if base else 0.0
            if base_us:
                ratios.setdefault(name, {})[op] = best / base_us
            rows.append(
                [
                    op,
                    name,
                    f"{best:.2f}",
                    f"{figures[op]['median_us']:.2f}",
                    ratio(best, base_us),
                    f"{1e6 / best:,.0f}",
                ]
            )
    print_table(
        f"one item, us per call (best and median of the repeats); x = best / {BASELINE}'s",
        ["op", "codec", "best us", "median us", "x", "calls/s"],
        rows,
        left=2,
    )
    return ratios


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, help=f"calls per repeat ({DEFAULT_NUMBER})")
    parser.add_argument("--repeat", type=int, help=f"repeats ({DEFAULT_REPEAT})")
    parser.add_argument(
        "--quick", action="store_true", help=f"a second's smoke run (or {QUICK_ENV}=1)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    quick = quick_requested(args.quick)
    number = args.number or (QUICK_NUMBER if quick else DEFAULT_NUMBER)
    repeat = args.repeat or (QUICK_REPEAT if quick else DEFAULT_REPEAT)
    found = contenders()
    print(f"{len(found)} codecs x {repeat} repeats of {number} calls")
    summary = measure(found, number, repeat)
    ratios = report(summary)
    write_json(
        args.json,
        {
            "benchmark": "codec",
            "settings": {"number": number, "repeat": repeat},
            "baseline": BASELINE,
            "results": summary,
            "ratios": ratios,
        },
    )


if __name__ == "__main__":
    main()
