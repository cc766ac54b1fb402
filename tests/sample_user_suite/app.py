"""A user's Lambda function: one model, one handler (the code under test)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from dynamorm_async import attr, pk, table
from dynamorm_async.aws_lambda import get_db, lambda_handler


@table("orders")
@attrs.define
class Order:
    id: str = pk()
    total: Decimal = attr()


@lambda_handler
async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    db = get_db()  # DB.from_environment(), once per execution environment
    order = await db.create(Order(id=event["id"], total=Decimal(event["total"])))
    return {"id": order.id, "page_size": db.config.page_size}
