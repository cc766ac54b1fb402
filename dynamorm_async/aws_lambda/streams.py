"""DynamoDB Streams on Lambda: typed records, and a batch processor that reports partial failures.

A Lambda function subscribed to a table's stream gets events of up to 10,000 records. Here
each record becomes a :class:`StreamRecord` whose ``new`` and ``old`` images are model
instances decoded by the DB's codec, and :func:`process_stream` runs a handler per record::

    from dynamorm_async.aws_lambda import get_db, lambda_handler
    from dynamorm_async.aws_lambda.streams import StreamRecord, process_stream

    async def on_payment(record: StreamRecord[Payment]) -> None:
        if record.event_name == "MODIFY" and "status" in record.changes():
            ...

    @lambda_handler
    async def handler(event, context):
        return await process_stream(event, on_payment, db=get_db(), models=Payment, concurrency=8)

Routing: a record's table is the table in its ``eventSourceARN``; ``models`` name the model
of each physical table (the config's ``table_prefix`` included, as :meth:`DB.table_name`
gives it). A record of any other table raises :class:`~dynamorm_async.UnroutableRecord`
(naming the table) before any handler runs: a function subscribed to a table it has no model
for is misconfigured, and skipping the records would lose them.

Ordering and failures: records with the same partition key run one after the other in
stream order; different partition keys run concurrently (at most ``concurrency`` handlers at
once). When a record fails (its handler raises, or its image does not fit the model), the
rest of its partition is not run, and the response Lambda expects for
``ReportBatchItemFailures`` lists that record and every later record of the partition.
Records of other partitions are not affected. Lambda resumes the shard from the lowest
sequence number reported, so successful records after it are delivered again: handlers
must be idempotent (see :mod:`dynamorm_async.idempotency`).

Deadline: the processor stops at the DB's deadline (:attr:`DB.deadline`: the one
``lambda_handler`` binds for the invocation, or a ``with_deadline``/``with_lambda_context``
view's). Handlers still running are cancelled, and every record not finished by then is
reported as failed, so Lambda delivers it again; none is dropped.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import math
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Generic, Literal, TypedDict, TypeVar, overload

import anyio
import attrs

from .._schema import model_meta
from ..errors import (
    DecodeError,
    DynamORMError,
    StreamImageMissing,
    UnroutableRecord,
    ValidationError,
)
from ..table_options import StreamView as StreamViewType

if TYPE_CHECKING:
    from ..db import DB

__all__ = [
    "BatchItemFailure",
    "BatchResponse",
    "ChangedFields",
    "EventName",
    "StreamRecord",
    "StreamViewType",
    "decode_stream",
    "process_stream",
]

T = TypeVar("T")

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
"""What happened to the item."""

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
"""The ``userIdentity.principalId`` of a deletion made by DynamoDB's TTL process."""

_EVENT_NAMES = frozenset(typing.get_args(EventName))
_VIEW_TYPES = frozenset(typing.get_args(StreamViewType))
_log = logging.getLogger(__name__)


class BatchItemFailure(TypedDict):
    """One record Lambda must deliver again: ``{"itemIdentifier": sequence_number}``."""

    itemIdentifier: str


class BatchResponse(TypedDict):
    """The answer to a stream batch with ``ReportBatchItemFailures`` enabled."""

    batchItemFailures: list[BatchItemFailure]


@attrs.frozen
class ChangedFields(Generic[T]):
    """The fields a MODIFY changed: ``old`` and ``new`` compared field by field.

    ``"status" in changes`` tells whether a field changed (an unknown field name is a
    :class:`~dynamorm_async.ValidationError`, not a silent ``False``); iterating gives the changed
    fields' Python names in declaration order; :meth:`before` and :meth:`after` give a
    field's two values.

    Attributes:
        names: The changed fields' Python names, in declaration order.
        old: The item before the change.
        new: The item after it.
    """

    names: tuple[str, ...]
    old: T
    new: T

    @classmethod
    def between(cls, old: T, new: T) -> ChangedFields[T]:
        """Compare two instances of one model.

        Raises:
            ValidationError: ``old`` and ``new`` are not instances of the same model.
        """
        if type(old) is not type(new):
            raise ValidationError(
                f"cannot compare a {type(old).__name__} with a {type(new).__name__}"
            )
        names = tuple(
            field.name
            for field in model_meta(type(old)).fields
            if getattr(old, field.name) != getattr(new, field.name)
        )
        return cls(names, old, new)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            raise ValidationError(f"a field name is a str, not {type(name).__name__}")
        model_meta(type(self.old)).field(name)  # ValidationError for a name the model lacks
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def before(self, name: str) -> Any:
        """The field's value in the old image."""
        model_meta(type(self.old)).field(name)
        return getattr(self.old, name)

    def after(self, name: str) -> Any:
        """The field's value in the new image."""
        model_meta(type(self.new)).field(name)
        return getattr(self.new, name)


@attrs.frozen(kw_only=True)
class StreamRecord(Generic[T]):
    """One DynamoDB Streams record, decoded into the model of its table.

    Attributes:
        model: The model class of the record's table.
        table: The physical table name (from the event source ARN).
        event_id: Lambda's ``eventID``.
        event_name: ``"INSERT"``, ``"MODIFY"`` or ``"REMOVE"``.
        keys: The item's key fields by Python name, e.g. ``{"id": "p-1"}``.
        new: The item after the change, or ``None`` when the record has no new image (a
            REMOVE, or a KEYS_ONLY / OLD_IMAGE stream). Never a partly filled model.
        old: The item before the change, or ``None`` (an INSERT, or a KEYS_ONLY /
            NEW_IMAGE stream).
        sequence_number: The record's position in its shard (what Lambda retries from).
        approximate_creation_time: When the change was made (UTC).
        size_bytes: The record's size as DynamoDB counts it.
        view_type: The stream's view type.
        is_ttl_deletion: A REMOVE made by DynamoDB's TTL process, not by a client.
        event_source_arn: The stream's ARN.
    """

    model: type[T]
    table: str
    event_id: str
    event_name: EventName
    keys: Mapping[str, Any]
    new: T | None
    old: T | None
    sequence_number: str
    approximate_creation_time: dt.datetime
    size_bytes: int
    view_type: StreamViewType
    is_ttl_deletion: bool
    event_source_arn: str

    def changes(self) -> ChangedFields[T]:
        """The fields this MODIFY changed (needs a NEW_AND_OLD_IMAGES stream).

        Raises:
            StreamImageMissing: The record lacks the old or the new image (an INSERT or
                REMOVE, or a stream whose view type does not carry both).
        """
        if self.old is None or self.new is None:
            missing = "old" if self.old is None else "new"
            raise StreamImageMissing(
                f"{self.event_name} record {self.sequence_number} has no {missing} image "
                f"(stream view type {self.view_type}): changes() needs both",
                table=self.table,
            )
        return ChangedFields.between(self.old, self.new)


# -- decoding ---------------------------------------------------------------------------------


class _Router:
    """Physical table name → model, for one DB's table prefix."""

    def __init__(self, db: DB, models: type | Sequence[type]) -> None:
        listed = (models,) if isinstance(models, type) else tuple(models)
        if not listed:
            raise ValidationError("models: name the model of each table the stream comes from")
        self.db = db
        self.by_table: dict[str, type] = {}
        for model in listed:
            name = db.table_name(model)
            other = self.by_table.setdefault(name, model)
            if other is not model:
                raise ValidationError(
                    f"{other.__name__} and {model.__name__} are both stored in table {name}: "
                    "a stream's records are routed by table, one model per table"
                )

    def route(self, raw: Mapping[str, Any], where: str) -> tuple[str, type]:
        arn = _text(raw, "eventSourceARN", where)
        table = _table_of(arn, where)
        model = self.by_table.get(table)
        if model is None:
            known = ", ".join(sorted(self.by_table))
            raise UnroutableRecord(
                f"{where}: no model for table {table} (models are given for: {known})",
                table=table,
            )
        return table, model


def _table_of(arn: str, where: str) -> str:
    # arn:aws:dynamodb:us-east-1:123456789012:table/payments/stream/2024-06-11T09:00:00.000
    parts = arn.split(":", 5)
    resource = parts[5].split("/") if len(parts) == 6 else []
    if (
        parts[0] != "arn"
        or parts[2:3] != ["dynamodb"]
        or len(resource) < 2
        or resource[0] != "table"
    ):
        raise DecodeError(f"{where}: eventSourceARN {arn!r} is not a DynamoDB stream ARN")
    return resource[1]


def _text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise DecodeError(f"{where}: {name} is missing or not a string", path=name)
    return value


def _creation_time(value: Any, where: str) -> dt.datetime:
    # Lambda sends epoch seconds (a JSON number); botocore's GetRecords gives a datetime.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        if isinstance(value, bool):
            raise TypeError
        seconds = Decimal(str(value))
        if not seconds.is_finite():
            raise ValueError
    except (TypeError, ValueError, InvalidOperation):
        raise DecodeError(
            f"{where}: ApproximateCreationDateTime {value!r} is not epoch seconds",
            path="dynamodb.ApproximateCreationDateTime",
        ) from None
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return dt.datetime.fromtimestamp(whole, dt.UTC) + dt.timedelta(microseconds=micros)


def _partition(table: str, keys: Mapping[str, Any], pk_stored: str) -> str:
    """The partition of a record: its table and its partition key's stored value."""
    value = keys.get(pk_stored, keys)
    return table + "\x00" + json.dumps(value, sort_keys=True, default=_json_bytes)


def _json_bytes(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"{type(value).__name__} is not an AttributeValue part")


@attrs.define
class _Entry:
    """One record of a batch on its way through :func:`process_stream`."""

    sequence_number: str
    partition: str
    table: str
    record: StreamRecord[Any] | None = None
    error: Exception | None = None
    done: bool = False


def _envelope(
    router: _Router, raw: Any, index: int
) -> tuple[str, str, type, Mapping[str, Any], Mapping[str, Any]]:
    """Route one raw record: (sequence number, table, model, ``dynamodb`` part, Keys)."""
    where = f"Records[{index}]"
    if not isinstance(raw, Mapping):
        raise DecodeError(f"{where} is a {type(raw).__name__}, not a stream record")
    if raw.get("eventSource", "aws:dynamodb") != "aws:dynamodb":
        raise DecodeError(f"{where}: eventSource {raw.get('eventSource')!r} is not aws:dynamodb")
    change = raw.get("dynamodb")
    if not isinstance(change, Mapping):
        raise DecodeError(f"{where}: the 'dynamodb' part is missing", path="dynamodb")
    sequence_number = _text(change, "SequenceNumber", where)
    keys = change.get("Keys")
    if not isinstance(keys, Mapping) or not keys:
        raise DecodeError(f"{where}: dynamodb.Keys is missing", path="dynamodb.Keys")
    table, model = router.route(raw, where)
    return sequence_number, table, model, change, keys


def _decode(
    db: DB, raw: Mapping[str, Any], table: str, model: type, change: Mapping[str, Any], where: str
) -> StreamRecord[Any]:
    event_name = raw.get("eventName")
    if event_name not in _EVENT_NAMES:
        raise DecodeError(f"{where}: eventName {event_name!r} is not INSERT, MODIFY or REMOVE")
    codec = db.codec
    meta = model_meta(model)
    raw_keys: Mapping[str, Any] = change["Keys"]
    keys: dict[str, Any] = {}
    for field in meta.key_fields:
        av = raw_keys.get(field.stored)
        if av is None:
            raise DecodeError(
                f"{where}: dynamodb.Keys has no {field.stored!r} ({model.__name__}.{field.name})",
                path=f"dynamodb.Keys.{field.stored}",
                table=table,
            )
        keys[field.name] = codec.decode_value(
            field.type, av, path=f"{where}.dynamodb.Keys.{field.stored}"
        )
    images: dict[str, Any] = {}
    for part in ("NewImage", "OldImage"):
        image = change.get(part)
        if image is None:
            images[part] = None
            continue
        try:
            images[part] = codec.decode(model, image)
        except DecodeError as exc:
            raise DecodeError(
                f"{where}.dynamodb.{part}: {exc.message}", path=exc.path, table=table
            ) from exc
    identity = raw.get("userIdentity") or {}
    size = change.get("SizeBytes", 0)
    if isinstance(size, bool) or not isinstance(size, int):
        raise DecodeError(
            f"{where}: SizeBytes {size!r} is not an integer", path="dynamodb.SizeBytes"
        )
    view_type = change.get("StreamViewType", "KEYS_ONLY")
    if view_type not in _VIEW_TYPES:
        raise DecodeError(
            f"{where}: StreamViewType {view_type!r} is not one of {sorted(_VIEW_TYPES)}",
            path="dynamodb.StreamViewType",
        )
    return StreamRecord(
        model=model,
        table=table,
        event_id=str(raw.get("eventID", "")),
        event_name=typing.cast("EventName", event_name),
        keys=keys,
        new=images["NewImage"],
        old=images["OldImage"],
        sequence_number=change["SequenceNumber"],
        approximate_creation_time=_creation_time(change.get("ApproximateCreationDateTime"), where),
        size_bytes=size,
        view_type=view_type,
        is_ttl_deletion=(
            event_name == "REMOVE"
            and isinstance(identity, Mapping)
            and identity.get("type") == "Service"
            and identity.get("principalId") == TTL_PRINCIPAL
        ),
        event_source_arn=raw["eventSourceARN"],
    )


def _raw_records(event: Any) -> list[Any]:
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise DecodeError("not a DynamoDB Streams event: it has no 'Records' list")
    return records


@overload
def decode_stream(
    event: Mapping[str, Any], *, db: DB, models: type[T]
) -> list[StreamRecord[T]]: ...


@overload
def decode_stream(
    event: Mapping[str, Any], *, db: DB, models: Sequence[type]
) -> list[StreamRecord[Any]]: ...


def decode_stream(
    event: Mapping[str, Any], *, db: DB, models: type | Sequence[type]
) -> list[StreamRecord[Any]]:
    """Decode every record of a Lambda DynamoDB Streams event, in order.

    Args:
        event: The event Lambda passed to the handler (``{"Records": [...]}``).
        db: The DB whose codec decodes the images and whose config names the tables.
        models: The model of each table the records come from (one model, or several).

    Raises:
        UnroutableRecord: A record comes from a table none of ``models`` is stored in.
        DecodeError: A record is malformed or its image does not fit the model.
    """
    router = _Router(db, models)
    decoded: list[StreamRecord[Any]] = []
    for index, raw in enumerate(_raw_records(event)):
        _, table, model, change, _ = _envelope(router, raw, index)
        decoded.append(_decode(db, raw, table, model, change, f"Records[{index}]"))
    return decoded


# -- processing -------------------------------------------------------------------------------

Handler = Callable[[StreamRecord[T]], Awaitable[object]]
"""``async def handler(record) -> anything``: the result is ignored; raising fails the record."""


@overload
async def process_stream(
    event: Mapping[str, Any],
    handler: Handler[T],
    *,
    db: DB,
    models: type[T],
    concurrency: int = ...,
) -> BatchResponse: ...


@overload
async def process_stream(
    event: Mapping[str, Any],
    handler: Handler[Any],
    *,
    db: DB,
    models: Sequence[type],
    concurrency: int = ...,
) -> BatchResponse: ...


async def process_stream(
    event: Mapping[str, Any],
    handler: Handler[Any],
    *,
    db: DB,
    models: type | Sequence[type],
    concurrency: int = 1,
) -> BatchResponse:
    """Run ``handler`` on every record of a stream event; return the batch's failures.

    Records of one partition key run in stream order, one at a time; partitions run
    concurrently. A record fails when its image does not decode or its handler raises an
    ``Exception`` (logged on the ``dynamorm_async.aws_lambda.streams`` logger, with its
    traceback); the rest of that partition is then not run. At ``db``'s deadline the
    handlers still running are cancelled. See the module's documentation.

    Args:
        event: The Lambda event (``{"Records": [...]}``).
        handler: ``async def handler(record: StreamRecord[Model])``.
        db: Decodes the records, names the tables, and sets the deadline.
        models: The model of each table the records come from.
        concurrency: Handlers running at once at most (>= 1). Each of that many workers
            takes the next partition (in the order of their first records) and runs its
            records; with ``1``, the partitions run one after the other.

    Returns:
        ``{"batchItemFailures": [{"itemIdentifier": sequence_number}, ...]}``: for each
        partition with a failure, its first failed or unfinished record and all later ones,
        in stream order; an empty list when every record succeeded.

    Raises:
        UnroutableRecord: A record's table has no model (nothing was run).
        DecodeError: The event is not a stream event, or a record lacks its sequence number,
            keys or event source (nothing was run).
        ValueError: ``concurrency`` is not an int >= 1.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, not {concurrency!r}")
    router = _Router(db, models)
    entries: list[_Entry] = []
    partitions: dict[str, list[_Entry]] = {}
    for index, raw in enumerate(_raw_records(event)):
        sequence_number, table, model, change, keys = _envelope(router, raw, index)
        entry = _Entry(sequence_number, _partition(table, keys, model_meta(model).pk.stored), table)
        try:
            entry.record = _decode(db, raw, table, model, change, f"Records[{index}]")
        except DynamORMError as exc:  # this record fails, the batch goes on
            entry.error = exc
        entries.append(entry)
        partitions.setdefault(entry.partition, []).append(entry)

    queue = iter(partitions.values())

    async def worker() -> None:
        for partition in queue:  # shared iterator: each partition goes to one worker
            for entry in partition:
                if not await _run(entry, handler):
                    break

    deadline = db.deadline
    with anyio.CancelScope(deadline=math.inf if deadline is None else deadline) as scope:
        async with anyio.create_task_group() as group:
            for _ in range(min(concurrency, len(partitions))):
                group.start_soon(worker)
    failed = [entry for entry in entries if not entry.done]
    if scope.cancelled_caught:
        unfinished = sum(entry.error is None for entry in failed)
        _log.warning(
            "stream batch stopped at its deadline: %d of %d records reported for retry "
            "(%d not finished)",
            len(failed),
            len(entries),
            unfinished,
        )
    return {"batchItemFailures": [{"itemIdentifier": e.sequence_number} for e in failed]}


async def _run(entry: _Entry, handler: Handler[Any]) -> bool:
    """Handle one record; ``False`` when it failed (its partition stops)."""
    if entry.error is None:
        assert entry.record is not None
        try:
            await handler(entry.record)
        except Exception as exc:
            entry.error = exc
        else:
            entry.done = True
            return True
    _log.error(
        "stream record %s of table %s failed; it and the later records of its partition "
        "are reported for retry",
        entry.sequence_number,
        entry.table,
        exc_info=entry.error,
    )
    return False
