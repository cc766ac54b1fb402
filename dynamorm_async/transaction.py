"""Transactions: up to 100 writes that all happen or none, and consistent multi-item reads.

::

    async with db.transaction() as tx:
        tx.update(payment, fields=["status"])          # version-checked, version + 1
        tx.create(Refund(id="r-1", payment_id=payment.id))  # only if it does not exist
        tx.condition_check(Account, {"id": "a-1"}, condition=cond("frozen", "=", False))
    # committed here; nothing is sent if the block raises

Actions are checked and encoded when they are added: a 101st action, or a second action on
the same item, raises :class:`ValidationError` at once (inside the block, so nothing is
sent). Every action is planned by the write planner
(:mod:`dynamorm_async.planning.writes`), exactly as the single writes it mirrors, and its
lifecycle values are copied onto the instances only after the commit succeeded.

**Retries.** The commit carries a ``ClientRequestToken`` (one per transaction, reused by
every attempt). DynamoDB treats a repeat of a committed transaction with the same token
as a no-op for ten minutes, so an attempt whose answer was lost can be retried without
applying it twice, or failing on its own version bump. A cancellation caused only by
conflicts or throttling (:class:`TransactionConflict`, reasons ``TransactionConflict``,
``ThrottlingError``, ``ProvisionedThroughputExceeded``), a :class:`Throttled` or a
:class:`TransportError` is retried with the ORM's back-off, up to
``Config.transaction_max_attempts`` commits and never past the view's deadline. Any other
cancellation raises :class:`TransactionCanceled` at once, with one
:class:`~dynamorm_async.errors.CancellationReason` per failed action (its ``index`` in the
order actions were added; the stored item decoded to the model when DynamoDB returned it).

When a commit fails with its outcome unknown (the deadline, a lost answer after the
retries, the caller's task cancelled), ``await tx.commit()`` may be called again: it
resends the identical request with the same token. A new transaction with the same actions
would not do: its ``updated_at`` values differ, and DynamoDB rejects a reused token whose
request changed (``IdempotentParameterMismatch``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

from ._logging import gave_up, retrying
from ._retry import Backoff, Stop
from .conditions import Cond
from .errors import (
    DeadlineExceeded,
    DynamORMError,
    Throttled,
    TransactionCanceled,
    TransactionConflict,
    TransportError,
    ValidationError,
)
from .planning import _keys
from .planning.lifecycle import utcnow
from .planning.writes import Write, WritePlanner
from .session import Session
from .update_builder import UpdateBuilder

__all__ = ["MAX_ACTIONS", "Transaction", "transact_get"]

T = TypeVar("T")

MAX_ACTIONS = 100
"""Actions per ``TransactWriteItems`` / ``TransactGetItems`` (DynamoDB's limit)."""

_RETRYABLE_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)

_State = Literal["open", "sending", "committed", "cancelled", "unknown", "abandoned"]


class Transaction:
    """The write actions of one transaction, sent as one ``TransactWriteItems``.

    Get one from :meth:`DB.transaction` and use it as ``async with db.transaction() as
    tx:``; the block's normal exit commits. Adding an action sends nothing. The actions
    take what the DB's single writes take: ``tx.put(item)`` as ``db.put(item)``,
    ``tx.update(item, fields=...)`` as ``db.update(...)``, ``tx.delete(Payment, {"id":
    ...})`` as ``db.delete(...)``; update actions come as an update builder,
    ``tx.update(db.model(M).key({...}).update().add("n", 1))``.

    Attributes:
        token: The ``ClientRequestToken`` every attempt of the commit carries.
    """

    def __init__(self, session: Session, *, token: str | None = None) -> None:
        if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 36):
            raise ValidationError(f"a ClientRequestToken is 1 to 36 characters, not {token!r}")
        if not isinstance(session, Session):
            raise TypeError(f"a Transaction runs on a Session, not {type(session).__name__}")
        self._session = session
        # One time for every action: the commit is one moment.
        self._planner = WritePlanner(session.codec, session.config, utcnow())
        self._actions: list[Write] = []
        self._items = _keys.Claims()
        self._state: _State = "open"
        self._written: list[Any] = []
        self.token = token or str(uuid.uuid4())

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def committed(self) -> bool:
        """Whether the commit succeeded."""
        return self._state == "committed"

    @property
    def written(self) -> list[Any]:
        """The instances as written, one per action in the order added, once committed.

        For an action on a mutable instance that same instance (carrying its new version
        and timestamps); on a frozen one (``@attrs.frozen``, never changed) a new instance
        carrying them; ``None`` for an action by key. Empty until the commit succeeded.
        """
        return list(self._written)

    # -- context manager -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.commit()
        else:
            self._state = "abandoned"  # the block failed (or was cancelled): send nothing

    # -- actions -------------------------------------------------------------------------------

    def put(self, item: Any, *, condition: Cond | None = None) -> None:
        """Put ``item`` (an upsert), version-checked like :meth:`DB.put`.

        Args:
            item: A model instance; a versioned one is written only if the stored version
                equals its own (or, at version 0, if no item exists), with version + 1.
            condition: A further condition on the stored item.
        """
        self._add(self._planner.put(item, condition=condition))

    def create(self, item: Any, *, condition: Cond | None = None) -> None:
        """Create ``item`` only if no item with its key exists (version 0, both timestamps).

        A failed guard cancels the transaction with a ``ConditionalCheckFailed`` reason.
        """
        self._add(self._planner.create(item, if_not_exists=True, condition=condition))

    @overload
    def update(self, item: UpdateBuilder[Any], /) -> None: ...

    @overload
    def update(
        self, item: object, /, *, fields: Iterable[str] | None = ..., condition: Cond | None = ...
    ) -> None: ...

    def update(
        self,
        item: Any,
        /,
        *,
        fields: Iterable[str] | None = None,
        condition: Cond | None = None,
    ) -> None:
        """Update an existing item, as :meth:`DB.update` or an update builder would.

        * ``tx.update(payment, fields=["status"])`` writes those fields of the instance
          (every field but the keys and lifecycle fields if ``fields`` is ``None``),
          version-checked like
          :meth:`DB.update`;
        * ``tx.update(db.model(Payment).key({"id": "p-1"}).update().add("attempts", 1))``
          adds the builder's update actions and conditions (without ``.returning()``).

        Raises:
            TypeError: A builder with ``fields`` or ``condition`` (put those on the builder).
            ValidationError: A key or lifecycle field among ``fields``, an update that
                returns values.
        """
        if isinstance(item, UpdateBuilder):
            if fields is not None or condition is not None:
                raise TypeError(
                    "tx.update(builder) takes the update builder alone: put its actions and "
                    "conditions on the builder"
                )
            write = item.write()
            if "ReturnValues" in write.body:
                raise ValidationError("a transaction returns no values: drop .returning()")
            self._add(write)
            return
        self._add(self._planner.update(item, fields=fields, condition=condition))

    @overload
    def delete(self, item: object, /, *, condition: Cond | None = ...) -> None: ...

    @overload
    def delete(
        self, item: type, key: Mapping[str, Any], /, *, condition: Cond | None = ...
    ) -> None: ...

    def delete(
        self, item: Any, key: Mapping[str, Any] | None = None, /, *, condition: Cond | None = None
    ) -> None:
        """Delete an item: an instance (version-checked) or a model class and its key."""
        self._add(self._planner.delete(item, key, condition=condition))

    def condition_check(self, model: type, key: Mapping[str, Any], /, *, condition: Cond) -> None:
        """Require ``condition`` to hold for the item with ``key``, without writing it.

        ``tx.condition_check(Account, {"id": "a-1"}, condition=cond("frozen", "=", False))``.
        """
        if not isinstance(model, type):
            raise TypeError(
                "condition_check takes a model class and its key: "
                "tx.condition_check(Model, {field: value}, condition=...)"
            )
        self._add(self._planner.condition_check(model, key, condition))

    def _add(self, action: Write) -> None:
        if self._state != "open":
            raise ValidationError(
                f"this transaction is {self._state}: no more actions; start a new one"
            )
        if len(self._actions) >= MAX_ACTIONS:
            raise ValidationError(
                f"a transaction holds at most {MAX_ACTIONS} actions; {action.what} would be "
                f"action {len(self._actions) + 1}"
            )
        first = self._items.claim(action.fingerprint, len(self._actions))
        if first is not None:
            raise ValidationError(
                f"a transaction cannot touch one item twice: {action.what} targets the item "
                f"of action {first} ({self._actions[first].what})"
            )
        self._actions.append(action)

    # -- commit --------------------------------------------------------------------------------

    async def commit(self) -> None:
        """Send the actions as one ``TransactWriteItems`` (``async with`` calls it for you).

        After a failure whose outcome is unknown (the deadline, a lost answer, a
        cancellation of the caller's task) the commit may be called again: it resends the
        very same request with the same token, which DynamoDB applies at most once.

        Raises:
            TransactionCanceled: DynamoDB cancelled it; ``reasons`` name the failed actions
                (``failed_index`` the first), nothing was written.
            TransactionConflict: Conflicts outlasted the retries.
            DeadlineExceeded: The view's deadline came, or left no time for a retry.
            ValidationError: Committed already, or DynamoDB rejected the request.
        """
        if self._state not in ("open", "unknown"):
            raise ValidationError(f"this transaction is {self._state}: it cannot be committed")
        self._state = "sending"
        try:
            await self._send()
        except TransactionCanceled as exc:
            self._state = "unknown" if _only_transient(exc) else "cancelled"
            raise
        except BaseException:
            self._state = "unknown"
            raise
        self._written = [action.confirm() for action in self._actions]
        self._state = "committed"

    async def _send(self) -> None:
        if not self._actions:
            return
        session = self._session
        params = {
            "TransactItems": [action.transact_item() for action in self._actions],
            "ClientRequestToken": self.token,
        }
        backoff = Backoff.for_transactions(session.config)
        attempts = 0
        while True:
            attempts += 1
            try:
                await session.send("TransactWriteItems", params)
                break
            except TransactionCanceled as exc:
                self._explain(exc)
                if not _only_transient(exc):
                    raise
                last: DynamORMError = exc
            except (TransactionConflict, Throttled, TransportError) as exc:
                last = exc
            stop = await backoff.pause(attempts, deadline=session.deadline)
            if stop is not None:
                why = "the deadline comes first" if stop is Stop.DEADLINE else "no attempts left"
                gave_up("TransactWriteItems", params, attempts, last, why)
            else:
                throttled = isinstance(last, Throttled)
                retrying(
                    "TransactWriteItems", params, attempts, last, throttled=throttled, delay=None
                )
            if stop is Stop.DEADLINE:
                raise DeadlineExceeded(
                    f"transaction not committed after {attempts} attempt(s): no time is left "
                    "for another",
                    operation="TransactWriteItems",
                ) from last
            if stop is Stop.ATTEMPTS:
                raise last

    def _explain(self, exc: TransactionCanceled) -> None:
        # Name the failed actions in the message, and decode the items DynamoDB returned.
        parts = []
        for reason in exc.reasons:
            action = self._actions[reason.index] if reason.index < len(self._actions) else None
            if action is None:
                continue
            if isinstance(reason.item, Mapping):
                reason.item = self._session.codec.decode(action.model, reason.item)
            parts.append(f"action {reason.index} ({action.what}): {reason.code}")
        if parts:
            exc.message = f"transaction cancelled: {'; '.join(parts)}"
            exc.args = (exc.message,)


def _only_transient(exc: TransactionCanceled) -> bool:
    return bool(exc.reasons) and all(r.code in _RETRYABLE_REASONS for r in exc.reasons)


@overload
async def transact_get(
    session: Session, targets: Sequence[tuple[type[T], Mapping[str, Any]]]
) -> list[T | None]: ...


@overload
async def transact_get(session: Session, targets: Sequence[T]) -> list[T | None]: ...


async def transact_get(session: Session, targets: Sequence[Any]) -> list[Any]:
    """Read up to 100 items in one consistent snapshot (``TransactGetItems``).

    Args:
        session: The session to send on.
        targets: Model instances (their keys are read) or ``(Model, key)`` pairs.

    Returns:
        One entry per target, in order: the stored item as the model, or ``None``.

    Raises:
        TypeError: A target that is neither an instance nor a ``(Model, key)`` pair.
        ValidationError: More than 100 targets, or a bad key (nothing is sent).
        TransactionCanceled: DynamoDB cancelled the read (e.g. a conflicting write).
    """
    if isinstance(targets, Mapping | str | bytes) or not isinstance(targets, Sequence):
        raise TypeError(f"transact_get takes a list of targets, not {type(targets).__name__}")
    if len(targets) > MAX_ACTIONS:
        raise ValidationError(f"transact_get reads at most {MAX_ACTIONS} items, not {len(targets)}")
    models: list[type] = []
    items: list[dict[str, Any]] = []
    for target in targets:
        meta, key, _ = _keys.target_pair(session.codec, target)
        models.append(meta.cls)
        items.append({"Get": {"TableName": session.config.table_name(meta.table), "Key": key}})
    if not items:
        return []
    response = await session.send("TransactGetItems", {"TransactItems": items})
    found: list[Any] = []
    for model, entry in zip(models, response.get("Responses") or [{}] * len(models), strict=True):
        raw = entry.get("Item")
        found.append(None if raw is None else session.codec.decode(model, raw))
    return found
