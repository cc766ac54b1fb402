"""Consumed capacity of the requests inside a block: :func:`measure_capacity`.

Opt-in and scoped::

    with measure_capacity() as used:
        await db.put(order)
        page = await db.model(Order).where("customer_id", "=", "c-1").page()
    used.total.write  # Decimal('1')
    used.tables["orders"].read

Inside the block every request that can report capacity asks DynamoDB for
``ReturnConsumedCapacity=TOTAL`` (unless it asks for something itself), and what DynamoDB
reports is added up, exactly (:class:`~decimal.Decimal`), per physical table. Results and
pages keep their types; outside a block nothing is asked and nothing is counted.

Why a meter and not a field on results: ``get`` returns the model instance and ``put``
returns nothing, so a field would mean new result types for single operations, and a field
on pages would leave every other operation out. One meter covers single operations,
queries, streams, transactions and batches alike, and sums a whole handler's work.

The meter lives in a context variable: requests sent by the task that opened the block,
and by tasks it starts inside it (batch fan-out, task groups), are counted; tasks started
before the block are not. Blocks nest: a request counts in every enclosing meter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import attrs

from ._instrument import Call

__all__ = [
    "CAPACITY_OPERATIONS",
    "METER",
    "Capacity",
    "CapacityMeter",
    "asking_for_capacity",
    "measure_capacity",
    "units",
]

READ_OPERATIONS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "ExecuteStatement"}
)
"""Operations whose ``CapacityUnits`` are read units."""

CAPACITY_OPERATIONS = READ_OPERATIONS | frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    }
)
"""Operations that accept ``ReturnConsumedCapacity``."""

_ZERO = Decimal(0)


@attrs.frozen
class Capacity:
    """Capacity units, read and write.

    Attributes:
        read: Read capacity units.
        write: Write capacity units.
    """

    read: Decimal = _ZERO
    write: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """Read and write units together."""
        return self.read + self.write

    def __add__(self, other: Capacity) -> Capacity:
        return Capacity(self.read + other.read, self.write + other.write)


def _decimal(value: Any) -> Decimal:
    # Both transports parse capacity as a float; str() keeps its shortest exact spelling.
    return Decimal(str(value)) if value is not None else _ZERO


def units(operation: str, entry: Mapping[str, Any]) -> Capacity:
    """The read and write units of one ``ConsumedCapacity`` entry of ``operation``'s answer.

    ``ReadCapacityUnits``/``WriteCapacityUnits`` when DynamoDB splits them, else
    ``CapacityUnits`` counted as read or write units by the kind of operation.
    """
    read, write = entry.get("ReadCapacityUnits"), entry.get("WriteCapacityUnits")
    if read is not None or write is not None:
        return Capacity(_decimal(read), _decimal(write))
    total = _decimal(entry.get("CapacityUnits"))
    return Capacity(read=total) if operation in READ_OPERATIONS else Capacity(write=total)


def asking_for_capacity(operation: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """``params`` asking for ``ReturnConsumedCapacity=TOTAL`` where ``operation`` can tell it."""
    if operation in CAPACITY_OPERATIONS and "ReturnConsumedCapacity" not in params:
        return {**params, "ReturnConsumedCapacity": "TOTAL"}
    return params


class CapacityMeter:
    """What the requests inside one :func:`measure_capacity` block consumed.

    Attributes:
        requests: Requests whose answer reported capacity.
    """

    __slots__ = ("_parent", "_tables", "requests")

    def __init__(self, parent: CapacityMeter | None = None) -> None:
        self._parent = parent
        self._tables: dict[str, Capacity] = {}
        self.requests = 0

    @property
    def tables(self) -> dict[str, Capacity]:
        """Capacity by physical table name (a copy)."""
        return dict(self._tables)

    @property
    def total(self) -> Capacity:
        """Capacity of every table together."""
        return sum(self._tables.values(), Capacity())

    def begin(self, call: Call) -> object:
        """Nothing to do before a request."""
        return None

    def end(self, call: Call, state: object) -> None:
        """Count what an answered request consumed, here and in the enclosing meters."""
        consumed = (call.response or {}).get("ConsumedCapacity")
        if not consumed:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        used = [(str(e.get("TableName")), units(call.operation, e)) for e in entries]
        meter: CapacityMeter | None = self
        while meter is not None:
            meter.requests += 1
            for table, capacity in used:
                meter._tables[table] = meter._tables.get(table, Capacity()) + capacity
            meter = meter._parent

    def __repr__(self) -> str:
        return f"CapacityMeter(requests={self.requests}, tables={self._tables!r})"


METER: ContextVar[CapacityMeter | None] = ContextVar("dynamorm_async_capacity", default=None)
"""The innermost open meter of the running context, if any."""


@contextmanager
def measure_capacity() -> Iterator[CapacityMeter]:
    """Count the capacity consumed by the requests sent inside the ``with`` block.

    Returns:
        A context manager giving the :class:`CapacityMeter`, which keeps its figures after
        the block.
    """
    meter = CapacityMeter(METER.get())
    token = METER.set(meter)
    try:
        yield meter
    finally:
        METER.reset(token)
