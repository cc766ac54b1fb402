"""Metrics over the wire: the server's consumed capacity lands in valid EMF documents."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from dynamorm_async import DB, Config
from tests.emf import check_emf
from tests.models import Payment


@pytest.mark.usefixtures("tables")
async def test_consumed_capacity_and_latency_per_operation(config: Config) -> None:
    async with DB(attrs.evolve(config, metrics=True, metrics_service="wire")) as db:
        db.metrics.emit = lambda line: None
        payment = await db.create(Payment(id="m-1", amount=Decimal(5), customer_id="c"))
        await db.get(Payment, {"id": "m-1"}, consistent=True)
        await db.delete(payment)
        documents = await db.metrics.flush()
    for document in documents:
        check_emf(document)
    found = {d["Operation"]: d for d in documents}
    assert set(found) == {"PutItem", "GetItem", "DeleteItem"}
    assert {d["Table"] for d in documents} == {db.table_name(Payment)}
    assert found["PutItem"]["ConsumedWriteCapacity"] > 0
    assert found["GetItem"]["ConsumedReadCapacity"] > 0
    assert found["DeleteItem"]["ConsumedWriteCapacity"] > 0
    assert all(d["Latency"] > 0 and d["Errors"] == 0 for d in documents)
    print("\nEMF sample:", documents[0])
