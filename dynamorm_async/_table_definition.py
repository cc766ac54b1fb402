"""One table's definition, from the model (or the several models) stored in it.

A table holds the items of one model, or of several (single-table design). Whatever creates
or checks the table (``create_table``, ``ensure_table``'s drift report, the SAM /
CloudFormation template, the CDK construct) starts from one :class:`TableDefinition`, built
by :func:`table_definition` from every model declaring the table:

- one key schema, which every model must declare alike (stored names and S/N/B types);
- the union of the models' indexes (an index two models declare must be the same index;
  ``INCLUDE`` projections are merged);
- one TTL attribute (the models that declare ``ttl()`` must store it under one name);
- one set of :class:`~dynamorm_async.table_options.TableOptions`: a setting one model
  declares applies to the table; two models declaring different values conflict.

A conflict is a :class:`~dynamorm_async.errors.SchemaError` naming both models and what
they disagree on. Everything here is pure: no request is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._schema import IndexKind, IndexMeta, ModelMeta, ProjectionType, key_kind, model_meta
from .errors import SchemaError, ValidationError
from .table_options import DEFAULT_TABLE_OPTIONS, TableOptions

__all__ = [
    "IndexDefinition",
    "TableDefinition",
    "backup_params",
    "create_table_params",
    "gsi_params",
    "key_schema",
    "projection",
    "table_definition",
    "throughput",
    "ttl_params",
    "ttl_request",
]

_MAX_LSIS = 5
_MAX_GSIS = 20


@attrs.frozen
class IndexDefinition:
    """One secondary index of a table, by stored attribute names.

    Attributes:
        name: The index name.
        kind: ``"GSI"`` or ``"LSI"``.
        keys: ``(stored name, "HASH" | "RANGE")`` pairs, partition key first.
        projection: ``"ALL"``, ``"KEYS_ONLY"`` or ``"INCLUDE"``.
        non_key_attributes: The projected attributes of an ``INCLUDE`` projection, sorted.
        declared_by: The name of the model that declared it first.
    """

    name: str
    kind: IndexKind
    keys: tuple[tuple[str, str], ...]
    projection: ProjectionType
    non_key_attributes: tuple[str, ...]
    declared_by: str

    def same_index(self, other: IndexDefinition) -> bool:
        """Whether ``other`` is this index (kind, keys and projection type alike)."""
        return (self.kind, self.keys, self.projection) == (other.kind, other.keys, other.projection)


@attrs.frozen
class TableDefinition:
    """Everything DynamoDB is told about one table, merged from the models stored in it.

    Attributes:
        table: The declared table name (without the config's prefix).
        models: The models' class names, in the order given.
        keys: ``(stored name, "HASH" | "RANGE")`` pairs of the table's key schema.
        attributes: The S/N/B type of every key attribute (table and indexes), by name.
        indexes: The secondary indexes, in declaration order (first model first).
        ttl: The stored name of the TTL attribute, if a model declares ``ttl()``.
        options: The merged table options.
    """

    table: str
    models: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]
    attributes: Mapping[str, str]
    indexes: tuple[IndexDefinition, ...]
    ttl: str | None
    options: TableOptions

    @property
    def gsis(self) -> tuple[IndexDefinition, ...]:
        """The global secondary indexes."""
        return tuple(i for i in self.indexes if i.kind == "GSI")

    @property
    def lsis(self) -> tuple[IndexDefinition, ...]:
        """The local secondary indexes."""
        return tuple(i for i in self.indexes if i.kind == "LSI")

    def index(self, name: str) -> IndexDefinition | None:
        """The index called ``name``, if declared."""
        return next((i for i in self.indexes if i.name == name), None)

    def attribute_definitions(self, names: Iterable[str]) -> list[dict[str, str]]:
        """``AttributeDefinitions`` entries for the key attributes ``names``, sorted."""
        return [
            {"AttributeName": name, "AttributeType": self.attributes[name]}
            for name in sorted(set(names))
        ]


def table_definition(models: Sequence[type]) -> TableDefinition:
    """The definition of the table that ``models`` are stored in.

    Args:
        models: ``@table`` classes of one table (a class given twice counts once).

    Raises:
        ValidationError: No models, or models of different tables (a caller's mistake).
        SchemaError: The models disagree on the table (keys, an index, the TTL attribute,
            an option), or their indexes together exceed DynamoDB's limits.
    """
    metas: list[ModelMeta] = []
    for model in models:
        meta = model_meta(model)
        if meta not in metas:
            metas.append(meta)
    if not metas:
        raise ValidationError("no models: give the @table class(es) of the table")
    first = metas[0]
    for meta in metas[1:]:
        if meta.table != first.table:
            raise ValidationError(
                f"{first.cls.__name__} is stored in table {first.table!r} and "
                f"{meta.cls.__name__} in {meta.table!r}: give the models of one table"
            )
    keys = _keys(first)
    attributes: dict[str, str] = {}
    owners: dict[str, str] = {}
    indexes: dict[str, IndexDefinition] = {}
    ttl: str | None = None
    ttl_owner = ""
    options = DEFAULT_TABLE_OPTIONS
    option_owners: dict[str, str] = {}
    for meta in metas:
        name = meta.cls.__name__
        where = f"{first.cls.__name__} and {name} share table {first.table!r}"
        if _keys(meta) != keys:
            raise SchemaError(
                f"{where} but have different keys: {_show_keys(keys)} and {_show_keys(_keys(meta))}"
            )
        for stored, kind in _attribute_types(meta):
            known = attributes.setdefault(stored, kind)
            owner = owners.setdefault(stored, name)
            if known != kind:
                raise SchemaError(
                    f"{owner} and {name} share table {first.table!r} but store key attribute "
                    f"{stored!r} as {known} and as {kind}"
                )
        for index in meta.indexes:
            declared = _index(index, name)
            known_index = indexes.setdefault(index.name, declared)
            if not known_index.same_index(declared):
                raise SchemaError(
                    f"{known_index.declared_by} and {name} share table {first.table!r} but "
                    f"define index {index.name!r} differently: {_show_index(known_index)} and "
                    f"{_show_index(declared)}"
                )
            merged = sorted({*known_index.non_key_attributes, *declared.non_key_attributes})
            indexes[index.name] = attrs.evolve(known_index, non_key_attributes=tuple(merged))
        if meta.ttl is not None:
            if ttl is not None and ttl != meta.ttl.stored:
                raise SchemaError(
                    f"{ttl_owner} and {name} share table {first.table!r} but store their "
                    f"ttl() in different attributes ({ttl!r} and {meta.ttl.stored!r}); a table "
                    "has one TTL attribute"
                )
            if ttl is None:
                ttl, ttl_owner = meta.ttl.stored, name
        options = _merge_options(options, option_owners, meta.options, name, first.table)
    merged_indexes = tuple(indexes.values())
    for kind, limit in (("LSI", _MAX_LSIS), ("GSI", _MAX_GSIS)):
        if sum(1 for i in merged_indexes if i.kind == kind) > limit:
            raise SchemaError(
                f"the models of table {first.table!r} ({', '.join(m.cls.__name__ for m in metas)}) "
                f"declare more than the {limit} {kind}s DynamoDB allows on a table"
            )
    return TableDefinition(
        table=first.table,
        models=tuple(m.cls.__name__ for m in metas),
        keys=keys,
        attributes=dict(sorted(attributes.items())),
        indexes=merged_indexes,
        ttl=ttl,
        options=options,
    )


def _keys(meta: ModelMeta) -> tuple[tuple[str, str], ...]:
    keys = [(meta.pk.stored, "HASH")]
    if meta.sk is not None:
        keys.append((meta.sk.stored, "RANGE"))
    return tuple(keys)


def _show_keys(keys: tuple[tuple[str, str], ...]) -> str:
    return "(" + ", ".join(f"{name} {kind}" for name, kind in keys) + ")"


def _attribute_types(meta: ModelMeta) -> Iterable[tuple[str, str]]:
    fields = list(meta.key_fields)
    for index in meta.indexes:
        fields.extend(index.key_fields)
    return ((f.stored, str(key_kind(f))) for f in fields)


def _index(index: IndexMeta, declared_by: str) -> IndexDefinition:
    keys = [(index.pk.stored, "HASH")]
    if index.sk is not None:
        keys.append((index.sk.stored, "RANGE"))
    return IndexDefinition(
        name=index.name,
        kind=index.kind,
        keys=tuple(keys),
        projection=index.projection,
        non_key_attributes=tuple(sorted(index.non_key_attributes)),
        declared_by=declared_by,
    )


def _show_index(index: IndexDefinition) -> str:
    return f"{index.kind} {_show_keys(index.keys)} projecting {index.projection}"


def _merge_options(
    merged: TableOptions, owners: dict[str, str], options: TableOptions, name: str, table: str
) -> TableOptions:
    """``merged`` with the settings ``options`` declares; a different declared value conflicts.

    ``owners`` says which model declared each setting (and each tag) first; it is updated.
    """
    changes: dict[str, Any] = {}
    for field in attrs.fields(TableOptions):
        default = getattr(DEFAULT_TABLE_OPTIONS, field.name)
        mine, theirs = getattr(merged, field.name), getattr(options, field.name)
        if field.name == "tags":
            tags = dict(mine)
            for key, value in theirs:
                owner = owners.setdefault(f"tag {key}", name)
                if tags.setdefault(key, value) != value:
                    raise SchemaError(
                        f"{owner} and {name} share table {table!r} but tag it "
                        f"{key!r} differently ({tags[key]!r} and {value!r})"
                    )
            changes["tags"] = tags
        elif theirs in (default, mine):
            continue
        elif mine == default:
            owners[field.name] = name
            changes[field.name] = theirs
        else:
            raise SchemaError(
                f"{owners[field.name]} and {name} share table {table!r} but declare different "
                f"TableOptions.{field.name} ({mine!r} and {theirs!r})"
            )
    return attrs.evolve(merged, **changes)


# -- requests --------------------------------------------------------------------------------


def key_schema(keys: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """A ``KeySchema`` from ``(name, "HASH" | "RANGE")`` pairs."""
    return [{"AttributeName": name, "KeyType": kind} for name, kind in keys]


def projection(index: IndexDefinition) -> dict[str, Any]:
    """An index's ``Projection``."""
    value: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        value["NonKeyAttributes"] = list(index.non_key_attributes)
    return value


def throughput(options: TableOptions) -> dict[str, int] | None:
    """The ``ProvisionedThroughput`` of the table and of each GSI; ``None`` on demand."""
    if options.provisioned is None:
        return None
    return {
        "ReadCapacityUnits": options.provisioned.read,
        "WriteCapacityUnits": options.provisioned.write,
    }


def gsi_params(definition: TableDefinition, index: IndexDefinition) -> dict[str, Any]:
    """One GSI as ``CreateTable`` and ``UpdateTable``'s ``Create`` describe it."""
    params: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": key_schema(index.keys),
        "Projection": projection(index),
    }
    capacity = throughput(definition.options)
    if capacity is not None:
        params["ProvisionedThroughput"] = capacity
    return params


def create_table_params(definition: TableDefinition, table_name: str) -> dict[str, Any]:
    """The ``CreateTable`` parameters of a table, its :class:`TableOptions` applied.

    TTL and point-in-time recovery are not part of ``CreateTable``: see :func:`ttl_params`
    and :func:`backup_params`.

    Args:
        definition: The table's definition (:func:`table_definition`).
        table_name: The physical table name (with the config's prefix).
    """
    options = definition.options
    params: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": key_schema(definition.keys),
        "AttributeDefinitions": definition.attribute_definitions(definition.attributes),
        "BillingMode": options.billing_mode,
    }
    capacity = throughput(options)
    if capacity is not None:
        params["ProvisionedThroughput"] = capacity
    if definition.gsis:
        params["GlobalSecondaryIndexes"] = [gsi_params(definition, i) for i in definition.gsis]
    if definition.lsis:
        params["LocalSecondaryIndexes"] = [
            {"IndexName": i.name, "KeySchema": key_schema(i.keys), "Projection": projection(i)}
            for i in definition.lsis
        ]
    # Only what the models declare: a default table sends exactly what DynamoDB defaults to.
    if options.stream is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": options.stream}
    if options.kms_key is not None:
        params["SSESpecification"] = {
            "Enabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": options.kms_key,
        }
    if options.table_class != "STANDARD":
        params["TableClass"] = options.table_class
    if options.deletion_protection:
        params["DeletionProtectionEnabled"] = True
    if options.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in options.tags]
    return params


def backup_params(definition: TableDefinition, table_name: str) -> dict[str, Any] | None:
    """The ``UpdateContinuousBackups`` parameters enabling point-in-time recovery, if declared."""
    if not definition.options.point_in_time_recovery:
        return None
    return {
        "TableName": table_name,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }


def ttl_params(definition: TableDefinition, table_name: str) -> dict[str, Any] | None:
    """The ``UpdateTimeToLive`` parameters enabling TTL; ``None`` if no model declares ``ttl()``."""
    if definition.ttl is None:
        return None
    return ttl_request(table_name, definition.ttl, enabled=True)


def ttl_request(table_name: str, attribute: str, *, enabled: bool) -> dict[str, Any]:
    """The ``UpdateTimeToLive`` parameters enabling or disabling TTL on ``attribute``."""
    spec = {"Enabled": enabled, "AttributeName": attribute}
    return {"TableName": table_name, "TimeToLiveSpecification": spec}
