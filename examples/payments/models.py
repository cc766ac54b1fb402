"""The payments service's models."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs

from dynamorm_async import (
    GSI,
    TableOptions,
    attr,
    created_at,
    pk,
    table,
    updated_at,
    version,
)


class Status(enum.Enum):
    """Where a payment is in its life."""

    PENDING = "pending"
    CAPTURED = "captured"
    REFUNDED = "refunded"


@table(
    "payments",
    indexes=[GSI("by-customer", pk="customer_id", sk="created_at")],
    # The stream feeds the notifications consumer (consumer.py).
    options=TableOptions(stream="NEW_AND_OLD_IMAGES"),
)
class Payment:
    """One payment of a customer."""

    id: str = pk()
    amount: Decimal = attr()
    customer_id: str = attr()
    currency: str = "USD"
    status: Status = Status.PENDING
    tags: set[str] = attrs.field(factory=set)
    note: str | None = attr(default=None, omit_empty=True)
    created_at: dt.datetime | None = created_at()
    updated_at: dt.datetime | None = updated_at()
    version: int = version()


@table("notifications")
@attrs.define
class Notification:
    """A message to a customer about one of their payments (sent by the stream consumer)."""

    id: str = pk()
    payment_id: str = attr()
    customer_id: str = attr()
    text: str = attr()
    created_at: dt.datetime | None = created_at()
