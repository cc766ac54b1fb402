"""Running on AWS Lambda: the handler adapter, invocation deadlines and environment config.

The pattern::

    from dynamorm_async.aws_lambda import get_db, lambda_handler

    get_db().register(Payment)          # init phase: DB.from_environment(), once

    @lambda_handler
    async def handler(event, context):
        db = get_db()                   # every operation ends 1 s before the invocation
        payment = await db.get(Payment, {"id": event["id"]})
        return {"status": payment.status.value}

:func:`lambda_handler` runs every invocation on one event loop kept for the execution
environment, so the DB's pooled connections survive between warm invocations; binds the
invocation's deadline (remaining time less ``buffer``) for every DB operation inside it; and
flushes the DB's metrics at the end, also when the handler raises. Nothing of dynamorm_async
runs between invocations: no thread, no timer (aiobotocore builds its TLS context once, in the
loop's default executor, whose thread then idles).

One function serving many partner accounts takes ``@lambda_handler(partners=...)``: the
handler gets the invocation's partner DB as a third argument (docs/partners.md).

The environment variables :meth:`Config.from_environment <dynamorm_async.Config.from_environment>`
reads are listed in :mod:`dynamorm_async.environment` (re-exported as
:mod:`dynamorm_async.aws_lambda.environment`). DynamoDB Streams events
(typed records, partial batch failures) are in :mod:`dynamorm_async.aws_lambda.streams`,
imported only by functions that use it.
"""

from .._deadline import DEFAULT_BUFFER, LambdaContext
from ._handler import LambdaHandler, get_db, lambda_handler, set_db, shutdown
from .apigateway import partner_id_from_event

__all__ = [
    "DEFAULT_BUFFER",
    "LambdaContext",
    "LambdaHandler",
    "get_db",
    "lambda_handler",
    "partner_id_from_event",
    "set_db",
    "shutdown",
]
