"""The transport interface between the engine and DynamoDB.

A transport sends one DynamoDB operation (its API name, e.g. ``"PutItem"``, and its
parameters in botocore's shape) and returns the response dict. It raises only
:class:`~dynamorm_async.errors.DynamORMError` subclasses: each transport translates its own
library's exceptions, in one place. Models, codec, expressions and queries never see it,
so another transport can be added without touching them.

Two are built in, chosen by ``Config.transport``: :mod:`.direct` (the default: DynamoDB's
JSON protocol signed and sent over aiohttp) and :mod:`.aiobotocore` (an aiobotocore client).
Both record each HTTP attempt of a write in the current
:class:`~dynamorm_async._delivery.Delivery`, so the write executors can tell a retry after
a lost answer (the first attempt may have been applied) from one after a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Transport", "table_of"]


def table_of(params: Mapping[str, Any]) -> str | None:
    """The table a request names, for errors, metrics and traces.

    ``TableName``, else the tables of a batch (``RequestItems``) or a transaction
    (``TransactItems``), sorted and joined with ``,``; ``None`` when the request names none
    (``ListTables``, PartiQL statements).
    """
    table = params.get("TableName")
    if isinstance(table, str):
        return table
    names: set[str] = set()
    request_items = params.get("RequestItems")
    if isinstance(request_items, Mapping):
        names.update(name for name in request_items if isinstance(name, str))
    for item in params.get("TransactItems") or ():
        if isinstance(item, Mapping):
            for action in item.values():
                if isinstance(action, Mapping) and isinstance(action.get("TableName"), str):
                    names.add(action["TableName"])
    return ",".join(sorted(names)) if names else None


@runtime_checkable
class Transport(Protocol):
    """Sends DynamoDB operations. Bound to the event loop it was opened on."""

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send ``operation`` with ``params`` and return the parsed response.

        Raises:
            DynamORMError: a subclass naming the cause, with operation, table and request id.
        """
        ...

    async def aclose(self) -> None:
        """Release connections. Calling it twice is harmless."""
        ...
