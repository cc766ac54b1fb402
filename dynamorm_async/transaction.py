"""Transactions: up to 100 writes that all happen or none, and consistent multi-item reads.

::

    async with db.transaction() as tx:
        tx.update(payment, fields=["status"])          # version-checked, version + 1
        tx.create(Refund(id="r-1", payment_id=payment.id))  # only if it does not exist
        tx.condition_check(Account, id="a-1", condition=cond("frozen", "=", False))
    # committed here; nothing is sent if the block raises

Actions are checked and encoded when they are added: a 101st action, or a second action on
the same item, raises :class:`ValidationError` at once (inside the block, so nothing is
sent). Lifecycle values follow :mod:`dynamorm_async.lifecycle`, exactly as single writes,
and are copied onto the instances only after the commit succeeded.

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
from typing import TYPE_CHECKING, Any, Literal, Self

import attrs

from . import _keys, lifecycle
from ._schema import ModelMeta, model_meta
from .codec import Item
from .conditions import Cond, compile_condition
from .errors import (
    DeadlineExceeded,
    DynamORMError,
    Throttled,
    TransactionCanceled,
    TransactionConflict,
    TransportError,
    ValidationError,
    masked_key,
)
from .expr import Condition, compare, compile_request
from .retry import Backoff, Stop
from .update_builder import UpdateBuilder
from .updates import Changes

if TYPE_CHECKING:
    from .db import DB

__all__ = ["MAX_ACTIONS", "Transaction", "transact_get"]

MAX_ACTIONS = 100
"""Actions per ``TransactWriteItems`` / ``TransactGetItems`` (DynamoDB's limit)."""

_RETRYABLE_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
_RETURN_ON_FAILURE = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}

Kind = Literal["Put", "Update", "Delete", "ConditionCheck"]
_State = Literal["open", "sending", "committed", "cancelled", "unknown", "abandoned"]
AnyCondition = Cond | Condition
"""A condition by Python field names (:func:`~dynamorm_async.conditions.cond`) or an
expression-level :class:`~dynamorm_async.expr.Condition` on stored names."""


@attrs.define(eq=False)
class _Action:
    kind: Kind
    body: dict[str, Any]
    meta: ModelMeta
    fingerprint: _keys.Fingerprint
    what: str
    instance: Any = None
    stamp: lifecycle.Stamp | None = None


class Transaction:
    """The write actions of one transaction, sent as one ``TransactWriteItems``.

    Get one from :meth:`DB.transaction` and use it as ``async with db.transaction() as
    tx:``; the block's normal exit commits. Adding an action sends nothing.

    Attributes:
        token: The ``ClientRequestToken`` every attempt of the commit carries.
    """

    def __init__(self, db: DB, *, token: str | None = None) -> None:
        if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 36):
            raise ValidationError(f"a ClientRequestToken is 1 to 36 characters, not {token!r}")
        self._db = db
        self._actions: list[_Action] = []
        self._items = _keys.Claims()
        self._now = lifecycle.utcnow()
        self._state: _State = "open"
        self.token = token or str(uuid.uuid4())

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def committed(self) -> bool:
        """Whether the commit succeeded."""
        return self._state == "committed"

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

    def put(self, item: Any, *, condition: AnyCondition | None = None) -> None:
        """Put ``item`` (an upsert), version-checked like :meth:`DB.put`.

        Args:
            item: A model instance; a versioned one is written only if the stored version
                equals its own (or, at version 0, if no item exists), with version + 1.
            condition: A further condition on the stored item.
        """
        stamp = lifecycle.on_put(self._db.codec, item, now=self._now)
        self._add_put(item, stamp, condition, "put")

    def create(self, item: Any, *, condition: AnyCondition | None = None) -> None:
        """Create ``item`` only if no item with its key exists (version 0, both timestamps).

        A failed guard cancels the transaction with a ``ConditionalCheckFailed`` reason.
        """
        stamp = lifecycle.on_create(self._db.codec, item, now=self._now, if_not_exists=True)
        self._add_put(item, stamp, condition, "create")

    def _add_put(
        self, item: Any, stamp: lifecycle.Stamp, condition: AnyCondition | None, verb: str
    ) -> None:
        meta = self._instance_meta(item, verb)
        body: dict[str, Any] = {
            "TableName": self._table(meta),
            "Item": lifecycle.put_item(self._db.codec, item, stamp),
        }
        guard = self._both(stamp.condition, condition, meta)
        if guard is not None:
            body.update(compile_request(condition=guard), **_RETURN_ON_FAILURE)
        self._add(
            _Action(
                "Put",
                body,
                meta,
                self._print(meta, body["Item"]),
                f"{verb} {_show(item)}",
                item,
                stamp,
            )
        )

    def update(
        self,
        target: Any,
        /,
        *,
        fields: Iterable[str] | None = None,
        changes: Changes | None = None,
        condition: AnyCondition | None = None,
        **key: Any,
    ) -> None:
        """Update an existing item, given as an instance or as a model class and its key.

        * ``tx.update(payment, fields=["status"])`` writes those fields of the instance
          (every non-key field if ``fields`` is ``None``), version-checked like
          :meth:`DB.update`.
        * ``tx.update(payment, changes=Changes().add("attempts", 1))`` applies update
          actions, version-checked against the instance.
        * ``tx.update(Payment, id="p-1", changes=...)`` applies update actions to the
          stored item without an instance: the item must exist, a ``version()`` field is
          incremented (not checked) and ``updated_at`` is set.
        * ``tx.update(db.model(Payment).key(id="p-1").update().set(...).condition(...))``
          takes an update builder's request as it is (without ``.returning()``).

        Args:
            target: A model instance, a model class with ``**key``, or an update builder.
            fields: Fields of the instance to write (not with ``changes``).
            changes: Update actions (:class:`~dynamorm_async.updates.Changes`).
            condition: A further condition on the stored item.
            **key: The key fields, when ``target`` is a model class.

        Raises:
            ValidationError: Both or neither of ``fields`` and ``changes`` where one is
                needed, a key field among them, a bad key.
        """
        codec = self._db.codec
        if isinstance(target, UpdateBuilder):
            self._add_builder(target, fields, changes, condition, key)
            return
        if fields is not None and changes is not None:
            raise ValidationError("update takes fields= or changes=, not both")
        instance: Any = None
        if isinstance(target, type):
            if changes is None:
                raise ValidationError(
                    f"tx.update({target.__name__}, ...) needs changes=Changes()...; to write "
                    "fields of an instance, pass the instance"
                )
            meta = model_meta(target)
            encoded_key = codec.encode_key(target, key)
            # No instance: nothing to check the version against, nothing to stamp.
            stamp = lifecycle.Stamp({}, compare(lifecycle.path_of(meta.pk), "exists"))
            update = lifecycle.on_changes(meta, changes, now=self._now).compile(meta.cls, codec)
        else:
            if key:
                raise ValidationError("pass either an instance or a model class with its key")
            instance = target
            meta = self._instance_meta(target, "update")
            encoded_key = codec.key_of(target)
            stamp = lifecycle.on_update(codec, target, now=self._now)
            if changes is None:
                update = lifecycle.update_of(codec, target, fields, stamp)
            else:
                update = lifecycle.stamped(changes, stamp).compile(meta.cls, codec)
        guard = self._both(stamp.condition, condition, meta)
        body: dict[str, Any] = {
            "TableName": self._table(meta),
            "Key": encoded_key,
            **compile_request(update=update, condition=guard),
            **_RETURN_ON_FAILURE,
        }
        what = f"update {_show(target, key)}"
        self._add(
            _Action("Update", body, meta, self._print(meta, encoded_key), what, instance, stamp)
        )

    def _add_builder(
        self,
        builder: UpdateBuilder[Any],
        fields: Iterable[str] | None,
        changes: Changes | None,
        condition: AnyCondition | None,
        key: Mapping[str, Any],
    ) -> None:
        if fields is not None or changes is not None or condition is not None or key:
            raise ValidationError(
                "tx.update(builder) takes the update builder alone: put its actions and "
                "conditions on the builder"
            )
        body = builder.request()
        if "ReturnValues" in body:
            raise ValidationError("a transaction returns no values: drop .returning()")
        meta = model_meta(builder.model)
        codec = self._db.codec
        shown = {f.name: codec.decode_value(f.type, body["Key"][f.stored]) for f in meta.key_fields}
        what = f"update {meta.cls.__name__} {masked_key(shown)}"
        self._add(_Action("Update", body, meta, self._print(meta, body["Key"]), what))

    def delete(self, target: Any, /, *, condition: AnyCondition | None = None, **key: Any) -> None:
        """Delete an item: an instance (version-checked) or a model class and its key."""
        codec = self._db.codec
        guard_stamp: Condition | None = None
        if isinstance(target, type):
            meta = model_meta(target)
            encoded_key = codec.encode_key(target, key)
        else:
            if key:
                raise ValidationError("pass either an instance or a model class with its key")
            meta = self._instance_meta(target, "delete")
            encoded_key = codec.key_of(target)
            guard_stamp = lifecycle.on_delete(codec, target).condition
        body: dict[str, Any] = {"TableName": self._table(meta), "Key": encoded_key}
        guard = self._both(guard_stamp, condition, meta)
        if guard is not None:
            body.update(compile_request(condition=guard), **_RETURN_ON_FAILURE)
        what = f"delete {_show(target, key)}"
        self._add(_Action("Delete", body, meta, self._print(meta, encoded_key), what))

    def condition_check(self, model: type, /, *, condition: AnyCondition, **key: Any) -> None:
        """Require ``condition`` to hold for the item with ``key``, without writing it.

        ``tx.condition_check(Account, id="a-1", condition=cond("frozen", "=", False))``.
        """
        if not isinstance(model, type):
            raise ValidationError(
                "condition_check takes a model class and its key: "
                "tx.condition_check(Model, condition=..., **key)"
            )
        meta = model_meta(model)
        encoded_key = self._db.codec.encode_key(model, key)
        guard = self._both(None, condition, meta)
        assert guard is not None
        body: dict[str, Any] = {
            "TableName": self._table(meta),
            "Key": encoded_key,
            **compile_request(condition=guard),
            **_RETURN_ON_FAILURE,
        }
        what = f"condition_check {_show(model, key)}"
        self._add(_Action("ConditionCheck", body, meta, self._print(meta, encoded_key), what))

    # -- helpers -------------------------------------------------------------------------------

    def _instance_meta(self, item: Any, verb: str) -> ModelMeta:
        if isinstance(item, type | tuple):
            raise ValidationError(
                f"tx.{verb} takes a model instance here, not {type(item).__name__}"
            )
        return model_meta(type(item))

    def _table(self, meta: ModelMeta) -> str:
        return self._db.config.table_name(meta.table)

    def _print(self, meta: ModelMeta, attributes: Item) -> _keys.Fingerprint:
        return _keys.fingerprint(self._table(meta), _keys.key_names(meta), attributes)

    def _both(
        self, lifecycle_guard: Condition | None, user: AnyCondition | None, meta: ModelMeta
    ) -> Condition | None:
        if user is None:
            return lifecycle_guard
        if isinstance(user, Cond):
            compiled = compile_condition(user, meta.cls, self._db.codec)
        elif isinstance(user, Condition):
            compiled = user
        else:
            raise ValidationError(f"a condition is a cond(...) or an expr.Condition, not {user!r}")
        return compiled if lifecycle_guard is None else lifecycle_guard & compiled

    def _add(self, action: _Action) -> None:
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
        for action in self._actions:
            if action.stamp is not None and action.instance is not None:
                lifecycle.apply(action.instance, action.stamp)
        self._state = "committed"

    async def _send(self) -> None:
        if not self._actions:
            return
        db = self._db
        params = {
            "TransactItems": [{action.kind: action.body} for action in self._actions],
            "ClientRequestToken": self.token,
        }
        backoff = Backoff.for_transactions(db.config)
        attempts = 0
        while True:
            attempts += 1
            try:
                await db._call("TransactWriteItems", params)
                break
            except TransactionCanceled as exc:
                self._explain(exc)
                if not _only_transient(exc):
                    raise
                last: DynamORMError = exc
            except (TransactionConflict, Throttled, TransportError) as exc:
                last = exc
            stop = await backoff.pause(attempts, deadline=db.deadline)
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
                reason.item = self._db.codec.decode(action.meta.cls, reason.item)
            parts.append(f"action {reason.index} ({action.what}): {reason.code}")
        if parts:
            exc.message = f"transaction cancelled: {'; '.join(parts)}"
            exc.args = (exc.message,)


def _only_transient(exc: TransactionCanceled) -> bool:
    return bool(exc.reasons) and all(r.code in _RETRYABLE_REASONS for r in exc.reasons)


def _show(target: Any, key: Mapping[str, Any] | None = None) -> str:
    if isinstance(target, type):
        return f"{target.__name__} {masked_key(dict(key or {}))}"
    meta = model_meta(type(target))
    key = {f.name: getattr(target, f.name) for f in meta.key_fields}
    return f"{meta.cls.__name__} {masked_key(key)}"


async def transact_get(db: DB, targets: Sequence[Any]) -> list[Any]:
    """Read up to 100 items in one consistent snapshot (``TransactGetItems``).

    Args:
        db: The DB (view) to send through.
        targets: Model instances (their keys are read) or ``(Model, key)`` pairs.

    Returns:
        One entry per target, in order: the stored item as the model, or ``None``.

    Raises:
        ValidationError: More than 100 targets, or a bad target or key (nothing is sent).
        TransactionCanceled: DynamoDB cancelled the read (e.g. a conflicting write).
    """
    targets = list(targets)
    if len(targets) > MAX_ACTIONS:
        raise ValidationError(f"transact_get reads at most {MAX_ACTIONS} items, not {len(targets)}")
    models: list[type] = []
    items: list[dict[str, Any]] = []
    for target in targets:
        if isinstance(target, tuple):
            if len(target) != 2 or not isinstance(target[0], type):
                raise ValidationError(f"a key is a (Model, {{field: value}}) pair, not {target!r}")
            model, fields = target
            key = db.codec.encode_key(model, fields)
        elif isinstance(target, type):
            raise ValidationError(
                f"transact_get takes instances or (Model, key) pairs, not {type(target).__name__}"
            )
        else:
            model = type(target)
            key = db.codec.key_of(target)
        models.append(model)
        items.append(
            {"Get": {"TableName": db.config.table_name(model_meta(model).table), "Key": key}}
        )
    if not items:
        return []
    response = await db._call("TransactGetItems", {"TransactItems": items})
    found: list[Any] = []
    for model, entry in zip(models, response.get("Responses") or [{}] * len(models), strict=True):
        raw = entry.get("Item")
        found.append(None if raw is None else db.codec.decode(model, raw))
    return found
