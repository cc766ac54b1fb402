"""Models that declare table options, for the deploy tests (template, CDK, create_table)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from dynamorm_async import (
    GSI,
    LSI,
    Provisioned,
    TableOptions,
    attr,
    created_at,
    pk,
    sk,
    table,
    ttl,
)


@table(
    "ledger",
    indexes=[
        GSI("by-account", pk="account", sk="posted_at", projection="KEYS_ONLY"),
        LSI("by-amount", sk="amount", projection=["memo"]),
    ],
    options=TableOptions(
        point_in_time_recovery=True,
        stream="NEW_AND_OLD_IMAGES",
        kms_key="alias/aws/dynamodb",
        table_class="STANDARD_INFREQUENT_ACCESS",
        deletion_protection=True,
        tags={"team": "payments", "cost-centre": "42"},
    ),
)
@attrs.define
class Entry:
    """Every option at once: PITR, stream, SSE-KMS, IA class, protection, tags, TTL, LSI."""

    book: str = pk()
    seq: int = sk()
    account: str = attr()
    amount: Decimal = attr()
    memo: str = ""
    posted_at: dt.datetime | None = created_at()
    expires: dt.datetime | None = ttl()


@table("quotas", options=TableOptions(provisioned=Provisioned(read=5, write=2)))
@attrs.define
class Quota:
    """Provisioned capacity, with a GSI that gets the same capacity."""

    tenant: str = pk()
    plan: str = attr()


# Two models sharing one table (single-table design): one resource, indexes merged.
@table("shop", indexes=[GSI("gsi1", pk="gsi1pk", sk="gsi1sk")])
@attrs.define
class Customer:
    """A customer row of the single-table design."""

    PK: str = pk()
    SK: str = sk()
    gsi1pk: str | None = None
    gsi1sk: str | None = None
    name: str = ""


@table("shop", indexes=[GSI("gsi2", pk="gsi2pk")])
@attrs.define
class Order:
    """An order row of the same table."""

    PK: str = pk()
    SK: str = sk()
    gsi2pk: str | None = None
    total: Decimal = Decimal(0)
