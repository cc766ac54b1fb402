"""The write planner: every single-item write request is built here, once.

Pure, like the read planner: :class:`WritePlanner` takes the codec, the configuration's
table naming and the time of the call, and turns a target (an instance, or a model class
and its key), the changes and the caller's condition into a :class:`Write`: the kind of
write, the physical table, the request body (condition and
``ReturnValuesOnConditionCheckFailure`` included), the lifecycle stamp and the item's
fingerprint. Every path that writes one item sends what it planned:

* ``db.put/create/update/delete`` send ``write.body`` as ``PutItem``/``UpdateItem``/
  ``DeleteItem``;
* the update builder plans with :meth:`WritePlanner.update_actions`;
* a transaction sends ``{kind: body}`` per write (:meth:`Write.transact_item`);
* a batch sends :meth:`Write.batch_request` (batches take no conditions).

The lifecycle rules (versions, timestamps, guards) are :mod:`.lifecycle`'s; this module
only assembles requests from them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

import attrs

from .._schema import ModelMeta, model_meta
from ..codec import Codec, Item
from ..conditions import Cond, compile_condition
from ..config import Config
from ..errors import ValidationError, masked_key
from ..expr import Condition, Update, and_, compare, compile_request
from ..updates import Changes
from . import _keys, lifecycle

__all__ = ["RETURN_ON_FAILURE", "ReturnValues", "Write", "WriteKind", "WritePlanner", "conjoin"]

WriteKind = Literal["put", "create", "update", "delete", "condition_check"]
"""What a :class:`Write` does to its item."""

ReturnValues = Literal["NONE", "ALL_OLD", "ALL_NEW"]
"""What ``UpdateItem`` returns: nothing, or the whole item before or after the update.

Not ``UPDATED_*``: the updated attributes alone are part of an item, and a model instance
built from them would show defaults for the rest."""

RETURN_VALUES: Final = ("NONE", "ALL_OLD", "ALL_NEW")

RETURN_ON_FAILURE: Final = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
"""Every guarded write asks for the stored item back, so ConditionFailed can show it."""

_OPERATION: Final = {"put": "PutItem", "create": "PutItem", "update": "UpdateItem"}
_TRANSACT: Final = {
    "put": "Put",
    "create": "Put",
    "update": "Update",
    "delete": "Delete",
    "condition_check": "ConditionCheck",
}


# Not frozen: a frozen attrs class costs several times more to build, and one is built per
# write on the request path. Nothing changes a Write once planned.
@attrs.define(eq=False)
class Write:
    """One planned single-item write (a value: nothing changes it once planned).

    Attributes:
        kind: ``put``, ``create``, ``update``, ``delete`` or ``condition_check``.
        model: The model class of the item.
        table: The physical table name.
        body: The request parameters (``TableName``, ``Item`` or ``Key``, expressions,
            ``ReturnValuesOnConditionCheckFailure`` when guarded).
        instance: The instance whose lifecycle values :meth:`confirm` sets, if any.
        stamp: The lifecycle values and guard of the write, if any.
        key: The key fields (Python names) the item was named by, without an instance.
        if_exists: For a put planned as a new item, the version-checked put to send
            instead when the item turns out to exist (see :meth:`WritePlanner.put`).
        fields: The fields an update of an instance writes (``None``: every non-key,
            non-lifecycle field), to tell its stored result (:mod:`.outcome`).
    """

    kind: WriteKind
    model: type
    table: str
    body: dict[str, Any]
    instance: Any = None
    stamp: lifecycle.Stamp | None = None
    key: Mapping[str, Any] | None = None
    if_exists: Write | None = None
    fields: tuple[str, ...] | None = None

    @property
    def fingerprint(self) -> _keys.Fingerprint:
        """The item's identity, equal for two writes of one item (batches, transactions)."""
        attributes = self.body["Item"] if "Item" in self.body else self.body["Key"]
        return _keys.fingerprint(self.table, _keys.key_names(model_meta(self.model)), attributes)

    @property
    def operation(self) -> str:
        """The API that sends this write alone: ``PutItem``, ``UpdateItem`` or ``DeleteItem``."""
        if self.kind == "condition_check":
            raise ValidationError("a condition check is only sent in a transaction")
        return _OPERATION.get(self.kind, "DeleteItem")

    @property
    def what(self) -> str:
        """The write for people: ``"update Payment {id=<str of 3 chars>}"`` (key masked)."""
        if self.instance is not None:
            meta = model_meta(self.model)
            shown = {name: getattr(self.instance, name) for name in meta.key_names}
        else:
            shown = dict(self.key or {})
        return f"{self.kind} {self.model.__name__} {masked_key(shown)}"

    def transact_item(self) -> dict[str, Any]:
        """The ``TransactWriteItems`` entry: ``{"Put": body}`` and so on."""
        return {_TRANSACT[self.kind]: self.body}

    def batch_request(self) -> dict[str, Any]:
        """The ``BatchWriteItem`` entry: ``{"PutRequest": ...}`` or ``{"DeleteRequest": ...}``."""
        if "Item" in self.body:
            return {"PutRequest": {"Item": self.body["Item"]}}
        return {"DeleteRequest": {"Key": self.body["Key"]}}

    def instead(self, stored: Any) -> Write | None:
        """The write to send after this one failed its guard, given the stored item.

        Only a put planned as a new item has one (:attr:`if_exists`), and only when the
        stored item, if DynamoDB returned it, has the instance's version; ``None`` else.
        """
        if self.if_exists is None:
            return None
        version = model_meta(self.model).version
        if (
            stored is not None
            and version is not None
            and getattr(stored, version.name) != getattr(self.instance, version.name)
        ):
            return None
        return self.if_exists

    def confirm(self) -> Any:
        """The instance as written: call once DynamoDB confirmed the write.

        A mutable instance gets the lifecycle values in place and is returned; a frozen one
        is left as it is and a new instance carrying them is returned (``None`` for a write
        by key).
        """
        if self.stamp is not None and self.instance is not None:
            return lifecycle.apply(self.instance, self.stamp)
        return self.instance


def conjoin(
    checks: Condition | None, condition: Cond | None, model: type, codec: Codec
) -> Condition | None:
    """The write's own checks ANDed with the caller's ``condition=`` (the one place).

    Raises:
        TypeError: ``condition`` is not a :class:`~dynamorm_async.conditions.Cond`.
        ValidationError: It names an unknown field or a value the field cannot take.
    """
    if condition is None:
        return checks
    if not isinstance(condition, Cond):
        raise TypeError(
            f"a condition is built with cond(...) (and & | ~), not {type(condition).__name__}"
        )
    compiled = compile_condition(condition, model, codec)
    return compiled if checks is None else and_(checks, compiled)


def _body(
    table: str,
    *,
    item: Item | None = None,
    key: Item | None = None,
    update: Update | None = None,
    guard: Condition | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"TableName": table}
    if item is not None:
        body["Item"] = item
    if key is not None:
        body["Key"] = key
    if update is not None or guard is not None:
        body.update(compile_request(update=update, condition=guard))
    if guard is not None:
        body.update(RETURN_ON_FAILURE)
    return body


@attrs.frozen
class WritePlanner:
    """Plans single-item writes.

    Attributes:
        codec: Encodes items, keys and condition values.
        config: Gives the physical table names.
        now: The time every write's lifecycle timestamps get (one call's writes share
            it: a batch, a transaction), or ``None`` for the time each write is planned.
    """

    codec: Codec
    config: Config
    now: dt.datetime | None = None

    def _now(self) -> dt.datetime:
        return lifecycle.utcnow() if self.now is None else self.now

    def _table(self, meta: ModelMeta) -> str:
        return self.config.table_name(meta.table)

    def _put(
        self,
        kind: WriteKind,
        meta: ModelMeta,
        item: Any,
        stamp: lifecycle.Stamp,
        condition: Cond | None,
    ) -> Write:
        encoded = lifecycle.put_item(self.codec, item, stamp)
        table = self._table(meta)
        if stamp.condition is None and condition is None:  # no expressions (batch puts)
            return Write(kind, meta.cls, table, {"TableName": table, "Item": encoded}, item, stamp)
        guard = conjoin(stamp.condition, condition, meta.cls, self.codec)
        return Write(kind, meta.cls, table, _body(table, item=encoded, guard=guard), item, stamp)

    def put(
        self,
        item: Any,
        *,
        condition: Cond | None = None,
        check_version: bool = True,
        new_first: bool = False,
    ) -> Write:
        """Put ``item`` (an upsert): version + 1, guarded by the stored version.

        ``check_version=False`` increments the version without the guard (batches).

        With ``new_first`` (a put sent alone, which may send a second request), an instance
        at version 0 is planned as a new item: version 0, guarded by its absence, as
        :meth:`create` writes it; :attr:`Write.if_exists` is the version-checked put
        (version 1) to send when that guard fails because the item exists. A transaction
        or batch sends one request and cannot tell: there a put at version 0 writes 1.
        """
        meta = _instance_meta(item, "put")
        now = self._now()
        checked = lifecycle.on_put(self.codec, item, now=now, check_version=check_version)
        write = self._put("put", meta, item, checked, condition)
        version = meta.version
        if new_first and check_version and version and getattr(item, version.name) == 0:
            fresh = lifecycle.on_put(self.codec, item, now=now, new=True)
            first = self._put("put", meta, item, fresh, condition)
            first.if_exists = write
            return first
        return write

    def create(
        self, item: Any, *, if_not_exists: bool = False, condition: Cond | None = None
    ) -> Write:
        """Create ``item``: version 0, both timestamps; guarded when ``if_not_exists``."""
        meta = _instance_meta(item, "create")
        stamp = lifecycle.on_create(self.codec, item, now=self._now(), if_not_exists=if_not_exists)
        return self._put("create", meta, item, stamp, condition)

    def update(
        self, item: Any, *, fields: Iterable[str] | None = None, condition: Cond | None = None
    ) -> Write:
        """Write ``fields`` of an existing ``item`` (every non-key field if ``None``)."""
        meta = _instance_meta(item, "update")
        names = None if fields is None else tuple(fields)
        stamp = lifecycle.on_update(self.codec, item, now=self._now())
        update = lifecycle.update_of(self.codec, item, names, stamp)
        key = self.codec.key_of(item)
        guard = conjoin(stamp.condition, condition, meta.cls, self.codec)
        body = _body(self._table(meta), key=key, update=update, guard=guard)
        return Write("update", meta.cls, body["TableName"], body, item, stamp, fields=names)

    def update_actions(
        self,
        model: type,
        key: Mapping[str, Any],
        changes: Changes,
        *,
        condition: Cond | None = None,
        upsert: bool = False,
        returning: ReturnValues = "NONE",
    ) -> Write:
        """Apply update actions to the item with ``key`` (the update builder's write).

        There is no instance: ``updated_at`` is set and ``version`` incremented, neither
        checked; the item must exist unless ``upsert``. An upsert must set every required
        field (:func:`~dynamorm_async.planning.lifecycle.on_changes`), and an item it
        creates starts at version 0, as :meth:`create` writes it.

        Raises:
            ValidationError: No actions, a bad action, or an upsert that leaves a required
                field without a value.
        """
        meta = model_meta(model)
        if not changes.actions:
            raise ValidationError(f"an update of {model.__name__} needs at least one action")
        encoded_key = self.codec.encode_key(model, _keys.key_mapping(model, key))
        now = self._now()
        update = lifecycle.on_changes(self.codec, model, changes, now=now, upsert=upsert, key=key)
        exists = None if upsert else compare(lifecycle.path_of(meta.pk), "exists")
        guard = conjoin(exists, condition, model, self.codec)
        body = _body(self._table(meta), key=encoded_key, update=update, guard=guard)
        if returning != "NONE":
            body["ReturnValues"] = returning
        # No instance to copy them onto: the stamp only tells this write's result apart.
        stamp = lifecycle.Stamp(lifecycle.changes_stamp(meta, changes, now))
        return Write("update", meta.cls, body["TableName"], body, key=key, stamp=stamp)

    def delete(
        self,
        target: Any,
        key: Mapping[str, Any] | None = None,
        *,
        condition: Cond | None = None,
        check_version: bool = True,
    ) -> Write:
        """Delete an instance (version-checked unless ``check_version=False``) or a key."""
        meta, encoded_key, instance = _keys.target_of(self.codec, target, key)
        checks = None
        if instance is not None:
            checks = lifecycle.on_delete(self.codec, instance, check_version=check_version)
        guard = conjoin(
            None if checks is None else checks.condition, condition, meta.cls, self.codec
        )
        body = _body(self._table(meta), key=encoded_key, guard=guard)
        return Write("delete", meta.cls, body["TableName"], body, instance, key=key)

    def condition_check(self, model: type, key: Mapping[str, Any], condition: Cond) -> Write:
        """Require ``condition`` of the item with ``key`` without writing it (transactions)."""
        if condition is None:
            raise TypeError("a condition check needs condition=cond(...)")
        meta, encoded_key, _ = _keys.target_of(self.codec, model, key)
        guard = conjoin(None, condition, meta.cls, self.codec)
        body = _body(self._table(meta), key=encoded_key, guard=guard)
        return Write("condition_check", meta.cls, body["TableName"], body, key=key)


def _instance_meta(item: Any, verb: str) -> ModelMeta:
    if isinstance(item, _keys.NOT_INSTANCES):
        raise TypeError(f"{verb} takes a model instance, not {type(item).__name__}")
    return model_meta(type(item))
