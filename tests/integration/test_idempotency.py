"""Idempotency over the real wire: one handler run per key, replay, expiry, take-over, faults.

Time moves through the decorator's ``clock`` (epoch seconds) and the Lambda context's own
clock, never by sleeping; concurrent invocations are ordered with events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import (
    DB,
    Config,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    ValidationError,
)
from dynamorm_async.idempotency import (
    IdempotencyRecord,
    IdempotencyStatus,
    idempotent,
    idempotent_function,
)
from dynamorm_async.testing import FakeLambdaContext, FaultProxy, Faults, through
from tests.models import Payment, Status

T0 = 1_718_096_400.0


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(db: DB, server_kind: str) -> AsyncIterator[DB]:
    """``db`` with the idempotency table created for one test."""
    await db.create_table(IdempotencyRecord, ttl=server_kind != "dynalite")
    try:
        yield db
    finally:
        await db.delete_table(IdempotencyRecord, missing_ok=True)


def context(timeout: float = 30.0, clock: Callable[[], float] | None = None) -> FakeLambdaContext:
    return (
        FakeLambdaContext(timeout=timeout, clock=clock)
        if clock
        else FakeLambdaContext(timeout=timeout)
    )


async def test_fifty_concurrent_duplicates_run_the_handler_once(store: DB) -> None:
    runs = 0
    release = anyio.Event()
    outcomes: list[Any] = []

    @idempotent(store, key=lambda event: event["payment_id"])
    async def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
        nonlocal runs
        runs += 1
        await release.wait()  # held until every duplicate has had its answer
        return {"charged": event["payment_id"], "amount": event["amount"]}

    event = {"payment_id": "p-50", "amount": "12.30"}

    async def invoke() -> None:
        try:
            outcomes.append(await handler(event, context()))
        except IdempotencyInProgress as exc:
            outcomes.append(exc)
        if sum(isinstance(o, IdempotencyInProgress) for o in outcomes) == 49:
            release.set()

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(invoke)
    assert runs == 1
    results = [o for o in outcomes if not isinstance(o, Exception)]
    assert results == [{"charged": "p-50", "amount": "12.30"}]
    busy = [o for o in outcomes if isinstance(o, IdempotencyInProgress)]
    assert len(busy) == 49 and all(b.holder_deadline is not None for b in busy)
    # Later duplicates get the stored result without running the handler.
    replays = [await handler(event, context()) for _ in range(3)]
    assert replays == results * 3 and runs == 1


async def test_a_model_result_replays_exactly(store: DB) -> None:
    runs = 0

    @idempotent(store, key=lambda event: event["id"])
    async def handler(event: dict[str, Any], context: Any) -> Payment:
        nonlocal runs
        runs += 1
        return Payment(
            id=event["id"],
            amount=Decimal("12345678901234567890.123456789"),
            customer_id="c-1",
            tags={"gift", "eu"},
            status=Status.PAID,
            created_at=dt.datetime(2024, 6, 11, 9, 0, 0, 123456, tzinfo=dt.UTC),
            version=3,
        )

    first = await handler({"id": "p-1"}, context())
    again = await handler({"id": "p-1"}, context())
    assert runs == 1
    assert isinstance(again, Payment) and again == first
    assert again.amount == Decimal("12345678901234567890.123456789")


async def test_the_record_is_stored_as_documented(
    store: DB, dynamodb_client: Any, server_kind: str
) -> None:
    clock = Clock()

    @idempotent(store, key=lambda event: event["id"], expires_after=600, clock=clock)
    async def handler(event: dict[str, Any], context: Any) -> int:
        return 7

    assert await handler({"id": "x"}, context()) == 7
    response = await dynamodb_client.scan(TableName=store.table_name(IdempotencyRecord))
    (item,) = response["Items"]
    assert item["status"] == {"S": "COMPLETED"}
    assert item["expiration"] == {"N": str(int(T0) + 600)}
    assert item["data"] == {"N": "7"}
    assert "in_progress_expiration" not in item
    assert item["id"]["S"].startswith(f"{__name__}.test_the_record_is_stored_as_documented.")
    assert len(item["validation"]["S"]) == 64
    if server_kind != "dynalite":
        ttl = await dynamodb_client.describe_time_to_live(
            TableName=store.table_name(IdempotencyRecord)
        )
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiration"


async def test_an_expired_record_runs_the_handler_again(store: DB) -> None:
    clock = Clock()
    runs = 0

    @idempotent(store, key=lambda event: event["id"], expires_after=3600, clock=clock)
    async def handler(event: dict[str, Any], context: Any) -> int:
        nonlocal runs
        runs += 1
        return runs

    assert await handler({"id": "e"}, context()) == 1
    clock.now = T0 + 3599
    assert await handler({"id": "e"}, context()) == 1  # replayed
    clock.now = T0 + 3601  # expired (DynamoDB's TTL may not have deleted it yet)
    assert await handler({"id": "e"}, context()) == 2
    assert runs == 2


async def test_a_crashed_invocation_is_taken_over_after_its_deadline(store: DB) -> None:
    clock = Clock()
    started = anyio.Event()
    runs = 0

    @idempotent(store, key=lambda event: event["id"], clock=clock)
    async def handler(event: dict[str, Any], context: Any) -> str:
        nonlocal runs
        runs += 1
        if runs == 1:
            started.set()
            await anyio.Event().wait()  # the first invocation never finishes
        return f"run {runs}"

    async with anyio.create_task_group() as group:
        # Its Lambda has 5 s; it is killed while the handler runs (cancelled: nothing more
        # is sent, as when the process dies), leaving the record in progress.
        group.start_soon(handler, {"id": "k"}, FakeLambdaContext(timeout=5))
        await started.wait()
        group.cancel_scope.cancel()
    with pytest.raises(IdempotencyInProgress) as caught:
        await handler({"id": "k"}, context())
    deadline = caught.value.holder_deadline
    assert deadline is not None and int(T0 * 1000) + 4000 < deadline <= int(T0 * 1000) + 5000
    clock.now = T0 + 4  # before the holder's deadline
    with pytest.raises(IdempotencyInProgress):
        await handler({"id": "k"}, context())
    clock.now = T0 + 5.001  # after it: taken over
    assert await handler({"id": "k"}, context()) == "run 2"
    assert await handler({"id": "k"}, context()) == "run 2"  # and completed
    assert runs == 2


async def test_a_handler_that_raises_leaves_the_key_free(store: DB) -> None:
    runs = 0

    @idempotent(store, key=lambda event: event["id"])
    async def handler(event: dict[str, Any], context: Any) -> str:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("card network down")
        return "charged"

    with pytest.raises(RuntimeError, match="card network down"):
        await handler({"id": "r"}, context())
    assert await store.model(IdempotencyRecord).allow_scan().count() == 0
    assert await handler({"id": "r"}, context()) == "charged"
    assert runs == 2


async def test_a_reused_key_with_another_payload_is_a_mismatch(store: DB) -> None:
    runs = 0

    @idempotent(store, key=lambda event: event["id"], payload=lambda event: event["body"])
    async def handler(event: dict[str, Any], context: Any) -> str:
        nonlocal runs
        runs += 1
        return event["body"]["amount"]

    first = {"id": "m", "body": {"amount": "10"}, "requestId": "1"}
    assert await handler(first, context()) == "10"
    # Only the payload counts: a retry with another request id replays.
    assert await handler({**first, "requestId": "2"}, context()) == "10"
    with pytest.raises(IdempotencyKeyMismatch, match="different payload") as caught:
        await handler({"id": "m", "body": {"amount": "99"}}, context())
    assert caught.value.key.endswith(caught.value.key.rpartition("#")[2])
    assert runs == 1


async def test_the_function_form_keys_on_the_arguments(store: DB) -> None:
    runs: list[str] = []

    @idempotent_function(store, key=lambda payment, note="": payment.id)
    async def capture(payment: Payment, note: str = "") -> Decimal:
        runs.append(payment.id)
        return payment.amount * 2

    payment = Payment(id="f-1", amount=Decimal("0.10"), customer_id="c")
    assert await capture(payment) == Decimal("0.20")
    assert await capture(payment) == Decimal("0.20")
    with pytest.raises(IdempotencyKeyMismatch):
        await capture(payment, note="another")
    other = Payment(id="f-2", amount=Decimal("1"), customer_id="c")
    assert await capture(other) == Decimal("2")
    assert runs == ["f-1", "f-2"]


async def test_keys_that_cannot_be_hashed_are_typed_errors(store: DB) -> None:
    @idempotent(store, key=lambda event: event.get("id"))
    async def handler(event: dict[str, Any], context: Any) -> None:
        return None

    with pytest.raises(ValidationError, match="returned None"):
        await handler({}, context())
    with pytest.raises(ValidationError, match="cannot be hashed"):
        await handler({"id": object()}, context())
    with pytest.raises(ValueError, match="expires_after"):
        idempotent(store, key=lambda event: event, expires_after=0)


async def test_duplicates_under_throttling_run_once(
    store: DB, config: Config, fault_proxy: FaultProxy
) -> None:
    throttled = Faults(throttle=0.3)
    fault_proxy.faults = dict.fromkeys(("PutItem", "GetItem", "DeleteItem"), throttled)
    runs = 0
    release = anyio.Event()
    busy = 0

    async with DB(through(config, fault_proxy, retry_mode="standard", max_retries=12)) as db:

        @idempotent(db, key=lambda event: event["id"])
        async def handler(event: dict[str, Any], context: Any) -> str:
            nonlocal runs
            runs += 1
            await release.wait()
            return "done"

        async def invoke() -> None:
            nonlocal busy
            try:
                assert await handler({"id": "t"}, context()) == "done"
            except IdempotencyInProgress:
                busy += 1
                if busy == 19:
                    release.set()

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(invoke)
        assert await handler({"id": "t"}, context()) == "done"
    assert runs == 1 and busy == 19
    assert any(e.fault == "throttle" for e in fault_proxy.log if e.operation == "PutItem")
    stored = await store.model(IdempotencyRecord).allow_scan().all()
    assert [r.status for r in stored] == [IdempotencyStatus.COMPLETED]


async def test_the_claim_is_one_conditional_put(store: DB, config: Config) -> None:
    from dynamorm_async.testing import ScriptedTransport
    from dynamorm_async.transport.aiobotocore import AiobotocoreTransport

    recorder: ScriptedTransport | None = None

    async def factory(config: Config) -> Any:
        nonlocal recorder
        recorder = ScriptedTransport.wrapping(await AiobotocoreTransport.open(config))
        return recorder

    async with DB(config, transport_factory=factory) as db:

        @idempotent(db, key=lambda event: event["id"])
        async def handler(event: dict[str, Any], context: Any) -> str:
            return "ok"

        await handler({"id": "c"}, context())
        await handler({"id": "c"}, context())
    assert recorder is not None
    operations = [op for op, _ in recorder.requests]
    assert operations[:2] == ["PutItem", "PutItem"]  # claim, complete: nothing read first
    claim = recorder.requests[0][1]
    assert "attribute_not_exists" in claim["ConditionExpression"]
    assert claim["Item"]["status"] == {"S": "INPROGRESS"}
    assert attrs.has(IdempotencyRecord)
