"""Item identity by key: comparable fingerprints of encoded keys, per physical table."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

from .._schema import ModelMeta, model_meta
from ..codec import Codec, Item
from ..codec._scalars import binary_value

Fingerprint: TypeAlias = tuple[Hashable, ...]
"""``(table, (tag, value), ...)``: equal for two encodings of one item's key."""


def key_names(meta: ModelMeta) -> tuple[str, ...]:
    """The stored names of the model's table key, partition key first."""
    return tuple(field.stored for field in meta.key_fields)


def _scalar(av: Mapping[str, Any]) -> Hashable:
    # DynamoDB may spell a number differently in its answer ("1.0" for "1"): compare values.
    for tag, value in av.items():
        if tag == "N":
            return ("N", Decimal(value))
        if tag == "B":
            # bytes from the codec or botocore, base64 text from the direct transport.
            return ("B", binary_value(value))
        return (tag, value)
    raise ValueError("empty AttributeValue")


def fingerprint(table: str, names: Sequence[str], attributes: Mapping[str, Any]) -> Fingerprint:
    """The fingerprint of the item (or key) ``attributes`` in ``table``.

    Raises:
        KeyError: a key attribute is missing.
        ValueError, ArithmeticError, TypeError: a key value is malformed.
    """
    if len(names) == 1:  # a table with a partition key only: no generator on this hot path
        return (table, _scalar(attributes[names[0]]))
    return (table, *(_scalar(attributes[name]) for name in names))


class Claims:
    """Which request claimed which item first (one item may appear once per request)."""

    __slots__ = ("_first",)

    def __init__(self) -> None:
        self._first: dict[Fingerprint, int] = {}

    def claim(self, fingerprint: Fingerprint, position: int) -> int | None:
        """Claim the item for ``position``; the earlier position if it was claimed already."""
        first = self._first.setdefault(fingerprint, position)
        return None if first == position else first


NOT_INSTANCES: tuple[type, ...] = (type, tuple, list, dict, str, bytes, type(None))
"""What is certainly not a model instance (a concrete tuple: checking it costs little)."""


def key_mapping(model: type, key: Any) -> Mapping[str, Any]:
    """``key`` checked to be a mapping of Python field names (the one key form).

    Raises:
        TypeError: ``key`` is not a mapping (``db.get(Payment, {"id": "p-1"})``).
    """
    if type(key) is not dict and not isinstance(key, Mapping):  # dict first: no ABC check
        raise TypeError(
            f"a key of {model.__name__} is a mapping of its key fields, such as "
            f"{{'id': ...}}, not {type(key).__name__}"
        )
    return key


def target_of(codec: Codec, target: Any, key: Any = None) -> tuple[ModelMeta, Item, Any]:
    """The model, encoded key and instance (or ``None``) an item is named by.

    An item is named by an instance (``key`` is ``None``), or by its model class and a
    key mapping.

    Raises:
        TypeError: Neither form (a key with an instance, a class without a key...).
        ValidationError: A key field is missing, unknown or of the wrong type.
    """
    if isinstance(target, type):
        if key is None:
            raise TypeError(
                f"name a {target.__name__} by its key: ({target.__name__}, {{field: value}})"
            )
        return model_meta(target), codec.encode_key(target, key_mapping(target, key)), None
    if key is not None:
        raise TypeError("name an item by an instance, or by a model class and its key; not both")
    if isinstance(target, NOT_INSTANCES):
        raise TypeError(
            "name an item by a model instance or a (Model, {field: value}) pair, not "
            f"{type(target).__name__}"
        )
    return model_meta(type(target)), codec.key_of(target), target


def target_pair(codec: Codec, target: Any) -> tuple[ModelMeta, Item, Any]:
    """Like :func:`target_of` for one element of a list: an instance or a ``(Model, key)`` pair."""
    if isinstance(target, tuple):
        if len(target) != 2 or not isinstance(target[0], type):
            raise TypeError(
                f"a key in a list is a (Model, {{field: value}}) pair, not {type(target).__name__}"
            )
        return target_of(codec, target[0], target[1])
    return target_of(codec, target)
