"""Tables of models: their definitions (keys, indexes, TTL, TableOptions), creation, deletion.

:func:`create_table_params` and :func:`ttl_params` are pure; :func:`create_table`,
:func:`describe_table`, :func:`ensure_table`, :func:`enable_ttl` and :func:`delete_table`
send them on a
:class:`~dynamorm_async.session.Session` (``db.create_table(...)`` and friends call them).
DynamoDB's answers are returned as a typed :class:`TableDescription`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import anyio
import attrs

from ._schema import FieldMeta, IndexMeta, ModelMeta, key_kind, model_meta
from .errors import DeadlineExceeded, TableExists, TableNotFound, ValidationError
from .session import Session
from .table_options import TABLE_WAIT_TIMEOUT

__all__ = [
    "TABLE_WAIT_TIMEOUT",
    "BillingMode",
    "IndexDescription",
    "StreamViewType",
    "TableDescription",
    "attribute_definitions",
    "backup_params",
    "create_table",
    "create_table_params",
    "delete_table",
    "describe_table",
    "enable_ttl",
    "ensure_table",
    "ttl_params",
]

BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
"""How a table is billed: on demand or by provisioned capacity."""

StreamViewType = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
"""What a table's stream records carry: the keys only, or the new / old / both images."""


@attrs.frozen(kw_only=True)
class IndexDescription:
    """One secondary index as DynamoDB describes it.

    Attributes:
        name: The index name.
        kind: ``"GSI"`` or ``"LSI"``.
        status: ``"ACTIVE"``, ``"CREATING"``... (an LSI is always ``"ACTIVE"``).
        item_count: DynamoDB's (periodically updated) item count, if reported.
    """

    name: str
    kind: Literal["GSI", "LSI"]
    status: str
    item_count: int | None = None


@attrs.frozen(kw_only=True)
class TableDescription:
    """A table as DynamoDB describes it (``DescribeTable`` / ``CreateTable``).

    Attributes:
        name: The physical table name.
        status: ``"ACTIVE"``, ``"CREATING"``, ``"UPDATING"``, ``"DELETING"``...
        arn: The table's ARN, if reported.
        billing_mode: ``"PAY_PER_REQUEST"`` or ``"PROVISIONED"``, if reported.
        item_count: DynamoDB's (periodically updated) item count, if reported.
        size_bytes: DynamoDB's (periodically updated) table size, if reported.
        created_at: When the table was created, if reported.
        indexes: The secondary indexes, GSIs first, in DynamoDB's order.
        ttl_pending: The attribute whose TTL ``create_table(wait=False)`` did not enable
            because the table was not ACTIVE yet (DynamoDB refuses ``UpdateTimeToLive``
            while it is CREATING): call :meth:`DB.enable_ttl
            <dynamorm_async.DB.enable_ttl>` to finish. ``None`` when nothing is left to do.
        raw: The whole description as DynamoDB sent it, for anything else.
    """

    name: str
    status: str
    arn: str | None = None
    billing_mode: str | None = None
    item_count: int | None = None
    size_bytes: int | None = None
    created_at: dt.datetime | None = None
    indexes: tuple[IndexDescription, ...] = ()
    ttl_pending: str | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def active(self) -> bool:
        """Whether the table and every index are ``ACTIVE``."""
        return self.status == "ACTIVE" and all(i.status == "ACTIVE" for i in self.indexes)

    @classmethod
    def from_response(cls, table: Mapping[str, Any]) -> TableDescription:
        """Read DynamoDB's ``TableDescription`` (as botocore parses it)."""
        indexes = [
            IndexDescription(
                name=str(index["IndexName"]),
                kind=kind,
                status=str(index.get("IndexStatus", "ACTIVE")),
                item_count=_int(index.get("ItemCount")),
            )
            for key, kind in _INDEX_KINDS
            for index in table.get(key, ())
        ]
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode")
        if billing is None and "ProvisionedThroughput" in table:
            billing = "PROVISIONED"
        created = table.get("CreationDateTime")
        return cls(
            name=str(table["TableName"]),
            status=str(table.get("TableStatus", "")),
            arn=table.get("TableArn"),
            billing_mode=billing,
            item_count=_int(table.get("ItemCount")),
            size_bytes=_int(table.get("TableSizeBytes")),
            created_at=created if isinstance(created, dt.datetime) else None,
            indexes=tuple(indexes),
            raw=dict(table),
        )


_INDEX_KINDS: tuple[tuple[str, Literal["GSI", "LSI"]], ...] = (
    ("GlobalSecondaryIndexes", "GSI"),
    ("LocalSecondaryIndexes", "LSI"),
)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


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
    meta: ModelMeta, table_name: str, *, stream: StreamViewType | None = None
) -> dict[str, Any]:
    """The ``CreateTable`` parameters for a model, its :class:`TableOptions` applied.

    Point-in-time recovery is not part of ``CreateTable``: see :func:`backup_params`.

    Args:
        meta: The model's metadata.
        table_name: The physical table name (with the config's prefix).
        stream: Enable the table's stream with this view type, instead of the model's
            ``TableOptions.stream``.
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
    view = stream if stream is not None else options.stream
    if view is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
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


# -- operations ------------------------------------------------------------------------------


async def create_table(
    session: Session,
    model: type,
    *,
    wait: bool = True,
    ttl: bool = True,
    wait_seconds: float = TABLE_WAIT_TIMEOUT,
    stream: StreamViewType | None = None,
) -> TableDescription:
    """Create the model's table; see :meth:`DB.create_table <dynamorm_async.DB.create_table>`."""
    meta = model_meta(model)
    name = session.table_name(model)
    response = await session.send("CreateTable", create_table_params(meta, name, stream=stream))
    description = TableDescription.from_response(response["TableDescription"])
    ttl_request = ttl_params(meta, name) if ttl else None
    if not wait:
        # The table is CREATING and DynamoDB refuses UpdateTimeToLive until it is ACTIVE;
        # wait=False promises not to wait, so the result says what is left to do.
        if ttl_request is not None:
            pending = ttl_request["TimeToLiveSpecification"]["AttributeName"]
            description = attrs.evolve(description, ttl_pending=pending)
        return description
    description = await _wait_for_table(session, name, wait_seconds)
    if ttl_request is not None:
        await session.send("UpdateTimeToLive", ttl_request)
    backups = backup_params(meta, name)
    if backups is not None:
        await session.send("UpdateContinuousBackups", backups)
    return description


async def enable_ttl(
    session: Session, model: type, *, wait_seconds: float = TABLE_WAIT_TIMEOUT
) -> None:
    """Enable TTL on the model's ``ttl()`` field once its table is ACTIVE.

    See :meth:`DB.enable_ttl <dynamorm_async.DB.enable_ttl>`.
    """
    meta = model_meta(model)
    name = session.table_name(model)
    request = ttl_params(meta, name)
    if request is None:
        raise ValidationError(f"{model.__name__} has no ttl() field to enable TTL on")
    if not (await describe_table(session, model)).active:  # raises TableNotFound
        await _wait_for_table(session, name, wait_seconds)
    await session.send("UpdateTimeToLive", request)


async def ensure_table(
    session: Session,
    model: type,
    *,
    wait: bool = True,
    ttl: bool = True,
    stream: StreamViewType | None = None,
) -> bool:
    """Create the model's table unless it exists. Returns whether it was created.

    Raises:
        ValidationError: ``wait=False`` with ``ttl=True`` on a model with a ``ttl()``
            field: TTL can only be enabled once the table is ACTIVE, and the answer could
            not say it was not (nothing is sent). Pass ``ttl=False`` and call
            :func:`enable_ttl` later, or wait.
    """
    if not wait and ttl and model_meta(model).ttl is not None:
        raise ValidationError(
            f"ensure_table({model.__name__}, wait=False) cannot enable TTL on a table that "
            "is still being created: pass ttl=False and call enable_ttl() later, or wait"
        )
    try:
        await describe_table(session, model)
        return False
    except TableNotFound:
        pass
    try:
        await create_table(session, model, wait=wait, ttl=ttl, stream=stream)
    except TableExists:
        if wait:  # created concurrently by someone else
            await _wait_for_table(session, session.table_name(model), TABLE_WAIT_TIMEOUT)
        return False
    return True


async def describe_table(session: Session, model: type) -> TableDescription:
    """DynamoDB's description of the model's table.

    Raises:
        TableNotFound: the table does not exist.
    """
    response = await session.send("DescribeTable", {"TableName": session.table_name(model)})
    return TableDescription.from_response(response["Table"])


async def delete_table(
    session: Session,
    model: type,
    *,
    wait: bool = True,
    missing_ok: bool = False,
    wait_seconds: float = TABLE_WAIT_TIMEOUT,
) -> None:
    """Delete the model's table; see :meth:`DB.delete_table <dynamorm_async.DB.delete_table>`."""
    name = session.table_name(model)
    try:
        await session.send("DeleteTable", {"TableName": name})
    except TableNotFound:
        if missing_ok:
            return
        raise
    if wait:
        await _poll_table(session, name, wait_seconds, want=None)


async def _wait_for_table(session: Session, name: str, seconds: float) -> TableDescription:
    description = await _poll_table(session, name, seconds, want="ACTIVE")
    assert description is not None
    return description


async def _poll_table(
    session: Session, name: str, seconds: float, *, want: str | None
) -> TableDescription | None:
    # DynamoDB has no change notification for tables: polling with back-off is the only way.
    delay = 0.05
    with anyio.move_on_after(seconds):
        while True:
            try:
                response = await session.send("DescribeTable", {"TableName": name})
            except TableNotFound:
                if want is None:
                    return None
            else:
                table = TableDescription.from_response(response["Table"])
                if want is not None and table.active:
                    return table
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise DeadlineExceeded(
        f"table {name} did not become {want or 'deleted'} within {seconds} s",
        operation="DescribeTable",
        table=name,
    )
