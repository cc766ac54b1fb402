"""The user's tests, written for pytest-asyncio's strict mode (so they run in auto mode too)."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import app
import pytest
from app import Order, handler

from dynamorm_async import DB, Config, DeadlineExceeded
from dynamorm_async.testing import Faults, RealAWSRefused, through


@pytest.mark.asyncio
async def test_db_fixture_creates_the_tables(db: DB) -> None:
    await db.create(Order(id="o-1", total=Decimal("9.50")))
    assert (await db.get(Order, {"id": "o-1"})).total == Decimal("9.50")


@pytest.mark.asyncio
async def test_tables_are_empty_again(db: DB) -> None:
    assert await db.find(Order, {"id": "o-1"}) is None


@pytest.mark.asyncio
async def test_handler_in_the_lambda_environment(db, lambda_env, lambda_context) -> None:
    result = await handler.invoke({"id": "o-2", "total": "3.25"}, lambda_context(timeout=5))
    # 128 MB (lambda_env's memory size): small pages, so the environment was read.
    assert result == {"statusCode": 201, "id": "o-2", "page_size": 25}
    assert (await db.get(Order, {"id": "o-2"})).total == Decimal("3.25")


@pytest.mark.asyncio
async def test_handler_deadline(db, lambda_env, lambda_context) -> None:
    with pytest.raises(DeadlineExceeded):  # 0.5 s left, 1 s kept back: nothing is sent
        await handler.invoke({"id": "o-3", "total": "1"}, lambda_context(timeout=0.5))
    assert await db.find(Order, {"id": "o-3"}) is None


def test_the_handler_is_synchronous_for_the_runtime(db, lambda_env, lambda_context) -> None:
    assert handler({"id": "o-4", "total": "2"}, lambda_context(timeout=5))["id"] == "o-4"


@pytest.mark.asyncio
async def test_a_throttled_order_answers_503(
    db, dynamodb_config, fault_proxy, lambda_context, monkeypatch
) -> None:
    fault_proxy.faults["PutItem"] = Faults(throttle=1.0)
    throttled = through(dynamodb_config, fault_proxy, max_retries=2, retry_mode="legacy")
    async with DB(throttled) as through_proxy:
        monkeypatch.setattr(app, "db", through_proxy)  # the handler reads the module's db
        answer = await app.handler.invoke({"id": "o-1", "total": "1"}, lambda_context(timeout=5))
    assert answer == {"statusCode": 503}
    assert [entry.fault for entry in fault_proxy.entries("PutItem")] == ["throttle"] * 3
    assert await db.find(Order, {"id": "o-1"}) is None


@pytest.mark.asyncio
async def test_real_aws_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A DB configured for AWS itself (no endpoint): nothing may be sent.
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    async with DB.from_environment() as aws:
        with pytest.raises(RealAWSRefused, match=r"mark the test @pytest\.mark\.allow_aws"):
            await aws.find(Order, {"id": "o-5"})


def test_lambda_context_counts_down(lambda_context) -> None:
    context = lambda_context(timeout=1, memory_mb=512, function_name="orders")
    first = context.get_remaining_time_in_millis()
    time.sleep(0.02)
    assert 0 < context.get_remaining_time_in_millis() < first <= 1000
    assert (context.function_name, context.memory_limit_in_mb) == ("orders", "512")


def test_lambda_env_sets_what_lambda_sets(lambda_env, dynamodb_config) -> None:
    assert os.environ["AWS_LAMBDA_FUNCTION_NAME"] == lambda_env["AWS_LAMBDA_FUNCTION_NAME"]
    config = Config.from_environment()
    assert config.endpoint_url == dynamodb_config.endpoint_url
    assert config.table_prefix == dynamodb_config.table_prefix
