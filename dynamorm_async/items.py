"""Single-item operations on a Session: reading by key, sending a planned write.

The requests come from the planners (:mod:`dynamorm_async.planning`); this module only
sends them and turns the answer into models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .errors import ConditionFailed
from .planning.writes import Write
from .session import Session

__all__ = ["get_item", "send_write"]

T = TypeVar("T")


async def get_item(session: Session, request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The raw item a ``GetItem`` request reads, or ``None`` if there is none.

    ``request`` comes from :func:`~dynamorm_async.planning.reads.get_request` (or a
    ``GetItem`` plan's :meth:`~dynamorm_async.planning.reads.Plan.request`).
    """
    item: dict[str, Any] | None = (await session.send("GetItem", request)).get("Item")
    return item


async def send_write(session: Session, write: Write) -> dict[str, Any]:
    """Send one planned write alone, then copy its lifecycle values onto the instance.

    Raises:
        ConditionFailed: The guard did not hold; ``item`` is the stored item as the model
            when DynamoDB returned it. The instance is left unchanged.
    """
    try:
        response = await session.send(write.operation, write.body)
    except ConditionFailed as exc:
        if exc.item is not None and not isinstance(exc.item, write.model):
            exc.item = session.codec.decode(write.model, exc.item)
        raise
    write.confirm()
    return response
