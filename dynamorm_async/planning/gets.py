"""The ``GetItem`` request and the projection parameters of a read, built in one place.

:meth:`DB.get <dynamorm_async.DB.get>` builds its request here without loading the query
planner (:mod:`.reads`) or the expression compiler (:mod:`dynamorm_async.expr`): a Lambda
function that only reads items by key never imports them. The planner's GetItem plans and
BatchGetItem, Query and Scan projections use the same functions; only a projection loads
the compiler.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..expr import AttributeValue, Path

__all__ = ["get_request", "projection_params"]


def get_request(
    table: str,
    key: Mapping[str, AttributeValue],
    *,
    consistent: bool = False,
    projection: Sequence[Path] | None = None,
) -> dict[str, Any]:
    """The ``GetItem`` parameters reading ``key`` (encoded) from ``table``."""
    params: dict[str, Any] = {"TableName": table, "Key": dict(key)}
    if projection is not None:
        params.update(projection_params(projection))
    if consistent:
        params["ConsistentRead"] = True
    return params


def projection_params(paths: Sequence[Path]) -> dict[str, Any]:
    """``ProjectionExpression`` and its ``ExpressionAttributeNames`` for ``paths``."""
    from ..expr import Placeholders, projection

    placeholders = Placeholders()
    return {"ProjectionExpression": projection(paths, placeholders), **placeholders.params()}
