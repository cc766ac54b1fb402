"""Batch writes and reads: chunks sent concurrently, partial answers retried, nothing dropped.

**Planning.** Writes are cut into ``BatchWriteItem`` requests of at most 25 puts/deletes
(:data:`WRITE_CHUNK`), in input order; one request may hold several tables. Reads are cut
into ``BatchGetItem`` requests of at most 100 distinct keys (:data:`GET_CHUNK`). Everything
is encoded and checked before the first request is sent: two writes of the same item
anywhere in one call raise :class:`ValidationError` (DynamoDB rejects them in one request,
and in two concurrent requests their order would be a race).

**Fan-out.** Every chunk is a task of one fan-out (which never raises an ExceptionGroup);
an :class:`anyio.CapacityLimiter` keeps at most ``concurrency`` of them in flight
(``Config.batch_concurrency`` unless the call says otherwise).

**Retries** (see :mod:`dynamorm_async.retry`). A chunk resends what DynamoDB left in
``UnprocessedItems`` / ``UnprocessedKeys`` — and the whole chunk after a
:class:`Throttled` or :class:`TransportError` that outlived botocore's own retries — after a
full-jitter back-off, up to ``Config.batch_max_attempts`` requests in all. Puts and deletes
are idempotent and their items are encoded once, before the first request, so a resend can
never bump a version twice.

**Failures.** A chunk that fails for another reason (the table is missing, a request is
invalid...) fails *hard*: chunks already in flight still finish, with their retries;
chunks not started yet are not sent. The call then raises
:class:`~dynamorm_async.errors.BatchWriteError` naming exactly what was not written
(chained from the failure). When the DB view's deadline ends a request, the other chunks
are cancelled and :class:`~dynamorm_async.errors.BatchDeadlineExceeded` (a
``BatchWriteError`` and a ``DeadlineExceeded``) says the same; the ORM also stops instead
of starting a back-off that would end after the deadline.

**Lifecycle.** Batch writes take no conditions. ``batch_create`` writes version 0 and both
timestamps, unconditionally (as ``create`` without ``if_not_exists``). A *versioned* model
cannot be put or deleted by a batch with its version check, so it is rejected unless the
caller passes ``unconditional=True``: then puts write version + 1 and deletes delete,
without looking at the stored version. Lifecycle values are copied onto an instance only
once its write is confirmed, so the instances in ``unprocessed`` are unchanged and can be
written again as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

import anyio
import attrs

from . import _keys, lifecycle
from ._fanout import run_all
from ._schema import ModelMeta, model_meta
from .codec import Item
from .errors import (
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
    DeadlineExceeded,
    DynamORMError,
    Throttled,
    TransportError,
    ValidationError,
    masked,
    masked_key,
)
from .expr import Path, Placeholders, projection
from .retry import Backoff, Stop

if TYPE_CHECKING:
    from .db import DB

__all__ = [
    "GET_CHUNK",
    "WRITE_CHUNK",
    "BatchGetResult",
    "BatchResult",
    "KeyRef",
    "get",
    "write",
]

WRITE_CHUNK = 25
"""Puts and deletes per ``BatchWriteItem`` request (DynamoDB's limit)."""

GET_CHUNK = 100
"""Keys per ``BatchGetItem`` request (DynamoDB's limit)."""

KeyRef: TypeAlias = tuple[type, Mapping[str, Any]]
"""An item named by its model and key fields: ``(Payment, {"id": "p-1"})``."""

T = TypeVar("T")
R = TypeVar("R")

WriteMode = Literal["create", "put"]

_RETRYABLE = (Throttled, TransportError)


# -- results -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BatchResult:
    """What a batch write did.

    Attributes:
        written: Puts and deletes DynamoDB confirmed.
        requests: ``BatchWriteItem`` requests the ORM sent (botocore's own retries of one
            request are not counted).
        retries: How many of those requests were retries.
        consumed_capacity: Write capacity units DynamoDB reported, by physical table name.
        unprocessed_puts: Items not confirmed (only with ``raise_on_unprocessed=False``;
            otherwise :class:`BatchWriteError` carries them).
        unprocessed_deletes: Deletes not confirmed, as passed (instances or ``(Model, key)``).
    """

    written: int
    requests: int
    retries: int
    consumed_capacity: Mapping[str, Decimal]
    unprocessed_puts: list[Any] = attrs.field(factory=list)
    unprocessed_deletes: list[Any] = attrs.field(factory=list)

    @property
    def unprocessed(self) -> list[Any]:
        """Everything not confirmed: the puts, then the deletes."""
        return [*self.unprocessed_puts, *self.unprocessed_deletes]


@attrs.frozen(kw_only=True)
class BatchGetResult(Generic[T]):
    """What a batch read found. Iterating it yields :attr:`items`.

    Attributes:
        items: The items found, in the order of their keys in the input.
        missing: The keys (as passed) that have no item, in input order.
        unprocessed: Keys not read (only with ``raise_on_unprocessed=False``).
        requests: ``BatchGetItem`` requests the ORM sent.
        retries: How many of those requests were retries.
        consumed_capacity: Read capacity units DynamoDB reported, by physical table name.
    """

    items: list[T]
    missing: list[Mapping[str, Any]]
    unprocessed: list[Mapping[str, Any]] = attrs.field(factory=list)
    requests: int = 0
    retries: int = 0
    consumed_capacity: Mapping[str, Decimal] = attrs.field(factory=dict)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _add_capacity(totals: dict[str, Decimal], consumed: Any) -> None:
    for entry in consumed or ():
        units = entry.get("CapacityUnits")
        if units is not None:
            # botocore parses capacity as float; str() keeps its shortest exact spelling.
            table = str(entry.get("TableName"))
            totals[table] = totals.get(table, Decimal(0)) + Decimal(str(units))


# -- the executor ----------------------------------------------------------------------------


@attrs.define(eq=False)
class _Chunk(Generic[R]):
    pending: list[R]
    error: DynamORMError | None = None


@attrs.define(eq=False)
class _Run:
    requests: int = 0
    retries: int = 0
    hard: DynamORMError | None = None
    deadline: DeadlineExceeded | None = None
    out_of_time: bool = False


async def _fan_out(
    db: DB,
    operation: str,
    chunks: Sequence[_Chunk[R]],
    build: Callable[[list[R]], dict[str, Any]],
    settle: Callable[[list[R], dict[str, Any]], list[R]],
    concurrency: int | None,
) -> _Run:
    """Send every chunk, at most ``concurrency`` at once, retrying what is left.

    It raises no DynamORMError itself: what was not done stays in the chunks' ``pending``,
    and the returned run tells why.
    """
    limit = db.config.batch_concurrency if concurrency is None else concurrency
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"concurrency must be an integer >= 1, not {concurrency!r}")
    limiter = anyio.CapacityLimiter(limit)
    backoff = Backoff.for_batches(db.config)
    run = _Run()

    async def drive(chunk: _Chunk[R], scope: anyio.CancelScope) -> None:
        async with limiter:
            if run.hard is not None:
                return  # a chunk failed hard: do not start more
            attempts = 0
            while True:
                attempts += 1
                run.requests += 1
                if attempts > 1:
                    run.retries += 1
                try:
                    response = await db._call(operation, build(chunk.pending))
                    chunk.pending = settle(chunk.pending, response)
                    chunk.error = None
                except DeadlineExceeded as exc:
                    run.deadline = run.deadline or exc
                    scope.cancel()  # no time left for the other chunks either
                    return
                except _RETRYABLE as exc:
                    chunk.error = exc
                except DynamORMError as exc:
                    chunk.error = exc
                    run.hard = run.hard or exc
                    return
                if not chunk.pending:
                    return
                stop = await backoff.pause(attempts, deadline=db.deadline)
                if stop is Stop.DEADLINE:
                    run.out_of_time = True
                    return
                if stop is Stop.ATTEMPTS:
                    return

    with anyio.CancelScope() as scope:
        await run_all(functools.partial(drive, chunk, scope) for chunk in chunks)
    return run


def _chunks(requests: Sequence[R], size: int) -> list[_Chunk[R]]:
    return [_Chunk(list(requests[i : i + size])) for i in range(0, len(requests), size)]


def _last_error(chunks: Iterable[_Chunk[Any]]) -> DynamORMError | None:
    errors = [chunk.error for chunk in chunks if chunk.pending and chunk.error is not None]
    return errors[-1] if errors else None


# -- writes ----------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Write:
    table: str
    request: dict[str, Any]
    fingerprint: _keys.Fingerprint
    source: Any
    is_put: bool
    stamp: lifecycle.Stamp | None = None


class _WritePlan:
    """Encodes puts and deletes, checks them, and remembers each table's key names."""

    def __init__(self, db: DB, *, unconditional: bool) -> None:
        self.db = db
        self.unconditional = unconditional
        self.now = lifecycle.utcnow()
        self.writes: list[_Write] = []
        self.key_names: dict[str, tuple[str, ...]] = {}
        self._items = _keys.Claims()

    def _table(self, meta: ModelMeta) -> str:
        table = self.db.config.table_name(meta.table)
        names = _keys.key_names(meta)
        known = self.key_names.setdefault(table, names)
        if known != names:
            raise ValidationError(
                f"models of table {table} disagree on its key attributes: {known} and {names}"
            )
        return table

    def _versioned(self, meta: ModelMeta, what: str) -> None:
        if meta.version is not None and not self.unconditional:
            raise ValidationError(
                f"{meta.cls.__name__} has a version() field and BatchWriteItem cannot check "
                f"it: {what} such items one by one with {what}() or in a transaction, or pass "
                "unconditional=True to write them without the version check"
            )

    def _add(self, write: _Write) -> None:
        first = self._items.claim(write.fingerprint, len(self.writes))
        if first is not None:
            raise ValidationError(
                f"one batch cannot write the same item twice: writes {first} and "
                f"{len(self.writes)} both target {_describe_key(write)} in table {write.table}"
            )
        self.writes.append(write)

    def put(self, item: Any, mode: WriteMode) -> None:
        if isinstance(item, type | tuple):
            raise ValidationError(f"batch puts take model instances, not {type(item).__name__}")
        meta = model_meta(type(item))
        codec = self.db.codec
        if mode == "create":
            stamp = lifecycle.on_create(codec, item, now=self.now)
        else:
            self._versioned(meta, "put")
            stamp = lifecycle.on_put(codec, item, now=self.now, check_version=False)
        encoded = lifecycle.put_item(codec, item, stamp)
        table = self._table(meta)
        fingerprint = _keys.fingerprint(table, self.key_names[table], encoded)
        self._add(_Write(table, {"PutRequest": {"Item": encoded}}, fingerprint, item, True, stamp))

    def delete(self, target: Any) -> None:
        codec = self.db.codec
        key: Item
        if isinstance(target, tuple):
            if len(target) != 2 or not isinstance(target[0], type):
                raise ValidationError(
                    "a delete by key is a (Model, {field: value}) pair, not a "
                    f"{type(target).__name__} of {len(target)}"
                )
            model, fields = target
            meta = model_meta(model)
            key = codec.encode_key(model, fields)
        elif isinstance(target, type):
            raise ValidationError(
                f"deletes take instances or (Model, key) pairs, not the class {target.__name__}"
            )
        else:
            meta = model_meta(type(target))
            self._versioned(meta, "delete")
            key = codec.key_of(target)
        table = self._table(meta)
        fingerprint = _keys.fingerprint(table, self.key_names[table], key)
        self._add(_Write(table, {"DeleteRequest": {"Key": key}}, fingerprint, target, False))


def _describe_key(write: _Write) -> str:
    # Key values are data (emails, account numbers): only masked in messages.
    parts = [masked(dict([part])) for part in write.fingerprint[1:] if isinstance(part, tuple)]
    return f"the key ({', '.join(parts)})"


async def write(
    db: DB,
    *,
    puts: Iterable[Any] = (),
    deletes: Iterable[Any] = (),
    mode: WriteMode = "put",
    unconditional: bool = False,
    concurrency: int | None = None,
    raise_on_unprocessed: bool = True,
) -> BatchResult:
    """Write ``puts`` and ``deletes`` with ``BatchWriteItem``; see the module docstring.

    Args:
        db: The DB (view) to send through; its deadline bounds the whole batch.
        puts: Model instances to write.
        deletes: Instances, or ``(Model, key)`` pairs, to delete.
        mode: ``"create"`` (version 0, both timestamps) or ``"put"`` (version + 1,
            ``updated_at``) for the puts.
        unconditional: Allow versioned models, written without their version check.
        concurrency: Requests in flight at most; ``Config.batch_concurrency`` if ``None``.
        raise_on_unprocessed: Raise :class:`BatchWriteError` for what is left after the
            retries (default), or return it in :attr:`BatchResult.unprocessed`.

    Raises:
        ValidationError: Before sending: two writes of one item, a versioned model
            without ``unconditional``, a bad key.
        EncodeError: Before sending: an item cannot be stored.
        BatchWriteError: Some items were not written (``unprocessed``, ``written``).
        BatchDeadlineExceeded: The deadline came first (also a ``BatchWriteError``).
    """
    plan = _WritePlan(db, unconditional=unconditional)
    for item in puts:
        plan.put(item, mode)
    for target in deletes:
        plan.delete(target)
    chunks = _chunks(plan.writes, WRITE_CHUNK)
    written = 0
    capacity: dict[str, Decimal] = {}

    def build(pending: list[_Write]) -> dict[str, Any]:
        request_items: dict[str, list[dict[str, Any]]] = {}
        for w in pending:
            request_items.setdefault(w.table, []).append(w.request)
        return {"RequestItems": request_items, "ReturnConsumedCapacity": "TOTAL"}

    def settle(pending: list[_Write], response: dict[str, Any]) -> list[_Write]:
        nonlocal written
        left = _unprocessed_writes(response.get("UnprocessedItems"), plan.key_names, pending)
        _add_capacity(capacity, response.get("ConsumedCapacity"))
        remaining: list[_Write] = []
        for w in pending:
            if w.fingerprint in left:
                remaining.append(w)
                continue
            written += 1
            if w.stamp is not None:
                lifecycle.apply(w.source, w.stamp)
        return remaining

    run = await _fan_out(db, "BatchWriteItem", chunks, build, settle, concurrency)
    left = [w for chunk in chunks for w in chunk.pending]
    result = BatchResult(
        written=written,
        requests=run.requests,
        retries=run.retries,
        consumed_capacity=capacity,
        unprocessed_puts=[w.source for w in left if w.is_put],
        unprocessed_deletes=[w.source for w in left if not w.is_put],
    )
    summary = f"{written} of {len(plan.writes)} writes confirmed, {len(left)} not"
    error: type[BatchWriteError] = BatchWriteError
    cause: DynamORMError | None
    if run.deadline is not None or run.out_of_time:
        why = "the deadline came" if run.deadline else "no time is left for another retry"
        error, cause, message = BatchDeadlineExceeded, run.deadline, f"stopped because {why}"
    elif run.hard is not None:
        cause, message = run.hard, f"failed ({type(run.hard).__name__}: {run.hard.message})"
    elif left and raise_on_unprocessed:
        attempts = db.config.batch_max_attempts
        cause, message = _last_error(chunks), f"gave up after {attempts} attempts per chunk"
    else:
        return result
    raise error(
        f"batch write {message}: {summary}",
        unprocessed=result.unprocessed,
        written=written,
        result=result,
        operation="BatchWriteItem",
        table=",".join(sorted(plan.key_names)) or None,
    ) from cause


def _unprocessed_writes(
    unprocessed: Any, key_names: Mapping[str, Sequence[str]], pending: Sequence[_Write]
) -> set[_keys.Fingerprint]:
    """The fingerprints DynamoDB left unprocessed, each checked to be one we sent."""
    sent = {w.fingerprint for w in pending}
    left: set[_keys.Fingerprint] = set()
    for table, requests in (unprocessed or {}).items():
        for request in requests:
            attributes = (request.get("PutRequest") or {}).get("Item") or (
                request.get("DeleteRequest") or {}
            ).get("Key")
            left.add(_known(table, key_names, attributes, sent, "BatchWriteItem"))
    return left


def _known(
    table: str,
    key_names: Mapping[str, Sequence[str]],
    attributes: Any,
    sent: set[_keys.Fingerprint],
    operation: str,
) -> _keys.Fingerprint:
    fingerprint: _keys.Fingerprint | None
    try:
        fingerprint = _keys.fingerprint(table, key_names[table], attributes)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        fingerprint = None
    if fingerprint is None or fingerprint not in sent:
        # Never count as done what the answer does not account for: resend the chunk.
        described = (
            masked_key(attributes) if isinstance(attributes, Mapping) else type(attributes).__name__
        )
        raise TransportError(
            f"the answer names an item or key that was not requested: {described}",
            operation=operation,
            table=table,
        )
    return fingerprint


# -- reads -----------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Get:
    key: Item
    fingerprint: _keys.Fingerprint


async def get(
    db: DB,
    model: type[T],
    keys: Iterable[Mapping[str, Any]],
    *,
    consistent: bool = False,
    select: Iterable[str] | None = None,
    concurrency: int | None = None,
    raise_on_unprocessed: bool = True,
) -> BatchGetResult[T]:
    """Read items by key with ``BatchGetItem``; see :meth:`DB.batch_get`."""
    meta = model_meta(model)
    table = db.config.table_name(meta.table)
    names = _keys.key_names(meta)
    given = list(keys)
    positions: list[_keys.Fingerprint] = []
    unique: dict[_keys.Fingerprint, _Get] = {}
    for key in given:
        encoded = db.codec.encode_key(model, key)
        fingerprint = _keys.fingerprint(table, names, encoded)
        positions.append(fingerprint)
        unique.setdefault(fingerprint, _Get(encoded, fingerprint))
    extra: dict[str, Any] = {"ConsistentRead": consistent}
    if select is not None:
        extra.update(_projection(meta, select))
    found: dict[_keys.Fingerprint, dict[str, Any]] = {}
    capacity: dict[str, Decimal] = {}

    def build(pending: list[_Get]) -> dict[str, Any]:
        keys_and_attributes = {"Keys": [g.key for g in pending], **extra}
        return {"RequestItems": {table: keys_and_attributes}, "ReturnConsumedCapacity": "TOTAL"}

    def settle(pending: list[_Get], response: dict[str, Any]) -> list[_Get]:
        sent = {g.fingerprint for g in pending}
        left = {
            _known(table, {table: names}, key, sent, "BatchGetItem")
            for key in ((response.get("UnprocessedKeys") or {}).get(table) or {}).get("Keys", ())
        }
        for raw in (response.get("Responses") or {}).get(table, ()):
            found[_known(table, {table: names}, raw, sent, "BatchGetItem")] = raw
        _add_capacity(capacity, response.get("ConsumedCapacity"))
        return [g for g in pending if g.fingerprint in left]

    chunks = _chunks(list(unique.values()), GET_CHUNK)
    run = await _fan_out(db, "BatchGetItem", chunks, build, settle, concurrency)
    if run.deadline is not None:
        raise run.deadline
    if run.hard is not None:
        raise run.hard
    left = {g.fingerprint for chunk in chunks for g in chunk.pending}
    items: list[T] = []
    missing: list[Mapping[str, Any]] = []
    unprocessed: list[Mapping[str, Any]] = []
    for key, fingerprint in zip(given, positions, strict=True):
        raw = found.get(fingerprint)
        if raw is not None:
            items.append(db.codec.decode(model, raw, partial=select is not None))
        elif fingerprint in left:
            unprocessed.append(key)
        else:
            missing.append(key)
    result = BatchGetResult(
        items=items,
        missing=missing,
        unprocessed=unprocessed,
        requests=run.requests,
        retries=run.retries,
        consumed_capacity=capacity,
    )
    if run.out_of_time:
        raise DeadlineExceeded(
            f"batch read stopped, no time left for another retry: {len(unprocessed)} keys not read",
            operation="BatchGetItem",
            table=table,
        )
    if unprocessed and raise_on_unprocessed:
        raise BatchGetError(
            f"batch read gave up after {db.config.batch_max_attempts} attempts per chunk: "
            f"{len(unprocessed)} of {len(given)} keys not read",
            unprocessed=unprocessed,
            result=result,
            operation="BatchGetItem",
            table=table,
        ) from _last_error(chunks)
    return result


def _projection(meta: ModelMeta, select: Iterable[str]) -> dict[str, Any]:
    # The key attributes are always read: without them an item cannot be matched to its key.
    paths = [Path.of(field.stored) for field in meta.key_fields]
    paths.extend(Path.of(meta.field(name).stored) for name in select)
    placeholders = Placeholders()
    return {"ProjectionExpression": projection(paths, placeholders), **placeholders.params()}
