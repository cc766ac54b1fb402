"""First come, first served: the gate in front of a transport's connection pool.

A connection pool hands a freed connection to whoever asks next, and a task that has just
finished a request asks again before a queued waiter is woken: measured with aiohttp's
connector, requests from child tasks (batch chunks, parallel-scan segments) waited about
2.5 times longer than those of plain sequential callers. A :class:`PoolGate` sized like the
pool sits in front of it: a request takes a slot before it asks the pool for a connection
and gives it back when its connection is back in the pool, so the pool never has waiters
of its own. A freed slot goes to the longest-waiting request, never to a newcomer.

Any transport can use it; the interface is three calls::

    gate = PoolGate(config.max_pool_connections, timeout=config.pool_timeout)

    async with gate:          # or: await gate.acquire() ... gate.release()
        ...                   # one HTTP attempt: connect, send, read the whole body

The gate belongs to the event loop it is first used on, like the pool behind it. A wait
longer than ``timeout`` raises :class:`~dynamorm_async.errors.PoolTimeout` (a
``TimeoutError``); a cancelled wait (a deadline) takes nothing. Every wait is added to the
request's record (:data:`~dynamorm_async._instrument.CURRENT_CALL`) when metrics watch it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from types import TracebackType

from .._instrument import CURRENT_CALL
from ..errors import PoolTimeout

__all__ = ["PoolGate"]


class PoolGate:
    """A fair (FIFO) counter of pool slots.

    Args:
        size: Slots: the size of the connection pool behind the gate (at least 1).
        timeout: Seconds a request may wait for a slot; ``None`` waits as long as its
            caller's cancel scopes (a deadline) allow.

    Raises:
        ValueError: ``size`` is below 1 or ``timeout`` is not a positive number.
    """

    __slots__ = ("_free", "_waiters", "size", "timeout")

    def __init__(self, size: int, *, timeout: float | None) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"a pool gate needs at least 1 slot, not {size!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"a pool gate's timeout must be above 0 seconds, not {timeout!r}")
        self.size = size
        self.timeout = timeout
        self._free = size
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def in_use(self) -> int:
        """Slots held now."""
        return self.size - self._free

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return len(self._waiters)

    async def acquire(self) -> float:
        """Take a slot, waiting behind every earlier request if none is free.

        Returns:
            The seconds spent waiting (``0.0`` when a slot was free).

        Raises:
            PoolTimeout: No slot came free within :attr:`timeout` seconds.
        """
        if self._free and not self._waiters:
            self._free -= 1
            return 0.0
        started = time.perf_counter()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.timeout):
                await waiter
        except TimeoutError:
            pass  # told apart below, where a slot handed over at the last moment still counts
        except BaseException:
            self._abandon(waiter)
            raise
        finally:
            waited = time.perf_counter() - started
            call = CURRENT_CALL.get()
            if call is not None:
                call.pool_wait += waited
        if not waiter.done() or waiter.cancelled():
            self._abandon(waiter)
            raise PoolTimeout(
                f"no connection came free within pool_timeout={self.timeout:g} s: all "
                f"{self.size} were busy and {len(self._waiters)} more requests wait; this "
                "attempt was not sent"
            )
        return waited

    def release(self) -> None:
        """Give a slot back: to the longest waiter if there is one, else to the pool."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to it
                return
        self._free += 1

    def _abandon(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done() and not waiter.cancelled():
            # Handed a slot at the moment the wait ended: pass it on.
            self.release()
            return
        waiter.cancel()
        with contextlib.suppress(ValueError):  # already dropped by release()
            self._waiters.remove(waiter)

    async def __aenter__(self) -> float:
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
