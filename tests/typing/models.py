"""Models the typing suite checks: every marker, both ``@table`` forms, GSI and LSI."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from dynamorm_async import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version


@table("payments", indexes=[GSI("by-customer", pk="customer_id", sk="created")])
class Payment:
    """Required fields before and after marker fields; markers with and without defaults."""

    id: str = pk()
    amount: Decimal
    customer_id: str = attr()
    currency: str = attr(name="ccy", default="EUR")
    created: datetime | None = created_at()
    updated: datetime | None = updated_at()
    tags: list[str] = attr(factory=list, omit_empty=True)
    version: int = version()
    expires: int | None = ttl()


@attrs.frozen
class PaymentLine:
    """A view of Payment: two of its fields, with the model's annotations."""

    id: str
    amount: Decimal


@table("ledger", indexes=[LSI("by-amount", sk="amount", projection=["note"])], naming="snake_case")
class Entry:
    """A table with a sort key and a local secondary index."""

    account: str = pk()
    at: str = sk()
    amount: Decimal
    note: str | None = None


@table("rates", frozen=True)
class Rate:
    """An immutable model ``@table`` makes with ``attrs.frozen``."""

    currency: str = pk()
    value: Decimal


@table("legacy")
@attrs.frozen
class Legacy:
    """The older form: ``@table`` over a class already made by attrs."""

    id: str = pk()
    note: str = ""
