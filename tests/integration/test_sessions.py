"""A DB opened from a session the user already holds (aiobotocore or aioboto3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from aiobotocore.session import AioSession

from dynamorm_async import DB, Config
from tests.models import Payment

pytestmark = pytest.mark.usefixtures("tables")


async def round_trip(config: Config, session: Any) -> None:
    # No credentials in the config: the requests are signed with the session's.
    async with DB(attrs.evolve(config, session=session, credentials=None)) as db:
        await db.put(Payment(id="s-1", amount=Decimal("1.5"), customer_id="c"))
        assert (await db.get(Payment, {"id": "s-1"})).amount == Decimal("1.5")


async def test_aiobotocore_session(config: Config) -> None:
    session = AioSession()
    session.set_credentials("testing", "testing")
    await round_trip(config, session)


async def test_aioboto3_session(config: Config) -> None:
    aioboto3 = pytest.importorskip("aioboto3", reason="the aioboto3 extra is not installed")
    await round_trip(
        config, aioboto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    )
