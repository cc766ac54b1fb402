"""The Lambda handler adapter over the wire: warm connection reuse, metrics, errors, init."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import DB, Config
from dynamorm_async.aws_lambda import get_db, lambda_handler, set_db, shutdown
from dynamorm_async.testing import FakeLambdaContext
from tests.faultproxy import FaultProxy, through
from tests.models import Payment

POOL = 4
INVOCATIONS = 100


@pytest.fixture(autouse=True)
def _fresh_adapter() -> Iterator[None]:
    """Each test gets its own adapter loop and default DB, closed after it."""
    set_db(None)
    yield
    shutdown()
    set_db(None)


def emf_printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF documents printed on standard output since the last call."""
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


@pytest.mark.usefixtures("tables")
def test_warm_invocations_reuse_the_pool(config: Config, fault_proxy: FaultProxy) -> None:
    db = DB(through(config, fault_proxy, max_pool_connections=POOL, batch_concurrency=POOL))
    set_db(db)

    @lambda_handler
    async def handler(event: dict[str, Any], context: Any) -> int:
        db = get_db()
        await db.put(Payment(id=event["id"], amount=Decimal(event["n"]), customer_id="c"))
        found: list[Payment] = []

        async def read() -> None:
            found.append(await db.get(Payment, {"id": event["id"]}))

        async with anyio.create_task_group() as tg:  # more requests at once than the pool
            for _ in range(2 * POOL):
                tg.start_soon(read)
        return sum(int(p.amount) for p in found)

    def invoke(n: int) -> int:
        return handler({"id": f"warm-{n}", "n": n}, FakeLambdaContext(timeout=30))

    results = [invoke(0)]
    # The first request made aiobotocore build its TLS context in the loop's default
    # executor (a pool thread, idle from then on). Nothing else starts a thread:
    threads = threading.enumerate()
    results += [invoke(n) for n in range(1, INVOCATIONS)]
    assert threading.enumerate() == threads
    assert results == [2 * POOL * n for n in range(INVOCATIONS)]
    assert fault_proxy.requests == INVOCATIONS * (1 + 2 * POOL)
    # The measurement of the issue: connections opened over 100 invocations <= pool size.
    print(
        f"\n{INVOCATIONS} invocations, {fault_proxy.requests} requests: "
        f"{fault_proxy.accepted} connections"
    )
    assert 1 <= fault_proxy.accepted <= POOL
    assert db.engine.opened == 1


@pytest.mark.usefixtures("tables")
def test_asyncio_run_per_invocation_also_works(config: Config, fault_proxy: FaultProxy) -> None:
    db = DB(through(config, fault_proxy))

    async def main(event: dict[str, Any], context: Any) -> str:
        view = db.with_lambda_context(context)
        await view.put(Payment(id=event["id"], amount=Decimal(1), customer_id="c"))
        return (await view.get(Payment, {"id": event["id"]})).id

    def handler(event: dict[str, Any], context: Any) -> str:
        return asyncio.run(main(event, context))  # a new loop (and pool) every time

    assert [handler({"id": f"run-{n}"}, FakeLambdaContext()) for n in range(5)] == [
        f"run-{n}" for n in range(5)
    ]
    assert db.engine.opened == 5  # the engine reopened on each new loop
    assert fault_proxy.accepted >= 5  # so each invocation paid for a new connection


@pytest.mark.usefixtures("tables")
def test_metrics_are_flushed_after_every_invocation(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    db = DB(attrs.evolve(config, metrics=True))

    @lambda_handler(db=db)
    async def handler(event: dict[str, Any], context: Any) -> None:
        await db.put(Payment(id=event["id"], amount=Decimal(1), customer_id="c"))
        db.metrics.add("PaymentsCreated", 1)

    for n in range(3):
        handler({"id": f"m-{n}"}, FakeLambdaContext())
        written = emf_printed(capsys)
        puts = [d for d in written if d.get("Operation") == "PutItem"]
        assert len(puts) == 1 and puts[0]["Latency"] > 0
        assert any(d.get("PaymentsCreated") == 1 for d in written)


@pytest.mark.usefixtures("tables")
def test_exceptions_propagate_unchanged_and_metrics_still_flush(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    db = DB(attrs.evolve(config, metrics=True))
    failure = LookupError("payment p-404 is not ours")

    @lambda_handler(db=db)
    async def handler(event: dict[str, Any], context: Any) -> None:
        await db.find(Payment, {"id": "p-404"})
        raise failure

    with pytest.raises(LookupError) as info:
        handler({}, FakeLambdaContext())
    assert info.value is failure
    assert [d["Operation"] for d in emf_printed(capsys)] == ["GetItem"]


@pytest.mark.usefixtures("tables")
def test_preopen_opens_the_client_in_the_init_phase(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = DB(config)
    monkeypatch.delenv("AWS_LAMBDA_RUNTIME_API", raising=False)

    @lambda_handler(db=db, preopen=True)
    async def outside_lambda(event: Any, context: Any) -> None:
        return None

    assert not db.engine.is_open  # importing a handler module in a test does no I/O

    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")

    @lambda_handler(db=db, preopen=True)
    async def handler(event: Any, context: Any) -> bool:
        return await db.find(Payment, {"id": "nothing"}) is None

    assert db.engine.opened == 1  # opened at decoration, i.e. at import in the init phase
    assert handler({}, FakeLambdaContext()) is True
    assert db.engine.opened == 1  # and reused by the invocation


async def test_invoke_runs_on_the_running_loop(config: Config) -> None:
    async with DB(config) as db:

        @lambda_handler(db=db)
        async def handler(event: Any, context: Any) -> float | None:
            return db.deadline

        with pytest.raises(RuntimeError, match="invoke"):
            handler({}, FakeLambdaContext())
        deadline = await handler.invoke({}, FakeLambdaContext(timeout=10))
        assert deadline is not None and deadline - anyio.current_time() <= 9.0
        assert db.deadline is None  # the binding ends with the invocation
