"""Deadlines: the one an invocation binds for all its DB calls, and Lambda's remaining time.

A deadline is an absolute time on :func:`time.monotonic`'s clock, which is also the asyncio
loop clock that :func:`asyncio.timeout_at` and :class:`anyio.CancelScope` deadlines use.

The engine holds a call to its deadline with :func:`asyncio.timeout_at`, not an anyio cancel
scope: the first anyio scope of a process imports anyio's asyncio backend (15 to 25 ms of
CPU and about 1.2 MB on the benchmark machine), which every Lambda cold start would pay
for its first request. anyio stays for what needs it: task groups, limiters and streams.
"""

from __future__ import annotations

import math
import sys
import time
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

__all__ = [
    "CALL_DEADLINE",
    "DEFAULT_BUFFER",
    "INVOCATION_DEADLINE",
    "LambdaContext",
    "deadline_from_context",
    "earliest",
    "time_left",
]

DEFAULT_BUFFER = 1.0
"""Seconds kept back from Lambda's remaining time, for the handler to answer and log."""

INVOCATION_DEADLINE: ContextVar[float | None] = ContextVar(
    "dynamorm_async_invocation_deadline", default=None
)
"""The deadline the Lambda handler adapter binds for one invocation; every DB obeys it."""

CALL_DEADLINE: ContextVar[float] = ContextVar("dynamorm_async_call_deadline", default=math.inf)
"""The deadline of the call the engine is sending now (``inf`` without one)."""


@runtime_checkable
class LambdaContext(Protocol):
    """What dynamorm_async needs of the Lambda context object: its remaining time."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops the invocation."""
        ...


def deadline_from_context(context: LambdaContext, buffer: float) -> float:
    """The monotonic time ``buffer`` seconds before the invocation of ``context`` runs out.

    Raises:
        ValueError: ``buffer`` is negative or not a finite number.
    """
    if isinstance(buffer, bool) or not isinstance(buffer, int | float):
        raise ValueError(f"buffer must be a number of seconds, not {buffer!r}")
    if not math.isfinite(buffer) or buffer < 0:
        raise ValueError(f"buffer must be a finite number of seconds >= 0, not {buffer!r}")
    remaining = context.get_remaining_time_in_millis() / 1000
    return time.monotonic() + remaining - buffer


def earliest(first: float | None, second: float | None) -> float | None:
    """The earlier of two optional deadlines."""
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def time_left() -> float:
    """Seconds until the call in progress must end (``inf`` when nothing bounds it).

    The earlier of the engine's deadline for the call and the deadline of any anyio cancel
    scope around it. anyio is asked only when its asyncio backend is loaded: no anyio
    cancel scope can exist before it is, and asking would load it.
    """
    deadline = CALL_DEADLINE.get()
    if "anyio._backends._asyncio" in sys.modules:
        import anyio

        deadline = min(deadline, anyio.current_effective_deadline())
    return deadline - time.monotonic()
