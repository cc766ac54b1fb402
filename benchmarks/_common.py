"""What the benchmark scripts share: the model, the fixed order, tables and JSON output."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
from null_server import ITEM, TABLE

from dynamorm_async import attr, pk, table

QUICK_ENV = "DYNAMORM_BENCH_QUICK"
"""Set to 1 to make every script run in ``--quick`` mode (``nox -s bench`` passes no flags)."""


@table(TABLE)
@attrs.define(kw_only=True)
class Order:
    """A realistic 10-field model: str key, Decimal, strs, int, bool, set[str], datetime."""

    id: str = pk()
    customer_id: str = attr()
    amount: Decimal = attr()
    placed_at: dt.datetime = attr()
    currency: str = "EUR"
    status: str = "paid"
    description: str = ""
    quantity: int = 0
    gift: bool = False
    tags: set[str] = attrs.field(factory=set)


ORDER = Order(
    id="order-0001",
    customer_id="customer-0042",
    amount=Decimal("1234.56"),
    placed_at=dt.datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=dt.UTC),
    currency="EUR",
    status="paid",
    description="Two flat whites and a croissant, table 7",
    quantity=3,
    gift=False,
    tags={"card", "in-store", "loyalty"},
)
"""The order whose stored form is :data:`null_server.ITEM`."""

PLAIN_ITEM: dict[str, Any] = {
    "id": ORDER.id,
    "customerId": ORDER.customer_id,
    "amount": ORDER.amount,
    "placedAt": ITEM["placedAt"]["S"],
    "currency": ORDER.currency,
    "status": ORDER.status,
    "description": ORDER.description,
    "quantity": ORDER.quantity,
    "gift": ORDER.gift,
    "tags": set(ORDER.tags),
}
"""The same item as plain Python values (what boto3's serializer and aiodynamo take)."""


def quick_requested(flag: bool) -> bool:
    """Whether quick mode is on, by flag or by :data:`QUICK_ENV`."""
    return flag or os.environ.get(QUICK_ENV, "") not in ("", "0")


def median(values: Sequence[float]) -> float:
    """The median of non-empty ``values``."""
    return statistics.median(values)


def ratio(value: float, base: float) -> str:
    """``value / base`` as ``1.23x``, or ``-`` when there is no base."""
    return f"{value / base:.2f}x" if base else "-"


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a plain, aligned table: the first column left-aligned, the rest right-aligned."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = (str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def environment() -> dict[str, Any]:
    """The machine and package versions, recorded with every result."""
    versions = {}
    for name in ("dynamorm_async", "aiobotocore", "botocore", "aiohttp", "aiodynamo", "boto3"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": versions,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_json(path: str | None, results: dict[str, Any]) -> None:
    """Write ``results`` (with :func:`environment`) to ``path`` when one was given."""
    if path is None:
        return
    document = {"environment": environment(), **results}
    Path(path).write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    print(f"\nresults written to {path}")
