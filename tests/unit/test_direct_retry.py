"""The direct transport's retry policy: botocore's decisions, delays, quota and rate limiter."""

from __future__ import annotations

import random
import time

import anyio
import pytest

from dynamorm_async._deadline import CALL_DEADLINE
from dynamorm_async.transport._retry import RateLimiter, RetryPolicy
from dynamorm_async.transport.direct import encode_body


@pytest.mark.parametrize(
    ("code", "status", "retried"),
    [
        ("ProvisionedThroughputExceededException", 400, True),
        ("ThrottlingException", 400, True),
        ("RequestLimitExceeded", 400, True),
        ("TransactionInProgressException", 400, True),
        ("RequestTimeout", 400, True),
        ("InternalServerError", 500, True),
        ("ServiceUnavailable", 503, True),
        ("ConditionalCheckFailedException", 400, False),
        ("ValidationException", 400, False),
        ("ResourceNotFoundException", 400, False),
        ("AccessDeniedException", 400, False),
    ],
)
def test_what_is_retried_is_what_botocore_retries(code: str, status: int, retried: bool) -> None:
    assert RetryPolicy.retryable(code, status) is retried


def test_standard_delays_are_full_jitter_up_to_twenty_seconds() -> None:
    policy = RetryPolicy("standard", 10, rng=random.Random(7))
    for attempt in range(1, 10):
        ceiling = min(2.0 ** (attempt - 1), 20.0)
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # jitter spreads over the range


def test_legacy_delays_are_dynamodbs_fixed_schedule() -> None:
    policy = RetryPolicy("legacy", 10)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.05, 0.1, 0.2, 0.4]
    assert policy.take_quota(timeout=False) == 0  # no quota in legacy mode


def test_the_retry_quota_runs_out_and_successes_refill_it() -> None:
    policy = RetryPolicy("standard", 4)
    costs = []
    while (cost := policy.take_quota(timeout=False)) is not None:
        costs.append(cost)
    assert costs == [5] * 100  # 500 units, 5 per retry, as botocore's RetryQuota
    assert policy.take_quota(timeout=True) is None
    policy.succeeded(5)  # a success after a retry gives that retry's cost back
    assert policy.take_quota(timeout=False) == 5
    assert policy.take_quota(timeout=False) is None


async def test_the_rate_limiter_starts_after_throttling_and_respects_the_deadline() -> None:
    limiter = RateLimiter()
    assert await limiter.acquire()  # off until the first throttled answer
    limiter.record(throttled=True)
    # The bucket now refills at the minimum rate (0.5 tokens/s) from empty: a token is
    # about 2 s away, past a 0.2 s deadline, so the limiter refuses instead of sleeping.
    with anyio.fail_after(0.2):
        assert await limiter.acquire() is False


async def test_the_rate_limiter_respects_the_deadline_of_the_call() -> None:
    # The engine's deadline for the call, not an anyio scope: the limiter still refuses the
    # ~2 s wait for a token instead of sleeping it (and then answering True).
    limiter = RateLimiter()
    limiter.record(throttled=True)
    token = CALL_DEADLINE.set(time.monotonic() + 0.2)
    try:
        assert await limiter.acquire() is False
    finally:
        CALL_DEADLINE.reset(token)


@pytest.mark.parametrize("elapsed", [0.0, 0.001, 0.25, 1.0, 3.7, 60.0, 3600.0])
def test_the_rate_before_any_throttling_is_botocores_cubic_rate(elapsed: float) -> None:
    # The limiter makes botocore's CubicCalculator only at the first throttled answer;
    # until then it computes the same rate itself.
    from botocore.retries.throttling import CubicCalculator

    started = 1_700_000_000.0
    cubic = CubicCalculator(starting_max_rate=0, start_time=started)
    now = started + elapsed
    # The limiter passes ``now - started``, as botocore's calculator subtracts its start.
    assert RateLimiter._rate_before(now - started) == cubic.success_received(now)


def test_a_transport_that_is_never_retried_makes_no_botocore_object() -> None:
    policy = RetryPolicy("adaptive", 3)
    assert policy.limiter is not None
    policy.limiter.record(throttled=False)
    policy.succeeded(None)
    assert policy.quota is None and policy.limiter._cubic is None
    policy.limiter.record(throttled=True)
    assert policy.take_quota(timeout=False) == 5
    assert policy.quota is not None and policy.limiter._cubic is not None


def test_bodies_are_json_with_binary_as_base64() -> None:
    body = encode_body({"Item": {"b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a"]}, "s": {"S": "é"}}})
    assert body == '{"Item":{"b":{"B":"AP8="},"bs":{"BS":["YQ=="]},"s":{"S":"é"}}}'.encode()
    with pytest.raises(TypeError):
        encode_body({"x": object()})
