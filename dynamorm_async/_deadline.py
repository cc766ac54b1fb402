"""Deadlines: the one an invocation binds for all its DB calls, and Lambda's remaining time.

A deadline is an absolute time on :func:`time.monotonic`'s clock, which is also the asyncio
loop clock that :class:`anyio.CancelScope` deadlines use.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from typing import Protocol, runtime_checkable

__all__ = [
    "DEFAULT_BUFFER",
    "INVOCATION_DEADLINE",
    "LambdaContext",
    "deadline_from_context",
    "earliest",
]

DEFAULT_BUFFER = 1.0
"""Seconds kept back from Lambda's remaining time, for the handler to answer and log."""

INVOCATION_DEADLINE: ContextVar[float | None] = ContextVar(
    "dynamorm_async_invocation_deadline", default=None
)
"""The deadline the Lambda handler adapter binds for one invocation; every DB obeys it."""


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
