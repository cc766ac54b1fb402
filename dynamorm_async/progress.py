"""Progress of long batch calls: a callback that sees every answer.

``batch_put``, ``batch_create``, ``batch_write``, ``batch_delete`` and ``batch_get`` take
``progress=``, a function called with a :class:`BatchProgress` after each request of the
call is answered (an answer that failed, throttled, counts too: it shows the retries).
It runs in the worker task that got the answer, between requests, so it must be quick and
must not block (update a progress bar, print a line); it is called from one thread, never
twice at once.

An exception the callback raises stops the call like a failed request: chunks in flight
finish, nothing new is sent, and the call raises
:class:`~dynamorm_async.errors.BatchWriteError` (reads: the exception itself) naming what
was not done, chained from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import attrs

__all__ = ["BatchProgress", "ProgressCallback", "ProgressTracker"]


@attrs.frozen(kw_only=True)
class BatchProgress:
    """Where a batch call stands after one more answer.

    Attributes:
        operation: ``"BatchWriteItem"`` or ``"BatchGetItem"``.
        total: Writes in the call (puts and deletes), or distinct keys to read.
        done: Writes DynamoDB confirmed, or keys read (found or missing), so far.
        retried: Writes or keys sent again so far (unprocessed, or their request failed
            with throttling or a server error); one item resent twice counts twice.
        requests: Requests answered so far.
    """

    operation: str
    total: int
    done: int
    retried: int
    requests: int

    @property
    def left(self) -> int:
        """Writes or keys not done yet."""
        return self.total - self.done


ProgressCallback: TypeAlias = Callable[[BatchProgress], object]
"""Receives each :class:`BatchProgress`; what it returns is ignored."""


class ProgressTracker:
    """Counts one batch call's progress and hands it to the callback.

    Args:
        operation: The batch operation.
        total: What the call has to do (writes or distinct keys).
        callback: The user's function.
    """

    __slots__ = ("callback", "done", "operation", "requests", "retried", "total")

    def __init__(self, operation: str, total: int, callback: ProgressCallback) -> None:
        self.operation = operation
        self.total = total
        self.callback = callback
        self.done = 0
        self.retried = 0
        self.requests = 0

    def resending(self, items: int) -> None:
        """``items`` go out again in the next request."""
        self.retried += items

    def answered(self, done: int) -> None:
        """One request was answered and confirmed ``done`` items; tells the callback.

        Raises:
            Exception: Whatever the callback raises.
        """
        self.requests += 1
        self.done += done
        self.callback(
            BatchProgress(
                operation=self.operation,
                total=self.total,
                done=self.done,
                retried=self.retried,
                requests=self.requests,
            )
        )
