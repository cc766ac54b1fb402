"""Item identity by key: comparable fingerprints of encoded keys, per physical table."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

from ._schema import ModelMeta
from .codec._scalars import binary_value

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
