"""Table definitions derived from models: keys, indexes, TTL and the model's TableOptions.

Pure functions building request parameters; :class:`~dynamorm_async.DB` sends them.
"""

from __future__ import annotations

from typing import Any

from ._schema import FieldMeta, IndexMeta, ModelMeta, key_kind

__all__ = ["attribute_definitions", "backup_params", "create_table_params", "ttl_params"]


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


def create_table_params(meta: ModelMeta, table_name: str) -> dict[str, Any]:
    """The ``CreateTable`` parameters for a model, its :class:`TableOptions` applied.

    Point-in-time recovery is not part of ``CreateTable``: see :func:`backup_params`.

    Args:
        meta: The model's metadata.
        table_name: The physical table name (with the config's prefix).
    """
    options = meta.options
    params: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": _key_schema(meta.pk, meta.sk),
        "AttributeDefinitions": attribute_definitions(meta),
        "BillingMode": options.billing_mode,
    }
    throughput = None
    if options.provisioned is not None:
        throughput = {
            "ReadCapacityUnits": options.provisioned.read,
            "WriteCapacityUnits": options.provisioned.write,
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
    # Only what the model declares: a default table sends exactly what DynamoDB defaults to.
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


def attribute_definitions(meta: ModelMeta) -> list[dict[str, str]]:
    """The ``AttributeDefinitions`` of a model's table: every table and index key, by name."""
    key_fields: dict[str, FieldMeta] = {f.stored: f for f in meta.key_fields}
    for index in meta.indexes:
        key_fields.update((f.stored, f) for f in index.key_fields)
    return [
        {"AttributeName": stored, "AttributeType": str(key_kind(field))}
        for stored, field in sorted(key_fields.items())
    ]


def backup_params(meta: ModelMeta, table_name: str) -> dict[str, Any] | None:
    """The ``UpdateContinuousBackups`` parameters enabling point-in-time recovery, if declared."""
    if not meta.options.point_in_time_recovery:
        return None
    return {
        "TableName": table_name,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }


def ttl_params(meta: ModelMeta, table_name: str) -> dict[str, Any] | None:
    """The ``UpdateTimeToLive`` parameters enabling TTL; ``None`` if the model has no TTL field."""
    if meta.ttl is None:
        return None
    return {
        "TableName": table_name,
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": meta.ttl.stored},
    }
