"""Single-item operations on a Session: reading by key, sending a planned write.

The requests come from the planners (:mod:`dynamorm_async.planning`); this module only
sends them and turns the answer into models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._delivery import Delivery
from .errors import (
    ConditionFailed,
    DeadlineExceeded,
    DynamORMError,
    WriteDeadlineExceeded,
    WriteOutcomeUnknown,
)
from .session import Session

if TYPE_CHECKING:
    from .planning.writes import Write

__all__ = ["get_item", "send_write"]

T = TypeVar("T")


async def get_item(session: Session, request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The raw item a ``GetItem`` request reads, or ``None`` if there is none.

    ``request`` comes from :func:`~dynamorm_async.planning.gets.get_request` (or a
    ``GetItem`` plan's :meth:`~dynamorm_async.planning.reads.Plan.request`).
    """
    item: dict[str, Any] | None = (await session.send("GetItem", request)).get("Item")
    return item


async def send_write(session: Session, write: Write) -> tuple[dict[str, Any], Any]:
    """Send one planned write alone; DynamoDB's answer and the instance as written.

    The instance as written is :meth:`Write.confirm`'s: the same mutable instance with its
    lifecycle values, a new one for a frozen instance, ``None`` for a write by key.

    A write is never reported as not done when it may have been: when an earlier attempt
    may have been applied (its answer was lost) and the retry fails its condition, the
    stored item decides (:mod:`~dynamorm_async.planning.outcome`): it is the one this call
    wrote, and the write succeeded, or the outcome is unknown.

    Raises:
        ConditionFailed: The guard did not hold; ``item`` is the stored item as the model
            when DynamoDB returned it. The instance is left unchanged.
        WriteOutcomeUnknown: The write may have been applied, and the stored item does not
            show it (or cannot be read).
        WriteDeadlineExceeded: The deadline cut the request after it was sent.
    """
    delivery = Delivery()
    try:
        with delivery:
            response = await session.send(write.operation, write.body)
    except ConditionFailed as exc:
        raw = exc.item
        if exc.item is not None and not isinstance(exc.item, write.model):
            exc.item = session.codec.decode(write.model, exc.item)
        if delivery.retried_after_landing:
            decided = await _after_lost_answer(session, write, exc, raw)
            if decided is not None:
                return decided
        instead = write.instead(exc.item)
        if instead is None:
            raise
        # A put at version 0 tried the item as new; it exists: the version-checked put.
        return await send_write(session, instead)
    except DeadlineExceeded as exc:
        if not delivery.may_have_landed:
            raise
        raise WriteDeadlineExceeded(
            f"{write.what}: the deadline came after the request was sent; it may have been "
            "applied (reload the item to know)",
            operation=write.operation,
            table=write.table,
        ) from exc
    return response, write.confirm()


async def _after_lost_answer(
    session: Session, write: Write, failed: ConditionFailed, raw: Mapping[str, Any] | None
) -> tuple[dict[str, Any], Any] | None:
    """The outcome of a write whose retry failed its condition after a lost answer.

    The answer and the instance as written when the stored item is the one this write
    left; ``None`` when it is not but the write has its next step (a put tried as a new
    item, which exists: :attr:`Write.if_exists`), which the caller then sends.

    Raises:
        WriteOutcomeUnknown: Neither: the write may or may not have been applied.
    """
    from .planning import outcome  # a write's module: not loaded by a read-only cold start

    whole, expected = outcome.expected_state(session.codec, write)
    context: dict[str, Any] = {"operation": write.operation, "table": write.table}
    if raw is None:  # not returned: no item, or a server that ignores ALL_OLD (dynalite)
        try:
            raw = await get_item(
                session,
                {"TableName": write.table, "Key": outcome.key_of(write), "ConsistentRead": True},
            )
        except DynamORMError as exc:
            raise WriteOutcomeUnknown(
                f"{write.what}: an attempt may have been applied (its answer was lost) and the "
                f"item cannot be read to tell ({type(exc).__name__})",
                **context,
            ) from exc
    stored = None if raw is None else session.codec.decode(write.model, raw)
    returning = write.body.get("ReturnValues", "NONE")
    if expected is not None and outcome.is_written_state(whole, expected, raw):
        if returning in ("NONE", "ALL_NEW"):
            return ({"Attributes": raw} if returning != "NONE" and raw else {}), write.confirm()
        why = f"the answer with the values it asked for ({returning}) was lost"
    elif stored is not None and write.instead(stored) is not None:
        failed.item = stored  # the caller sends the put of an existing item
        return None
    elif expected is None:
        why = "nothing in the stored item tells this write's result apart"
    else:
        why = "the stored item is not the one it wrote (another writer may have changed it)"
    raise WriteOutcomeUnknown(
        f"{write.what}: an attempt may have been applied (its answer was lost) and its retry "
        f"failed its condition; {why}. Reload the item before writing again",
        item=stored,
        request_id=failed.request_id,
        **context,
    ) from failed
