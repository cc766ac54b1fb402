"""Telling whether a stored item is the one a planned write left: its outcome after a lost answer.

When an attempt of a guarded write may have been applied and its retry then fails its
condition (the first attempt's own write makes the check fail), the stored item decides:

* a put or create wrote the whole item: the stored item equals the request's ``Item``
  (every attribute; the timestamps are this call's, to the nanosecond);
* an update of an instance wrote its new version, ``updated_at`` and the fields it names
  (a field written as ``None`` is absent);
* an update by key (the update builder) wrote ``updated_at`` (this call's time): with no
  ``updated_at`` field, or one the actions set themselves, nothing tells its result apart;
* a delete left no item.

Pure: no I/O. The executor (:mod:`dynamorm_async._items`) fetches the stored item.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._schema import model_meta
from ..codec import Codec, Item
from ..codec._scalars import binary_value
from . import _keys, lifecycle
from .writes import Write

__all__ = ["ABSENT", "Expected", "expected_state", "is_written_state", "key_of"]


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()
"""The state a delete leaves: no item."""

Expected = Item | Mapping[str, Any] | _Absent
"""The whole item (put, create), the attributes it must hold (update: stored name to
AttributeValue, ``None`` for absent) or :data:`ABSENT` (delete)."""


def key_of(write: Write) -> Item:
    """The encoded key of the item ``write`` writes (to read it back)."""
    if "Key" in write.body:
        key: Item = write.body["Key"]
        return key
    names = _keys.key_names(model_meta(write.model))
    return {name: write.body["Item"][name] for name in names}


def expected_state(codec: Codec, write: Write) -> tuple[bool, Expected | None]:
    """What the stored item is once ``write`` was applied: ``(whole, expected)``.

    ``whole`` says the expected item is the entire stored item (a put); otherwise only the
    attributes named must match. ``expected`` is ``None`` when nothing tells this write's
    result apart from another's.
    """
    if write.kind == "delete":
        return False, ABSENT
    if "Item" in write.body:
        return True, write.body["Item"]
    meta = model_meta(write.model)
    values: dict[str, Any] = dict(write.stamp.values) if write.stamp is not None else {}
    if write.instance is not None:
        if write.fields is None:
            managed = {f.name for f in (*meta.key_fields, *lifecycle.lifecycle_fields(meta))}
            names = [f.name for f in meta.fields if f.name not in managed]
        else:
            names = list(write.fields)
        for name in names:
            values.setdefault(name, getattr(write.instance, name))
    if not values:
        return False, None
    attributes = {
        meta.by_name[name].stored: codec.encode_field(meta.cls, name, value)
        for name, value in values.items()
    }
    return False, attributes


def is_written_state(whole: bool, expected: Expected, stored: Mapping[str, Any] | None) -> bool:
    """Whether ``stored`` (``None``: no item) is what the write left (:func:`expected_state`)."""
    if isinstance(expected, _Absent):
        return stored is None
    if stored is None:
        return False
    if whole and set(stored) != set(expected):
        return False
    for name, value in expected.items():
        if value is None:
            if name in stored:
                return False
        elif name not in stored or not _same(value, stored[name]):
            return False
    return True


def _same(left: Any, right: Any) -> bool:
    """Whether two AttributeValues hold the same value (whatever the spelling)."""
    if not isinstance(left, Mapping) or not isinstance(right, Mapping) or len(left) != 1:
        return False
    ((tag, a),) = left.items()
    if tag not in right or len(right) != 1:
        return False
    b = right[tag]
    try:
        if tag == "N":
            return Decimal(a) == Decimal(b)
        if tag == "B":
            return binary_value(a) == binary_value(b)
        if tag == "NS":
            return {Decimal(x) for x in a} == {Decimal(x) for x in b}
        if tag == "BS":
            return {binary_value(x) for x in a} == {binary_value(x) for x in b}
        if tag == "SS":
            return set(a) == set(b)
        if tag == "L":
            return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
        if tag == "M":
            return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    except (ArithmeticError, TypeError, ValueError):
        return False
    return bool(a == b)
