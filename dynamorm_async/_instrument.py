"""The hook at the engine's choke point: one :class:`Call` record per DynamoDB request.

Observers (metrics, tracing) see each call begin and end. The engine only builds a record
when an observer is active, so with metrics and tracing off a request costs nothing extra.
The transport fills in what only the wire knows (attempts, throttled attempts, waits for a
pooled connection) through :data:`CURRENT_CALL`, a context variable, so concurrent requests
never mix their records.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Protocol

from .errors import _CODE_TO_ERROR, Throttled

__all__ = ["CURRENT_CALL", "Call", "Observer", "is_throttling"]


class Call:
    """One DynamoDB request as the observers see it.

    Attributes:
        operation: The API name, e.g. ``"PutItem"``.
        params: The request parameters as sent.
        attempts: HTTP attempts botocore made (0 if the transport does not report them).
        throttles: Attempts that DynamoDB answered with a throttling error.
        response: The parsed response, when the call succeeded.
        error: The exception the call ended with, if any (cancellation included).
        seconds: Wall time of the call, set when it ends.
        pool_wait: Seconds its HTTP attempts waited for a connection of the pool (added by
            the transport's :class:`~dynamorm_async.transport._pool.PoolGate`).
    """

    __slots__ = (
        "attempts",
        "error",
        "operation",
        "params",
        "pool_wait",
        "response",
        "seconds",
        "throttles",
    )

    def __init__(self, operation: str, params: Mapping[str, Any]) -> None:
        self.operation = operation
        self.params = params
        self.attempts = 0
        self.throttles = 0
        self.response: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.pool_wait = 0.0

    @property
    def retries(self) -> int:
        """Retries botocore made: from the transport's count, else the response metadata."""
        if self.attempts:
            return self.attempts - 1
        metadata = (self.response or {}).get("ResponseMetadata") or {}
        retries = metadata.get("RetryAttempts", 0)
        return retries if isinstance(retries, int) else 0

    @property
    def throttled(self) -> int:
        """Throttled attempts: the transport's count, else 1 if the call ended throttled."""
        if self.attempts:
            return self.throttles
        return 1 if isinstance(self.error, Throttled) else 0


class Observer(Protocol):
    """Something that watches every request. Neither method may raise."""

    def begin(self, call: Call) -> object:
        """Called before the request; the result is handed back to :meth:`end`."""
        ...

    def end(self, call: Call, state: object) -> None:
        """Called once the request ended, however it ended."""
        ...


CURRENT_CALL: ContextVar[Call | None] = ContextVar("dynamorm_async_current_call", default=None)
"""The record of the request the running task is sending, while observers are active."""


def is_throttling(code: object) -> bool:
    """Whether a DynamoDB error code means the request was throttled."""
    if not isinstance(code, str):
        return False
    return _CODE_TO_ERROR.get(code.rsplit("#", 1)[-1]) is Throttled
