"""The engine's client lifecycle and error translation, over the real wire."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import DB, Config, TransportError, ValidationError
from tests.models import Payment


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread of its own (asyncio.run cannot nest in the test's loop)."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised below in the test's thread
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0] if result else None


@pytest.mark.usefixtures("tables")
def test_two_event_loops_in_sequence(config: Config) -> None:
    db = DB(config)

    async def invocation(n: int) -> Decimal:
        await db.put(Payment(id=f"loop-{n}", amount=Decimal(n), customer_id="c"))
        return (await db.get(Payment, {"id": f"loop-{n}"})).amount

    def run_twice() -> list[Decimal]:
        return [asyncio.run(invocation(1)), asyncio.run(invocation(2))]

    assert in_thread(run_twice) == [Decimal(1), Decimal(2)]
    assert db.engine.opened == 2  # one client per loop; the first was closed with its loop


@pytest.mark.usefixtures("tables")
async def test_concurrent_first_calls_open_one_client(config: Config) -> None:
    async with DB(config) as db:
        assert not db.engine.is_open

        async def lookup() -> None:
            await db.find(Payment, {"id": "missing"})

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(lookup)
        assert db.engine.opened == 1


async def test_construction_does_no_io() -> None:
    db = DB(Config(endpoint_url="http://127.0.0.1:9", region="us-east-1"))
    assert not db.engine.is_open
    await db.close()
    await db.close()


async def test_close_twice_and_reuse(config: Config) -> None:
    db = DB(config)
    async with db:
        await db.open()
        assert db.engine.is_open
    assert not db.engine.is_open
    await db.close()
    await db.open()  # a closed DB reopens on the next use
    assert db.engine.opened == 2
    await db.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_server_is_a_transport_error(config: Config) -> None:
    bad = attrs.evolve(
        config,
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        max_retries=0,
        connect_timeout=1,
    )
    async with DB(bad) as db:
        with pytest.raises(TransportError) as info:
            await db.find(Payment, {"id": "x"})
    assert info.value.operation == "GetItem"
    assert isinstance(info.value.__cause__, Exception)


@pytest.mark.usefixtures("tables")
async def test_service_validation_error_is_mapped(db: DB) -> None:
    # DynamoDB's own rejection (here: an update expression with a syntax error) comes back
    # as our ValidationError with the request id, never as a botocore ClientError.
    with pytest.raises(ValidationError) as info:
        await db.engine.call(
            "UpdateItem",
            {
                "TableName": db.table_name(Payment),
                "Key": {"id": {"S": "x"}},
                "UpdateExpression": "SET",
            },
        )
    assert info.value.code == "ValidationException"
    assert info.value.operation == "UpdateItem"
    assert info.value.table == db.table_name(Payment)
    assert info.value.request_id
