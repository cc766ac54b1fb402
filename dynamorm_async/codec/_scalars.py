"""Scalar encoders and decoders, and the AttributeValue type names the codec shares.

Strings, numbers, booleans, None, binary, datetimes, dates, UUIDs, TTLs, enums and literals.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import typing
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from .._annotations import enum_kind, strip_optional
from ..errors import SchemaError, shown
from ._invalid import Invalid, type_name
from ._numbers import (
    decimal_text,
    float_text,
    int_text,
    parse_decimal,
    parse_float,
    parse_int,
)
from ._time import (
    date_text,
    datetime_text,
    epoch_text,
    from_epoch,
    parse_date_text,
    parse_datetime_text,
)

AttributeValue = dict[str, Any]
"""One DynamoDB AttributeValue, as the wire JSON has it: ``{"S": "text"}``, ``{"N": "1.5"}``."""
Encoder = Callable[[Any], AttributeValue | None]
KeyEncoder = Callable[[Any], AttributeValue]
Decoder = Callable[[Any], Any]

NoneType = type(None)

NUMBER_SIZE = 22  # the largest stored number: 38 digits, sign and exponent parity
_DATETIME_SIZE = 27  # "YYYY-MM-DDTHH:MM:SS.ffffffZ"


def wrong_type(av: Any, expected: str) -> Invalid:
    """The error for an AttributeValue of the wrong type (the value shown only when asked)."""
    if isinstance(av, Mapping):
        if len(av) == 1:
            (kind,) = av
            return Invalid(f"expected {expected}, got {kind}{shown(av)}")
        return Invalid(f"expected {expected}, got a malformed AttributeValue{shown(av)}")
    return Invalid(f"expected {expected} AttributeValue, got {type_name(av)}{shown(av)}")


def check_text(value: str, what: str = "a string") -> str:
    """``value`` if it is valid UTF-8 text; a lone surrogate (which UTF-8 cannot encode and
    DynamoDB cannot store) is an error naming its position."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(
            f"{what} holds a lone surrogate (U+{ord(value[exc.start]):04X}) at position "
            f"{exc.start}; DynamoDB stores valid UTF-8 only"
        ) from None
    return value


def bounded_size(tp: Any) -> int | None:
    """The largest stored size of a value of ``tp``, when it has a small bound."""
    inner, _ = strip_optional(tp)
    if inner is NoneType or inner is None:
        return 1
    if typing.get_origin(inner) is Literal:
        args = typing.get_args(inner)
        if all(isinstance(a, str) for a in args):
            return max(len(a.encode()) for a in args)
        return NUMBER_SIZE
    if not isinstance(inner, type):
        return None
    if issubclass(inner, enum.Enum):
        values = [m.value for m in inner]
        if values and all(isinstance(v, str) for v in values):
            return max(max(len(v.encode()) for v in values), 1)
        return NUMBER_SIZE
    if issubclass(inner, bool):
        return 1
    if issubclass(inner, int | float | Decimal):
        return NUMBER_SIZE
    if issubclass(inner, dt.datetime):
        return _DATETIME_SIZE
    if issubclass(inner, dt.date):
        return 10
    if issubclass(inner, uuid.UUID):
        return 36
    return None


# --- scalar encoders -------------------------------------------------------------------------


def encode_str(value: Any) -> AttributeValue:
    if value.__class__ is str:
        return {"S": value if value.isascii() else check_text(value)}
    if isinstance(value, str):
        return {"S": check_text(str.__str__(value))}
    raise Invalid(f"expected str, got {type_name(value)}{shown(value)}")


def encode_int(value: Any) -> AttributeValue:
    return {"N": int_text(value)}


def encode_decimal(value: Any) -> AttributeValue:
    return {"N": decimal_text(value)}


def encode_float(value: Any) -> AttributeValue:
    return {"N": float_text(value)}


def encode_bool(value: Any) -> AttributeValue:
    if value is True or value is False:
        return {"BOOL": value}
    raise Invalid(f"expected bool, got {type_name(value)}{shown(value)}")


def encode_none(value: Any) -> AttributeValue:
    if value is None:
        return {"NULL": True}
    raise Invalid(f"expected None, got {type_name(value)}{shown(value)}")


def encode_bytes(value: Any) -> AttributeValue:
    if value.__class__ is bytes:
        return {"B": value}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"B": bytes(value)}
    raise Invalid(f"expected bytes, got {type_name(value)}{shown(value)}")


def encode_datetime(value: Any) -> AttributeValue:
    return {"S": datetime_text(value)}


def encode_date(value: Any) -> AttributeValue:
    return {"S": date_text(value)}


def encode_uuid(value: Any) -> AttributeValue:
    if isinstance(value, uuid.UUID):
        return {"S": str(value)}
    raise Invalid(f"expected UUID, got {type_name(value)}{shown(value)}")


def encode_ttl(value: Any) -> AttributeValue:
    return {"N": epoch_text(value)}


# --- scalar decoders -------------------------------------------------------------------------


def decode_str(av: Any) -> str:
    text = av.get("S")
    if text.__class__ is str:
        return text
    raise wrong_type(av, "S")


def decode_int(av: Any) -> int:
    text = av.get("N")
    if text is None:
        raise wrong_type(av, "N")
    return parse_int(text)


def decode_decimal(av: Any) -> Decimal:
    text = av.get("N")
    if text is None:
        raise wrong_type(av, "N")
    return parse_decimal(text)


def decode_float(av: Any) -> float:
    text = av.get("N")
    if text is None:
        raise wrong_type(av, "N")
    return parse_float(text)


def decode_bool(av: Any) -> bool:
    value = av.get("BOOL")
    if value is True or value is False:
        return value
    raise wrong_type(av, "BOOL")


def decode_none(av: Any) -> None:
    if av.get("NULL") is True:
        return None
    raise wrong_type(av, "NULL")


def binary_value(value: Any) -> bytes:
    """Bytes from a B value: raw bytes, or base64 text from a raw-JSON transport."""
    if value.__class__ is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(f"invalid base64 binary{shown(value)}") from None
    raise Invalid(f"expected binary, got {type_name(value)}")


def decode_bytes(av: Any) -> bytes:
    value = av.get("B")
    if value is None:
        raise wrong_type(av, "B")
    return binary_value(value)


def decode_datetime(av: Any) -> dt.datetime:
    text = av.get("S")
    if text is None:
        raise wrong_type(av, "S")
    return parse_datetime_text(text)


def decode_date(av: Any) -> dt.date:
    text = av.get("S")
    if text is None:
        raise wrong_type(av, "S")
    return parse_date_text(text)


def decode_uuid(av: Any) -> uuid.UUID:
    text = av.get("S")
    if text.__class__ is not str:
        raise wrong_type(av, "S")
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Invalid(f"invalid UUID text{shown(text)}") from None


def ttl_decoder(inner: Any) -> Decoder:
    """A TTL's decoder: epoch seconds to the annotated int or datetime."""
    if isinstance(inner, type) and issubclass(inner, dt.datetime):
        return lambda av: from_epoch(decode_int(av))
    return decode_int


def scalar_encoder(tp: type) -> Encoder:
    """The encoder of a scalar class (one of ``_annotations.SCALARS`` or a subclass)."""
    if issubclass(tp, enum.Enum):
        return enum_encoder(tp)
    if issubclass(tp, bool):
        return encode_bool
    if issubclass(tp, str):
        return encode_str
    if issubclass(tp, int):
        return encode_int
    if issubclass(tp, Decimal):
        return encode_decimal
    if issubclass(tp, float):
        return encode_float
    if issubclass(tp, bytes | bytearray):
        return encode_bytes
    if issubclass(tp, dt.datetime):
        return encode_datetime
    if issubclass(tp, dt.date):
        return encode_date
    return encode_uuid


def scalar_decoder(tp: type) -> Decoder:
    """The decoder of a scalar class (one of ``_annotations.SCALARS`` or a subclass)."""
    if issubclass(tp, enum.Enum):
        return enum_decoder(tp)
    cls, base = next((cls, base) for cls, base in _SCALAR_DECODERS if issubclass(tp, cls))
    if tp is cls or issubclass(tp, dt.date | uuid.UUID):
        return base  # subclasses of these read back as the base class
    convert: Callable[[Any], Any] = tp
    return lambda av: convert(base(av))


_SCALAR_DECODERS: tuple[tuple[type, Decoder], ...] = (
    (bool, decode_bool),
    (str, decode_str),
    (int, decode_int),
    (Decimal, decode_decimal),
    (float, decode_float),
    (bytes, decode_bytes),
    (bytearray, lambda av: bytearray(decode_bytes(av))),
    (dt.datetime, decode_datetime),
    (dt.date, decode_date),
    (uuid.UUID, decode_uuid),
)


def enum_encoder(tp: type[enum.Enum]) -> Encoder:
    """The encoder of an Enum: its members' values, as S or N."""
    kind = enum_kind(tp)
    if kind is None:
        raise SchemaError(f"enum {tp.__name__} mixes value types")
    # Looked up by member name: hashing a member runs Python code, hashing a str does not.
    by_name = {m.name: (m.value if kind == "S" else int_text(m.value)) for m in tp}
    name = tp.__name__

    def encode_enum(value: Any) -> AttributeValue:
        if value.__class__ is tp:
            return {kind: by_name[value._name_]}
        # Only members: a raw value ("active" for Status.ACTIVE) would be stored, but an
        # instance holding it is not what its type says, so it is refused everywhere
        # (fields, keys, conditions, updates) alike.
        if isinstance(value, tp):
            return {kind: by_name[value._name_]}
        hint = f"; convert it with {name}(value)" if value.__class__ in (str, int) else ""
        raise Invalid(f"expected a {name} member, got {type_name(value)}{shown(value)}{hint}")

    return encode_enum


def enum_decoder(tp: type[enum.Enum]) -> Decoder:
    """The decoder of an Enum: a stored value back to its member."""
    kind = enum_kind(tp)
    if kind is None:
        raise SchemaError(f"enum {tp.__name__} mixes value types")
    members: dict[Any, enum.Enum] = {}
    for member in reversed(tp):  # the canonical member wins over aliases
        members[member.value] = member
    name = tp.__name__

    def decode_enum(av: Any) -> enum.Enum:
        text = av.get(kind)
        if text is None:
            raise wrong_type(av, kind)
        member = members.get(text if kind == "S" else parse_int(text))
        if member is None:
            raise Invalid(f"the stored value is not a {name} value{shown(text)}")
        return member

    return decode_enum


def literal_encoder(args: tuple[Any, ...]) -> Encoder:
    """The encoder of ``Literal[*args]`` (all str: S, all int: N)."""
    kind = "S" if all(isinstance(a, str) for a in args) else "N"
    allowed = {a: (a if kind == "S" else int_text(a)) for a in args}
    choices = ", ".join(map(repr, args))

    def encode_literal(value: Any) -> AttributeValue:
        # Only exact str/int values: True == 1 and hashes alike, but is not Literal[1].
        text = allowed.get(value) if value.__class__ is str or value.__class__ is int else None
        if text is None:
            raise Invalid(f"expected one of {choices}, got {type_name(value)}{shown(value)}")
        return {kind: text}

    return encode_literal


def literal_decoder(args: tuple[Any, ...]) -> Decoder:
    """The decoder of ``Literal[*args]``."""
    kind = "S" if all(isinstance(a, str) for a in args) else "N"
    allowed = set(args)
    choices = ", ".join(map(repr, args))

    def decode_literal(av: Any) -> Any:
        text = av.get(kind)
        if text is None:
            raise wrong_type(av, kind)
        value = text if kind == "S" else parse_int(text)
        if value not in allowed:
            raise Invalid(f"expected one of {choices}, got another value{shown(text)}")
        return value

    return decode_literal
