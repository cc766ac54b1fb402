"""The payments service's stream consumer: a second Lambda function, on the table's stream.

Deployed with an event source mapping on the payments table's stream (view type
NEW_AND_OLD_IMAGES, ``FunctionResponseTypes: [ReportBatchItemFailures]``), it tells the
customer when a payment is captured or refunded:

* ``process_stream`` decodes each record into ``Payment`` models and runs ``on_change`` for
  the records of different payments concurrently, those of one payment in order; a failed
  record goes back to Lambda with the later records of its payment, nothing else;
* Lambda delivers records again after a failure, so a notification is sent through
  ``idempotent_function``: once per payment and status, a duplicate gets the stored
  notification back instead of a second message.
"""

from __future__ import annotations

from typing import Any

from dynamorm_async import DB
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.aws_lambda.streams import BatchResponse, StreamRecord, process_stream
from dynamorm_async.idempotency import IdempotencyRecord, idempotent_function

from .models import Notification, Payment, Status

NOTIFIED = (Status.CAPTURED, Status.REFUNDED)
"""The statuses a customer hears about."""

db = DB.from_environment()
db.register(Payment, Notification, IdempotencyRecord)


@idempotent_function(db, key=lambda payment: f"{payment.id}:{payment.status.value}")
async def notify(payment: Payment) -> Notification:
    """Send (here: store) the customer's message about the payment's new status."""
    notification = Notification(
        id=f"{payment.id}:{payment.status.value}",
        payment_id=payment.id,
        customer_id=payment.customer_id,
        text=f"your payment of {payment.amount} {payment.currency} is {payment.status.value}",
    )
    return await db.create(notification)


async def on_change(record: StreamRecord[Payment]) -> None:
    """Notify on a status change to captured or refunded; ignore everything else."""
    if record.event_name != "MODIFY" or "status" not in record.changes():
        return
    assert record.new is not None  # a MODIFY on a NEW_AND_OLD_IMAGES stream
    if record.new.status in NOTIFIED:
        await notify(record.new)


@lambda_handler(db=db)
async def handler(event: dict[str, Any], context: Any) -> BatchResponse:
    """One batch of stream records; the answer lists the records Lambda must deliver again."""
    return await process_stream(event, on_change, db=db, models=Payment, concurrency=8)
