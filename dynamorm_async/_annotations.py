"""Which Python annotations a model field may have, and as which DynamoDB type each is stored.

Pure functions over annotations, at the bottom of the schema layer: the schema uses them to
reject an unsupported field type when a model is decorated and to find a key attribute's
scalar type; the codec uses them to pick each field's encoder and decoder.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
import uuid
from collections import abc
from decimal import Decimal
from typing import Any, Literal

import attrs

ScalarKind = Literal["S", "N", "B"]

_STRINGISH: tuple[type, ...] = (str, dt.datetime, dt.date, uuid.UUID)
_NUMERIC: tuple[type, ...] = (int, Decimal, float)
_BINARY: tuple[type, ...] = (bytes, bytearray)
SCALARS: tuple[type, ...] = (enum.Enum, bool, *_STRINGISH, *_NUMERIC, *_BINARY)
"""The classes (and their subclasses) stored as one S, N, B or BOOL value."""
# typing.get_origin() gives the runtime classes: collections.abc.Set for typing.AbstractSet[X].
SET_ORIGINS: tuple[Any, ...] = (set, frozenset, abc.Set, abc.MutableSet)
LIST_ORIGINS: tuple[Any, ...] = (list, abc.Sequence, abc.MutableSequence)
DICT_ORIGINS: tuple[Any, ...] = (dict, abc.Mapping, abc.MutableMapping)


def strip_optional(tp: Any) -> tuple[Any, bool]:
    """Split ``X | None`` / ``Optional[X]`` into ``(X, True)``; other types give ``(tp, False)``."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def enum_kind(tp: type[enum.Enum]) -> ScalarKind | None:
    """The stored type of an Enum: S when every value is a str, N when every value is an int."""
    values = [member.value for member in tp]
    if values and all(isinstance(v, str) for v in values):
        return "S"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "N"
    return None


def scalar_kind(tp: Any) -> ScalarKind | None:
    """The DynamoDB scalar type (S, N or B) a field of this annotation is stored as, if scalar.

    Key attributes (table and index keys) must have a scalar kind.
    """
    tp, _ = strip_optional(tp)
    if not isinstance(tp, type):
        return None
    if issubclass(tp, enum.Enum):
        return enum_kind(tp)
    if issubclass(tp, bool):
        return None
    if issubclass(tp, _STRINGISH):
        return "S"
    if issubclass(tp, _NUMERIC):
        return "N"
    if issubclass(tp, _BINARY):
        return "B"
    return None


def unsupported_reason(tp: Any, _seen: frozenset[type] = frozenset()) -> str | None:
    """Why the codec cannot store values of this annotation, or ``None`` when it can."""
    if tp is Any or tp is object or tp is type(None):
        return None
    inner, optional = strip_optional(tp)
    if optional:
        return unsupported_reason(inner, _seen)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or origin is types.UnionType:
        return f"unions other than Optional[X] are not supported ({tp!r})"
    if origin is Literal:
        kinds = {type(a) for a in args}
        return None if kinds <= {str} or kinds <= {int} else f"mixed Literal {tp!r}"
    if origin in SET_ORIGINS:
        (element,) = args or (Any,)
        element, _ = strip_optional(element)
        if element in (str, bytes) or element in _NUMERIC:
            return None
        if isinstance(element, type) and issubclass(element, enum.Enum) and enum_kind(element):
            return None
        return f"sets hold str, int, Decimal, float or bytes, not {element!r}"
    if origin is tuple or origin in LIST_ORIGINS:
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            args = args[:1]
        for arg in args:
            reason = unsupported_reason(arg, _seen)
            if reason:
                return reason
        return None
    if origin in DICT_ORIGINS:
        key, value = args or (str, Any)
        if key is not str:
            return f"dict keys must be str, not {key!r}"
        return unsupported_reason(value, _seen)
    if origin is not None:
        return f"unsupported generic type {tp!r}"
    if not isinstance(tp, type):
        return f"unsupported annotation {tp!r}"
    if issubclass(tp, enum.Enum):
        return None if enum_kind(tp) else f"enum {tp.__name__} mixes value types"
    if tp in (set, frozenset, list, tuple, dict):
        return None
    if issubclass(tp, SCALARS):
        return None
    if attrs.has(tp):
        if tp in _seen:
            return None
        try:
            attrs.resolve_types(tp)
        except NameError as exc:
            return f"{tp.__name__}: cannot resolve annotation ({exc})"
        for field in attrs.fields(tp):
            reason = unsupported_reason(field.type, _seen | {tp})
            if reason:
                return f"{tp.__name__}.{field.name}: {reason}"
        return None
    # Any other class may be a custom type (Codec.register_type): the codec that builds the
    # model's functions tells whether it knows it, with what to do if not.
    return None
