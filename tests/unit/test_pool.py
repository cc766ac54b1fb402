"""The pool gate: slots go first come, first served; waits are bounded and reported."""

from __future__ import annotations

import asyncio

import anyio
import pytest

from dynamorm_async import PoolTimeout
from dynamorm_async._instrument import CURRENT_CALL, Call
from dynamorm_async.transport._pool import PoolGate


async def settle() -> None:
    """Let every task that can run, run (the gate's hand-offs are plain loop callbacks)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_free_slots_are_taken_without_waiting() -> None:
    gate = PoolGate(2, timeout=None)
    assert await gate.acquire() == 0.0
    async with gate as waited:
        assert waited == 0.0
        assert (gate.in_use, gate.waiting) == (2, 0)
    gate.release()
    assert gate.in_use == 0


async def test_slots_go_to_waiters_in_arrival_order_never_to_a_newcomer() -> None:
    gate = PoolGate(1, timeout=None)
    order: list[str] = []

    async def request(name: str) -> None:
        async with gate:
            order.append(name)
            await settle()

    await gate.acquire()
    async with anyio.create_task_group() as tg:
        for name in ("first", "second", "third"):
            tg.start_soon(request, name)
            await settle()  # each is queued before the next arrives
        assert gate.waiting == 3
        # A plain caller finishing a request and sending the next without yielding (the
        # pattern that starved child tasks at aiohttp's pool) queues behind the others.
        gate.release()
        await request("holder again")
    assert order == ["first", "second", "third", "holder again"]
    assert (gate.in_use, gate.waiting) == (0, 0)


async def test_a_wait_past_the_timeout_is_a_typed_timeout_and_takes_nothing() -> None:
    gate = PoolGate(1, timeout=0.01)
    await gate.acquire()
    with pytest.raises(PoolTimeout, match=r"pool_timeout=0\.01 s: all 1 were busy") as caught:
        await gate.acquire()
    assert isinstance(caught.value, TimeoutError)
    assert gate.waiting == 0
    gate.release()
    assert await gate.acquire() == 0.0  # the slot was not lost


async def test_a_cancelled_wait_takes_nothing() -> None:
    gate = PoolGate(1, timeout=None)
    await gate.acquire()
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:
            tg.start_soon(gate.acquire)
            await settle()
            assert gate.waiting == 1
            scope.cancel()
    assert gate.waiting == 0
    gate.release()
    assert (gate.in_use, gate.waiting) == (0, 0)


async def test_a_waiter_cancelled_as_its_slot_arrives_passes_it_on() -> None:
    gate = PoolGate(1, timeout=None)
    await gate.acquire()
    got: list[str] = []

    async def request(name: str) -> None:
        await gate.acquire()
        got.append(name)

    first = asyncio.ensure_future(request("first"))
    second = asyncio.ensure_future(request("second"))
    await settle()
    gate.release()  # hands the slot to "first" ...
    first.cancel()  # ... which is cancelled before it runs again
    await settle()
    assert first.cancelled()
    assert got == ["second"]  # the slot went on, and was not counted twice
    assert (gate.in_use, gate.waiting) == (1, 0)
    await second


async def test_waits_are_added_to_the_current_call() -> None:
    gate = PoolGate(1, timeout=None)
    await gate.acquire()
    call = Call("GetItem", {"TableName": "t"})

    async def request() -> None:
        CURRENT_CALL.set(call)
        async with gate:
            pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await settle()
        gate.release()
    assert call.pool_wait > 0


@pytest.mark.parametrize(("size", "timeout"), [(0, None), (True, None), (1, 0), (1, -1.0)])
def test_bad_sizes_and_timeouts_are_refused(size: int, timeout: float | None) -> None:
    with pytest.raises(ValueError, match="pool gate"):
        PoolGate(size, timeout=timeout)
