"""The transport interface between the engine and DynamoDB.

A transport sends one DynamoDB operation (its API name, e.g. ``"PutItem"``, and its
parameters in botocore's shape) and returns the response dict. It raises only
:class:`~dynamorm_async.errors.DynamORMError` subclasses: each transport translates its own
library's exceptions, in one place. Models, codec, expressions and queries never see it,
so another transport can be added without touching them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Transport"]


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
