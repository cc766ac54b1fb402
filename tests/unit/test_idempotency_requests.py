"""Idempotency requests and decisions without a server (the public fake transport).

The wire behaviour (concurrency, expiry, take-over, faults) is in
tests/integration/test_idempotency.py; here: what is sent, a claim whose answer was lost,
hashing, and that importing the package does not import these modules.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import DB, ConditionFailed, Throttled
from dynamorm_async.idempotency import idempotent, idempotent_function
from dynamorm_async.testing import fake_db
from tests.models import Payment


def counted(db: DB) -> tuple[Any, list[int]]:
    """An idempotent handler answering "ok", and the list of its runs."""
    runs: list[int] = []

    @idempotent(db, key=lambda event: event["id"])
    async def handler(event: dict[str, Any], context: Any) -> str:
        runs.append(len(runs) + 1)
        return "ok"

    return handler, runs


async def test_a_claim_whose_answer_was_lost_is_recognised_as_ours() -> None:
    """A retried PutItem that meets its own first write (reset after forwarding) goes on."""
    claims: list[dict[str, Any]] = []

    async def answer(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if operation == "PutItem" and params["Item"]["status"] == {"S": "INPROGRESS"}:
            claims.append(dict(params["Item"]))
            # The first attempt was written; the client only sees the condition fail.
            raise ConditionFailed("conditional check failed", item=params["Item"])
        return {}

    db, transport = fake_db(answer)
    handler, runs = counted(db)
    assert await handler({"id": "x"}, None) == "ok"
    assert runs == [1] and len(claims) == 1
    operations = [op for op, _ in transport.requests]
    assert operations == ["PutItem", "PutItem"]  # the claim, then the completion
    completion = transport.requests[1][1]
    assert completion["Item"]["status"] == {"S": "COMPLETED"}
    assert completion["Item"]["owner"] == claims[0]["owner"]
    # Completed only while the claim is still ours.
    assert "owner" in completion["ExpressionAttributeNames"].values()
    assert claims[0]["owner"] in completion["ExpressionAttributeValues"].values()


async def test_a_throttled_claim_does_not_run_the_handler() -> None:
    async def answer(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        raise Throttled("rate exceeded", operation=operation)

    db, transport = fake_db(answer)
    handler, runs = counted(db)
    with pytest.raises(Throttled):
        await handler({"id": "x"}, None)
    assert runs == [] and [op for op, _ in transport.requests] == ["PutItem"]


async def test_keys_and_payloads_hash_by_value_not_by_layout() -> None:
    db, transport = fake_db()

    @idempotent_function(db, key=lambda order: order)
    async def place(order: dict[str, Any]) -> None:
        return None

    await place(
        {"b": [Decimal("1.50"), {"x"}], "a": Payment(id="p", amount=Decimal(1), customer_id="c")}
    )
    await place(
        {"a": Payment(id="p", amount=Decimal(1), customer_id="c"), "b": [Decimal("1.50"), {"x"}]}
    )
    first, second = (params["Item"] for op, params in transport.requests[::2])
    assert first["id"] == second["id"] and first["validation"] == second["validation"]
    assert first["id"]["S"].startswith(f"{__name__}.test_keys_and_payloads_hash_by_value")


def test_importing_the_package_leaves_streams_and_idempotency_unloaded() -> None:
    code = (
        "import sys, dynamorm_async, dynamorm_async.aws_lambda; "
        "print(sorted(m for m in sys.modules if m in "
        "('dynamorm_async.idempotency', 'dynamorm_async.aws_lambda.streams')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
