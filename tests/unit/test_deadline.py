"""Deadlines on DB views, through a slow in-memory transport (no network)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import anyio
import pytest

from dynamorm_async import DB, Config, DeadlineExceeded
from dynamorm_async.transport import Transport
from tests.models import Payment


class SlowTransport:
    """Answers every GetItem with an empty response after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.started = 0
        self.finished = 0

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.started += 1
        await anyio.sleep(self.delay)
        self.finished += 1
        return {}

    async def aclose(self) -> None:
        return None


def slow_db(delay: float) -> tuple[DB, SlowTransport]:
    transport = SlowTransport(delay)

    async def factory(config: Config) -> Transport:
        return transport

    return DB(Config(region="us-east-1"), transport_factory=factory), transport


async def test_deadline_cancels_the_request() -> None:
    db, transport = slow_db(delay=30)
    view = db.with_deadline(0.05)
    with pytest.raises(DeadlineExceeded) as info:
        await view.find(Payment, id="p-1")
    assert info.value.operation == "GetItem"
    assert (transport.started, transport.finished) == (1, 0)
    assert db.deadline is None  # the view did not change the DB it came from


async def test_no_time_left_sends_nothing() -> None:
    db, transport = slow_db(delay=0)
    view = db.with_deadline(-1)
    with pytest.raises(DeadlineExceeded, match="not sent"):
        await view.put(Payment(id="p", amount=Decimal(1), customer_id="c"))
    assert transport.started == 0


async def test_earlier_deadline_wins() -> None:
    db, _ = slow_db(delay=0)
    outer = db.with_deadline(1)
    assert outer.deadline is not None
    assert outer.with_deadline(100).deadline == outer.deadline
    assert outer.with_deadline(0.1).deadline < outer.deadline  # type: ignore[operator]


async def test_callers_own_scope_is_respected() -> None:
    db, transport = slow_db(delay=30)
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.05):
            await db.find(Payment, id="p-1")
    assert transport.finished == 0
