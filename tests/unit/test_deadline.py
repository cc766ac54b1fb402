"""Deadlines on DB views, through a slow scripted transport (no network)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import anyio
import pytest

from dynamorm_async import DeadlineExceeded
from dynamorm_async._deadline import time_left
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.testing import FakeLambdaContext, fake_db
from tests.models import Payment


async def test_deadline_cancels_the_request() -> None:
    db, transport = fake_db(delay=30)
    view = db.with_deadline(0.05)
    with pytest.raises(DeadlineExceeded) as info:
        await view.find(Payment, {"id": "p-1"})
    assert info.value.operation == "GetItem"
    assert (len(transport.requests), transport.answered) == (1, 0)
    assert db.deadline is None  # the view did not change the DB it came from


async def test_no_time_left_sends_nothing() -> None:
    db, transport = fake_db(delay=0)
    view = db.with_deadline(-1)
    with pytest.raises(DeadlineExceeded, match="not sent"):
        await view.put(Payment(id="p", amount=Decimal(1), customer_id="c"))
    assert len(transport.requests) == 0


async def test_earlier_deadline_wins() -> None:
    db, _ = fake_db(delay=0)
    outer = db.with_deadline(1)
    assert outer.deadline is not None
    assert outer.with_deadline(100).deadline == outer.deadline
    assert outer.with_deadline(0.1).deadline < outer.deadline  # type: ignore[operator]


async def test_callers_own_scope_is_respected() -> None:
    db, transport = fake_db(delay=30)
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.05):
            await db.find(Payment, {"id": "p-1"})
    assert transport.answered == 0


async def test_a_transport_knows_the_time_left_of_its_call() -> None:
    # What the direct transport's back-off asks before it sleeps: the engine's deadline for
    # the call, or a caller's anyio scope when that is earlier.
    seen: list[float] = []

    async def answer(operation: str, params: Any) -> dict[str, Any]:
        seen.append(time_left())
        return {}

    db, _ = fake_db(answer)
    await db.find(Payment, {"id": "p-1"})
    await db.with_deadline(5).find(Payment, {"id": "p-1"})
    with anyio.fail_after(2):
        await db.with_deadline(5).find(Payment, {"id": "p-1"})
        await db.find(Payment, {"id": "p-1"})
    unbounded, bounded, caller_first, caller_only = seen
    assert unbounded == float("inf")
    assert 4 < bounded <= 5
    assert 1 < caller_first <= 2
    assert 1 < caller_only <= 2
    assert time_left() == float("inf")  # the call's deadline ends with the call


async def test_a_timeout_of_the_transport_is_not_taken_for_the_deadline() -> None:
    async def answer(operation: str, params: Any) -> dict[str, Any]:
        raise TimeoutError("the transport's own")

    db, _ = fake_db(answer)
    with pytest.raises(TimeoutError, match="the transport's own"):
        await db.with_deadline(30).find(Payment, {"id": "p-1"})


def test_lambda_context_view_ends_buffer_seconds_early() -> None:
    db, _ = fake_db(delay=0)
    now = time.monotonic()
    view = db.with_lambda_context(FakeLambdaContext(timeout=10), buffer=2.5)
    assert view.deadline is not None
    assert 7.4 <= view.deadline - now <= 7.5
    assert db.deadline is None
    assert view.with_lambda_context(FakeLambdaContext(timeout=60)).deadline == view.deadline


@pytest.mark.parametrize("buffer", [-1, float("nan"), float("inf"), "1", True])
def test_lambda_context_buffer_must_be_a_sensible_number(buffer: Any) -> None:
    db, _ = fake_db(delay=0)
    with pytest.raises(ValueError, match="buffer"):
        db.with_lambda_context(FakeLambdaContext(), buffer=buffer)


def test_fake_context_counts_down_to_zero() -> None:
    clock = [100.0]
    context = FakeLambdaContext(timeout=1.5, memory_mb=256, clock=lambda: clock[0])
    assert context.get_remaining_time_in_millis() == 1500
    clock[0] += 1.0
    assert context.get_remaining_time_in_millis() == 500
    clock[0] += 5
    assert context.get_remaining_time_in_millis() == 0
    assert context.memory_limit_in_mb == "256"  # a string, as in the Python runtime


async def test_adapter_deadline_reaches_every_db_and_ends_with_the_invocation() -> None:
    db, transport = fake_db(delay=30)
    other, other_transport = fake_db(delay=0)

    @lambda_handler(buffer=1.0)
    async def handler(event: Any, context: Any) -> None:
        with pytest.raises(DeadlineExceeded, match="not sent"):
            await other.find(Payment, {"id": "p"})  # 0.5 s left, 1 s buffer: nothing is sent
        assert len(other_transport.requests) == 0
        await db.find(Payment, {"id": "p"})

    with pytest.raises(DeadlineExceeded, match="not sent"):
        await handler.invoke({}, FakeLambdaContext(timeout=0.5))
    assert len(transport.requests) == 0
    assert db.deadline is None and other.deadline is None  # unbound after the invocation
