"""Single-item operations on a Session: reading by key, sending a planned write.

The requests come from the planners (:mod:`dynamorm_async.planning`); this module only
sends them and turns the answer into models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConditionFailed
from .session import Session

if TYPE_CHECKING:
    from .planning.writes import Write

__all__ = ["get_item", "send_write"]

T = TypeVar("T")


async def get_item(session: Session, request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The raw item a ``GetItem`` request reads, or ``None`` if there is none.

    ``request`` comes from :func:`~dynamorm_async.planning.reads.get_request` (or a
    ``GetItem`` plan's :meth:`~dynamorm_async.planning.reads.Plan.request`).
    """
    item: dict[str, Any] | None = (await session.send("GetItem", request)).get("Item")
    return item


async def send_write(session: Session, write: Write) -> tuple[dict[str, Any], Any]:
    """Send one planned write alone; DynamoDB's answer and the instance as written.

    The instance as written is :meth:`Write.confirm`'s: the same mutable instance with its
    lifecycle values, a new one for a frozen instance, ``None`` for a write by key.

    Raises:
        ConditionFailed: The guard did not hold; ``item`` is the stored item as the model
            when DynamoDB returned it. The instance is left unchanged.
    """
    try:
        response = await session.send(write.operation, write.body)
    except ConditionFailed as exc:
        if exc.item is not None and not isinstance(exc.item, write.model):
            exc.item = session.codec.decode(write.model, exc.item)
        instead = write.instead(exc.item)
        if instead is None:
            raise
        # A put at version 0 tried the item as new; it exists: the version-checked put.
        return await send_write(session, instead)
    return response, write.confirm()
