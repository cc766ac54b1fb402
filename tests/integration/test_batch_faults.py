"""10,000 items through a faulty network: every item is written or reported, exactly once.

The proxy turns 30 % of BatchWriteItem answers into partial ones, answers 5 % with a 500,
2 % with throttling and resets 1 % of the connections (half of them after the server wrote
the items). Both retry layers are on (botocore: ``max_retries=3``, standard mode; the ORM:
``batch_max_attempts``); only the ORM's back-off is shortened, so the run stays quick.
"""

from __future__ import annotations

import collections
from decimal import Decimal
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession

from dynamorm_async import DB, Config
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Payment

pytestmark = pytest.mark.usefixtures("tables")

ITEMS = 10_000
FAULTS = Faults(partial=0.30, server_error=0.05, throttle=0.02, reset=0.01)


async def test_ten_thousand_items_none_lost_none_duplicated(
    config: Config, fault_proxy: FaultProxy
) -> None:
    fault_proxy.faults["BatchWriteItem"] = FAULTS
    items = [
        Payment(id=f"p-{n:05d}", amount=Decimal(n) / 100, customer_id=f"c-{n % 97}")
        for n in range(ITEMS)
    ]
    # "standard" retries: the guarantees hold in every mode (docs/writes.md has the figures),
    # and adaptive's client-wide rate limiting would only make this test slower.
    fast_backoff = {"backoff_base": 0.005, "backoff_cap": 0.1, "retry_mode": "standard"}
    async with DB(through(config, fault_proxy, **fast_backoff)) as db:
        # Versioned items written unconditionally: the stored version must be exactly 1,
        # however many times a chunk was resent.
        result = await db.batch_put(items, unconditional=True, raise_on_unprocessed=False)

    # The faults happened (the seed fixes the fault of the n-th request; there are always
    # at least 400 requests, one per chunk).
    seen = collections.Counter(entry.fault for entry in fault_proxy.log)
    assert {"partial", "500", "throttle"} <= set(seen)
    assert seen["reset-before"] + seen["reset-after"] > 0
    assert result.retries > 0 and result.requests <= len(fault_proxy.log)

    unprocessed = {p.id for p in result.unprocessed}
    unknown = {p.id for p in result.unknown}
    assert not unprocessed & unknown
    assert result.written + len(unprocessed) + len(unknown) == ITEMS
    stored: dict[str, dict[str, Any]] = {}
    # Read back with the plain client, not the ORM; only the two attributes checked (moto's
    # Scan of whole items costs more than the batch itself).
    # moto builds each 1 MB page whole: on a loaded machine that outlasts a 5 s read timeout.
    patient = AioConfig(read_timeout=120, retries={"mode": "standard", "max_attempts": 1})
    credentials: dict[str, Any] = {}
    if config.credentials is not None:
        credentials = {
            "aws_access_key_id": config.credentials.access_key_id,
            "aws_secret_access_key": config.credentials.secret_access_key,
        }
    async with AioSession().create_client(
        "dynamodb",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=patient,
        **credentials,
    ) as client:
        pages = client.get_paginator("scan").paginate(
            TableName=db.table_name(Payment),
            ConsistentRead=True,
            ProjectionExpression="#id, #version",
            ExpressionAttributeNames={"#id": "id", "#version": "version"},
        )
        async for page in pages:
            for raw in page["Items"]:
                stored[raw["id"]["S"]] = raw
    ids = {p.id for p in items}
    # Nothing lost: every item is in the table or was reported not written or unknown ...
    assert ids - stored.keys() <= unprocessed | unknown
    assert set(stored) <= ids
    assert not unprocessed & stored.keys()  # "not written" is never stored
    # ... every item reported written is in the table, and carries its new version in memory.
    for p in items:
        if p.id not in unprocessed | unknown:
            assert p.id in stored and p.version == 1
        else:
            assert p.version == 0  # unconfirmed: the instance is unchanged
    # Nothing duplicated by a version bump: resends wrote the same version, once.
    assert {raw["version"]["N"] for raw in stored.values()} == {"1"}
