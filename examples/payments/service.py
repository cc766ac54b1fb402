"""The payments service's business operations, on a DB."""

from __future__ import annotations

import uuid
from decimal import Decimal

from dynamorm_async import DB, ValidationError

from .models import Payment, Status


class PaymentError(Exception):
    """A request the service refuses (bad amount, wrong status)."""


async def create_payment(db: DB, *, customer_id: str, amount: str, currency: str) -> Payment:
    """Record a new pending payment; amounts arrive as strings and stay exact."""
    value = Decimal(amount)
    if value <= 0:
        raise PaymentError(f"amount must be positive, not {amount}")
    payment = Payment(
        id=f"pay_{uuid.uuid4().hex[:12]}", amount=value, customer_id=customer_id, currency=currency
    )
    return await db.create(payment, if_not_exists=True)


async def capture(db: DB, payment_id: str) -> Payment:
    """Capture a pending payment (optimistic locking guards against a concurrent change)."""
    payment = await db.get(Payment, {"id": payment_id}, consistent=True)
    if payment.status is not Status.PENDING:
        raise PaymentError(f"{payment_id} is {payment.status.value}, not pending")
    payment.status = Status.CAPTURED
    return await db.update(payment, fields=["status"])


async def refund(db: DB, payment_id: str, *, reason: str) -> Payment:
    """Refund a captured payment, keeping the reason."""
    payment = await db.get(Payment, {"id": payment_id}, consistent=True)
    if payment.status is not Status.CAPTURED:
        raise PaymentError(f"{payment_id} is {payment.status.value}, not captured")
    payment.status = Status.REFUNDED
    payment.note = reason
    payment.tags.add("refunded")
    return await db.update(payment, fields=["status", "note", "tags"])


async def get_payment(db: DB, payment_id: str) -> Payment:
    """Read one payment."""
    try:
        return await db.get(Payment, {"id": payment_id})
    except ValidationError as exc:
        raise PaymentError(str(exc)) from exc
