"""The builder of per-annotation encoders and decoders, cached per (type, naming).

An *encoder* takes a Python value and returns its AttributeValue, or ``None`` when the value
is to be left out (an empty set: DynamoDB rejects them). A *decoder* takes an AttributeValue
and returns the Python value. Both raise :class:`~._invalid.Invalid` on a bad value;
containers add their path segment on the way up.

All type introspection happens here, at build time; the functions returned do only the
work their annotation needs. Scalars live in :mod:`._scalars`, sets in :mod:`._sets`; this
module adds Optional, lists, tuples, maps, nested attrs classes and untyped (``Any``) values.
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from .._annotations import DICT_ORIGINS, LIST_ORIGINS, SCALARS, strip_optional, unsupported_reason
from ..errors import SchemaError
from ._invalid import Invalid, at, key_segment, type_name, wrap
from ._numbers import parse_number
from ._scalars import (
    AttributeValue,
    Decoder,
    Encoder,
    NoneType,
    binary_value,
    decode_none,
    encode_bool,
    encode_bytes,
    encode_date,
    encode_datetime,
    encode_decimal,
    encode_float,
    encode_int,
    encode_none,
    encode_str,
    encode_uuid,
    literal_decoder,
    literal_encoder,
    scalar_decoder,
    scalar_encoder,
    short_av,
    wrong_type,
)
from ._sets import (
    DYNAMIC_SET_DECODERS,
    dynamic_set,
    empty_set_factory,
    is_set_type,
    set_decoder,
    set_encoder,
)

# --- helpers shared by generated code --------------------------------------------------------


def locate_in_sequence(exc: BaseException, fn: Callable[[Any], Any], values: Any) -> Invalid:
    """Find which element of ``values`` made ``fn`` fail and return its error with ``[i]``."""
    for index, value in enumerate(values):
        try:
            fn(value)
        except Exception as inner:
            return at(inner, f"[{index}]")
    return wrap(exc)


def locate_in_mapping(exc: BaseException, fn: Callable[[Any], Any], values: Any) -> Invalid:
    """Find which value of ``values`` made ``fn`` fail and return its error with ``['k']``."""
    for key, value in values.items():
        try:
            fn(value)
        except Exception as inner:
            return at(inner, key_segment(key))
    return wrap(exc)


def never_omit(encoder: Encoder) -> Callable[[Any], AttributeValue]:
    """``encoder`` for a list element or map value: an empty set becomes NULL, not a gap."""

    def encode(value: Any) -> AttributeValue:
        av = encoder(value)
        return {"NULL": True} if av is None else av

    return encode


def non_empty(encoder: Encoder, what: str) -> Callable[[Any], AttributeValue]:
    """``encoder`` for a key attribute: empty strings and binaries are refused."""

    def encode(value: Any) -> AttributeValue:
        av = encoder(value)
        if av is None:
            raise Invalid(f"{what} cannot be empty")
        for kind, inner in av.items():
            if kind in ("S", "B") and not inner:
                raise Invalid(f"{what} cannot be an empty {'string' if kind == 'S' else 'binary'}")
        return av

    return encode


def may_omit(tp: Any) -> bool:
    """Whether an encoder of ``tp`` can return ``None`` (an empty set, possibly dynamic)."""
    inner, _ = strip_optional(tp)
    if inner is Any or inner is object:
        return True
    return is_set_type(inner)


# --- dynamic (Any) ---------------------------------------------------------------------------


_DYNAMIC_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": lambda v: v,
    "N": parse_number,
    "B": binary_value,
    "BOOL": lambda v: v,
    "NULL": lambda v: None,
    **DYNAMIC_SET_DECODERS,
}


def decode_any(av: Any) -> Any:
    """An untyped AttributeValue to the closest Python value."""
    if isinstance(av, Mapping) and len(av) == 1:
        for kind, value in av.items():
            scalar = _DYNAMIC_DECODERS.get(kind)
            if scalar is not None:
                return scalar(value)
            if kind == "L":
                try:
                    return [decode_any(x) for x in value]
                except Exception as exc:
                    invalid = locate_in_sequence(exc, decode_any, value)
                    raise invalid from invalid.__cause__
            if kind == "M":
                try:
                    return {k: decode_any(x) for k, x in value.items()}
                except Exception as exc:
                    invalid = locate_in_mapping(exc, decode_any, value)
                    raise invalid from invalid.__cause__
    raise wrong_type(av, "an AttributeValue")


# --- annotation shapes -----------------------------------------------------------------------

Shape = Literal[
    "any", "none", "optional", "literal", "set", "list", "tuple", "fixed_tuple", "dict",
    "scalar", "class", "unsupported",
]  # fmt: skip


def shape(tp: Any) -> tuple[Shape, Any]:
    """What kind of annotation ``tp`` is, and the part its encoder and decoder are built from.

    The part is the inner type (optional), the allowed values (literal), the element type (set,
    list, tuple), the item types (fixed_tuple), the value type (dict) or the class (scalar, class).

    Raises:
        SchemaError: ``tp`` is a dict whose keys are not ``str``.
    """
    if tp is Any or tp is object:
        return "any", None
    if tp is None or tp is NoneType:
        return "none", None
    inner, optional = strip_optional(tp)
    if optional:
        return "optional", inner
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        return "literal", args
    if is_set_type(tp):
        return "set", args[0] if args else Any
    if origin is tuple or tp is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return "tuple", args[0]
        return ("fixed_tuple", args) if args else ("tuple", Any)
    if origin in LIST_ORIGINS or tp is list:
        return "list", args[0] if args else Any
    if origin in DICT_ORIGINS or tp is dict:
        if args and args[0] is not str:
            raise SchemaError(f"dict keys must be str, not {args[0]!r}")
        return "dict", args[1] if args else Any
    if isinstance(tp, type):
        if issubclass(tp, SCALARS):
            return "scalar", tp
        if attrs.has(tp):
            return "class", tp
    return "unsupported", None


# --- the builder -----------------------------------------------------------------------------


class Hooks:
    """Builds and caches the encoder and decoder of each annotation (per naming convention).

    ``class_codec`` builds the encoder/decoder pair of an attrs class; it is supplied by the
    codec so that nested classes reuse the generated-code machinery of models.
    """

    def __init__(
        self,
        class_codec: Callable[[Hooks, type, str], tuple[Encoder, Decoder]],
    ) -> None:
        self._class_codec = class_codec
        # Indexed by side: the encoders (0) and the decoders (1), by (annotation, naming).
        self._built: tuple[dict[tuple[Any, str], Decoder], ...] = ({}, {})
        self._classes: dict[tuple[type, str], tuple[Encoder, Decoder]] = {}

    # -- lookups ---------------------------------------------------------------------------

    def encoder(self, tp: Any, naming: str) -> Encoder:
        """The encoder of annotation ``tp`` (built on first use)."""
        return self._get(tp, naming, 0)

    def decoder(self, tp: Any, naming: str) -> Decoder:
        """The decoder of annotation ``tp`` (built on first use)."""
        return self._get(tp, naming, 1)

    def _get(self, tp: Any, naming: str, side: int) -> Decoder:
        cache = self._built[side]
        key = (tp, naming)
        try:
            found = cache.get(key)
        except TypeError:  # an unhashable annotation: build without caching
            return self._build(tp, naming, side)
        if found is None:
            found = cache[key] = self._build(tp, naming, side)
        return found

    def class_pair(self, cls: type, naming: str) -> tuple[Encoder, Decoder]:
        """The (encoder, decoder) of a nested attrs class as an M value.

        Recursive classes get forwarding functions while their own pair is being built.
        """
        key = (cls, naming)
        pair = self._classes.get(key)
        if pair is not None:
            return pair
        built: list[tuple[Encoder, Decoder]] = []

        def forward_encode(value: Any) -> AttributeValue | None:
            return built[0][0](value)

        def forward_decode(av: Any) -> Any:
            return built[0][1](av)

        self._classes[key] = (forward_encode, forward_decode)
        try:
            pair = self._class_codec(self, cls, naming)
        except BaseException:
            # Functions built meanwhile may hold the forwarders: start afresh next time.
            self._classes.clear()
            for cache in self._built:
                cache.clear()
            raise
        built.append(pair)
        self._classes[key] = pair
        return pair

    # -- the dispatch, for both sides -------------------------------------------------------

    def _build(self, tp: Any, naming: str, side: int) -> Decoder:
        """The encoder (``side`` 0) or decoder (``side`` 1) of ``tp``, by its shape."""
        kind, part = shape(tp)
        match kind:
            case "any":
                return decode_any if side else self._dynamic_encoder(naming)
            case "none":
                return (encode_none, decode_none)[side]
            case "optional":
                inner = self._get(part, naming, side)
                return (optional_encoder, optional_decoder)[side](inner)
            case "literal":
                return (literal_encoder, literal_decoder)[side](part)
            case "set":
                return set_decoder(part, empty_set_factory(tp)) if side else set_encoder(part)
            case "list" | "tuple":
                return (self._list_encoder, self._list_decoder)[side](part, naming, kind)
            case "fixed_tuple":
                return (self._fixed_tuple_encoder, self._fixed_tuple_decoder)[side](part, naming)
            case "dict":
                return (self._dict_encoder, self._dict_decoder)[side](part, naming)
            case "scalar":
                return (scalar_encoder, scalar_decoder)[side](part)
            case "class":
                return self.class_pair(part, naming)[side]
        verb = "decode" if side else "encode"
        raise SchemaError(unsupported_reason(tp) or f"cannot {verb} {tp!r}")

    # -- encoders --------------------------------------------------------------------------

    def _element_encoder(self, tp: Any, naming: str) -> Encoder:
        """The encoder of a list element, tuple item or map value: an empty set is NULL there."""
        encode = self.encoder(tp, naming)
        return never_omit(encode) if may_omit(tp) else encode

    def _list_encoder(self, element: Any, naming: str, kind: str) -> Encoder:
        each = self._element_encoder(element, naming)
        expected = f"a {kind}"

        def encode_list(value: Any) -> AttributeValue:
            cls = value.__class__
            if cls is not list and cls is not tuple and not _is_sequence(value):
                raise Invalid(f"expected {expected}, got {type_name(value)}")
            try:
                return {"L": [each(x) for x in value]}
            except Exception as exc:
                invalid = locate_in_sequence(exc, each, value)
                raise invalid from invalid.__cause__

        return encode_list

    def _fixed_tuple_encoder(self, elements: tuple[Any, ...], naming: str) -> Encoder:
        encoders = [self._element_encoder(e, naming) for e in elements]
        size = len(encoders)

        def encode_tuple(value: Any) -> AttributeValue:
            if not _is_sequence(value) or len(value) != size:
                raise Invalid(f"expected a tuple of {size} items, got {short_av(value)}")
            out: list[Any] = []
            for index, (encode, item) in enumerate(zip(encoders, value, strict=True)):
                try:
                    out.append(encode(item))
                except Exception as exc:
                    invalid = at(exc, f"[{index}]")
                    raise invalid from invalid.__cause__
            return {"L": out}

        return encode_tuple

    def _dict_encoder(self, value_type: Any, naming: str) -> Encoder:
        each = self._element_encoder(value_type, naming)

        def encode_dict(value: Any) -> AttributeValue:
            if value.__class__ is not dict and not isinstance(value, Mapping):
                raise Invalid(f"expected a dict, got {type_name(value)}")
            return _encode_map(value, each)

        return encode_dict

    def _dynamic_encoder(self, naming: str) -> Encoder:
        def encode_any(value: Any) -> AttributeValue | None:
            handler = _DYNAMIC_ENCODERS.get(value.__class__)
            if handler is not None:
                return handler(value)
            if value.__class__ is list or value.__class__ is tuple:
                try:
                    return {"L": [each(x) for x in value]}
                except Exception as exc:
                    invalid = locate_in_sequence(exc, each, value)
                    raise invalid from invalid.__cause__
            if value.__class__ is dict:
                return _encode_map(value, each)
            return self._dynamic_fallback(value, naming)

        each = never_omit(encode_any)
        return encode_any

    def _dynamic_fallback(self, value: Any, naming: str) -> AttributeValue | None:
        # Subclasses and less common types; the common classes hit the table above.
        if isinstance(value, enum.Enum):
            return self.encoder(Any, naming)(value.value)
        for base, handler in _DYNAMIC_ENCODERS.items():
            if isinstance(value, base):
                return handler(value)
        if isinstance(value, list | tuple) or _is_sequence(value):
            return self.encoder(list[Any], naming)(list(value))
        if isinstance(value, Mapping):
            return self.encoder(dict[str, Any], naming)(dict(value))
        if attrs.has(value.__class__):
            return self.class_pair(value.__class__, naming)[0](value)
        raise Invalid(f"cannot store a value of type {type_name(value)}")

    # -- decoders --------------------------------------------------------------------------

    def _list_decoder(self, element: Any, naming: str, kind: str) -> Decoder:
        decode = self.decoder(element, naming)
        as_tuple = kind == "tuple"

        def decode_list(av: Any) -> Any:
            values = av.get("L")
            if values is None:
                if av.get("NULL") is True:  # DynamORM (Go) writes a nil slice as NULL
                    return () if as_tuple else []
                raise wrong_type(av, "L")
            try:
                out = [decode(x) for x in values]
            except Exception as exc:
                invalid = locate_in_sequence(exc, decode, values)
                raise invalid from invalid.__cause__
            return tuple(out) if as_tuple else out

        return decode_list

    def _fixed_tuple_decoder(self, elements: tuple[Any, ...], naming: str) -> Decoder:
        decoders = [self.decoder(e, naming) for e in elements]
        size = len(decoders)

        def decode_tuple(av: Any) -> tuple[Any, ...]:
            values = av.get("L")
            if values is None:
                raise wrong_type(av, "L")
            if len(values) != size:
                raise Invalid(f"expected a list of {size} items, got {len(values)}")
            out: list[Any] = []
            for index, (decode, item) in enumerate(zip(decoders, values, strict=True)):
                try:
                    out.append(decode(item))
                except Exception as exc:
                    invalid = at(exc, f"[{index}]")
                    raise invalid from invalid.__cause__
            return tuple(out)

        return decode_tuple

    def _dict_decoder(self, value_type: Any, naming: str) -> Decoder:
        decode = self.decoder(value_type, naming)

        def decode_dict(av: Any) -> dict[str, Any]:
            values = av.get("M")
            if values is None:
                if av.get("NULL") is True:  # DynamORM (Go) writes a nil map as NULL
                    return {}
                raise wrong_type(av, "M")
            try:
                return {k: decode(x) for k, x in values.items()}
            except Exception as exc:
                invalid = locate_in_mapping(exc, decode, values)
                raise invalid from invalid.__cause__

        return decode_dict


def _str_keys(value: Any) -> dict[str, Any]:
    """``value`` with plain str keys (a StrEnum key becomes its text); other keys are errors."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise Invalid(f"map keys must be str, got {type_name(key)} {key!r}")
        out[str.__str__(key)] = item
    return out


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


_DYNAMIC_ENCODERS: dict[type, Callable[[Any], AttributeValue | None]] = {
    str: encode_str,
    int: encode_int,
    bool: encode_bool,
    float: encode_float,
    Decimal: encode_decimal,
    NoneType: encode_none,
    bytes: encode_bytes,
    bytearray: encode_bytes,
    set: dynamic_set,
    frozenset: dynamic_set,
    dt.datetime: encode_datetime,
    dt.date: encode_date,
    uuid.UUID: encode_uuid,
}


def optional_encoder(inner: Encoder) -> Encoder:
    """``inner`` for ``X | None``: ``None`` is NULL."""

    def encode_optional(value: Any) -> AttributeValue | None:
        if value is None:
            return {"NULL": True}
        return inner(value)

    return encode_optional


def optional_decoder(inner: Decoder) -> Decoder:
    """``inner`` for ``X | None``: NULL is ``None``."""

    def decode_optional(av: Any) -> Any:
        if av.get("NULL") is True:
            return None
        return inner(av)

    return decode_optional


def _encode_map(value: Any, each: Encoder) -> AttributeValue:
    """An M value of a mapping whose keys must be str, each value encoded by ``each``."""
    for key in value:
        if key.__class__ is not str:
            value = _str_keys(value)
            break
    try:
        return {"M": {k: each(x) for k, x in value.items()}}
    except Exception as exc:
        invalid = locate_in_mapping(exc, each, value)
        raise invalid from invalid.__cause__
