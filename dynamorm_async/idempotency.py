"""Async idempotency: run a handler once per idempotency key, replay its result afterwards.

::

    from dynamorm_async.idempotency import idempotent

    @lambda_handler
    @idempotent(db, key=lambda event: event["payment_id"], expires_after=3600)
    async def handler(event, context) -> Payment:
        ...

One record per key, in the table of :class:`IdempotencyRecord` (``create_table`` makes it;
its logical name is ``idempotency``, the config's table prefix applies):

1. Before the handler runs, one conditional ``PutItem`` claims the key: it succeeds only if
   no record exists, the record has expired, or it is in progress and its holder's Lambda
   deadline has passed (the holder crashed or timed out: the key is taken over). Nothing is
   read first, so two concurrent invocations can never both claim it.
2. If the claim fails, the record that stopped it (returned by the failed write; read with
   a consistent read on servers that do not return it) decides: a different payload hash →
   :class:`~dynamorm_async.IdempotencyKeyMismatch`; completed → its stored result is
   returned and the handler does not run; in progress → :class:`~dynamorm_async.
   IdempotencyInProgress`.
3. The handler runs. When it returns, its result is stored with the codec (models,
   Decimals, datetimes, sets round-trip exactly) and the record becomes completed. When it
   raises an ``Exception``, the in-progress record is deleted (so a retry can run) and the
   exception propagates unchanged. When it is cancelled, nothing more is sent: the record
   stays in progress until its holder's deadline, then a retry takes it over.

Every write that finishes or releases a claim is conditioned on the claim's owner token, so
an invocation whose claim was taken over never overwrites the new holder's record.

The mapping to Powertools for AWS Lambda's idempotency utility is in docs/idempotency.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import hashlib
import inspect
import json
import logging
import math
import time
import typing
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

import attrs

from ._schema import is_model, model_meta
from .conditions import cond
from .errors import (
    ConditionFailed,
    EncodeError,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    SchemaError,
    ValidationError,
    WriteOutcomeUnknown,
)
from .model import Naming, attr, pk, table, ttl

if TYPE_CHECKING:
    from .codec import Codec
    from .db import DB

__all__ = [
    "DEFAULT_EXPIRES_AFTER",
    "IdempotencyRecord",
    "IdempotencyStatus",
    "idempotent",
    "idempotent_function",
]

R = TypeVar("R")
E = TypeVar("E")
C = TypeVar("C")
P = ParamSpec("P")

DEFAULT_EXPIRES_AFTER = 3600
"""Seconds a completed (or abandoned) record is kept: the window in which a key replays."""

_CLAIM_ATTEMPTS = 3
"""Claims tried when the record that stopped one has gone by the time it is read."""

_log = logging.getLogger(__name__)


class IdempotencyStatus(enum.Enum):
    """Where the call of an idempotency key is (stored as Powertools stores it)."""

    IN_PROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"


@table("idempotency", naming="snake_case")
@attrs.define
class IdempotencyRecord:
    """The stored state of one idempotency key.

    Declare a subclass with its own ``@table(name, naming="snake_case")`` and pass it as
    ``record=`` to keep the records in another table. The stored result lives in a ``data``
    attribute typed per decorated function (see :func:`idempotent`).

    Attributes:
        id: The key: the function's qualified name and the SHA-256 of the key value.
        status: In progress or completed.
        expiration: When the record expires (epoch seconds; the table's TTL attribute).
        in_progress_expiration: When the holder's invocation ends (epoch milliseconds),
            while in progress; ``None`` when the holder gave no deadline.
        validation: SHA-256 of the payload, to tell a reused key from a retry.
        owner: A token of the invocation holding (or having completed) the claim.
    """

    id: str = pk()
    status: IdempotencyStatus = attr()  # noqa: RUF009 (a field marker, not a shared default)
    expiration: int | None = ttl()
    in_progress_expiration: int | None = attr(default=None, omit_empty=True)
    validation: str | None = attr(default=None, omit_empty=True)
    owner: str = attr(default="")


_FROM_ANNOTATION: Any = object()
_TYPED_RECORDS: dict[tuple[type, Any], type] = {}


def _typed_record(base: type[IdempotencyRecord], result_type: Any) -> type[IdempotencyRecord]:
    """``base`` plus a ``result`` field (stored as ``data``) of ``result_type``, cached."""
    cached = _TYPED_RECORDS.get((base, result_type))
    if cached is not None:
        return cached
    meta = model_meta(base)
    name = getattr(result_type, "__name__", None) or repr(result_type)
    cls = attrs.make_class(
        f"{base.__name__}[{name}]",
        {"result": attr(name="data", default=None, type=typing.Optional[result_type])},  # noqa: UP045
        bases=(base,),
    )
    cls.__module__ = base.__module__
    table(meta.table, naming=typing.cast("Naming", meta.naming))(cls)
    _TYPED_RECORDS[(base, result_type)] = cls
    return cls


def _plain(codec: Codec, value: Any) -> Any:
    """What ``json.dumps`` cannot take, as JSON values, for hashing keys and payloads."""
    if isinstance(value, Decimal | dt.date | dt.time | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, set | frozenset):
        return sorted(_canonical(codec, v) for v in value)
    if is_model(type(value)):
        return codec.encode(value)
    if attrs.has(type(value)):
        return attrs.asdict(value, recurse=False)
    raise TypeError(f"a {type(value).__name__} cannot be hashed for idempotency")


def _canonical(codec: Codec, value: Any) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=functools.partial(_plain, codec),
    )


def _digest(codec: Codec, value: Any, what: str) -> str:
    try:
        text = _canonical(codec, value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"the idempotency {what} cannot be hashed: {exc}") from exc
    return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class _Guard(Generic[R]):
    """The claim / run / complete cycle for one decorated function."""

    db: DB
    function: Callable[..., Awaitable[R]]
    expires_after: float
    record: type[IdempotencyRecord]
    result_type: Any
    clock: Callable[[], float]
    typed: dict[str, type[IdempotencyRecord]] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return f"{self.function.__module__}.{self.function.__qualname__}"

    def record_class(self) -> type[IdempotencyRecord]:
        cls = self.typed.get("cls")
        if cls is None:
            result_type = self.result_type
            if result_type is _FROM_ANNOTATION:
                try:
                    result_type = typing.get_type_hints(self.function).get("return", Any)
                except NameError as exc:
                    raise SchemaError(
                        f"{self.name}: cannot resolve the return annotation ({exc}); "
                        "pass result_type="
                    ) from exc
            cls = self.typed["cls"] = _typed_record(self.record, result_type)
        return cls

    def holder_deadline(self, remaining_ms: int | None) -> int | None:
        """The claim's end (epoch ms): the Lambda context's, else the DB's deadline."""
        now = self.clock()
        if remaining_ms is not None:
            return math.floor(now * 1000) + remaining_ms
        deadline = self.db.deadline
        if deadline is None:
            return None
        return math.floor((now + deadline - time.monotonic()) * 1000)

    async def run(
        self,
        key_value: Any,
        payload: Any,
        remaining_ms: int | None,
        call: Callable[[], Awaitable[R]],
    ) -> R:
        if key_value is None:
            raise ValidationError(f"{self.name}: the idempotency key function returned None")
        codec = self.db.codec
        cls = self.record_class()
        key = f"{self.name}#{_digest(codec, key_value, 'key')}"
        validation = _digest(codec, payload, "payload")
        now = self.clock()
        claim = cls(
            id=key,
            status=IdempotencyStatus.IN_PROGRESS,
            expiration=math.floor(now + self.expires_after),
            in_progress_expiration=self.holder_deadline(remaining_ms),
            validation=validation,
            owner=uuid.uuid4().hex,
        )
        replay = await self._claim(claim, now)
        if replay is not None:
            return replay[0]  # type: ignore[no-any-return]
        try:
            result = await call()
        except Exception as exc:
            await self._release(claim, exc)
            raise
        done: dict[str, Any] = {
            "status": IdempotencyStatus.COMPLETED,
            "in_progress_expiration": None,
            "result": result,
        }
        completed = attrs.evolve(claim, **done)
        try:
            await self.db.put(completed, condition=cond("owner", "=", claim.owner))
        except EncodeError as exc:
            await self._release(claim, exc)  # the result cannot be stored: let a retry run
            raise
        except ConditionFailed:
            _log.warning(
                "idempotency key %s was taken over while its handler ran (the holder's "
                "deadline passed); the result was not stored",
                key,
            )
        return result

    async def _claim(self, claim: IdempotencyRecord, now: float) -> tuple[Any] | None:
        """Claim the key (``None``), or return ``(stored result,)`` to replay."""
        free = (
            cond("id", "not_exists")
            | cond("expiration", "<", math.floor(now))
            | (
                cond("status", "=", IdempotencyStatus.IN_PROGRESS)
                & cond("in_progress_expiration", "<", math.floor(now * 1000))
            )
        )
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                await self.db.put(claim, condition=free)
                return None
            except (ConditionFailed, WriteOutcomeUnknown) as exc:  # the holder decides
                existing: Any = exc.item
            if existing is None:  # a server that does not return the item (dynalite)
                existing = await self._read(type(claim), claim.id)
                if existing is None:
                    continue  # released since: claim again
            if existing.owner == claim.owner:
                return None  # our own claim, written by a retried request
            return (self._verdict(claim, existing),)
        raise IdempotencyInProgress(
            f"{claim.id}: the key changed hands {_CLAIM_ATTEMPTS} times while being claimed",
            key=claim.id,
            holder_deadline=None,
        )

    async def _read(self, cls: type[IdempotencyRecord], key: str) -> IdempotencyRecord | None:
        return await self.db.find(cls, {"id": key}, consistent=True)

    def _verdict(self, claim: IdempotencyRecord, existing: Any) -> Any:
        table_name = self.db.table_name(type(claim))
        if existing.validation is not None and existing.validation != claim.validation:
            raise IdempotencyKeyMismatch(
                f"{claim.id}: the key was used with a different payload",
                key=claim.id,
                table=table_name,
            )
        if existing.status is IdempotencyStatus.COMPLETED:
            return existing.result
        raise IdempotencyInProgress(
            f"{claim.id}: another invocation is running this key",
            key=claim.id,
            holder_deadline=existing.in_progress_expiration,
            table=table_name,
        )

    async def _release(self, claim: IdempotencyRecord, cause: Exception) -> None:
        """Delete our in-progress record after a failure; ``cause`` stays the error raised."""
        try:
            await self.db.delete(claim, condition=cond("owner", "=", claim.owner))
        except ConditionFailed:
            pass  # taken over meanwhile: the record is not ours to delete
        except Exception as exc:
            # The handler's exception propagates; this one is logged and noted on it. The
            # record then stays in progress until the holder's deadline.
            _log.exception("idempotency key %s: deleting the in-progress record failed", claim.id)
            cause.add_note(f"dynamorm_async: deleting the in-progress record failed: {exc!r}")


def _check_expiry(expires_after: float) -> None:
    if (
        isinstance(expires_after, bool)
        or not isinstance(expires_after, int | float)
        or not math.isfinite(expires_after)
        or expires_after <= 0
    ):
        raise ValueError(
            f"expires_after must be a positive number of seconds, not {expires_after!r}"
        )


def idempotent(
    db: DB,
    *,
    key: Callable[[Any], object],
    payload: Callable[[Any], object] | None = None,
    expires_after: float = DEFAULT_EXPIRES_AFTER,
    result_type: Any = _FROM_ANNOTATION,
    record: type[IdempotencyRecord] = IdempotencyRecord,
    clock: Callable[[], float] = time.time,
) -> Callable[[Callable[[E, C], Awaitable[R]]], Callable[[E, C], Awaitable[R]]]:
    """Make ``async def handler(event, context)`` run once per idempotency key.

    Put it under ``@lambda_handler``. The claim ends at the invocation's end
    (``context.get_remaining_time_in_millis()``; without a context, the DB's deadline), so
    a crashed invocation's key is taken over once its time is up.

    Args:
        db: Where the records are kept.
        key: The idempotency key of an event (any JSON-like value: str, number, dict,
            list, Decimal, datetime, model); hashed with the function's qualified name.
        payload: The part of the event that must match on a retry; the whole event by
            default. A retry whose payload differs raises IdempotencyKeyMismatch, so leave
            out what changes between deliveries (API Gateway's request context...).
        expires_after: Seconds the record is kept (it is a TTL attribute).
        result_type: The annotation the result is stored and replayed by; the handler's
            return annotation by default.
        record: The record model (a subclass of :class:`IdempotencyRecord` to use another
            table).
        clock: Epoch seconds now (for tests that move time).

    Raises:
        ValueError: ``expires_after`` is not a positive number.

    The decorated handler raises :class:`~dynamorm_async.IdempotencyInProgress`,
    :class:`~dynamorm_async.IdempotencyKeyMismatch`, :class:`~dynamorm_async.ValidationError`
    (a key of ``None`` or one that cannot be hashed) and the DB's errors, besides its own.
    """
    _check_expiry(expires_after)

    def decorate(function: Callable[[E, C], Awaitable[R]]) -> Callable[[E, C], Awaitable[R]]:
        guard: _Guard[R] = _Guard(db, function, expires_after, record, result_type, clock)

        @functools.wraps(function)
        async def wrapper(event: E, context: C) -> R:
            remaining = getattr(context, "get_remaining_time_in_millis", None)
            return await guard.run(
                key(event),
                event if payload is None else payload(event),
                remaining() if callable(remaining) else None,
                lambda: function(event, context),
            )

        return wrapper

    return decorate


def idempotent_function(
    db: DB,
    *,
    key: Callable[P, object],
    payload: Callable[P, object] | None = None,
    expires_after: float = DEFAULT_EXPIRES_AFTER,
    result_type: Any = _FROM_ANNOTATION,
    record: type[IdempotencyRecord] = IdempotencyRecord,
    clock: Callable[[], float] = time.time,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Make any coroutine function run once per idempotency key (the function-level form).

    ``key`` and ``payload`` are called with the function's own arguments; the payload is
    all the arguments by default. The claim ends at the DB's deadline (inside
    ``lambda_handler``, the invocation's), or, without one, when the record expires.
    Everything else is as for :func:`idempotent`::

        @idempotent_function(db, key=lambda order: order.id)
        async def charge(order: Order) -> Receipt: ...
    """
    _check_expiry(expires_after)

    def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        guard: _Guard[R] = _Guard(db, function, expires_after, record, result_type, clock)
        signature = inspect.signature(function)

        @functools.wraps(function)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if payload is not None:
                data = payload(*args, **kwargs)
            else:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                data = dict(bound.arguments)
            return await guard.run(
                key(*args, **kwargs), data, None, lambda: function(*args, **kwargs)
            )

        return wrapper

    return decorate
