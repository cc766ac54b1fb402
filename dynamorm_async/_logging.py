"""The library's loggers: which names, which levels, which fields, and what they never hold.

Three loggers under ``dynamorm_async`` (which has a :class:`logging.NullHandler`: nothing is
printed until the application configures logging):

``dynamorm_async.request``
    DEBUG, one record per DynamoDB request when it ends (both transports): operation, table,
    attempts, latency, status and request id.
``dynamorm_async.retry``
    INFO for each HTTP attempt that is retried (throttling included) and WARNING for a
    request that gives up on a retryable error (attempts or retry quota spent, or no time
    left before the deadline): the direct transport's retry loop and botocore's.
``dynamorm_async.batch``
    INFO when a batch chunk is resent (unprocessed items, throttling), WARNING when a batch
    call ends with items or keys left.

Every record carries its fields as attributes too (``record.operation``, ``record.table``,
``record.status``...), for structured log handlers. No record holds an item's values, a
condition's values, credentials or a server's error message (which may quote values); key
values only with ``Config(log_keys=True)``, and then masked like error messages
(:func:`~dynamorm_async.errors.masked_key`).

Cheap when off: the engine builds a request's record only when
``dynamorm_async.request`` is enabled for DEBUG; the other records are written only on the
failure paths, each behind :meth:`logging.Logger.isEnabledFor`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ._instrument import Call
from .errors import DynamORMError, masked_key
from .transport import table_of

__all__ = [
    "BATCHES",
    "REQUESTS",
    "RETRIES",
    "RequestLog",
    "batch_left",
    "batch_resent",
    "gave_up",
    "retrying",
    "status_of",
]

logging.getLogger("dynamorm_async").addHandler(logging.NullHandler())

REQUESTS = logging.getLogger("dynamorm_async.request")
"""DEBUG: one record per request."""
RETRIES = logging.getLogger("dynamorm_async.retry")
"""INFO: a retried attempt; WARNING: a request that gave up."""
BATCHES = logging.getLogger("dynamorm_async.batch")
"""INFO: a resent chunk; WARNING: items a batch call did not write or read."""

_DEBUG, _INFO, _WARNING = logging.DEBUG, logging.INFO, logging.WARNING


def status_of(error: BaseException | None) -> str:
    """How a request ended, as records name it: ``ok``, DynamoDB's error code, or the class."""
    if error is None:
        return "ok"
    if isinstance(error, DynamORMError) and error.code:
        return error.code
    if not isinstance(error, Exception):
        return "cancelled"
    return type(error).__name__


class RequestLog:
    """The engine's observer that writes the DEBUG record of each request.

    Args:
        keys: Add the request's ``Key`` (masked) to the record (``Config.log_keys``).
    """

    __slots__ = ("keys",)

    def __init__(self, *, keys: bool) -> None:
        self.keys = keys

    def begin(self, call: Call) -> object:
        """Nothing to do before a request (the engine times it)."""
        return None

    def end(self, call: Call, state: object) -> None:
        """Write the request's record."""
        metadata = (call.response or {}).get("ResponseMetadata") or {}
        error = call.error
        fields: dict[str, Any] = {
            "operation": call.operation,
            "table": table_of(call.params),
            "attempts": call.attempts,
            "throttles": call.throttles,
            "latency_ms": round(call.seconds * 1000, 3),
            "status": status_of(error),
            "request_id": metadata.get("RequestId") or getattr(error, "request_id", None),
        }
        key = call.params.get("Key")
        if self.keys and isinstance(key, Mapping):
            fields["key"] = masked_key(key)
        REQUESTS.debug(
            "%s %s: %s in %.3f ms, %d attempt(s), request id %s",
            fields["operation"],
            fields["table"],
            fields["status"],
            fields["latency_ms"],
            fields["attempts"],
            fields["request_id"],
            extra=fields,
        )


def _attempt_fields(
    operation: str, params: Mapping[str, Any], attempt: int, error: BaseException
) -> dict[str, Any]:
    return {
        "operation": operation,
        "table": table_of(params),
        "attempt": attempt,
        "status": status_of(error),
        "request_id": getattr(error, "request_id", None),
    }


def retrying(
    operation: str,
    params: Mapping[str, Any],
    attempt: int,
    error: BaseException,
    *,
    throttled: bool,
    delay: float | None,
) -> None:
    """INFO: attempt ``attempt`` failed with a retryable ``error`` and will be retried.

    Args:
        delay: Seconds of back-off before the next attempt, when the transport knows it
            (botocore keeps its own to itself: ``None``).
    """
    if not RETRIES.isEnabledFor(_INFO):
        return
    fields = _attempt_fields(operation, params, attempt, error)
    fields.update(throttled=throttled, delay=delay)
    RETRIES.info(
        "%s %s: attempt %d %s (%s), retrying%s",
        operation,
        fields["table"],
        attempt,
        "throttled" if throttled else "failed",
        fields["status"],
        "" if delay is None else f" in {delay:.3f} s",
        extra=fields,
    )


def gave_up(
    operation: str, params: Mapping[str, Any], attempt: int, error: BaseException, why: str
) -> None:
    """WARNING: a request ends with a retryable ``error`` after ``attempt`` attempts."""
    if not RETRIES.isEnabledFor(_WARNING):
        return
    fields = _attempt_fields(operation, params, attempt, error)
    fields["reason"] = why
    RETRIES.warning(
        "%s %s: gave up after %d attempt(s) (%s): %s",
        operation,
        fields["table"],
        attempt,
        fields["status"],
        why,
        extra=fields,
    )


def batch_resent(
    operation: str,
    params: Mapping[str, Any],
    items: int,
    attempt: int,
    max_attempts: int,
    error: BaseException | None,
) -> None:
    """INFO: a batch chunk sends ``items`` again, as attempt ``attempt`` of ``max_attempts``.

    Args:
        error: Why: the last request's retryable error, ``None`` for unprocessed items.
    """
    if not BATCHES.isEnabledFor(_INFO):
        return
    fields = {
        "operation": operation,
        "table": table_of(params),
        "items": items,
        "attempt": attempt,
        "max_attempts": max_attempts,
        "status": "unprocessed" if error is None else status_of(error),
    }
    BATCHES.info(
        "%s %s: resending %d item(s), attempt %d of %d (%s)",
        operation,
        fields["table"],
        items,
        attempt,
        max_attempts,
        fields["status"],
        extra=fields,
    )


def batch_left(
    operation: str, table: str | None, done: int, left: int, total: int, why: str
) -> None:
    """WARNING: a batch call ends with ``left`` of its ``total`` items not done."""
    if not BATCHES.isEnabledFor(_WARNING):
        return
    BATCHES.warning(
        "%s %s: %d of %d item(s) done, %d left: %s",
        operation,
        table,
        done,
        total,
        left,
        why,
        extra={
            "operation": operation,
            "table": table,
            "done": done,
            "left": left,
            "total": total,
            "reason": why,
        },
    )
