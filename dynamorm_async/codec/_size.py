"""Sizes as DynamoDB counts them: items against the 400 KB limit, key values against theirs.

Attribute names and strings count their UTF-8 bytes, binary its length, BOOL and NULL one
byte, a list or map 3 bytes plus 1 per element plus its contents, a set the sum of its
elements. A number takes one byte per two significant digits plus one (the exact rule,
measured against DynamoDB by dynalite, adds a byte for an even digit count at an even
exponent and one for a negative sign).

A partition key value holds at most :data:`MAX_PARTITION_KEY_SIZE` bytes and a sort key
value :data:`MAX_SORT_KEY_SIZE`, in the table and in every secondary index (DynamoDB rejects
a write whose index key attributes break them). Only strings and binaries can: a number has
at most 38 digits, 21 bytes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import EncodeError
from ._invalid import Invalid
from ._scalars import AttributeValue, KeyEncoder

MAX_PARTITION_KEY_SIZE = 2048
"""Bytes a partition key value (of the table or an index) may hold."""

MAX_SORT_KEY_SIZE = 1024
"""Bytes a sort key value (of the table or an index) may hold."""


def _text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _binary_size(value: Any) -> int:
    if value.__class__ is str:  # base64 text from a raw-JSON transport
        try:
            return len(base64.b64decode(value))
        except (binascii.Error, ValueError):
            return len(value)
    return len(value)


def number_size(text: str) -> int:
    """The stored size of a number's text, e.g. ``"12.50"`` → 3."""
    negative = text.startswith("-")
    mantissa, _, exponent = text.lstrip("+-").upper().partition("E")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    stripped = digits.lstrip("0")
    if not stripped:
        return 1  # zero
    # The exponent of the first significant digit (Decimal.adjusted()).
    first = len(whole) - 1 - (len(digits) - len(stripped)) + int(exponent or 0)
    significant = len(stripped.rstrip("0"))
    pairs = (significant + 1) // 2
    return 1 + pairs + (0 if significant % 2 or first % 2 else 1) + (1 if negative else 0)


def _list_size(values: list[Mapping[str, Any]]) -> int:
    return 3 + len(values) + sum(map(value_size, values))


def _map_size(values: Mapping[str, Mapping[str, Any]]) -> int:
    return 3 + len(values) + item_size(values)


def _each(size: Callable[[Any], int]) -> Callable[[Iterable[Any]], int]:
    return lambda values: sum(map(size, values))


_SIZERS: dict[str, Callable[[Any], int]] = {
    "S": _text_size,
    "N": number_size,
    "B": _binary_size,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
    "L": _list_size,
    "M": _map_size,
    "SS": _each(_text_size),
    "NS": _each(number_size),
    "BS": _each(_binary_size),
}


def value_size(value: Mapping[str, Any]) -> int:
    """The stored size of one AttributeValue (without its name)."""
    for kind, inner in value.items():
        sizer = _SIZERS.get(kind)
        if sizer is None:
            raise EncodeError(f"unknown AttributeValue type {kind!r}")
        return sizer(inner)
    return 0


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """The size DynamoDB counts for an item (or a map's contents) against the 400 KB limit.

    Args:
        item: Stored attribute names to AttributeValues.

    Returns:
        The size in bytes: each name's UTF-8 length plus its value's size.

    Raises:
        EncodeError: ``item`` is not a mapping of AttributeValues.
    """
    total = 0
    try:
        for name, value in item.items():
            total += _text_size(name)
            for kind, inner in value.items():
                total += _SIZERS[kind](inner)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise EncodeError(f"not an item of AttributeValues ({type(exc).__name__}: {exc})") from exc
    return total


def size_limited(encoder: KeyEncoder, limit: int, role: str) -> KeyEncoder:
    """``encoder`` for a key attribute whose string or binary may hold ``limit`` bytes.

    Args:
        encoder: The key attribute's encoder.
        limit: :data:`MAX_PARTITION_KEY_SIZE` or :data:`MAX_SORT_KEY_SIZE`.
        role: What the value is, for the message (``"the partition key"``...).
    """

    def encode(value: Any) -> AttributeValue:
        av = encoder(value)
        for kind, inner in av.items():
            size = _text_size(inner) if kind == "S" else _binary_size(inner) if kind == "B" else 0
            if size > limit:
                raise Invalid(f"{role} is {size} bytes, over DynamoDB's limit of {limit} bytes")
        return av

    return encode


def ascii_first(encoder: KeyEncoder, limit: int) -> KeyEncoder:
    """A text key's ``encoder`` (already :func:`size_limited`), its common case first.

    A non-empty ASCII string of at most ``limit`` characters passes every check a key's
    encoder makes (its bytes are its characters): it is encoded at once, anything else by
    ``encoder``.
    """

    def encode(value: Any) -> AttributeValue:
        if value.__class__ is str and value.isascii() and 0 < len(value) <= limit:
            return {"S": value}
        return encoder(value)

    return encode
