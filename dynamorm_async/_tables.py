"""Table operations: create, check for drift and fix, update, describe, delete.

Every operation takes the model(s) stored in the table; their merged
:class:`~dynamorm_async._table_definition.TableDefinition` says what the table should be.
They send requests on a :class:`~dynamorm_async.session.Session` (``db.create_table(...)``
and friends call them). DynamoDB's answers are returned as a typed :class:`TableDescription`;
``ensure_table`` and ``update_table`` return a :class:`TableCheck` (the table's drift from
its models, see :mod:`dynamorm_async._table_drift`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Literal

import anyio
import attrs

from ._table_definition import (
    IndexDefinition,
    TableDefinition,
    backup_params,
    create_table_params,
    gsi_params,
    table_definition,
    throughput,
    ttl_params,
    ttl_request,
)
from ._table_drift import Drift, table_drift
from .errors import DeadlineExceeded, TableExists, TableNotFound, ValidationError
from .session import Session
from .table_options import TABLE_WAIT_TIMEOUT

__all__ = [
    "TABLE_WAIT_TIMEOUT",
    "IndexDescription",
    "TableCheck",
    "TableDescription",
    "create_table",
    "delete_table",
    "describe_table",
    "enable_ttl",
    "ensure_table",
    "update_table",
]


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


@attrs.frozen(kw_only=True)
class TableCheck:
    """What ``ensure_table`` / ``update_table`` found and did: the table and its drift.

    Attributes:
        description: DynamoDB's description of the table after the call.
        created: Whether this call created the table (then there is no drift).
        applied: The drift this call fixed (``ensure_table(fix=True)``: missing GSIs added
            and ACTIVE, TTL enabled; ``update_table``: what it was told to change).
        drift: What still differs between the table and its models, each with its remedy
            (empty when the table is as declared).
    """

    description: TableDescription
    created: bool = False
    applied: tuple[Drift, ...] = ()
    drift: tuple[Drift, ...] = ()

    @property
    def in_sync(self) -> bool:
        """Whether the table is as its models declare (nothing left in :attr:`drift`)."""
        return not self.drift

    @property
    def needs_recreate(self) -> tuple[Drift, ...]:
        """The drift no call can fix in place (key schema, LSIs): a new table is needed."""
        return tuple(d for d in self.drift if d.remedy == "recreate")


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


# -- operations ------------------------------------------------------------------------------


def _table_of(session: Session, models: Sequence[type]) -> tuple[TableDefinition, str]:
    definition = table_definition(models)  # raises if models is empty or mixes tables
    return definition, session.table_name(models[0])


async def create_table(
    session: Session,
    models: Sequence[type],
    *,
    wait: bool = True,
    ttl: bool = True,
    wait_seconds: float = TABLE_WAIT_TIMEOUT,
) -> TableDescription:
    """Create the models' table; see :meth:`DB.create_table <dynamorm_async.DB.create_table>`."""
    definition, name = _table_of(session, models)
    response = await session.send("CreateTable", create_table_params(definition, name))
    description = TableDescription.from_response(response["TableDescription"])
    ttl_request = ttl_params(definition, name) if ttl else None
    if not wait:
        # The table is CREATING and DynamoDB refuses UpdateTimeToLive until it is ACTIVE;
        # wait=False promises not to wait, so the result says what is left to do.
        if ttl_request is not None:
            description = attrs.evolve(description, ttl_pending=definition.ttl)
        return description
    description = await _wait_for_table(session, name, wait_seconds)
    if ttl_request is not None:
        await session.send("UpdateTimeToLive", ttl_request)
    backups = backup_params(definition, name)
    if backups is not None:
        await session.send("UpdateContinuousBackups", backups)
    return description


async def enable_ttl(
    session: Session, model: type, *, wait_seconds: float = TABLE_WAIT_TIMEOUT
) -> None:
    """Enable TTL on the model's ``ttl()`` field once its table is ACTIVE.

    See :meth:`DB.enable_ttl <dynamorm_async.DB.enable_ttl>`.
    """
    definition, name = _table_of(session, [model])
    request = ttl_params(definition, name)
    if request is None:
        raise ValidationError(f"{model.__name__} has no ttl() field to enable TTL on")
    if not (await describe_table(session, model)).active:  # raises TableNotFound
        await _wait_for_table(session, name, wait_seconds)
    await session.send("UpdateTimeToLive", request)


async def ensure_table(
    session: Session,
    models: Sequence[type],
    *,
    wait: bool = True,
    ttl: bool = True,
    fix: bool = False,
    wait_seconds: float = TABLE_WAIT_TIMEOUT,
) -> TableCheck:
    """Create the models' table unless it exists, else report (and with ``fix``, fix) drift.

    See :meth:`DB.ensure_table <dynamorm_async.DB.ensure_table>`.
    """
    definition, name = _table_of(session, models)
    where = ", ".join(m.__name__ for m in models)
    if fix and not wait:
        raise ValidationError(
            f"ensure_table({where}, fix=True, wait=False): fixing waits for the table and its "
            "new indexes to be ACTIVE; pass wait=True, or fix=False to only report drift"
        )
    if not wait and ttl and definition.ttl is not None:
        raise ValidationError(
            f"ensure_table({where}, wait=False) cannot enable TTL on a table that "
            "is still being created: pass ttl=False and call enable_ttl() later, or wait"
        )
    try:
        description = await _describe(session, name)
    except TableNotFound:
        try:
            made = await create_table(
                session, models, wait=wait, ttl=ttl, wait_seconds=wait_seconds
            )
            return TableCheck(description=made, created=True)
        except TableExists:  # created concurrently by someone else: check it as it is
            description = await _describe(session, name)
    if wait and not description.active:
        description = await _wait_for_table(session, name, wait_seconds)
    drift = await _drift(session, definition, description, ttl=ttl)
    safe = tuple(d for d in drift if d.remedy == "ensure_table")
    if any(d.kind == "keys" for d in drift):
        safe = ()  # keyed otherwise, the table is not the models': nothing is added to it
    if not fix or not safe:
        return TableCheck(description=description, drift=drift)
    for item in safe:
        if item.kind == "index_missing":
            index = definition.index(item.subject)
            assert index is not None
            description = await _add_gsi(session, definition, description, index, wait_seconds)
        else:  # TTL not enabled on the declared attribute
            assert definition.ttl is not None
            await session.send("UpdateTimeToLive", ttl_request(name, definition.ttl, enabled=True))
    return await _checked(session, definition, name, applied=safe, ttl=ttl)


async def update_table(
    session: Session,
    models: Sequence[type],
    *,
    billing: bool = False,
    stream: bool = False,
    ttl: bool = False,
    drop_indexes: Collection[str] = (),
    wait_seconds: float = TABLE_WAIT_TIMEOUT,
) -> TableCheck:
    """Change the models' table where it drifted; see :meth:`DB.update_table
    <dynamorm_async.DB.update_table>`."""
    definition, name = _table_of(session, models)
    if isinstance(drop_indexes, str):
        raise TypeError("drop_indexes is a collection of index names, not one str")
    description = await _describe(session, name)  # raises TableNotFound
    on_table = {i.name: i.kind for i in description.indexes}
    for index_name in drop_indexes:
        kind = on_table.get(index_name)
        if kind is None:
            raise ValidationError(
                f"table {name} has no index {index_name!r} to drop "
                f"(indexes: {', '.join(on_table) or 'none'})",
                table=name,
            )
        if kind == "LSI":
            raise ValidationError(
                f"{index_name!r} of table {name} is a local secondary index: DynamoDB cannot "
                "drop one (only a new table can do without it)",
                table=name,
            )
    if not description.active:
        description = await _wait_for_table(session, name, wait_seconds)
    drift = await _drift(session, definition, description, ttl=ttl)
    applied: list[Drift] = []
    for index_name in drop_indexes:
        applied.extend(d for d in drift if d.subject == index_name and d.kind != "billing")
        description = await _drop_gsi(session, name, index_name, wait_seconds)
        declared = definition.index(index_name)
        if declared is not None and declared.kind == "GSI":  # rebuilt as declared
            description = await _add_gsi(session, definition, description, declared, wait_seconds)
    if billing:
        changes = [d for d in drift if d.kind == "billing"]
        if changes:
            await _update(session, name, _billing_params(definition, description), wait_seconds)
            applied.extend(changes)
    if stream:
        changes = [d for d in drift if d.kind == "stream"]
        if changes:
            await _change_stream(session, definition, description, wait_seconds)
            applied.extend(changes)
    if ttl:
        changes = [d for d in drift if d.kind == "ttl" and d.actual is not None]
        for change in changes:
            # DynamoDB takes up to an hour to apply a TTL change and refuses another
            # meanwhile: the declared attribute is enabled later (ensure_table(fix=True)).
            assert change.actual is not None
            await session.send("UpdateTimeToLive", ttl_request(name, change.actual, enabled=False))
            applied.append(change)
    return await _checked(session, definition, name, applied=tuple(applied), ttl=ttl)


async def _checked(
    session: Session,
    definition: TableDefinition,
    name: str,
    *,
    applied: tuple[Drift, ...],
    ttl: bool,
) -> TableCheck:
    description = await _describe(session, name)
    drift = await _drift(session, definition, description, ttl=ttl)
    return TableCheck(description=description, applied=applied, drift=drift)


async def _drift(
    session: Session, definition: TableDefinition, description: TableDescription, *, ttl: bool
) -> tuple[Drift, ...]:
    ttl_description = None
    check_ttl = ttl and definition.ttl is not None
    if check_ttl:
        response = await session.send("DescribeTimeToLive", {"TableName": description.name})
        ttl_description = response.get("TimeToLiveDescription")
    return table_drift(definition, description.raw, ttl=ttl_description, check_ttl=check_ttl)


async def _add_gsi(
    session: Session,
    definition: TableDefinition,
    description: TableDescription,
    index: IndexDefinition,
    seconds: float,
) -> TableDescription:
    """Create one GSI (DynamoDB builds one at a time) and wait until it is ACTIVE."""
    attributes = {
        a["AttributeName"]: a["AttributeType"]
        for a in description.raw.get("AttributeDefinitions", ())
    }
    attributes.update((key, definition.attributes[key]) for key, _ in index.keys)
    params = {
        "TableName": description.name,
        # Every key attribute of the table and its indexes: some servers replace the list.
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t} for n, t in sorted(attributes.items())
        ],
        "GlobalSecondaryIndexUpdates": [{"Create": gsi_params(definition, index)}],
    }
    await session.send("UpdateTable", params)
    return await _wait_for(
        session,
        description.name,
        seconds,
        lambda table: table.active and any(i.name == index.name for i in table.indexes),
        f"ACTIVE with index {index.name}",
    )


async def _drop_gsi(
    session: Session, name: str, index_name: str, seconds: float
) -> TableDescription:
    params = {
        "TableName": name,
        "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": index_name}}],
    }
    await session.send("UpdateTable", params)
    return await _wait_for(
        session,
        name,
        seconds,
        lambda table: table.active and all(i.name != index_name for i in table.indexes),
        f"ACTIVE without index {index_name}",
    )


async def _update(
    session: Session, name: str, params: dict[str, Any], seconds: float
) -> TableDescription:
    await session.send("UpdateTable", {"TableName": name, **params})
    return await _wait_for_table(session, name, seconds)


def _billing_params(definition: TableDefinition, description: TableDescription) -> dict[str, Any]:
    """``UpdateTable`` parameters giving the table (and its GSIs) the declared billing."""
    capacity = throughput(definition.options)
    if capacity is None:
        return {"BillingMode": "PAY_PER_REQUEST"}
    raw = description.raw
    switching = description.billing_mode != "PROVISIONED"
    params: dict[str, Any] = {"BillingMode": "PROVISIONED"}
    if switching or _units(raw.get("ProvisionedThroughput")) != capacity:
        params["ProvisionedThroughput"] = capacity
    # Switching needs the capacity of every GSI; otherwise only those that differ change.
    updates = [
        {"Update": {"IndexName": index["IndexName"], "ProvisionedThroughput": capacity}}
        for index in raw.get("GlobalSecondaryIndexes") or ()
        if switching or _units(index.get("ProvisionedThroughput")) != capacity
    ]
    if updates:
        params["GlobalSecondaryIndexUpdates"] = updates
    return params


def _units(value: Mapping[str, Any] | None) -> dict[str, int]:
    value = value or {}
    return {
        "ReadCapacityUnits": int(value.get("ReadCapacityUnits", 0)),
        "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 0)),
    }


async def _change_stream(
    session: Session, definition: TableDefinition, description: TableDescription, seconds: float
) -> None:
    # A stream's view type cannot change in place: the stream is disabled, then a new one
    # (with a new ARN) enabled.
    spec = description.raw.get("StreamSpecification") or {}
    if spec.get("StreamEnabled"):
        off = {"StreamSpecification": {"StreamEnabled": False}}
        await _update(session, description.name, off, seconds)
    view = definition.options.stream
    if view is not None:
        on = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": view}}
        await _update(session, description.name, on, seconds)


async def describe_table(session: Session, model: type) -> TableDescription:
    """DynamoDB's description of the model's table.

    Raises:
        TableNotFound: the table does not exist.
    """
    return await _describe(session, session.table_name(model))


async def _describe(session: Session, name: str) -> TableDescription:
    response = await session.send("DescribeTable", {"TableName": name})
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
        await _poll_until(session, name, wait_seconds, lambda table: table is None, "deleted")


async def _wait_for_table(session: Session, name: str, seconds: float) -> TableDescription:
    return await _wait_for(session, name, seconds, lambda table: table.active, "ACTIVE")


async def _wait_for(
    session: Session,
    name: str,
    seconds: float,
    done: Callable[[TableDescription], bool],
    what: str,
) -> TableDescription:
    """Describe the (existing) table until ``done(description)``."""
    table = await _poll_until(
        session, name, seconds, lambda table: table is not None and done(table), what
    )
    assert table is not None
    return table


async def _poll_until(
    session: Session,
    name: str,
    seconds: float,
    done: Callable[[TableDescription | None], bool],
    what: str,
) -> TableDescription | None:
    """Describe the table until ``done(description)`` (``None``: it does not exist)."""
    # DynamoDB has no change notification for tables: polling with back-off is the only way.
    delay = 0.05
    with anyio.move_on_after(seconds):
        while True:
            table: TableDescription | None
            try:
                table = await _describe(session, name)
            except TableNotFound:
                table = None
            if done(table):
                return table
            await anyio.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise DeadlineExceeded(
        f"table {name} was not {what} within {seconds} s",
        operation="DescribeTable",
        table=name,
    )
