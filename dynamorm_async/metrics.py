"""Per-operation metrics, written as CloudWatch Embedded Metric Format (EMF) documents.

With ``Config(metrics=True)`` (or ``DYNAMORM_METRICS=1`` for ``from_environment``) every
request is recorded under its operation and table:

=========================  ============  ===================================================
Metric                     Unit          What
=========================  ============  ===================================================
``Latency``                Milliseconds  one value per request that got an answer
``PoolWait``               Milliseconds  one value per request: its wait for a pooled
                                         connection (0 when one was free; the sum of its
                                         attempts' waits)
``Errors``                 Count         requests that ended in an error (deadline included)
``Retries``                Count         botocore's retries of those requests
``Throttles``              Count         attempts DynamoDB answered with a throttling error
``ConsumedReadCapacity``   Count         read capacity units (``ReturnConsumedCapacity``)
``ConsumedWriteCapacity``  Count         write capacity units
``UnprocessedItems``       Count         items/keys a batch call returned unprocessed
=========================  ============  ===================================================

Requests ask DynamoDB for ``ReturnConsumedCapacity=TOTAL`` (unless the caller asked for
something already); nothing is asked when metrics are off.

**Aggregation.** Values are kept in memory and written by :meth:`Metrics.flush` (the Lambda
handler adapter flushes at the end of every invocation). Nothing runs in the background. A
flush prints one JSON document per line on standard output, which Lambda sends to CloudWatch
Logs, where EMF turns it into metrics. EMF lets a document carry one value per dimension, so
a flush writes one document per ``(operation, table)`` pair that saw requests, with the
counters summed and the latencies as a value array; custom metrics (:meth:`Metrics.add`) go
into one more document with the ``service`` dimension only. A document holds at most 100
metrics and 100 values per metric (the EMF limits); more are split across documents. A pair
that reaches 100 requests is written at once, so memory stays bounded when nobody
flushes.

**Dimensions.** ``Operation`` and ``Table`` (the physical name; several tables of one batch
call are joined with ``,``), plus ``service`` when ``metrics_service`` is set
(``POWERTOOLS_SERVICE_NAME``) and any in :attr:`Metrics.dimensions` (``Partner`` on a
partner's DB, see :mod:`dynamorm_async.partners`), in one dimension set: the metrics sit
beside those of Powertools Metrics in the same namespace (``POWERTOOLS_METRICS_NAMESPACE``).
"""

from __future__ import annotations

import json
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

from ._instrument import Call
from .capacity import CAPACITY_OPERATIONS, asking_for_capacity, units
from .config import DEFAULT_METRICS_NAMESPACE, Config
from .errors import DeadlineExceeded, PoolTimeout
from .transport import table_of

__all__ = [
    "CAPACITY_OPERATIONS",
    "MAX_METRICS_PER_DOCUMENT",
    "MAX_VALUES_PER_METRIC",
    "Metrics",
    "Unit",
    "with_records",
]

MAX_METRICS_PER_DOCUMENT = 100
"""EMF: a metric directive holds at most 100 metric definitions."""

MAX_VALUES_PER_METRIC = 100
"""EMF: a metric's value array holds at most 100 values."""

Unit = Literal[
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]  # fmt: skip
"""The CloudWatch units EMF accepts."""

_UNITS = frozenset(Unit.__args__)  # type: ignore[attr-defined]


_COUNTERS: tuple[str, ...] = (
    "Errors",
    "Retries",
    "Throttles",
    "ConsumedReadCapacity",
    "ConsumedWriteCapacity",
    "UnprocessedItems",
)


class _Group:
    """The values of one (operation, table) pair since the last flush."""

    __slots__ = ("counters", "latencies", "pool_waits")

    def __init__(self) -> None:
        self.counters = dict.fromkeys(_COUNTERS, 0.0)
        self.latencies: list[float] = []
        self.pool_waits: list[float] = []

    def metrics(self) -> dict[str, tuple[str, list[float]]]:
        found: dict[str, tuple[str, list[float]]] = {}
        if self.latencies:
            found["Latency"] = ("Milliseconds", self.latencies)
        if self.pool_waits:
            found["PoolWait"] = ("Milliseconds", self.pool_waits)
        for name, value in self.counters.items():
            found[name] = ("Count", [value])
        return found


_RECORDING: weakref.WeakSet[Metrics] = weakref.WeakSet()
"""Every live :class:`Metrics` holding values not flushed yet (weakly: a DB dropped by its
owner is not kept alive by having recorded something)."""


def with_records() -> list[Metrics]:
    """Every live :class:`Metrics` that recorded something since its last flush.

    The Lambda handler adapter flushes each of them after every invocation, so a DB made at
    module level (``DB.from_environment()``) writes its metrics without being named.
    """
    return list(_RECORDING)


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Metrics:
    """Collects request metrics and custom ones; writes them as EMF documents on :meth:`flush`.

    A :class:`~dynamorm_async.DB` makes one from its config (``db.metrics``); its views share
    it. When disabled, recording and :meth:`flush` do nothing.

    Args:
        enabled: Record anything at all.
        namespace: The CloudWatch namespace.
        service: The ``service`` dimension's value, or ``None`` for no such dimension.
        emit: Receives each document as one line of JSON; defaults to printing it on
            standard output.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        namespace: str = DEFAULT_METRICS_NAMESPACE,
        service: str | None = None,
        emit: Callable[[str], None] | None = None,
    ) -> None:
        self._enabled = enabled
        self.namespace = namespace
        self.service = service
        self.emit: Callable[[str], None] = emit or _print_line
        """Receives each document as one line of JSON (replace it to capture them)."""
        self.dimensions: dict[str, str] = {}
        """Dimensions added to every document (a partner's DB sets ``Partner``)."""
        self._groups: dict[tuple[str, str | None], _Group] = {}
        self._custom: dict[str, tuple[str, list[float]]] = {}

    @classmethod
    def from_config(cls, config: Config) -> Metrics:
        """The metrics a config asks for (disabled unless ``config.metrics``)."""
        return cls(
            enabled=config.metrics,
            namespace=config.metrics_namespace,
            service=config.metrics_service,
        )

    @property
    def enabled(self) -> bool:
        """Whether anything is recorded."""
        return self._enabled

    # -- recording ---------------------------------------------------------------------------

    def add(self, name: str, value: float, unit: Unit = "Count") -> None:
        """Record a custom metric value, written with the ``service`` dimension only.

        Args:
            name: The metric name (1-255 characters).
            value: A finite number.
            unit: A CloudWatch unit; one name keeps the unit it was first added with.

        Raises:
            ValueError: The name, value or unit is invalid.
        """
        if not self._enabled:
            return
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise ValueError(f"metric name must be 1-255 characters, not {name!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ValueError(f"metric {name!r} needs a number, not {value!r}")
        if unit not in _UNITS:
            raise ValueError(f"metric {name!r}: unknown unit {unit!r}")
        known_unit, values = self._custom.setdefault(name, (unit, []))
        if known_unit != unit:
            raise ValueError(f"metric {name!r} was added with unit {known_unit!r}, not {unit!r}")
        values.append(float(value))
        _RECORDING.add(self)
        if len(values) >= MAX_VALUES_PER_METRIC:
            self._write(self._custom_documents(time_ms()))
            self._custom.clear()

    def prepare(self, operation: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """The parameters to send: asks for consumed capacity where the operation can tell it."""
        return asking_for_capacity(operation, params)

    def begin(self, call: Call) -> object:
        """Nothing to do before a request (the engine times it)."""
        return None

    def end(self, call: Call, state: object) -> None:
        """Record one finished request."""
        table = table_of(call.params)
        group = self._group(call.operation, table)
        error = call.error
        answered = error is None or (
            isinstance(error, Exception) and not isinstance(error, DeadlineExceeded | PoolTimeout)
        )
        if answered:
            group.latencies.append(round(call.seconds * 1000, 3))
        group.pool_waits.append(round(call.pool_wait * 1000, 3))
        if isinstance(error, Exception):
            group.counters["Errors"] += 1
        group.counters["Retries"] += call.retries
        group.counters["Throttles"] += call.throttled
        if call.response is not None:
            self._record_response(call.operation, call.response)
        _RECORDING.add(self)
        if len(group.pool_waits) >= MAX_VALUES_PER_METRIC:  # never fewer than latencies
            key = (call.operation, table)
            self._write(self._group_documents(key, group, time_ms()))
            self._groups[key] = _Group()

    def _group(self, operation: str, table: str | None) -> _Group:
        key = (operation, table)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group()
        return group

    def _record_response(self, operation: str, response: Mapping[str, Any]) -> None:
        consumed = response.get("ConsumedCapacity")
        entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        for entry in entries:
            used = units(operation, entry)
            group = self._group(operation, entry.get("TableName"))
            group.counters["ConsumedReadCapacity"] += float(used.read)
            group.counters["ConsumedWriteCapacity"] += float(used.write)
        for table, count in _unprocessed(response):
            self._group(operation, table).counters["UnprocessedItems"] += count

    # -- writing -----------------------------------------------------------------------------

    async def flush(self) -> list[dict[str, Any]]:
        """Write everything recorded since the last flush as EMF documents, and forget it.

        Returns:
            The documents written (none when nothing was recorded or metrics are off).
        """
        if not self._enabled:
            return []
        timestamp = time_ms()
        documents: list[dict[str, Any]] = []
        for key, group in self._groups.items():
            documents.extend(self._group_documents(key, group, timestamp))
        documents.extend(self._custom_documents(timestamp))
        self._groups.clear()
        self._custom.clear()
        _RECORDING.discard(self)
        self._write(documents)
        return documents

    def _write(self, documents: list[dict[str, Any]]) -> None:
        for document in documents:
            self.emit(json.dumps(document, separators=(",", ":")))

    def _dimensions(self) -> dict[str, str]:
        dimensions = dict(self.dimensions)
        if self.service is not None:
            dimensions["service"] = self.service
        return dimensions

    def _group_documents(
        self, key: tuple[str, str | None], group: _Group, timestamp: int
    ) -> list[dict[str, Any]]:
        operation, table = key
        dimensions = self._dimensions()
        dimensions["Operation"] = operation
        if table is not None:
            dimensions["Table"] = table
        return emf_documents(self.namespace, dimensions, group.metrics(), timestamp)

    def _custom_documents(self, timestamp: int) -> list[dict[str, Any]]:
        return emf_documents(self.namespace, self._dimensions(), self._custom, timestamp)


def time_ms() -> int:
    """Now, in milliseconds since the epoch (EMF's timestamp)."""
    return time.time_ns() // 1_000_000


def emf_documents(
    namespace: str,
    dimensions: Mapping[str, str],
    metrics: Mapping[str, tuple[str, list[float]]],
    timestamp: int,
) -> list[dict[str, Any]]:
    """EMF documents for one set of dimension values, split to fit EMF's limits.

    Args:
        namespace: The CloudWatch namespace.
        dimensions: Dimension name -> value; all of them form the one dimension set.
        metrics: Metric name -> (unit, values); metrics without values are left out.
        timestamp: Milliseconds since the epoch.

    Returns:
        Documents with at most :data:`MAX_METRICS_PER_DOCUMENT` metrics each and at most
        :data:`MAX_VALUES_PER_METRIC` values per metric; a single value is written as a
        number, several as an array.
    """
    documents: list[dict[str, Any]] = []
    for round_ in _rounds(metrics):
        for start in range(0, len(round_), MAX_METRICS_PER_DOCUMENT):
            part = round_[start : start + MAX_METRICS_PER_DOCUMENT]
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [list(dimensions)],
                            "Metrics": [{"Name": name, "Unit": unit} for name, unit, _ in part],
                        }
                    ],
                },
                **dimensions,
            }
            for name, _, values in part:
                numbers = [_number(value) for value in values]
                document[name] = numbers[0] if len(numbers) == 1 else numbers
            documents.append(document)
    return documents


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _rounds(
    metrics: Mapping[str, tuple[str, list[float]]],
) -> Iterator[list[tuple[str, str, list[float]]]]:
    # Round r holds the r-th slice of 100 values of every metric that has that many: one
    # document may not name a metric twice.
    first = 0
    while True:
        round_ = [
            (name, unit, values[first : first + MAX_VALUES_PER_METRIC])
            for name, (unit, values) in metrics.items()
            if len(values) > first
        ]
        if not round_:
            return
        yield round_
        first += MAX_VALUES_PER_METRIC


def _unprocessed(response: Mapping[str, Any]) -> Iterator[tuple[str, int]]:
    for table, requests in (response.get("UnprocessedItems") or {}).items():
        yield table, len(requests)
    for table, keys in (response.get("UnprocessedKeys") or {}).items():
        yield table, len(keys.get("Keys", ()))
