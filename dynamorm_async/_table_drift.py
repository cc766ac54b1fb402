"""Drift: how an existing table differs from what its models declare, and how to fix each part.

:func:`table_drift` compares a :class:`~dynamorm_async._table_definition.TableDefinition`
with DynamoDB's ``DescribeTable`` (and ``DescribeTimeToLive``) answers, and returns one
:class:`Drift` per difference. Each says which call can fix it (its ``remedy``):

- ``"ensure_table"``: safe, additive; ``ensure_table(..., fix=True)`` applies it (a missing
  GSI, TTL not enabled).
- ``"update_table"``: changes or removes something; only ``update_table`` with the matching
  argument applies it (billing and capacity, the stream, TTL on another attribute, an index
  the models do not declare or declare differently).
- ``"recreate"``: DynamoDB cannot change it on an existing table (the key schema, local
  secondary indexes): a new table and a copy of the data are the only way.

Compared: the key schema (names and S/N/B types), every secondary index (kind, keys and
their types, projection), TTL, billing mode and provisioned capacity (table and GSIs), and
the stream. Not compared: encryption, table class, deletion protection, tags, point-in-time
recovery. Pure: no request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from ._table_definition import IndexDefinition, TableDefinition, throughput

__all__ = ["Drift", "DriftKind", "Remedy", "table_drift"]

DriftKind = Literal[
    "keys", "index_missing", "index_changed", "index_extra", "ttl", "billing", "stream"
]
"""What differs: the key schema, a secondary index (missing, different, not declared),
TTL, billing mode or capacity, the stream."""

Remedy = Literal["ensure_table", "update_table", "recreate"]
"""Which call fixes a drift: ``ensure_table(fix=True)``, ``update_table`` (told what to
change), or none: the table must be created anew."""


@attrs.frozen(kw_only=True)
class Drift:
    """One difference between a table and what its models declare.

    Attributes:
        kind: What differs (:data:`DriftKind`).
        subject: ``"table"``, the index's name, or (for TTL) the TTL attribute declared.
        declared: What the models declare, in words (``None``: nothing).
        actual: What the table has, in words (``None``: nothing).
        remedy: Which call fixes it: ``"ensure_table"`` (with ``fix=True``),
            ``"update_table"`` (with the argument that names it), or ``"recreate"`` (not
            possible in place: a new table is needed).
    """

    kind: DriftKind
    subject: str
    declared: str | None
    actual: str | None
    remedy: Remedy

    def __str__(self) -> str:
        how = {
            "ensure_table": "ensure_table(fix=True) applies it",
            "update_table": "update_table() applies it when told",
            "recreate": "it cannot be changed in place: the table must be recreated",
        }[self.remedy]
        return (
            f"{self.kind} {self.subject}: declared {self.declared or 'nothing'}, "
            f"the table has {self.actual or 'nothing'} ({how})"
        )


def _ttl_attribute(description: Mapping[str, Any] | None) -> str | None:
    """The attribute TTL is on (enabled or being enabled), from ``TimeToLiveDescription``."""
    if not description or description.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        return None
    name = description.get("AttributeName")
    return str(name) if name else None


def table_drift(
    definition: TableDefinition,
    table: Mapping[str, Any],
    *,
    ttl: Mapping[str, Any] | None = None,
    check_ttl: bool = True,
) -> tuple[Drift, ...]:
    """Every difference between ``definition`` and the table DynamoDB describes.

    Args:
        definition: What the models declare.
        table: ``DescribeTable``'s ``Table``.
        ttl: ``DescribeTimeToLive``'s ``TimeToLiveDescription``.
        check_ttl: Compare TTL (``False`` where the server has no TTL).
    """
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", ())}
    drift: list[Drift] = []
    declared_keys = _show_keys(definition.keys, definition.attributes)
    actual_keys = _show_keys(_keys(table.get("KeySchema", ())), types)
    if declared_keys != actual_keys:
        drift.append(
            Drift(
                kind="keys",
                subject="table",
                declared=declared_keys,
                actual=actual_keys,
                remedy="recreate",
            )
        )
    drift.extend(_index_drift(definition, table, types))
    if check_ttl and definition.ttl is not None:
        actual = _ttl_attribute(ttl)
        if actual != definition.ttl:
            remedy: Remedy = "ensure_table" if actual is None else "update_table"
            drift.append(
                Drift(
                    kind="ttl",
                    subject=definition.ttl,
                    declared=definition.ttl,
                    actual=actual,
                    remedy=remedy,
                )
            )
    drift.extend(_billing_drift(definition, table))
    spec = table.get("StreamSpecification") or {}
    actual_view = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    if actual_view != definition.options.stream:
        drift.append(
            Drift(
                kind="stream",
                subject="table",
                declared=definition.options.stream,
                actual=actual_view,
                remedy="update_table",
            )
        )
    return tuple(drift)


def _keys(schema: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k["AttributeName"]), str(k["KeyType"])) for k in schema)


def _show_keys(keys: tuple[tuple[str, str], ...], types: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {kind} ({types.get(name, '?')})" for name, kind in keys)


def _show_index(kind: str, keys: str, projection: str, non_key: tuple[str, ...]) -> str:
    include = f" [{', '.join(non_key)}]" if projection == "INCLUDE" else ""
    return f"{kind} on {keys}, projecting {projection}{include}"


def _declared_index(index: IndexDefinition, types: Mapping[str, str]) -> str:
    keys = _show_keys(index.keys, types)
    return _show_index(index.kind, keys, index.projection, index.non_key_attributes)


def _index_drift(
    definition: TableDefinition, table: Mapping[str, Any], types: Mapping[str, str]
) -> list[Drift]:
    actual: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for key, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI")):
        for index in table.get(key) or ():
            projection = index.get("Projection") or {}
            shown = _show_index(
                kind,
                _show_keys(_keys(index.get("KeySchema", ())), types),
                str(projection.get("ProjectionType", "ALL")),
                tuple(sorted(projection.get("NonKeyAttributes") or ())),
            )
            actual[str(index["IndexName"])] = shown
            kinds[str(index["IndexName"])] = kind
    drift: list[Drift] = []
    for index in definition.indexes:
        declared = _declared_index(index, definition.attributes)
        fixable: Remedy = "recreate" if index.kind == "LSI" else "update_table"
        if index.name not in actual:
            remedy: Remedy = "recreate" if index.kind == "LSI" else "ensure_table"
            drift.append(
                Drift(
                    kind="index_missing",
                    subject=index.name,
                    declared=declared,
                    actual=None,
                    remedy=remedy,
                )
            )
        elif actual[index.name] != declared:
            if kinds[index.name] == "LSI":
                fixable = "recreate"
            drift.append(
                Drift(
                    kind="index_changed",
                    subject=index.name,
                    declared=declared,
                    actual=actual[index.name],
                    remedy=fixable,
                )
            )
    for name, shown in actual.items():
        if definition.index(name) is None:
            remedy = "recreate" if kinds[name] == "LSI" else "update_table"
            drift.append(
                Drift(kind="index_extra", subject=name, declared=None, actual=shown, remedy=remedy)
            )
    return drift


def _capacity(value: Mapping[str, Any] | None) -> str:
    value = value or {}
    return f"{value.get('ReadCapacityUnits', 0)} read / {value.get('WriteCapacityUnits', 0)} write"


def _billing_drift(definition: TableDefinition, table: Mapping[str, Any]) -> list[Drift]:
    declared_mode = definition.options.billing_mode
    actual_mode = (table.get("BillingModeSummary") or {}).get("BillingMode") or (
        "PROVISIONED" if "ProvisionedThroughput" in table else "PAY_PER_REQUEST"
    )
    if actual_mode != declared_mode:
        declared: str = declared_mode
        capacity = throughput(definition.options)
        if capacity is not None:
            declared += f" ({_capacity(capacity)})"
        actual = actual_mode
        if actual_mode == "PROVISIONED":
            actual += f" ({_capacity(table.get('ProvisionedThroughput'))})"
        return [
            Drift(
                kind="billing",
                subject="table",
                declared=declared,
                actual=actual,
                remedy="update_table",
            )
        ]
    capacity = throughput(definition.options)
    if capacity is None:
        return []
    drift: list[Drift] = []
    wanted = _capacity(capacity)
    places = [("table", table.get("ProvisionedThroughput"))]
    places += [
        (str(i["IndexName"]), i.get("ProvisionedThroughput"))
        for i in table.get("GlobalSecondaryIndexes") or ()
        if definition.index(str(i["IndexName"])) is not None
    ]
    for subject, value in places:
        if _capacity(value) != wanted:
            drift.append(
                Drift(
                    kind="billing",
                    subject=subject,
                    declared=f"PROVISIONED ({wanted})",
                    actual=f"PROVISIONED ({_capacity(value)})",
                    remedy="update_table",
                )
            )
    return drift
