"""The Lambda handler adapter over the wire: warm connection reuse, metrics, errors, init."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import DB, Config
from dynamorm_async.aws_lambda import get_db, lambda_handler, set_db, shutdown
from dynamorm_async.testing import FakeLambdaContext, FaultProxy, through
from tests.models import Payment

POOL = 4
INVOCATIONS = 100


@pytest.fixture(autouse=True)
def _fresh_adapter() -> Iterator[None]:
    """Each test gets its own adapter loop and default DB, closed after it."""
    set_db(None)
    yield
    set_db(None)
    # The test's DBs are garbage now, never closed: collecting them must leave their
    # transports to the loop's shutdown (no "Unclosed client session" from the collector).
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        gc.collect()
    shutdown()


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


@pytest.mark.usefixtures("tables")
def test_a_module_level_db_from_the_environment_is_flushed(
    lambda_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The pattern docs/lambda.md shows: a module-level DB, not passed to the decorator.
    monkeypatch.setenv("DYNAMORM_METRICS", "1")
    db = DB.from_environment()

    @lambda_handler
    async def handler(event: dict[str, Any], context: Any) -> None:
        await db.put(Payment(id=event["id"], amount=Decimal(1), customer_id="c"))

    for n in range(2):
        handler({"id": f"module-{n}"}, FakeLambdaContext())
        assert [d["Operation"] for d in emf_printed(capsys)] == ["PutItem"]


@pytest.mark.usefixtures("tables")
def test_every_db_that_recorded_is_flushed_and_dead_ones_are_not_kept(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc
    import weakref

    from dynamorm_async import metrics

    named = DB(attrs.evolve(config, metrics=True, metrics_service="named"))
    other = DB(attrs.evolve(config, metrics=True, metrics_service="other"))

    @lambda_handler(db=named)
    async def handler(event: dict[str, Any], context: Any) -> None:
        other.metrics.add("Seen", 1)

    handler({}, FakeLambdaContext())
    services = {d.get("service") for d in emf_printed(capsys)}
    assert services == {"other"}  # named recorded nothing: nothing to write for it

    dropped = DB(attrs.evolve(config, metrics=True, metrics_service="dropped"))
    dropped.metrics.add("Lost", 1)
    alive = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert alive() is None  # recording did not keep it alive
    assert all(m.service != "dropped" for m in metrics.with_records())


def test_a_plain_def_is_refused_at_decoration() -> None:
    from dynamorm_async import SchemaError

    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    with pytest.raises(SchemaError, match="async def") as caught:
        lambda_handler(handler)
    assert isinstance(caught.value, TypeError)
    with pytest.raises(SchemaError):
        lambda_handler(buffer=0.5)(handler)

    class Callable:
        async def __call__(self, event: Any, context: Any) -> int:
            return 7

    assert lambda_handler(Callable())({}, FakeLambdaContext()) == 7


@pytest.mark.usefixtures("tables")
def test_preopen_warms_a_connection_the_first_invocation_reuses(
    config: Config, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = DB(through(config, fault_proxy))
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")

    @lambda_handler(db=db, preopen=True)
    async def handler(event: Any, context: Any) -> bool:
        return await db.find(Payment, {"id": "nothing"}) is None

    # The init phase opened one connection (one request went over it) ...
    assert (fault_proxy.accepted, [e.operation for e in fault_proxy.log]) == (1, ["ListTables"])
    assert handler({}, FakeLambdaContext()) is True
    # ... and the first invocation's request used it: no new connection, no handshake.
    assert (fault_proxy.accepted, [e.operation for e in fault_proxy.log]) == (
        1,
        ["ListTables", "GetItem"],
    )
