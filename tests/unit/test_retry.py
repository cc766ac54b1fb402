"""The ORM's back-off policy: bounds, jitter, attempts and deadlines (no network)."""

from __future__ import annotations

import random

import anyio

from dynamorm_async import Config
from dynamorm_async._retry import Backoff, Stop


def policy(**kw: object) -> Backoff:
    kw.setdefault("base", 0.1)
    kw.setdefault("cap", 1.0)
    kw.setdefault("max_attempts", 5)
    return Backoff(**kw)  # type: ignore[arg-type]


def test_ceiling_doubles_up_to_the_cap() -> None:
    backoff = policy()
    assert [backoff.ceiling(n) for n in (1, 2, 3, 4, 5, 6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert backoff.ceiling(10_000) == 1.0  # no overflow for absurd retry numbers


def test_full_jitter_stays_in_range_and_is_seedable() -> None:
    a = policy(rng=random.Random(7))
    b = policy(rng=random.Random(7))
    delays = [a.delay(n) for n in range(1, 50)]
    assert delays == [b.delay(n) for n in range(1, 50)]
    assert all(0 <= d <= a.ceiling(n) for n, d in zip(range(1, 50), delays, strict=True))
    assert len(set(delays)) > 1  # jittered, not a fixed schedule


def test_policies_come_from_config() -> None:
    config = Config(
        batch_max_attempts=3, transaction_max_attempts=2, backoff_base=0.01, backoff_cap=0.5
    )
    assert Backoff.for_batches(config) == Backoff(base=0.01, cap=0.5, max_attempts=3)
    assert Backoff.for_transactions(config) == Backoff(base=0.01, cap=0.5, max_attempts=2)


async def test_pause_stops_after_the_last_attempt() -> None:
    backoff = policy(base=0.001, cap=0.001, max_attempts=3)
    assert await backoff.pause(1, deadline=None) is None
    assert await backoff.pause(2, deadline=None) is None
    assert await backoff.pause(3, deadline=None) is Stop.ATTEMPTS


async def test_pause_never_sleeps_past_the_deadline() -> None:
    backoff = policy(base=100, cap=100, rng=random.Random(3))
    assert backoff.delay(1) > 1  # what this seed draws first (checked on a twin below)
    backoff = policy(base=100, cap=100, rng=random.Random(3))
    # The wait would end after a deadline 1 s away: it reports DEADLINE instead of sleeping
    # (were it to sleep, fail_after would turn that into a failure).
    with anyio.fail_after(5):
        assert await backoff.pause(1, deadline=anyio.current_time() + 1) is Stop.DEADLINE
    assert await backoff.pause(1, deadline=anyio.current_time() - 1) is Stop.DEADLINE


async def test_cancellation_reaches_the_wait() -> None:
    backoff = policy(base=100, cap=100, rng=random.Random(1))
    with anyio.move_on_after(0.01) as scope:
        await backoff.pause(1, deadline=None)
    assert scope.cancelled_caught


async def test_one_attempt_means_no_retry() -> None:
    assert await policy(max_attempts=1).pause(1, deadline=None) is Stop.ATTEMPTS
