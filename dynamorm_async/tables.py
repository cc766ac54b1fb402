"""Table definitions derived from models: key schema, attribute definitions, indexes, TTL.

Pure functions building request parameters; :class:`~dynamorm_async.DB` sends them.
"""

from __future__ import annotations

from typing import Any, Literal

from ._schema import FieldMeta, IndexMeta, ModelMeta, key_kind

__all__ = ["BillingMode", "StreamViewType", "create_table_params", "ttl_params"]

BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
StreamViewType = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
"""What a table's stream records carry: the keys only, or the new / old / both images."""


def _key_schema(pk: FieldMeta, sk: FieldMeta | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.stored, "KeyType": "HASH"}]
    if sk is not None:
        schema.append({"AttributeName": sk.stored, "KeyType": "RANGE"})
    return schema


def _projection(index: IndexMeta) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.projection == "INCLUDE":
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return projection


def create_table_params(
    meta: ModelMeta,
    table_name: str,
    *,
    billing_mode: BillingMode = "PAY_PER_REQUEST",
    read_capacity: int | None = None,
    write_capacity: int | None = None,
    stream: StreamViewType | None = None,
) -> dict[str, Any]:
    """The ``CreateTable`` parameters for a model.

    Args:
        meta: The model's metadata.
        table_name: The physical table name (with the config's prefix).
        billing_mode: ``"PAY_PER_REQUEST"`` (default) or ``"PROVISIONED"``.
        read_capacity: Read capacity units for PROVISIONED (table and each GSI).
        write_capacity: Write capacity units for PROVISIONED (table and each GSI).
        stream: Enable the table's stream with this view type (``None``: no stream).
    """
    key_fields: dict[str, FieldMeta] = {f.stored: f for f in meta.key_fields}
    for index in meta.indexes:
        key_fields.update((f.stored, f) for f in index.key_fields)
    params: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": _key_schema(meta.pk, meta.sk),
        "AttributeDefinitions": [
            {"AttributeName": stored, "AttributeType": key_kind(field)}
            for stored, field in sorted(key_fields.items())
        ],
        "BillingMode": billing_mode,
    }
    throughput = None
    if billing_mode == "PROVISIONED":
        throughput = {
            "ReadCapacityUnits": read_capacity or 1,
            "WriteCapacityUnits": write_capacity or 1,
        }
        params["ProvisionedThroughput"] = throughput
    gsis = [
        {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.pk, index.sk),
            "Projection": _projection(index),
            **({"ProvisionedThroughput": throughput} if throughput else {}),
        }
        for index in meta.indexes
        if index.kind == "GSI"
    ]
    lsis = [
        {
            "IndexName": index.name,
            "KeySchema": _key_schema(index.pk, index.sk),
            "Projection": _projection(index),
        }
        for index in meta.indexes
        if index.kind == "LSI"
    ]
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    if lsis:
        params["LocalSecondaryIndexes"] = lsis
    if stream is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    return params


def ttl_params(meta: ModelMeta, table_name: str) -> dict[str, Any] | None:
    """The ``UpdateTimeToLive`` parameters enabling TTL; ``None`` if the model has no TTL field."""
    if meta.ttl is None:
        return None
    return {
        "TableName": table_name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": meta.ttl.stored},
    }
