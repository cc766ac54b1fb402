"""``@lambda_handler(partners=...)``: the invocation's partner DB as a third argument."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import MissingPartner, UnknownPartner
from .apigateway import partner_id_from_event

if TYPE_CHECKING:
    from ..db import DB
    from ..partners import MultiAccountDB

T = TypeVar("T")

PartnerHandler = Callable[[Any, Any, "DB"], Awaitable[T]]
"""``async def handler(event, context, db) -> result``."""

PartnerResolver = Callable[[Any, Any], str]
"""``resolve(event, context) -> partner id``."""

PartnerErrorHandler = Callable[[MissingPartner | UnknownPartner, Any], T]
"""``on_error(error, event) -> result`` when the partner is missing or unknown."""

_log = logging.getLogger("dynamorm_async.aws_lambda")


def default_resolver(event: Any, context: Any) -> str:
    """The partner id from an API Gateway event, as :func:`partner_id_from_event` reads it."""
    return partner_id_from_event(event)


def with_partner_db(
    function: PartnerHandler[T],
    partners: MultiAccountDB,
    resolve: PartnerResolver | None,
    on_error: PartnerErrorHandler[T] | None,
) -> Callable[[Any, Any], Awaitable[T]]:
    """``async def (event, context)`` resolving the partner's DB, calling ``function`` with it.

    The partner DB's metrics are flushed after ``function`` ends, also when it raises (then a
    failing flush is logged and the handler's own error propagates).
    """
    resolver = resolve if resolve is not None else default_resolver

    @functools.wraps(function)
    async def invoke(event: Any, context: Any) -> T:
        try:
            db = await partners.partner(resolver(event, context))
        except (MissingPartner, UnknownPartner) as exc:
            if on_error is None:
                raise
            return on_error(exc, event)
        try:
            result = await function(event, context, db)
        except BaseException:
            try:
                await db.metrics.flush()
            except Exception:  # the handler's own error is the one to report
                _log.exception("flushing a partner DB's metrics failed")
            raise
        await db.metrics.flush()
        return result

    return invoke
