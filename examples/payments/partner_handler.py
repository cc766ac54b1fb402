"""The payments API for many partners: one function, each partner's tables in its own account.

* the partners come from ``DYNAMORM_PARTNERS`` (a JSON object: partner id -> account id,
  role ARN, ExternalId...) and the base configuration from the usual variables, once per
  execution environment (``MultiAccountDB.from_environment()``);
* ``@lambda_handler(partners=...)`` reads the invocation's partner from the API Gateway event
  (a JWT or Cognito claim, a Lambda authorizer's context, or the ``x-partner-id`` header) and
  hands the handler that partner's DB, made with a role assumed in the partner's account on
  first use and cached for warm invocations;
* an event naming no partner, or one not configured, is answered 403 without touching AWS.
"""

from __future__ import annotations

import json
from typing import Any

from dynamorm_async import DB, ItemNotFound, MissingPartner, MultiAccountDB, UnknownPartner
from dynamorm_async.aws_lambda import lambda_handler

from . import service
from .models import Payment

partners = MultiAccountDB.from_environment()
partners.register(Payment)


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "body": json.dumps(body)}


def _refuse(error: MissingPartner | UnknownPartner, event: Any) -> dict[str, Any]:
    return _answer(403, {"error": error.message})


@lambda_handler(partners=partners, partner_error=_refuse)
async def handler(event: dict[str, Any], context: Any, db: DB) -> dict[str, Any]:
    """``POST /payments`` (body ``{"customer_id", "amount"}``) or ``GET /payments/{id}``."""
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    try:
        if method == "POST":
            body = json.loads(event["body"])
            payment = await service.create_payment(
                db, customer_id=body["customer_id"], amount=body["amount"], currency="USD"
            )
            return _answer(201, {"id": payment.id, "amount": str(payment.amount)})
        payment = await service.get_payment(db, event["pathParameters"]["id"])
    except service.PaymentError as exc:
        return _answer(422, {"error": str(exc)})
    except ItemNotFound:
        return _answer(404, {"error": "no such payment"})
    return _answer(200, {"id": payment.id, "amount": str(payment.amount)})
