"""The Lambda handler of the payments service.

The DB is created once per execution environment (module level, lazily) so that warm
invocations reuse its connection pool.
"""

from __future__ import annotations

import os
from typing import Any

from dynamorm_async import DB, ConditionFailed, Config, ItemNotFound

from . import service
from .models import Payment

_db: DB | None = None


def get_db() -> DB:
    """The service's DB, created on first use from the environment."""
    global _db
    if _db is None:
        _db = DB(
            Config(
                region=os.environ.get("AWS_REGION"),
                endpoint_url=os.environ.get("DYNAMODB_ENDPOINT") or None,
                table_prefix=os.environ.get("DYNAMODB_TABLE_PREFIX", ""),
            )
        )
    return _db


def _view(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "customer_id": payment.customer_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status.value,
        "tags": sorted(payment.tags),
        "note": payment.note,
        "version": payment.version,
        "created_at": payment.created_at.isoformat() if payment.created_at else None,
    }


async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Route one event: ``{"action": "create" | "get" | "capture" | "refund", ...}``."""
    db = get_db()
    action = event.get("action")
    try:
        if action == "create":
            payment = await service.create_payment(
                db,
                customer_id=event["customer_id"],
                amount=event["amount"],
                currency=event.get("currency", "USD"),
            )
        elif action == "get":
            payment = await service.get_payment(db, event["payment_id"])
        elif action == "capture":
            payment = await service.capture(db, event["payment_id"])
        elif action == "refund":
            payment = await service.refund(db, event["payment_id"], reason=event["reason"])
        else:
            return {"statusCode": 400, "error": f"unknown action {action!r}"}
    except service.PaymentError as exc:
        return {"statusCode": 422, "error": str(exc)}
    except ItemNotFound as exc:
        return {"statusCode": 404, "error": exc.message}
    except ConditionFailed:
        return {"statusCode": 409, "error": "the payment changed concurrently; retry"}
    return {"statusCode": 200, "payment": _view(payment)}
