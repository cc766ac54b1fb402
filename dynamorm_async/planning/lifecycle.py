"""Lifecycle fields: what each kind of write adds to an item, and the guard it needs.

Every write path (single writes in :class:`~dynamorm_async.DB`, batches, transactions)
computes its lifecycle values here, so they all follow DynamORM's rules:

* ``version()``: create writes 0. Put and update write the in-memory version + 1 and are
  guarded by the stored version equalling the in-memory one (a put of version 0 also
  succeeds when no item exists). A single put of an instance at version 0 first tries the
  item as new (version 0, guarded by its absence), and only if it exists the version-checked
  put (see :meth:`~dynamorm_async.planning.writes.WritePlanner.put`). Delete of an instance
  is guarded by its version.
* ``created_at()``: set by create; by put only while it is still ``None``; never written or
  removed by an update of an instance (which refuses to name a lifecycle field).
* ``updated_at()``: set by create, put and update.
* An update by key, without an instance (:func:`on_changes`: the update builder):
  ``updated_at`` now and version + 1, neither checked, unless the update names them. An
  upsert (it may create the item) must give every required field a value, sets
  ``created_at`` where none is stored and counts a new item's version from 0.
* ``ttl()`` needs nothing here: the codec stores it as epoch seconds and leaves out
  ``None`` (and 0 with ``omit_empty``).

A :class:`Stamp` holds the new values and the guard. The write sends the values; only once
DynamoDB confirmed the write are they copied onto the instance (:func:`apply`), so an
instance whose write failed keeps its old version and can be written again as it is. A
frozen instance (``@attrs.frozen``) is never changed: the write returns a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, cast

import attrs

from .._schema import FieldMeta, ModelMeta, model_meta
from ..codec import Codec, Item
from ..conditions import field_name
from ..errors import EncodeError, ValidationError, shown
from ..expr import Condition, Path, Update, as_path, compare
from ..updates import Changes
from . import entity_writes

T = TypeVar("T")

__all__ = [
    "Stamp",
    "apply",
    "is_frozen",
    "lifecycle_fields",
    "on_changes",
    "on_create",
    "on_delete",
    "on_put",
    "on_update",
    "path_of",
    "put_item",
    "stamped",
    "update_of",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def path_of(field: FieldMeta) -> Path:
    """The expression path of a top-level field (its stored name, taken literally)."""
    return Path.of(field.stored)


@attrs.frozen
class Stamp:
    """The lifecycle part of one write.

    Attributes:
        values: New values by field (Python) name: written with the item, copied onto the
            instance once the write succeeded.
        condition: The guard the write needs (version, existence), or ``None``.
    """

    values: Mapping[str, Any] = attrs.field(factory=dict)
    condition: Condition | None = None


_UNSTAMPED: Stamp = Stamp(MappingProxyType({}))
"""The stamp of an unguarded create or put of a model without lifecycle fields (shared:
nothing in it can change)."""


def _current_version(meta: ModelMeta, item: Any) -> int:
    """The instance's version, which must be an int (not a bool, a str or None)."""
    assert meta.version is not None
    current = getattr(item, meta.version.name)
    if current.__class__ is not int and (not isinstance(current, int) or isinstance(current, bool)):
        raise EncodeError(
            f"a version() field holds an int, got {type(current).__name__}{shown(current)}",
            path=meta.version.name,
            model=meta.cls.__name__,
        )
    return int(current)


def _version_guard(codec: Codec, meta: ModelMeta, field: FieldMeta, value: Any) -> Condition:
    av = codec.encode_field(meta.cls, field.name, value)
    if av is None:
        raise ValidationError(f"{meta.cls.__name__}.{field.name} has no value to compare")
    return compare(path_of(field), "=", av)


def on_create(codec: Codec, item: Any, *, now: dt.datetime, if_not_exists: bool = False) -> Stamp:
    """Create: version 0, both timestamps ``now``; guarded only if ``if_not_exists``."""
    meta = model_meta(type(item))
    if not if_not_exists and not meta.has_lifecycle:
        return _UNSTAMPED
    values: dict[str, Any] = {}
    if meta.version is not None:
        values[meta.version.name] = 0
    for field in (meta.created_at, meta.updated_at):
        if field is not None:
            values[field.name] = now
    condition = compare(path_of(meta.pk), "not_exists") if if_not_exists else None
    return Stamp(values, condition)


def on_put(
    codec: Codec,
    item: Any,
    *,
    now: dt.datetime,
    check_version: bool = True,
    new: bool = False,
) -> Stamp:
    """Put (an upsert): version + 1 guarded by the stored version, ``updated_at`` now.

    ``created_at`` is set only while it is ``None``. With ``check_version=False`` the
    version is still incremented but not guarded (for batch writes, which take no
    conditions). With ``new`` (an instance at version 0) the put writes a new item: version
    0, guarded by the item's absence, as DynamORM's data model says a new item starts.
    """
    meta = model_meta(type(item))
    if not meta.has_lifecycle:
        return _UNSTAMPED
    values: dict[str, Any] = {}
    condition: Condition | None = None
    if meta.version is not None and new:
        values[meta.version.name] = 0
        condition = compare(path_of(meta.pk), "not_exists")
    elif meta.version is not None:
        current = _current_version(meta, item)
        values[meta.version.name] = current + 1
        if check_version:
            condition = _version_guard(codec, meta, meta.version, current)
            if current == 0:
                condition = compare(path_of(meta.pk), "not_exists") | condition
    if meta.updated_at is not None:
        values[meta.updated_at.name] = now
    if meta.created_at is not None and getattr(item, meta.created_at.name) is None:
        values[meta.created_at.name] = now
    return Stamp(values, condition)


def on_update(codec: Codec, item: Any, *, now: dt.datetime) -> Stamp:
    """Update of an instance: version + 1 guarded by the stored version, ``updated_at`` now.

    Without a version field the guard is that the item exists (an update never creates).
    """
    meta = model_meta(type(item))
    values: dict[str, Any] = {}
    condition: Condition = compare(path_of(meta.pk), "exists")
    if meta.version is not None:
        current = _current_version(meta, item)
        values[meta.version.name] = current + 1
        condition = _version_guard(codec, meta, meta.version, current)
    if meta.updated_at is not None:
        values[meta.updated_at.name] = now
    return Stamp(values, condition)


def on_delete(codec: Codec, item: Any, *, check_version: bool = True) -> Stamp:
    """Delete of an instance: guarded by its version (when the model has one)."""
    meta = model_meta(type(item))
    if meta.version is None or not check_version:
        return Stamp()
    current = _current_version(meta, item)
    return Stamp({}, _version_guard(codec, meta, meta.version, current))


def on_changes(
    codec: Codec,
    model: type,
    changes: Changes,
    *,
    now: dt.datetime,
    upsert: bool = False,
    key: Mapping[str, Any] | None = None,
) -> Update:
    """The update expression of actions on an item by key, with the lifecycle actions added.

    There is no instance whose version could be checked: ``version`` goes up by one and
    ``updated_at`` is set to ``now``. With ``upsert`` (the item may be created) the new
    item must be one the model can read and starts as :func:`on_create` starts it:
    ``created_at`` is set where the item has none, and the version counts from 0 (a
    missing version is taken as -1 before the + 1). A field the actions already name is
    left as they say.

    ``key`` (the item's key fields) gives the values of an index key template built partly
    from key fields (see :mod:`.entity_writes`).

    Raises:
        ValidationError: An upsert whose actions do not give every required field (one
            without a default) a value, so the item it may create could not be read; the
            message names the fields.
    """
    meta = model_meta(model)
    touched = {field_name(field) for _, field, _ in changes.actions}
    if upsert:
        _check_upsert(codec, meta, changes)
    if meta.updated_at is not None and meta.updated_at.name not in touched:
        changes = changes.set(meta.updated_at.name, now)
    version = meta.version if meta.version and meta.version.name not in touched else None
    if version is not None and not upsert:
        changes = changes.add(version.name, 1)
    if upsert and meta.created_at is not None and meta.created_at.name not in touched:
        changes = changes.set_if_not_exists(meta.created_at.name, now)
    update = changes.compile(model, codec)
    # The values an index key template may be computed from: the key's, then those set.
    values: dict[str, Any] = dict(key or {})
    values.update(
        (field_name(field), value)
        for action, field, value in changes.actions
        if action == "set" and len(as_path(field).segments) == 1
    )
    update = entity_writes.on_key_update(codec, model, values, touched, update)
    if version is not None and upsert:
        update = update.increment(path_of(version), {"N": "1"}, start={"N": "-1"})
    return update


def changes_stamp(meta: ModelMeta, changes: Changes, now: dt.datetime) -> dict[str, Any]:
    """The lifecycle value :func:`on_changes` writes that is this write's own: ``updated_at``.

    Empty when the model has no ``updated_at`` or the actions set it themselves.
    """
    field = meta.updated_at
    if field is None or field.name in {field_name(f) for _, f, _ in changes.actions}:
        return {}
    return {field.name: now}


# Actions that give a missing top-level attribute a value (SET to None is a REMOVE).
_CREATING = frozenset({"set", "set_if_not_exists", "add", "append", "prepend"})


def _check_upsert(codec: Codec, meta: ModelMeta, changes: Changes) -> None:
    keys = set(meta.key_names)
    given = {
        field_name(field)
        for action, field, value in changes.actions
        if action in _CREATING
        and len(as_path(field).segments) == 1
        and not (action == "set" and value is None)
    }
    missing = [n for n in codec.required_fields(meta.cls) if n not in keys and n not in given]
    if missing:
        raise ValidationError(
            f"an upsert of {meta.cls.__name__} may create the item, which needs "
            f"{', '.join(missing)} (no default): set them (set_if_not_exists keeps a stored "
            "value), or drop .upsert()"
        )


def stamped(changes: Changes, stamp: Stamp) -> Changes:
    """Update actions on an instance's item, with the stamp's values set too."""
    for name, value in stamp.values.items():
        changes = changes.set(name, value)
    return changes


def put_item(codec: Codec, item: Any, stamp: Stamp) -> Item:
    """The whole encoded item with the stamp's values in place of the instance's."""
    encoded = codec.encode(item)
    if not stamp.values:
        return encoded
    meta = model_meta(type(item))
    for name, value in stamp.values.items():
        field = meta.by_name[name]
        av = codec.encode_field(meta.cls, name, value)
        if av is None:
            encoded.pop(field.stored, None)
        else:
            encoded[field.stored] = av
    return encoded


def lifecycle_fields(meta: ModelMeta) -> tuple[FieldMeta, ...]:
    """The model's ``version()``, ``created_at()`` and ``updated_at()`` fields it has."""
    found = (meta.version, meta.created_at, meta.updated_at)
    return tuple(field for field in found if field is not None)


def update_of(codec: Codec, item: Any, names: Iterable[str] | None, stamp: Stamp) -> Update:
    """The update expression writing fields ``names`` of ``item`` and the stamp's values.

    Args:
        codec: Encodes the values.
        item: The instance holding the new values.
        names: Python names of the fields to write; ``None`` for every field but the keys
            and the lifecycle fields (an update never removes or rewrites ``created_at``,
            whatever the instance holds; version and ``updated_at`` come from ``stamp``).
        stamp: The lifecycle values, written too.

    Raises:
        ValidationError: ``names`` is empty or names a key or lifecycle field.
        SchemaError: ``names`` names an unknown field.
    """
    meta = model_meta(type(item))
    keys = set(meta.key_names)
    managed = {f.name for f in lifecycle_fields(meta)}
    if names is None:
        chosen = [f.name for f in meta.fields if f.name not in keys and f.name not in managed]
    else:
        chosen = list(names)
    if not chosen:
        raise ValidationError(f"update of {meta.cls.__name__} names no fields")
    for name in chosen:
        if name in keys:
            raise ValidationError(f"update cannot rewrite key field {name!r}; write a new item")
        if name in managed:
            raise ValidationError(
                f"update cannot write lifecycle field {name!r}: the write sets version and "
                "updated_at itself and never touches created_at"
            )
        meta.field(name)  # raises ValidationError naming the model's fields
    values = {name: getattr(item, name) for name in chosen}
    values.update(stamp.values)
    update = Update()
    for name, value in values.items():
        path = path_of(meta.by_name[name])
        av = codec.encode_field(meta.cls, name, value)
        update = update.remove(path) if av is None else update.set(path, av)
    return entity_writes.on_instance_update(codec, item, chosen, update)


def is_frozen(cls: type) -> bool:
    """Whether instances of the attrs class ``cls`` refuse assignment (``@attrs.frozen``)."""
    # attrs gives frozen classes (and only those) its own __setattr__, which always raises.
    return getattr(cls.__setattr__, "__name__", "") == "_frozen_setattrs"


def apply(item: T, stamp: Stamp) -> T:
    """The instance carrying the stamp's values (after DynamoDB confirmed the write).

    A mutable instance gets them in place and is returned; a frozen one is never changed:
    the values go to a new instance (:func:`attrs.evolve`), which is returned.
    """
    if not stamp.values:
        return item
    cls: Any = type(item)
    if is_frozen(cls):
        fields = attrs.fields_dict(cls)
        changes = {str(fields[name].alias): value for name, value in stamp.values.items()}
        evolved: T = attrs.evolve(cast(Any, item), **changes)
        return evolved
    for name, value in stamp.values.items():
        setattr(item, name, value)
    return item
