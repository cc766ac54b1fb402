"""Models shared by the test suites."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import attrs

from dynamorm_async import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version


class Status(enum.Enum):
    PENDING = "pending"
    PAID = "paid"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.define
class Address:
    street: str
    postal_code: str | None = None
    lines: list[str] = attrs.field(factory=list)


@table("payments", indexes=[GSI("by-customer", pk="customer_id", sk="created_at")])
@attrs.define
class Payment:
    id: str = pk()
    amount: Decimal = attr()
    customer_id: str = attr()
    currency: str = "USD"
    tags: set[str] = attrs.field(factory=set)
    status: Status = Status.PENDING
    note: str | None = attr(default=None, omit_empty=True)
    created_at: dt.datetime | None = created_at()
    updated_at: dt.datetime | None = updated_at()
    version: int = version()


@attrs.frozen
class PaymentAmount:
    """A view of Payment: what a projection of two of its fields reads."""

    id: str
    amount: Decimal


@table("everything")
@attrs.define
class Everything:
    """One field of every supported type."""

    id: str = pk()
    text: str = ""
    count: int = 0
    big: int = 0
    price: Decimal = Decimal(0)
    ratio: float = 0.0
    flag: bool = False
    blob: bytes = b""
    nothing: str | None = None
    when: dt.datetime | None = None
    day: dt.date | None = None
    ref: uuid.UUID | None = None
    status: Status = Status.PENDING
    priority: Priority = Priority.LOW
    names: set[str] = attrs.field(factory=set)
    numbers: set[int] = attrs.field(factory=set)
    amounts: set[Decimal] = attrs.field(factory=set)
    blobs: set[bytes] = attrs.field(factory=set)
    items: list[int] = attrs.field(factory=list)
    labels: dict[str, str] = attrs.field(factory=dict)
    address: Address | None = None
    addresses: list[Address] = attrs.field(factory=list)
    anything: Any = None


@table(
    "orders",
    indexes=[LSI("by-total", sk="total"), GSI("by-state", pk="state", projection="KEYS_ONLY")],
)
@attrs.define
class Order:
    customer: str = pk()
    order_id: str = sk()
    total: Decimal = Decimal(0)
    state: str | None = None
    expires: dt.datetime | None = ttl()


@attrs.frozen
class OrderKeys:
    """A view of Order: the attributes its KEYS_ONLY index "by-state" holds."""

    customer: str
    order_id: str
    state: str | None
