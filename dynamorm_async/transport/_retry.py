"""The direct transport's retries: botocore's retry modes, without botocore's event machinery.

What is retried (every mode): the throttling codes and transient codes of botocore's
``standard`` mode, HTTP 500/502/503/504, connection errors and timeouts, and a response whose
``x-amz-crc32`` does not match its body. At most ``Config.max_retries + 1`` attempts.

- ``standard``: waits ``random() * min(2 ** (attempt - 1), 20)`` seconds (botocore's
  ``ExponentialBackoff``) and spends botocore's retry quota (:class:`RetryQuota`, 500 units
  per transport: 5 per retry, 10 after a timeout; a success gives back what its retry took,
  or 1), so a failing service stops being retried.
- ``adaptive``: ``standard``, plus botocore's client-side rate limiting: after the first
  throttled answer every attempt takes a token from a bucket refilled at the rate botocore's
  ``CubicCalculator`` (its CUBIC congestion control, reused as it is) sets from the measured
  send rate. The bucket is asynchronous here, a wait is an :func:`asyncio.sleep`.
- ``legacy``: botocore's legacy DynamoDB schedule, ``0.05 * 2 ** (attempt - 1)`` seconds,
  no quota.

No wait outlives the deadline: a back-off or a rate-limit wait that would end after the
enclosing cancel scope's deadline (the engine's) is not started; the request fails at once
with :class:`~dynamorm_async.errors.DeadlineExceeded` (chained from the last attempt's
error), which is what the botocore transport raises when the deadline cuts its sleep.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from typing import TYPE_CHECKING

from .._deadline import time_left
from ..config import RetryMode

if TYPE_CHECKING:
    from botocore.retries.quota import RetryQuota
    from botocore.retries.throttling import CubicCalculator

__all__ = ["THROTTLING_CODES", "TRANSIENT_CODES", "RateLimiter", "RetryPolicy"]

# botocore.retries.standard's ThrottledRetryableChecker and TransientRetryableChecker.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})

_MAX_BACKOFF = 20.0
_LEGACY_BASE = 0.05
_RETRY_COST = 5
_TIMEOUT_RETRY_COST = 10
_NO_RETRY_INCREMENT = 1


class RateLimiter:
    """botocore's adaptive client-side rate limiter, with an asynchronous token bucket."""

    __slots__ = (
        "_capacity",
        "_count",
        "_cubic",
        "_enabled",
        "_fill_rate",
        "_last_bucket",
        "_last_fill",
        "_max_capacity",
        "_measured",
        "_started",
    )

    _MIN_RATE = 0.5
    _SMOOTHING = 0.8
    _BUCKET_SECONDS = 0.5
    _MAX_RATE_ADJUST_SCALE = 2.0

    def __init__(self) -> None:
        now = time.time()
        # botocore's CubicCalculator, made at the first throttled answer (see _rate_before).
        self._cubic: CubicCalculator | None = None
        self._started = now
        self._enabled = False
        self._fill_rate = 1.0
        self._max_capacity = 1.0
        self._capacity = 0.0
        self._last_fill: float | None = None
        self._measured = 0.0
        self._count = 0
        self._last_bucket = float(math.floor(now))

    async def acquire(self) -> bool:
        """Wait for a send token once throttling was seen; ``False`` if the wait would end late."""
        if not self._enabled:
            return True
        self._refill(time.time())
        self._capacity -= 1
        if self._capacity >= 0:
            return True
        wait = -self._capacity / self._fill_rate
        if wait >= time_left():
            self._capacity += 1
            return False
        await asyncio.sleep(wait)
        return True

    def record(self, throttled: bool) -> None:
        """Account one answered attempt (botocore's ``on_receiving_response``)."""
        now = time.time()
        bucket = math.floor(now / self._BUCKET_SECONDS) * self._BUCKET_SECONDS
        self._count += 1
        if bucket > self._last_bucket:
            rate = self._count / (bucket - self._last_bucket)
            self._measured = rate * self._SMOOTHING + self._measured * (1 - self._SMOOTHING)
            self._count = 0
            self._last_bucket = bucket
        if not throttled:
            if self._cubic is None:
                new_rate = self._rate_before(now - self._started)
            else:
                new_rate = self._cubic.success_received(now)
        else:
            if self._cubic is None:
                from botocore.retries.throttling import CubicCalculator

                self._cubic = CubicCalculator(starting_max_rate=0, start_time=self._started)
            used = self._measured if not self._enabled else min(self._measured, self._fill_rate)
            new_rate = self._cubic.error_received(used, now)
            self._enabled = True
        self._set_rate(min(new_rate, self._MAX_RATE_ADJUST_SCALE * self._measured), now)

    @staticmethod
    def _rate_before(elapsed: float) -> float:
        """``CubicCalculator(starting_max_rate=0).success_received`` before any throttling.

        Its window and zero point are both 0 until the first error, so its rate is
        ``0.4 * elapsed ** 3`` (its scale constant). The calculator itself waits for the
        first throttled answer: importing it imports botocore, which a process that is
        never throttled (a Lambda cold start with credentials in its environment) does not
        otherwise need. A unit test holds this to botocore's own figures.
        """
        return 0.4 * elapsed**3

    def _set_rate(self, value: float, now: float) -> None:
        self._refill(now)
        self._fill_rate = max(value, self._MIN_RATE)
        self._max_capacity = value if value >= 1 else 1.0
        self._capacity = min(self._capacity, self._max_capacity)

    def _refill(self, now: float) -> None:
        if self._last_fill is not None:
            self._capacity = min(
                self._max_capacity, self._capacity + (now - self._last_fill) * self._fill_rate
            )
        self._last_fill = now


class RetryPolicy:
    """Decides whether and when to retry one transport's attempts (see the module doc)."""

    __slots__ = ("limiter", "max_attempts", "mode", "quota", "rng")

    quota: RetryQuota | None
    """botocore's retry quota, made at the first retry: until then it is full, and a full
    quota takes nothing back. Not imported before, a process that never retries (a
    Lambda cold start with credentials in its environment) imports no botocore at all."""

    def __init__(
        self, mode: RetryMode, max_attempts: int, rng: random.Random | None = None
    ) -> None:
        self.mode = mode
        self.max_attempts = max_attempts
        self.quota = None
        self.limiter = RateLimiter() if mode == "adaptive" else None
        self.rng = rng or random.Random()

    @staticmethod
    def retryable(code: str | None, status: int) -> bool:
        """Whether an error answer (its code and HTTP status) is worth another attempt."""
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status in TRANSIENT_STATUS

    def take_quota(self, *, timeout: bool) -> int | None:
        """Spend retry quota for a retry; ``None`` when it ran out (do not retry)."""
        if self.mode == "legacy":
            return 0
        if self.quota is None:
            from botocore.retries.quota import RetryQuota

            self.quota = RetryQuota()
        cost = _TIMEOUT_RETRY_COST if timeout else _RETRY_COST
        return cost if self.quota.acquire(cost) else None

    def succeeded(self, cost: int | None) -> None:
        """Give quota back after a success (``cost``: what its last retry took, if any)."""
        if self.quota is not None:
            self.quota.release(cost or _NO_RETRY_INCREMENT)

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        if self.mode == "legacy":
            return _LEGACY_BASE * 2.0 ** (attempt - 1)
        return self.rng.random() * min(2.0 ** (attempt - 1), _MAX_BACKOFF)
