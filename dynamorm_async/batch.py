"""Batch writes and reads: chunks sent concurrently, partial answers retried, nothing dropped.

**Planning** (:mod:`dynamorm_async.planning.batches`). Writes are cut into
``BatchWriteItem`` requests of at most 25 puts/deletes, in input order; one request may
hold several tables. Reads are cut into ``BatchGetItem`` requests of at most 100 distinct
keys. Every key is encoded and checked before the first request is sent: two writes of the
same item anywhere in one call raise :class:`ValidationError` (DynamoDB rejects them in one
request, and in two concurrent requests their order would be a race). The items
themselves are encoded chunk by chunk, just before their chunk is sent, so a batch's CPU
and memory per item do not grow with its size; an item that cannot be encoded fails the
batch there, like any other hard failure (below), and is reported with everything not
written.

**Fan-out.** ``concurrency`` worker tasks (``Config.batch_concurrency`` unless the call
says otherwise) in one anyio task group take the chunks in order, each planning, sending
and settling one chunk at a time.

**Retries** (see :mod:`dynamorm_async._retry`). A chunk resends what DynamoDB left in
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
of starting a back-off that would end after the deadline. Every item not confirmed is
either *unprocessed* (known not written) or of *unknown* outcome: its request may have
been applied (a lost answer the transport retried, a request cut in flight), as the
transport records in a :class:`~dynamorm_async._delivery.Delivery` per request.

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
from typing import Any, Generic, TypeAlias, TypeVar

import anyio
import attrs

from ._delivery import Delivery
from ._fanout import run_all
from ._logging import batch_left, batch_resent
from ._retry import Backoff, Stop
from ._schema import model_meta
from .errors import (
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
    DeadlineExceeded,
    DynamORMError,
    Throttled,
    TransportError,
    ValidationError,
    masked_key,
)
from .expr import Path
from .planning import _keys
from .planning.batches import (
    GET_CHUNK,
    WRITE_CHUNK,
    BatchGetPlan,
    BatchWritePlan,
    Entry,
    KeyEntry,
    WriteMode,
    chunked,
    read_options,
)
from .planning.lifecycle import utcnow
from .planning.writes import WritePlanner
from .progress import ProgressCallback, ProgressTracker
from .session import Session

__all__ = ["BatchGetResult", "BatchResult", "KeyRef", "fetch_keys", "get_items", "write_items"]

KeyRef: TypeAlias = tuple[type, Mapping[str, Any]]
"""An item named by its model and key fields: ``(Payment, {"id": "p-1"})``."""

T = TypeVar("T")
R = TypeVar("R")

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
        unprocessed_puts: Items not written (only with ``raise_on_unprocessed=False``;
            otherwise :class:`BatchWriteError` carries them).
        unprocessed_deletes: Deletes not done, as passed (instances or ``(Model, key)``).
        unknown_puts: Items that may or may not have been written: their request may have
            been applied, but its answer was lost or the deadline cut it in flight.
        unknown_deletes: Deletes whose outcome is unknown likewise, as passed.
    """

    written: int
    requests: int
    retries: int
    consumed_capacity: Mapping[str, Decimal]
    unprocessed_puts: list[Any] = attrs.field(factory=list)
    unprocessed_deletes: list[Any] = attrs.field(factory=list)
    unknown_puts: list[Any] = attrs.field(factory=list)
    unknown_deletes: list[Any] = attrs.field(factory=list)

    @property
    def unprocessed(self) -> list[Any]:
        """Everything known not to be written: the puts, then the deletes."""
        return [*self.unprocessed_puts, *self.unprocessed_deletes]

    @property
    def unknown(self) -> list[Any]:
        """Everything whose outcome is unknown: the puts, then the deletes."""
        return [*self.unknown_puts, *self.unknown_deletes]


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
    doubt: set[int] = attrs.field(factory=set)
    """``id()`` of what was pending in a request that may have been applied (writes)."""

    def doubt_pending(self, delivery: Delivery | None, *, earlier_only: bool) -> None:
        """Put what is pending in doubt if the request may have been applied."""
        if delivery is not None and (
            delivery.retried_after_landing if earlier_only else delivery.may_have_landed
        ):
            self.doubt.update(map(id, self.pending))


@attrs.define(eq=False)
class _Run(Generic[R]):
    requests: int = 0
    retries: int = 0
    hard: Exception | None = None
    """The failure that stopped new chunks: a request's, or an item's that cannot be encoded."""
    deadline: DeadlineExceeded | None = None
    out_of_time: bool = False
    chunks: list[_Chunk[R]] = attrs.field(factory=list)
    """The chunks taken, in input order; their ``pending`` is what is not done."""
    untaken: list[R] = attrs.field(factory=list)
    """What no worker took (after a hard failure or the deadline)."""

    def left(self) -> list[R]:
        """Everything not done, in input order."""
        return [r for chunk in self.chunks for r in chunk.pending] + self.untaken

    def in_doubt(self) -> set[int]:
        """``id()`` of what is not done but may have been (see :attr:`_Chunk.doubt`)."""
        return {id(r) for chunk in self.chunks for r in chunk.pending if id(r) in chunk.doubt}

    def last_error(self) -> DynamORMError | None:
        errors = [c.error for c in self.chunks if c.pending and c.error is not None]
        return errors[-1] if errors else None


async def _fan_out(
    session: Session,
    operation: str,
    sources: Iterator[list[R]],
    count: int,
    prepare: Callable[[list[R]], list[R]],
    build: Callable[[list[R]], dict[str, Any]],
    settle: Callable[[list[R], dict[str, Any]], list[R]],
    concurrency: int | None,
    *,
    writes: bool = False,
    progress: ProgressTracker | None = None,
) -> _Run[R]:
    """Send ``count`` chunks, at most ``concurrency`` at once, retrying what is left.

    Each worker takes the next chunk from ``sources``, ``prepare``s it (plans its
    requests) and sends it until it is done or out of attempts. It raises no
    DynamORMError itself: what was not done stays in the run's chunks (or ``untaken``),
    and the run tells why. With ``writes``, each request's attempts are recorded
    (:class:`~dynamorm_async._delivery.Delivery`) and what may have been written without
    an answer saying so is put in its chunk's doubt. ``progress`` hears of every answer;
    what it raises stops the run like a hard failure.
    """
    limit = session.config.batch_concurrency if concurrency is None else concurrency
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"concurrency must be an int, not {concurrency!r}")
    if limit < 1:
        raise ValidationError(f"concurrency must be >= 1, not {concurrency!r}")
    backoff = Backoff.for_batches(session.config)
    run: _Run[R] = _Run()

    async def drive(chunk: _Chunk[R], scope: anyio.CancelScope) -> None:
        attempts = 0
        while True:
            attempts += 1
            run.requests += 1
            sent = len(chunk.pending)
            params = build(chunk.pending)
            if attempts > 1:
                run.retries += 1
                batch_resent(operation, params, sent, attempts, backoff.max_attempts, chunk.error)
                if progress is not None:
                    progress.resending(sent)
            delivery = Delivery() if writes else None
            try:
                if delivery is None:
                    response = await session.send(operation, params)
                else:
                    with delivery:
                        response = await session.send(operation, params)
                    # What the last attempt left unprocessed an earlier one may have written.
                    chunk.doubt_pending(delivery, earlier_only=True)
                chunk.pending = settle(chunk.pending, response)
                chunk.error = None
            except DeadlineExceeded as exc:
                chunk.doubt_pending(delivery, earlier_only=False)
                run.deadline = run.deadline or exc
                scope.cancel()  # no time left for the other chunks either
                return
            except _RETRYABLE as exc:
                chunk.doubt_pending(delivery, earlier_only=False)
                chunk.error = exc
            except DynamORMError as exc:
                chunk.doubt_pending(delivery, earlier_only=False)
                chunk.error = exc
                run.hard = run.hard or exc
                return
            except BaseException:  # cancelled in flight (another chunk met the deadline)
                chunk.doubt_pending(delivery, earlier_only=False)
                raise
            if progress is not None:
                try:
                    progress.answered(sent - len(chunk.pending))
                except Exception as exc:  # the caller's callback: stops the run, reported
                    run.hard = run.hard or exc
                    return
            if not chunk.pending:
                return
            stop = await backoff.pause(attempts, deadline=session.deadline)
            if stop is Stop.DEADLINE:
                run.out_of_time = True
                return
            if stop is Stop.ATTEMPTS:
                return

    async def worker(scope: anyio.CancelScope) -> None:
        # A hard failure stops new chunks; chunks in flight finish, with their retries.
        while run.hard is None and run.deadline is None:
            source = next(sources, None)
            if source is None:
                return
            chunk = _Chunk(source)
            run.chunks.append(chunk)
            try:
                chunk.pending = prepare(source)
            except Exception as exc:  # an item that cannot be encoded: reported, chained
                run.hard = run.hard or exc
                return
            await drive(chunk, scope)

    with anyio.CancelScope() as scope:
        await run_all(functools.partial(worker, scope) for _ in range(min(limit, count)))
    run.untaken = [r for source in sources for r in source]
    return run


def _known(
    table: str,
    names: Sequence[str] | None,
    attributes: Any,
    sent: set[_keys.Fingerprint],
    operation: str,
) -> _keys.Fingerprint:
    fingerprint: _keys.Fingerprint | None = None
    if names is not None:
        try:
            fingerprint = _keys.fingerprint(table, names, attributes)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            fingerprint = None
    if fingerprint is None or fingerprint not in sent:
        # Never count as done what the answer does not account for: resend the chunk.
        raise TransportError(
            "the answer names an item or key that was not requested: "
            f"{masked_key(attributes) if isinstance(attributes, Mapping) else '?'}",
            operation=operation,
            table=table,
        )
    return fingerprint


def _chunk_count(total: int, size: int) -> int:
    return -(-total // size)


# -- writes ----------------------------------------------------------------------------------


async def write_items(
    session: Session,
    *,
    puts: Iterable[Any] = (),
    deletes: Iterable[Any] = (),
    mode: WriteMode = "put",
    unconditional: bool = False,
    concurrency: int | None = None,
    raise_on_unprocessed: bool = True,
    progress: ProgressCallback | None = None,
) -> BatchResult:
    """Write ``puts`` and ``deletes`` with ``BatchWriteItem``; see the module docstring.

    Args:
        session: The session to send on; its deadline bounds the whole batch.
        puts: Model instances to write.
        deletes: Instances, or ``(Model, key)`` pairs, to delete.
        mode: ``"create"`` (version 0, both timestamps) or ``"put"`` (version + 1,
            ``updated_at``) for the puts.
        unconditional: Allow versioned models, written without their version check.
        concurrency: Requests in flight at most; ``Config.batch_concurrency`` if ``None``.
        raise_on_unprocessed: Raise :class:`BatchWriteError` for what is left after the
            retries (default), or return it in :attr:`BatchResult.unprocessed`.
        progress: Called with a :class:`~dynamorm_async.progress.BatchProgress` after
            each answer.

    Raises:
        TypeError: A put that is not a model instance, a delete that is neither an
            instance nor a ``(Model, key)`` pair.
        ValidationError: Before sending: two writes of one item, a versioned model
            without ``unconditional``, a bad key.
        BatchWriteError: Some items were not written (``unprocessed``, ``written``),
            chained from the cause (an ``EncodeError`` for an item that cannot be stored).
        BatchDeadlineExceeded: The deadline came first (also a ``BatchWriteError``).
    """
    plan = BatchWritePlan(
        WritePlanner(session.codec, session.config, utcnow()),
        mode=mode,
        unconditional=unconditional,
    )
    for item in puts:
        plan.add_put(item)
    for target in deletes:
        plan.add_delete(target)
    total = len(plan.entries)
    written = 0
    capacity: dict[str, Decimal] = {}

    def settle(pending: list[Entry], response: dict[str, Any]) -> list[Entry]:
        nonlocal written
        left = _unprocessed_writes(response.get("UnprocessedItems"), plan.key_names, pending)
        _add_capacity(capacity, response.get("ConsumedCapacity"))
        remaining: list[Entry] = []
        for entry in pending:
            if entry.fingerprint in left:
                remaining.append(entry)
                continue
            written += 1
            assert entry.write is not None
            entry.write.confirm()
            entry.write = None if entry.is_put else entry.write  # let the encoded item go
        return remaining

    run = await _fan_out(
        session,
        "BatchWriteItem",
        chunked(plan.entries, WRITE_CHUNK),
        _chunk_count(total, WRITE_CHUNK),
        plan.plan,
        plan.request,
        settle,
        concurrency,
        writes=True,
        progress=None if progress is None else ProgressTracker("BatchWriteItem", total, progress),
    )
    left = run.left()
    doubt = run.in_doubt()
    unknown = [e for e in left if id(e) in doubt]
    unwritten = [e for e in left if id(e) not in doubt]
    result = BatchResult(
        written=written,
        requests=run.requests,
        retries=run.retries,
        consumed_capacity=capacity,
        unprocessed_puts=[e.source for e in unwritten if e.is_put],
        unprocessed_deletes=[e.source for e in unwritten if not e.is_put],
        unknown_puts=[e.source for e in unknown if e.is_put],
        unknown_deletes=[e.source for e in unknown if not e.is_put],
    )
    summary = (
        f"{written} of {total} writes confirmed, {len(unwritten)} not written, "
        f"{len(unknown)} of unknown outcome"
    )
    tables = ",".join(sorted(plan.key_names)) or None
    error: type[BatchWriteError] = BatchWriteError
    cause: Exception | None
    if run.deadline is not None or run.out_of_time:
        why = "the deadline came" if run.deadline else "no time is left for another retry"
        error, cause, message = BatchDeadlineExceeded, run.deadline, f"stopped because {why}"
    elif run.hard is not None:
        why = getattr(run.hard, "message", str(run.hard))
        cause, message = run.hard, f"failed ({type(run.hard).__name__}: {why})"
    elif left and raise_on_unprocessed:
        attempts = session.config.batch_max_attempts
        cause, message = run.last_error(), f"gave up after {attempts} attempts per chunk"
    else:
        if left:
            batch_left("BatchWriteItem", tables, written, len(left), total, "returned unprocessed")
        return result
    batch_left("BatchWriteItem", tables, written, len(left), total, message)
    raise error(
        f"batch write {message}: {summary}",
        unprocessed=result.unprocessed,
        unknown=result.unknown,
        written=written,
        result=result,
        operation="BatchWriteItem",
        table=tables,
    ) from cause


def _unprocessed_writes(
    unprocessed: Any, key_names: Mapping[str, Sequence[str]], pending: Sequence[Entry]
) -> set[_keys.Fingerprint]:
    """The fingerprints DynamoDB left unprocessed, each checked to be one we sent."""
    if not unprocessed:
        return set()
    sent = {e.fingerprint for e in pending}
    left: set[_keys.Fingerprint] = set()
    for table, requests in unprocessed.items():
        for request in requests:
            attributes = (request.get("PutRequest") or {}).get("Item") or (
                request.get("DeleteRequest") or {}
            ).get("Key")
            left.add(_known(table, key_names.get(table), attributes, sent, "BatchWriteItem"))
    return left


# -- reads -----------------------------------------------------------------------------------


@attrs.define(eq=False)
class Fetched(Generic[T]):
    """What the BatchGetItem executor read.

    Attributes:
        found: The decoded items by key fingerprint.
        left: The fingerprints still unprocessed after the retries.
        run: The requests, retries and any failure.
        capacity: Read capacity units by table.
    """

    found: dict[_keys.Fingerprint, T]
    left: set[_keys.Fingerprint]
    run: _Run[KeyEntry]
    capacity: dict[str, Decimal]


async def fetch_keys(
    session: Session,
    plan: BatchGetPlan,
    options: Mapping[str, Any],
    decode: Callable[[Mapping[str, Any]], T],
    *,
    concurrency: int | None = None,
    progress: ProgressCallback | None = None,
) -> Fetched[T]:
    """The one ``BatchGetItem`` executor: read every distinct key of ``plan``.

    Chunks of 100 keys run under the concurrency bound; ``UnprocessedKeys`` and
    throttled chunks are retried. Items are decoded as their chunk's answer arrives.
    Raises nothing for unprocessed keys or failures: the callers decide (see
    :class:`Fetched`).
    """
    table, names = plan.table, plan.names
    found: dict[_keys.Fingerprint, T] = {}
    capacity: dict[str, Decimal] = {}

    def build(pending: list[KeyEntry]) -> dict[str, Any]:
        entry = {"Keys": [g.key for g in pending], **options}
        return {"RequestItems": {table: entry}, "ReturnConsumedCapacity": "TOTAL"}

    def settle(pending: list[KeyEntry], response: dict[str, Any]) -> list[KeyEntry]:
        sent = {g.fingerprint for g in pending}
        left = {
            _known(table, names, key, sent, "BatchGetItem")
            for key in ((response.get("UnprocessedKeys") or {}).get(table) or {}).get("Keys", ())
        }
        for raw in (response.get("Responses") or {}).get(table, ()):
            found[_known(table, names, raw, sent, "BatchGetItem")] = decode(raw)
        _add_capacity(capacity, response.get("ConsumedCapacity"))
        return [g for g in pending if g.fingerprint in left]

    unique = list(plan.unique.values())
    run = await _fan_out(
        session,
        "BatchGetItem",
        chunked(unique, GET_CHUNK),
        _chunk_count(len(unique), GET_CHUNK),
        _same,
        build,
        settle,
        concurrency,
        progress=None
        if progress is None
        else ProgressTracker("BatchGetItem", len(unique), progress),
    )
    left = {g.fingerprint for g in run.left()}
    return Fetched(found, left, run, capacity)


def _same(chunk: list[R]) -> list[R]:
    return chunk


async def get_items(
    session: Session,
    model: type[T],
    keys: Iterable[Mapping[str, Any]],
    *,
    consistent: bool = False,
    select: Iterable[str] | None = None,
    concurrency: int | None = None,
    raise_on_unprocessed: bool = True,
    progress: ProgressCallback | None = None,
) -> BatchGetResult[T]:
    """Read items by key with ``BatchGetItem``; see :meth:`DB.batch_get`."""
    meta = model_meta(model)
    plan = BatchGetPlan(session.table_name(model), meta)
    if isinstance(keys, Mapping) or not isinstance(keys, Iterable):
        raise TypeError(f"batch_get takes a list of key mappings, not {type(keys).__name__}")
    given = [_keys.key_mapping(model, key) for key in keys]
    for key in given:
        plan.add(session.codec.encode_key(model, key))
    paths = None if select is None else [Path.of(meta.field(name).stored) for name in select]
    options = read_options(meta, paths, consistent=consistent)
    partial = select is not None
    codec = session.codec

    def decode(raw: Mapping[str, Any]) -> T:
        return codec.decode(model, raw, partial=partial)

    fetched = await fetch_keys(
        session, plan, options, decode, concurrency=concurrency, progress=progress
    )
    run = fetched.run
    if fetched.left:
        why = (
            "stopped by the deadline"
            if run.deadline is not None or run.out_of_time
            else f"failed ({type(run.hard).__name__})"
            if run.hard is not None
            else f"gave up after {session.config.batch_max_attempts} attempts per chunk"
        )
        total = len(plan.unique)
        batch_left(
            "BatchGetItem", plan.table, total - len(fetched.left), len(fetched.left), total, why
        )
    if run.deadline is not None:
        raise run.deadline
    if run.hard is not None:
        raise run.hard
    items: list[T] = []
    missing: list[Mapping[str, Any]] = []
    unprocessed: list[Mapping[str, Any]] = []
    for key, fingerprint in zip(given, plan.positions, strict=True):
        item = fetched.found.get(fingerprint)
        if item is not None:
            items.append(item)
        elif fingerprint in fetched.left:
            unprocessed.append(key)
        else:
            missing.append(key)
    result = BatchGetResult(
        items=items,
        missing=missing,
        unprocessed=unprocessed,
        requests=run.requests,
        retries=run.retries,
        consumed_capacity=fetched.capacity,
    )
    if run.out_of_time:
        raise DeadlineExceeded(
            f"batch read stopped, no time left for another retry: {len(unprocessed)} keys not read",
            operation="BatchGetItem",
            table=plan.table,
        )
    if unprocessed and raise_on_unprocessed:
        raise BatchGetError(
            f"batch read gave up after {session.config.batch_max_attempts} attempts per chunk: "
            f"{len(unprocessed)} of {len(given)} keys not read",
            unprocessed=unprocessed,
            result=result,
            operation="BatchGetItem",
            table=plan.table,
        ) from run.last_error()
    return result
