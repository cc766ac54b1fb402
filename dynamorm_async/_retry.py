"""The ORM's own retries: exponential back-off with full jitter, capped, bounded, deadline-aware.

Two layers retry, and both are bounded:

1. **botocore** retries every HTTP request on throttling, 5xx answers and connection errors
   (``Config.max_retries`` times, in ``Config.retry_mode``). It never sees DynamoDB's partial
   answers (``UnprocessedItems``, ``UnprocessedKeys``): those come with HTTP 200.
2. **The ORM** (this module) retries what botocore cannot or gave up on: the unprocessed part
   of a batch chunk, a chunk whose request still failed with :class:`Throttled` or
   :class:`TransportError` after botocore's retries, and a transaction cancelled by a
   conflict. At most ``max_attempts`` requests per chunk (or commit), so one chunk sends at
   most ``max_attempts * (max_retries + 1)`` HTTP requests.

Between its attempts the ORM waits a random time in ``[0, min(cap, base * 2 ** (n - 1))]``
before retry ``n`` ("full jitter": concurrent chunks that failed together do not retry
together). The wait is an :func:`anyio.sleep`, so cancellation reaches it, and it never
ends past the DB view's deadline: when it would, the ORM stops and reports what is left
instead of sleeping. botocore's own waits, including the adaptive mode's client-side rate
limiting, happen inside the request, which the engine cancels at the deadline.
"""

from __future__ import annotations

import enum
import random

import anyio
import attrs

from .config import Config

__all__ = ["Backoff", "Stop"]


class Stop(enum.Enum):
    """Why :meth:`Backoff.pause` says not to retry."""

    ATTEMPTS = "attempts"
    """Every allowed attempt was made."""
    DEADLINE = "deadline"
    """The wait before the next attempt would end after the deadline."""


@attrs.frozen(kw_only=True)
class Backoff:
    """A retry policy: exponential back-off, full jitter, a cap and a number of attempts.

    Attributes:
        base: Seconds; the upper bound of the first wait.
        cap: Seconds; no wait is longer.
        max_attempts: Attempts in all, the first included (1 means no retry).
        rng: The random source of the jitter (seedable for tests).
    """

    base: float
    cap: float
    max_attempts: int
    rng: random.Random = attrs.field(factory=random.Random, eq=False, repr=False)

    @classmethod
    def for_batches(cls, config: Config) -> Backoff:
        """The policy of batch chunks: ``Config.batch_max_attempts`` and the back-off settings."""
        return cls(
            base=config.backoff_base, cap=config.backoff_cap, max_attempts=config.batch_max_attempts
        )

    @classmethod
    def for_transactions(cls, config: Config) -> Backoff:
        """The policy of transaction commits: ``Config.transaction_max_attempts``."""
        return cls(
            base=config.backoff_base,
            cap=config.backoff_cap,
            max_attempts=config.transaction_max_attempts,
        )

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 for the first retry)."""
        # min() first so that a large retry number cannot overflow the float.
        return min(self.cap, self.base * 2.0 ** min(retry - 1, 64))

    def delay(self, retry: int) -> float:
        """A random wait before retry number ``retry``: uniform in ``[0, ceiling(retry)]``."""
        return self.rng.uniform(0, self.ceiling(retry))

    async def pause(self, attempts: int, *, deadline: float | None) -> Stop | None:
        """Wait before the next attempt, or say why there is none.

        Args:
            attempts: How many attempts were made so far (at least 1).
            deadline: Absolute :func:`anyio.current_time` by which everything must end, or
                ``None``.

        Returns:
            ``None`` after waiting (go ahead and retry), or the reason not to retry; no
            time is spent then.
        """
        if attempts >= self.max_attempts:
            return Stop.ATTEMPTS
        delay = self.delay(attempts)
        if deadline is not None and anyio.current_time() + delay >= deadline:
            return Stop.DEADLINE
        await anyio.sleep(delay)
        return None
