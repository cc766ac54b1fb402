"""Compile all the expressions of one request through one placeholder accumulator."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .condition import Condition
from .key import KeyCondition
from .path import PathLike
from .placeholders import Placeholders
from .projection import projection as _projection
from .update import Update

__all__ = ["compile_request"]


def compile_request(
    *,
    key_condition: KeyCondition | None = None,
    update: Update | None = None,
    condition: Condition | None = None,
    filter_condition: Condition | None = None,
    projection: Iterable[PathLike] | None = None,
) -> dict[str, Any]:
    """The expression parameters of one request, ready to merge into it.

    Every expression given is compiled with one shared :class:`Placeholders`, in the
    order key condition, update, condition, filter, projection.

    Returns:
        Some of ``KeyConditionExpression``, ``UpdateExpression``, ``ConditionExpression``,
        ``FilterExpression``, ``ProjectionExpression``, and the non-empty
        ``ExpressionAttributeNames`` / ``ExpressionAttributeValues``.

    Raises:
        ValidationError: Any expression is invalid (an empty update, overlapping paths...).
    """
    placeholders = Placeholders()
    request: dict[str, Any] = {}
    if key_condition is not None:
        request["KeyConditionExpression"] = key_condition.compile(placeholders)
    if update is not None:
        request["UpdateExpression"] = update.compile(placeholders)
    if condition is not None:
        request["ConditionExpression"] = condition.compile(placeholders)
    if filter_condition is not None:
        request["FilterExpression"] = filter_condition.compile(placeholders)
    if projection is not None:
        request["ProjectionExpression"] = _projection(projection, placeholders)
    request.update(placeholders.params())
    return request
