"""The Lambda handler of the payments service.

Everything Lambda-specific lives here:

* the DB is made once per execution environment, at import (Lambda's init phase), from the
  environment variables the function is deployed with (``DB.from_environment()``);
* ``@lambda_handler`` runs every invocation on one event loop kept for the environment, so
  warm invocations reuse the DB's connections; it binds the invocation's deadline (the
  remaining time less 1 s) for every operation, and flushes the metrics (CloudWatch EMF on
  standard output) at the end of each invocation;
* writes run on a view that keeps more time back (``with_lambda_context``), so a write that
  cannot finish in time fails early with ``DeadlineExceeded`` and the handler still has time
  to answer 503.
"""

from __future__ import annotations

from typing import Any

from dynamorm_async import DB, ConditionFailed, DeadlineExceeded, ItemNotFound
from dynamorm_async.aws_lambda import lambda_handler

from . import service
from .models import Payment

WRITE_BUFFER = 2.0
"""Seconds before the invocation's end after which no write starts or runs."""

db = DB.from_environment()
db.register(Payment)


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


@lambda_handler(db=db, preopen=True)
async def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Route one event: ``{"action": "create" | "get" | "capture" | "refund", ...}``."""
    writes = db.with_lambda_context(context, buffer=WRITE_BUFFER)
    action = event.get("action")
    try:
        if action == "create":
            payment = await service.create_payment(
                writes,
                customer_id=event["customer_id"],
                amount=event["amount"],
                currency=event.get("currency", "USD"),
            )
            db.metrics.add("PaymentsCreated", 1)
        elif action == "get":
            payment = await service.get_payment(db, event["payment_id"])
        elif action == "capture":
            payment = await service.capture(writes, event["payment_id"])
            db.metrics.add("PaymentsCaptured", 1)
        elif action == "refund":
            payment = await service.refund(writes, event["payment_id"], reason=event["reason"])
            db.metrics.add("PaymentsRefunded", 1)
        else:
            return {"statusCode": 400, "error": f"unknown action {action!r}"}
    except service.PaymentError as exc:
        return {"statusCode": 422, "error": str(exc)}
    except ItemNotFound as exc:
        return {"statusCode": 404, "error": exc.message}
    except ConditionFailed:
        return {"statusCode": 409, "error": "the payment changed concurrently; retry"}
    except DeadlineExceeded:
        return {"statusCode": 503, "error": "not enough time left in this invocation; retry"}
    return {"statusCode": 200, "payment": _view(payment)}
