"""Fixtures for tests that talk HTTP to a DynamoDB-compatible server.

The server, its endpoint, ``server_kind`` and ``config`` come from ``tests/conftest.py``.
Here: ``dynamodb_client`` (a raw aiobotocore client on the same endpoint and credentials,
for checking what is really stored), the end-of-run clean-up of this run's tables, and the
ORM fixtures ``db`` and ``tables``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from dynamorm_async import Config


def client_kwargs(config: Config) -> dict[str, Any]:
    """Arguments for ``AioSession.create_client("dynamodb", ...)`` that match ``config``."""
    kwargs: dict[str, Any] = {
        "region_name": config.region,
        "endpoint_url": config.endpoint_url,
        "config": AioConfig(
            connect_timeout=config.connect_timeout,
            read_timeout=config.timeout,
            retries={"mode": "standard", "max_attempts": config.max_retries + 1},
        ),
    }
    if config.credentials is not None:
        kwargs["aws_access_key_id"] = config.credentials.access_key_id
        kwargs["aws_secret_access_key"] = config.credentials.secret_access_key
        kwargs["aws_session_token"] = config.credentials.session_token
    return kwargs


@pytest.fixture(scope="session")
async def dynamodb_client(config: Config) -> AsyncIterator[Any]:
    """A plain aiobotocore DynamoDB client for ``config`` (no ORM in between)."""
    async with get_session().create_client("dynamodb", **client_kwargs(config)) as client:
        yield client


async def table_names(client: Any, prefix: str = "") -> list[str]:
    """Every table name that starts with ``prefix``, across ListTables pages."""
    names: list[str] = []
    async for page in client.get_paginator("list_tables").paginate():
        names.extend(name for name in page["TableNames"] if name.startswith(prefix))
    return names


@pytest.fixture(scope="session", autouse=True)
async def _drop_tables_of_this_run(dynamodb_client: Any, table_prefix: str) -> AsyncIterator[None]:
    """At the end of the run, delete every table this run's prefix names (on shared servers)."""
    yield
    failures: list[str] = []
    for name in await table_names(dynamodb_client, table_prefix):
        try:
            await dynamodb_client.delete_table(TableName=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                failures.append(f"{name}: {exc}")
    if failures:
        raise RuntimeError("tables of this test run could not be deleted:\n" + "\n".join(failures))


# ORM fixtures:
#   db      -> DB(config), opened and closed around one test
#   tables  -> the tables of the models in tests/models.py, created before one test and
#              deleted after it (each test starts with empty tables)


@pytest.fixture
async def db(config: Config) -> AsyncIterator[Any]:
    """A ``DB`` on the test server with this run's table prefix."""
    from dynamorm_async import DB

    async with DB(config) as db:
        yield db


@pytest.fixture
async def tables(db: Any, server_kind: str) -> AsyncIterator[list[type]]:
    """Create the tables of ``tests.models`` for one test, and delete them after it."""
    from tests.models import Everything, Order, Payment

    models: list[type] = [Payment, Everything, Order]
    created: list[type] = []
    try:
        for model in models:
            await db.create_table(model, ttl=server_kind != "dynalite")
            created.append(model)
        yield models
    finally:
        for model in reversed(created):
            await db.delete_table(model, missing_ok=True)
