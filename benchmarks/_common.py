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

from dynamorm_async import pk, sk, table

QUICK_ENV = "DYNAMORM_BENCH_QUICK"
"""Set to 1 to make every script run in ``--quick`` mode (``nox -s bench`` passes no flags)."""


@table(TABLE)
@attrs.define(kw_only=True)
class Order:
    """A realistic 10-field model: str key, Decimal, strs, int, bool, set[str], datetime."""

    id: str = pk()
    customer_id: str
    amount: Decimal
    placed_at: dt.datetime
    currency: str = "EUR"
    status: str = "paid"
    description: str = ""
    quantity: int = 0
    gift: bool = False
    tags: set[str] = attrs.field(factory=set)


@table(TABLE)
@attrs.define(kw_only=True)
class CustomerOrder:
    """:class:`Order`'s fields keyed for a Query: a customer's orders, by order id."""

    customer_id: str = pk()
    id: str = sk()
    amount: Decimal
    placed_at: dt.datetime
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


def to_item(order: Order) -> dict[str, dict[str, Any]]:
    """Hand-written encoding, as an application on raw aiobotocore would write it."""
    return {
        "id": {"S": order.id},
        "customerId": {"S": order.customer_id},
        "amount": {"N": str(order.amount)},
        "placedAt": {"S": order.placed_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")},
        "currency": {"S": order.currency},
        "status": {"S": order.status},
        "description": {"S": order.description},
        "quantity": {"N": str(order.quantity)},
        "gift": {"BOOL": order.gift},
        "tags": {"SS": sorted(order.tags)},
    }


def from_item(item: dict[str, dict[str, Any]]) -> Order:
    """Hand-written decoding, the reverse of :func:`to_item`."""
    return Order(
        id=item["id"]["S"],
        customer_id=item["customerId"]["S"],
        amount=Decimal(item["amount"]["N"]),
        placed_at=dt.datetime.fromisoformat(item["placedAt"]["S"]),
        currency=item["currency"]["S"],
        status=item["status"]["S"],
        description=item["description"]["S"],
        quantity=int(item["quantity"]["N"]),
        gift=item["gift"]["BOOL"],
        tags=set(item["tags"]["SS"]),
    )


def quick_requested(flag: bool) -> bool:
    """Whether quick mode is on, by flag or by :data:`QUICK_ENV`."""
    return flag or os.environ.get(QUICK_ENV, "") not in ("", "0")


def median(values: Sequence[float]) -> float:
    """The median of non-empty ``values``."""
    return statistics.median(values)


def ratio(value: float, base: float) -> str:
    """``value / base`` as ``1.23x``, or ``-`` when there is no base."""
    return f"{value / base:.2f}x" if base else "-"


def print_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1
) -> None:
    """Print a plain, aligned table: the first ``left`` columns left-aligned, the rest right."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(cell).ljust(width) if i < left else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(f"\n{title}")
    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def environment() -> dict[str, Any]:
    """The machine and package versions, recorded with every result."""
    versions: dict[str, str | None] = {}
    for name in (
        "dynamorm_async",
        "aiobotocore",
        "botocore",
        "aiohttp",
        "orjson",
        "aiodynamo",
        "pydynox",
        "pynamodb",
        "boto3",
    ):
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
