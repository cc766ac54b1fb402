"""A user's Lambda function: one model, one handler (the code under test).

Written as docs/testing.md says: a module-level ``DB.from_environment()`` and
``@lambda_handler(db=db)``. The tests import it at their top, before any fixture has set
the Lambda environment: the DB reads the environment at its first use.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from dynamorm_async import DB, Throttled, attr, pk, table
from dynamorm_async.aws_lambda import lambda_handler


@table("orders")
@attrs.define
class Order:
    id: str = pk()
    total: Decimal = attr()


db = DB.from_environment()  # init phase: reads nothing yet outside the Lambda runtime
db.register(Order)


@lambda_handler(db=db, preopen=True)
async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = await db.create(Order(id=event["id"], total=Decimal(event["total"])))
    except Throttled:
        return {"statusCode": 503}
    return {"statusCode": 201, "id": order.id, "page_size": db.config.page_size}
