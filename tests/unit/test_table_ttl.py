"""Table calls against a scripted DynamoDB that, like the real one, creates tables slowly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from dynamorm_async import ValidationError
from dynamorm_async.testing import fake_db
from tests.models import Order, Payment


class SlowTables:
    """CREATING for the first DescribeTable answers; UpdateTimeToLive refused until ACTIVE."""

    def __init__(self, creating_answers: int) -> None:
        self.creating_answers = creating_answers

    def status(self) -> str:
        return "CREATING" if self.creating_answers > 0 else "ACTIVE"

    async def __call__(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        table = {"TableName": params["TableName"], "TableStatus": self.status()}
        if operation == "CreateTable":
            return {"TableDescription": table}
        if operation == "DescribeTable":
            self.creating_answers -= 1
            return {"Table": table}
        if operation == "UpdateTimeToLive":
            if self.status() != "ACTIVE":
                raise ValidationError("Table is being created: UpdateTimeToLive refused")
            return {"TimeToLiveSpecification": params["TimeToLiveSpecification"]}
        raise AssertionError(f"unexpected {operation}")


async def test_create_table_without_waiting_leaves_ttl_pending_and_says_so() -> None:
    db, transport = fake_db(SlowTables(creating_answers=2))
    description = await db.create_table(Order, wait=False)
    assert [op for op, _ in transport.requests] == ["CreateTable"]
    assert (description.status, description.ttl_pending) == ("CREATING", "expires")

    await db.enable_ttl(Order)
    operations = [op for op, _ in transport.requests]
    assert operations == ["CreateTable", *["DescribeTable"] * 3, "UpdateTimeToLive"]
    spec = transport.requests[-1][1]["TimeToLiveSpecification"]
    assert spec == {"Enabled": True, "AttributeName": "expires"}


async def test_waiting_enables_ttl_once_active_and_leaves_nothing_pending() -> None:
    db, transport = fake_db(SlowTables(creating_answers=1))
    description = await db.create_table(Order)
    assert (description.status, description.ttl_pending) == ("ACTIVE", None)
    assert [op for op, _ in transport.requests][-1] == "UpdateTimeToLive"
    # A model without a ttl() field has nothing pending, and nothing to enable.
    assert (await db.create_table(Payment, wait=False)).ttl_pending is None
    with pytest.raises(ValidationError, match="no ttl"):
        await db.enable_ttl(Payment)


async def test_ensure_table_without_waiting_refuses_ttl_before_sending() -> None:
    db, transport = fake_db(SlowTables(creating_answers=5))
    with pytest.raises(ValidationError, match="enable_ttl"):
        await db.ensure_table(Order, wait=False)
    assert transport.requests == []
