"""Sets as SS, NS and BS.

An empty set encodes to ``None`` (left out: DynamoDB rejects empty sets). Members are written
in a deterministic order: sorted, numbers by value.
"""

from __future__ import annotations

import enum
import typing
from collections import abc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .._annotations import SET_ORIGINS, enum_kind, strip_optional
from ..errors import SchemaError
from ._invalid import Invalid, type_name, wrap
from ._numbers import (
    decimal_text,
    float_text,
    int_text,
    number_text,
    parse_decimal,
    parse_float,
    parse_int,
    parse_number,
)
from ._scalars import (
    AttributeValue,
    Decoder,
    Encoder,
    binary_value,
    enum_decoder,
    enum_encoder,
    short_av,
    wrong_type,
)


def is_set_type(tp: Any) -> bool:
    """Whether ``tp`` (not Optional) is a set annotation."""
    return typing.get_origin(tp) in SET_ORIGINS or tp in (set, frozenset)


def empty_set_factory(tp: Any) -> Callable[[], Any]:
    """The constructor of an empty value of set annotation ``tp``."""
    origin = typing.get_origin(tp) or tp
    return frozenset if origin in (frozenset, abc.Set) else set


def dynamic_set(value: Any) -> AttributeValue | None:
    """An untyped set by its members' types: all str (SS), all numbers (NS) or all bytes (BS)."""
    if not value:
        return None
    kinds = set(map(type, value))
    if kinds <= {str}:
        return {"SS": sorted(value)}
    if kinds <= {bytes, bytearray}:
        return {"BS": sorted(map(bytes, value))}
    if bool not in kinds and all(issubclass(k, int | Decimal | float) for k in kinds):
        texts = [number_text(v) for v in value]
        if kinds == {int}:
            texts.sort(key=int)
            return {"NS": texts}
        return {"NS": _number_set(texts)}
    names = ", ".join(sorted(k.__name__ for k in kinds))
    raise Invalid(f"a set holds only str, only numbers or only bytes, not a mix of {names}")


def _set_element(element: Any) -> tuple[str, Callable[[Any], Any], Callable[[Any], Any]]:
    """The set type (SS/NS/BS) for an element annotation, element-to-text and text-to-element.

    The set type is ``""`` for an untyped element (the members' types decide).
    """
    element, _ = strip_optional(element)
    if element is Any or element is object:
        return "", _identity_str, _identity_str
    if isinstance(element, type) and issubclass(element, enum.Enum):
        encode, decode = enum_encoder(element), enum_decoder(element)
        kind = enum_kind(element) or "S"
        return kind + "S", lambda v: encode(v)[kind], lambda v: decode({kind: v})  # type: ignore[index]
    if element is str:
        return "SS", _set_str, _identity_str
    if element is int:
        return "NS", int_text, parse_int
    if element is Decimal:
        return "NS", decimal_text, parse_decimal
    if element is float:
        return "NS", float_text, parse_float
    if element is bytes:
        return "BS", _set_bytes, binary_value
    raise SchemaError(f"sets hold str, int, Decimal, float or bytes, not {element!r}")


def _number_set(texts: list[str]) -> list[str]:
    # Numeric order, for a deterministic payload. DynamoDB rejects numerically equal members,
    # which a Python set can hold: 0.1 (float) and Decimal("0.10") are not equal.
    texts.sort(key=Decimal)
    if len(set(map(Decimal, texts))) != len(texts):
        raise Invalid(f"a number set holds numerically equal values ({', '.join(texts)})")
    return texts


def _set_str(value: Any) -> str:
    if isinstance(value, str):
        return str.__str__(value)
    raise Invalid(f"a string set holds str, got {type_name(value)} {value!r}")


def _set_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise Invalid(f"a binary set holds bytes, got {type_name(value)} {short_av(value)}")


def _is_set(value: Any) -> bool:
    return isinstance(value, abc.Set)


def set_encoder(element: Any) -> Encoder:
    """The encoder of a set of ``element`` (an empty set encodes to ``None``)."""
    kind, text, _ = _set_element(element)
    strings = kind == "SS" and text is _set_str
    element, _ = strip_optional(element)
    integral = element is int or (isinstance(element, type) and issubclass(element, enum.Enum))

    def encode_set(value: Any) -> AttributeValue | None:
        cls = value.__class__
        if cls is not set and cls is not frozenset and not _is_set(value):
            raise Invalid(f"expected a set, got {type_name(value)}")
        if not value:
            return None
        if not kind:
            return dynamic_set(value)
        if strings:
            if not set(map(type, value)) <= {str}:
                return {"SS": sorted(map(_set_str, value))}
            return {"SS": sorted(value)}
        texts = [text(v) for v in value]
        if kind != "NS":
            texts.sort()
        elif integral:
            texts.sort(key=int)
        else:
            texts = _number_set(texts)
        return {kind: texts}

    return encode_set


def set_decoder(element: Any, empty: Callable[[], Any]) -> Decoder:
    """The decoder of a set of ``element``; ``empty`` builds the set (set or frozenset)."""
    kind, _, item = _set_element(element)
    if not kind:
        frozen = empty is frozenset

        def decode_dynamic_set(av: Any) -> Any:
            if av.get("NULL") is True:
                return empty()
            for set_kind, decode in DYNAMIC_SET_DECODERS.items():
                values = av.get(set_kind)
                if values is not None:
                    value = decode(values)
                    return frozenset(value) if frozen else value
            raise wrong_type(av, "SS, NS or BS")

        return decode_dynamic_set

    def decode_set(av: Any) -> Any:
        values = av.get(kind)
        if values.__class__ is not list:
            if values is None and av.get("NULL") is True:
                return empty()
            if values is None or not isinstance(values, list | tuple):
                raise wrong_type(av, kind)
        if item is _identity_str:
            return empty(values)  # type: ignore[call-arg]
        try:
            return empty(map(item, values))  # type: ignore[call-arg]
        except Exception as exc:
            invalid = wrap(exc)
            raise invalid from invalid.__cause__

    return decode_set


def _identity_str(value: Any) -> Any:
    return value


DYNAMIC_SET_DECODERS: dict[str, Callable[[Any], Any]] = {
    "SS": set,
    "NS": lambda values: {parse_number(v) for v in values},
    "BS": lambda values: {binary_value(v) for v in values},
}
"""Untyped sets: SS to set[str], NS to a set of int/Decimal, BS to set[bytes]."""
