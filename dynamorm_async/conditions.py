"""Conditions on model fields, in users' terms: Python field names and Python values.

``cond("status", "=", Status.PENDING) & cond("amount", ">", Decimal(10))`` builds a
condition; :func:`compile_condition` turns it into an :mod:`~dynamorm_async.expr`
condition on stored names with encoded values, for one model. Field paths may go into
nested attrs classes, maps and lists (``"address.postal_code"``, ``"items[0]"``), and
``"size(tags)"`` compares an attribute's size.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from . import _schema
from ._annotations import strip_optional
from .codec import AttributeValue, Codec
from .errors import ValidationError
from .expr import Condition, Path, and_, compare, compare_size, not_, or_

__all__ = ["Cond", "compile_condition", "cond", "resolve_path"]

_SIZE = re.compile(r"\s*size\((.+)\)\s*")
_NO_VALUE_OPS = frozenset({"exists", "not_exists"})
_ATTRIBUTE_TYPES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})


class Cond:
    """A condition on model fields; combine with ``&`` (and), ``|`` (or), ``~`` (not)."""

    __slots__ = ()

    def __and__(self, other: Cond) -> Cond:
        return _All((self, other))

    def __or__(self, other: Cond) -> Cond:
        return _Any((self, other))

    def __invert__(self) -> Cond:
        return _Not(self)

    def __bool__(self) -> bool:
        raise TypeError("a Cond has no truth value: combine conditions with & | ~")


@attrs.frozen
class _Compare(Cond):
    field: str
    op: str
    values: tuple[Any, ...]


@attrs.frozen
class _All(Cond):
    parts: tuple[Cond, ...]


@attrs.frozen
class _Any(Cond):
    parts: tuple[Cond, ...]


@attrs.frozen
class _Not(Cond):
    part: Cond


def cond(field: str, op: str, *values: Any) -> Cond:
    """A comparison of a field with values.

    Args:
        field: A Python field name or path (``"amount"``, ``"address.postal_code"``,
            ``"items[0]"``), or ``"size(field)"`` to compare the attribute's size.
        op: ``= != < <= > >= between in begins_with contains exists not_exists
            attribute_type``.
        *values: The Python values to compare with (none for ``exists``/``not_exists``, two
            for ``between``; ``in`` takes one iterable or several values).

    Example::

        cond("status", "in", ["pending", "failed"]) | cond("size(tags)", ">", 2)
    """
    if not isinstance(field, str):
        raise TypeError(f"a condition's field is a name (str), not {field!r}")
    if not field:
        raise ValidationError("a condition needs a field name, not ''")
    if op == "in" and len(values) == 1 and _is_collection(values[0]):
        values = tuple(values[0])
    return _Compare(field, op, values)


def _is_collection(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping)


def compile_condition(condition: Cond, model: type, codec: Codec) -> Condition:
    """Translate a :class:`Cond` into an expression on the model's stored names.

    Raises:
        ValidationError: an unknown field, an operator or value the field cannot take.
    """
    if isinstance(condition, _Compare):
        return _compile_compare(condition, model, codec)
    if isinstance(condition, _All):
        return and_(*(compile_condition(c, model, codec) for c in condition.parts))
    if isinstance(condition, _Any):
        return or_(*(compile_condition(c, model, codec) for c in condition.parts))
    if isinstance(condition, _Not):
        return not_(compile_condition(condition.part, model, codec))
    raise TypeError(f"not a condition: {condition!r} (build one with cond())")


def _compile_compare(c: _Compare, model: type, codec: Codec) -> Condition:
    op = c.op.lower() if isinstance(c.op, str) else c.op
    sized = _SIZE.fullmatch(c.field)
    if sized:
        path, _ = resolve_path(model, sized.group(1))
        values = tuple(_encode(codec, model, c.field, int, None, v) for v in c.values)
        return compare_size(path, op, *values)
    path, tp = resolve_path(model, c.field)
    if op in _NO_VALUE_OPS:
        return compare(path, op, *c.values)
    if op == "attribute_type":
        if len(c.values) != 1 or c.values[0] not in _ATTRIBUTE_TYPES:
            raise ValidationError(
                f"attribute_type on {c.field!r} takes one of {sorted(_ATTRIBUTE_TYPES)}"
            )
        return compare(path, op, {"S": c.values[0]})
    top = c.field if path.segments == (_stored_top(model, c.field),) else None
    if op == "contains":
        tp, top = _element_type(tp), None
    values = tuple(_encode(codec, model, c.field, tp, top, v) for v in c.values)
    return compare(path, op, *values)


def _stored_top(model: type, field: str) -> str | None:
    meta = _schema.model_meta(model)
    found = meta.by_name.get(field)
    return found.stored if found is not None else None


def _encode(
    codec: Codec, model: type, field: str, tp: Any, top: str | None, value: Any
) -> AttributeValue:
    # A top-level field is encoded through its role too (a ttl() field compares as epoch
    # seconds); nested values by their annotation.
    if top is not None:
        av = codec.encode_field(model, field, value)
    else:
        av = codec.encode_value(tp, value, path=field)
    if av is None:
        raise ValidationError(f"{field!r} cannot be compared with {value!r} (an empty value)")
    return av


def _element_type(tp: Any) -> Any:
    inner, _ = strip_optional(tp)
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin is not None and args and origin is not dict:
        return args[0]
    return inner


def resolve_path(model: type, field: str) -> tuple[Path, Any]:
    """The stored path and the annotation of a Python field path on a model.

    ``resolve_path(Payment, "address.postal_code")`` →
    ``(Path(("address", "postalCode")), str | None)``.

    Raises:
        ValidationError: the path names a field the model does not have, or indexes into
            something that is not a list or map.
    """
    meta = _schema.model_meta(model)
    python_path = Path.parse(field)
    segments: list[str | int] = []
    tp: Any = model
    naming = meta.naming
    for position, segment in enumerate(python_path.segments):
        inner, _ = strip_optional(tp)
        if tp is Any or inner is Any:
            segments.append(segment)
            continue
        if isinstance(segment, int):
            origin = typing.get_origin(inner)
            if origin not in (list, tuple, Sequence) and inner not in (list, tuple):
                raise ValidationError(f"{field!r}: cannot index into {_show(tp)} with [{segment}]")
            args = typing.get_args(inner)
            tp = args[0] if args else Any
            segments.append(segment)
            continue
        if position == 0:
            found = meta.by_name.get(segment)
            if found is None:
                raise ValidationError(
                    f"{model.__name__} has no field {segment!r} (fields: {', '.join(meta.by_name)})"
                )
            segments.append(found.stored)
            tp = found.type
            continue
        if isinstance(inner, type) and attrs.has(inner):
            attrs.resolve_types(inner)
            fields = {f.name: f for f in attrs.fields(inner)}
            nested = fields.get(segment)
            if nested is None:
                raise ValidationError(
                    f"{field!r}: {inner.__name__} has no field {segment!r} "
                    f"(fields: {', '.join(fields)})"
                )
            spec = _schema.field_spec(nested)
            segments.append(spec.name or _schema.stored_name(segment, naming))
            tp = nested.type if nested.type is not None else Any
            continue
        origin = typing.get_origin(inner)
        if origin in (dict, Mapping) or inner is dict:
            args = typing.get_args(inner)
            tp = args[1] if len(args) == 2 else Any
            segments.append(segment)
            continue
        raise ValidationError(f"{field!r}: {_show(tp)} has no attribute {segment!r}")
    return Path(tuple(segments)), tp


def _show(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)
