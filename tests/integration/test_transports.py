"""Both transports over the wire: same errors, checksums, retries, credentials from a session."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from decimal import Decimal
from typing import Any

import attrs
import pytest
from aiobotocore.credentials import AioCredentialResolver, AioRefreshableCredentials
from aiobotocore.session import AioSession

from dynamorm_async import (
    DB,
    ConditionFailed,
    Config,
    TableNotFound,
    Throttled,
    TransportError,
    ValidationError,
    cond,
)
from dynamorm_async.testing import FaultProxy, Faults, through
from tests.models import Payment

TRANSPORTS = ["direct", "botocore"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.usefixtures("tables")
async def test_the_same_codes_give_the_same_typed_errors(config: Config, transport: str) -> None:
    async with DB(attrs.evolve(config, transport=transport)) as db:
        payment = Payment(id="e-1", amount=Decimal("1"), customer_id="c")
        await db.put(payment)
        with pytest.raises(ConditionFailed) as failed:
            await db.put(payment, condition=cond("amount", "=", Decimal("2")))
        assert failed.value.operation == "PutItem"
        assert failed.value.code == "ConditionalCheckFailedException"
        assert failed.value.request_id

        with pytest.raises(TableNotFound) as missing:
            await db.engine.call(
                "GetItem", {"TableName": "no-such-table", "Key": {"id": {"S": "x"}}}
            )
        assert missing.value.code == "ResourceNotFoundException"
        assert missing.value.request_id

        with pytest.raises(ValidationError) as invalid:
            await db.engine.call(
                "GetItem", {"TableName": db.table_name(Payment), "Key": {"nope": {"S": "x"}}}
            )
        assert invalid.value.code == "ValidationException"


@pytest.mark.usefixtures("tables")
async def test_binary_values_read_the_same_on_both_transports(config: Config) -> None:
    # The direct transport sends bytes as base64 and hands DynamoDB's base64 text to the
    # codec as it came: both transports store and read the same bytes.
    from tests.models import Everything

    item = Everything(id="bin-1", blob=b"\x00\xffraw", blobs={b"a", b"\x01\x02"}, anything=b"x")
    async with DB(attrs.evolve(config, transport="direct")) as direct:
        await direct.put(item)
        through_direct = await direct.get(Everything, {"id": "bin-1"})
        async with DB(attrs.evolve(config, transport="botocore")) as botocore:
            through_botocore = await botocore.get(Everything, {"id": "bin-1"})
    assert through_direct.blob == through_botocore.blob == b"\x00\xffraw"
    assert through_direct.blobs == through_botocore.blobs == {b"a", b"\x01\x02"}
    assert through_direct.anything == through_botocore.anything == b"x"


async def test_a_damaged_answer_is_retried_then_reported(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # Every answer carries a wrong x-amz-crc32: each one is retried (as botocore does), and
    # after max_retries + 1 attempts the call fails with a TransportError naming the checksum.
    fault_proxy.faults["ListTables"] = Faults(bad_crc=1.0)
    damaged = through(config, fault_proxy, transport="direct", max_retries=2, retry_mode="legacy")
    async with DB(damaged) as db:
        with pytest.raises(TransportError, match="CRC32"):
            await db.engine.call("ListTables", {})
    assert [e.fault for e in fault_proxy.entries("ListTables")] == ["bad-crc"] * 3


async def test_a_request_leaves_at_once_even_when_the_loop_has_other_work_ready(
    config: Config, fault_proxy: FaultProxy
) -> None:
    # A batch's workers, or a gather of puts, keep the event loop busy: a request sent then
    # must be on the wire before the loop runs the work that was ready before it (on Python
    # 3.11 aiohttp writes the body from a task queued behind that work).
    async with DB(through(config, fault_proxy, transport="direct")) as db:
        await db.engine.call("ListTables", {})  # the pool's connection is open
        before = fault_proxy.requests
        proxy_had_it: list[bool] = []

        def busy() -> None:  # ready right behind the request: holds the loop like CPU work
            give_up = time.monotonic() + 10
            while fault_proxy.requests == before and time.monotonic() < give_up:
                time.sleep(0.001)  # the proxy thread reads the request meanwhile
            proxy_had_it.append(fault_proxy.requests > before)

        request = asyncio.ensure_future(db.engine.call("ListTables", {}))
        asyncio.get_running_loop().call_soon(busy)
        assert "TableNames" in await request
    assert proxy_had_it == [True]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_retries_end_after_max_retries_on_both_transports(
    config: Config, fault_proxy: FaultProxy, transport: str
) -> None:
    fault_proxy.faults["ListTables"] = Faults(throttle=1.0)
    throttled = through(
        config, fault_proxy, transport=transport, max_retries=2, retry_mode="legacy"
    )
    async with DB(throttled) as db:
        with pytest.raises(Throttled) as raised:
            await db.engine.call("ListTables", {})
    assert raised.value.code == "ProvisionedThroughputExceededException"
    assert [e.status for e in fault_proxy.entries("ListTables")] == [400] * 3


class _Refreshing:
    """A credential provider whose credentials expire in a minute (inside the refresh window)."""

    METHOD = "test-refreshing"
    CANONICAL_NAME = "TestRefreshing"

    def __init__(self) -> None:
        self.refreshes = 0

    async def _metadata(self) -> dict[str, str]:
        self.refreshes += 1
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        return {
            "access_key": "testing",
            "secret_key": "testing",
            "token": f"token-{self.refreshes}",
            "expiry_time": expiry.isoformat(),
        }

    async def load(self) -> Any:
        metadata = await self._metadata()
        return AioRefreshableCredentials.create_from_metadata(
            metadata, refresh_using=self._metadata, method=self.METHOD
        )


@pytest.mark.usefixtures("tables")
async def test_refreshable_credentials_from_a_session_are_refreshed_before_expiry(
    config: Config,
) -> None:
    provider = _Refreshing()
    session = AioSession()
    session.register_component("credential_provider", AioCredentialResolver([provider]))
    direct = attrs.evolve(config, credentials=None, session=session, transport="direct")
    async with DB(direct) as db:
        await db.put(Payment(id="r-1", amount=Decimal("1"), customer_id="c"))
        after_first = provider.refreshes
        assert (await db.get(Payment, {"id": "r-1"})).amount == Decimal("1")
    # Loaded once, then refreshed before each request (a minute left is inside botocore's
    # mandatory refresh window), so every request was signed with fresh credentials.
    assert after_first >= 2
    assert provider.refreshes > after_first
