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

from .._annotations import (
    DICT_ORIGINS,
    LIST_ORIGINS,
    SCALARS,
    ScalarKind,
    strip_optional,
    unsupported_reason,
)
from ..errors import SchemaError, shown
from ._invalid import MAX_NESTING, TOO_DEEP, Invalid, at, key_segment, type_name
from ._numbers import parse_number
from ._scalars import (
    AttributeValue,
    Decoder,
    Encoder,
    NoneType,
    binary_value,
    check_text,
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


def each_in_sequence(fn: Callable[[Any], Any], values: Any) -> list[Any]:
    """``[fn(x) for x in values]``; a failure gets the index of its element as ``[i]``.

    The index is known when the failure happens, so locating it costs nothing: no element
    is converted twice, and a deep value fails in time linear in its size.
    """
    out: list[Any] = []
    append = out.append
    try:
        for value in values:
            append(fn(value))
    except Exception as exc:
        invalid = at(exc, f"[{len(out)}]")
        raise invalid from invalid.__cause__
    return out


def each_in_mapping(fn: Callable[[Any], Any], values: Any) -> dict[str, Any]:
    """``{k: fn(x) for k, x in values.items()}``; a failure gets its key's segment."""
    out: dict[str, Any] = {}
    key: Any = None
    try:
        for key, value in values.items():
            out[key] = fn(value)
    except Exception as exc:
        invalid = at(exc, key_segment(key))
        raise invalid from invalid.__cause__
    return out


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


def check_nesting(av: AttributeValue) -> AttributeValue:
    """``av`` if no value inside it sits deeper than DynamoDB's 32 levels (``av`` is a
    top-level attribute, level 1); walks it once, without recursion."""
    pending = [(av, 1)]
    pop, push = pending.pop, pending.append
    while pending:
        value, level = pop()
        children = value.get("M")
        if children is not None:
            children = children.values()
        else:
            children = value.get("L")
            if children is None:
                continue
        if level >= MAX_NESTING:
            raise Invalid(TOO_DEEP)
        for child in children:
            push((child, level + 1))
    return av


def nesting_bound(tp: Any, seen: frozenset[type] = frozenset()) -> int | None:
    """How many lists and maps a value of annotation ``tp`` can nest (``list[dict[str, int]]``
    is 2), or ``None`` without a bound (``Any``, a class that contains itself)."""
    kind, part = shape(tp)
    if kind in ("any", "unsupported"):
        return None if kind == "any" else 0
    if kind == "optional":
        return nesting_bound(part, seen)
    if kind in ("list", "tuple", "dict"):
        inner = nesting_bound(part, seen)
        return None if inner is None else inner + 1
    if kind == "fixed_tuple":
        bounds = [nesting_bound(item, seen) for item in part]
        return None if None in bounds else 1 + max((b or 0 for b in bounds), default=0)
    if kind == "class":
        if part in seen:
            return None
        try:
            attrs.resolve_types(part)
        except NameError:
            return None
        bounds = [
            nesting_bound(f.type if f.type is not None else Any, seen | {part})
            for f in attrs.fields(part)
        ]
        return None if None in bounds else 1 + max((b or 0 for b in bounds), default=0)
    return 0


def may_nest_too_deep(tp: Any) -> bool:
    """Whether a value of ``tp`` could nest deeper than DynamoDB allows (so must be checked)."""
    bound = nesting_bound(tp)
    return bound is None or bound >= MAX_NESTING


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
    # Exact dicts (what every transport returns) skip the Mapping ABC check: untyped
    # attributes are walked value by value, so this is their per-value cost.
    if (av.__class__ is dict or isinstance(av, Mapping)) and len(av) == 1:
        ((kind, value),) = av.items()
        scalar = _DYNAMIC_DECODERS.get(kind)
        if scalar is not None:
            return scalar(value)
        if kind == "L":
            return each_in_sequence(decode_any, value)
        if kind == "M":
            return each_in_mapping(decode_any, value)
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
        self._custom: dict[type, CustomType] = {}

    # -- custom types ----------------------------------------------------------------------

    def add_type(
        self,
        tp: Any,
        stored: Any,
        encode: Callable[[Any], Any],
        decode: Callable[[Any], Any],
    ) -> None:
        """Register a custom type's hooks (see :meth:`Codec.register_type`); drops the cache."""
        if not isinstance(tp, type):
            raise SchemaError(f"register_type takes a class, not {tp!r}")
        if stored not in ("S", "N", "B"):
            raise SchemaError(f'{tp.__name__}: stored must be "S", "N" or "B", not {stored!r}')
        if not callable(encode) or not callable(decode):
            raise SchemaError(f"{tp.__name__}: encode and decode must be callables")
        if tp in SCALARS or tp in (list, tuple, dict, set, frozenset, object):
            raise SchemaError(
                f"{tp.__name__} is a type the codec stores itself; register a class of your own"
            )
        self._custom[tp] = CustomType(tp, stored, encode, decode)
        self._classes.clear()
        for cache in self._built:
            cache.clear()

    def custom(self, tp: Any) -> CustomType | None:
        """The registered hooks of class ``tp`` or of its nearest registered base."""
        if not self._custom or not isinstance(tp, type):
            return None
        for base in tp.__mro__:
            found = self._custom.get(base)
            if found is not None:
                return found
        return None

    def custom_kind(self, tp: Any) -> ScalarKind | None:
        """How a custom type is stored (S, N or B), ``None`` for other annotations."""
        found = self.custom(tp)
        return None if found is None else found.stored

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
        custom = self.custom(tp)
        if custom is not None:
            return custom.decoder() if side else custom.encoder()
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
        reason = unsupported_reason(tp) or f"cannot {verb} {tp!r}"
        if isinstance(tp, type):
            reason = (
                f"unsupported type {tp.__name__}: teach the codec with "
                f"codec.register_type({tp.__name__}, stored=..., encode=..., decode=...) "
                "(see docs/custom-types.md)"
            )
        raise SchemaError(reason)

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
            return {"L": each_in_sequence(each, value)}

        return encode_list

    def _fixed_tuple_encoder(self, elements: tuple[Any, ...], naming: str) -> Encoder:
        encoders = [self._element_encoder(e, naming) for e in elements]
        size = len(encoders)

        def encode_tuple(value: Any) -> AttributeValue:
            if not _is_sequence(value) or len(value) != size:
                raise Invalid(f"expected a tuple of {size} items, got {type_name(value)}")
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
                return {"L": each_in_sequence(each, value)}
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
            out = each_in_sequence(decode, values)
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
            return each_in_mapping(decode, values)

        return decode_dict


@attrs.frozen
class CustomType:
    """A field type taught to the codec: stored as one S, N or B value."""

    cls: type
    stored: ScalarKind
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]

    def encoder(self) -> Encoder:
        """The AttributeValue encoder: checks the class, calls ``encode``, checks its result."""
        cls, name, convert = self.cls, self.cls.__name__, self.encode
        store = {"S": encode_str, "N": _encode_number, "B": encode_bytes}[self.stored]

        def encode_custom(value: Any) -> AttributeValue:
            if not isinstance(value, cls):
                raise Invalid(f"expected {name}, got {type_name(value)}")
            try:
                raw = convert(value)
            except Exception as exc:
                raise Invalid(f"the {name} encoder failed ({type(exc).__name__})") from exc
            return store(raw)

        return encode_custom

    def decoder(self) -> Decoder:
        """The AttributeValue decoder: reads the S/N/B value, then calls ``decode``."""
        name, convert = self.cls.__name__, self.decode
        read = {"S": scalar_decoder(str), "N": scalar_decoder(Decimal), "B": scalar_decoder(bytes)}[
            self.stored
        ]

        def decode_custom(av: Any) -> Any:
            raw = read(av)
            try:
                return convert(raw)
            except Exception as exc:
                raise Invalid(f"the {name} decoder failed ({type(exc).__name__})") from exc

        return decode_custom


def _encode_number(value: Any) -> AttributeValue:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Invalid(
            f"a number-stored custom type encodes to int or Decimal, not {type_name(value)}"
        )
    return encode_int(value) if isinstance(value, int) else encode_decimal(value)


def _str_keys(value: Any) -> dict[str, Any]:
    """``value`` with plain str keys (a StrEnum key becomes its text), each one checked:
    not empty and valid UTF-8; other keys are errors."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise Invalid(f"map keys must be str, got {type_name(key)}{shown(key)}")
        if not key:
            raise Invalid("a map key cannot be empty (DynamoDB rejects empty attribute names)")
        key = str.__str__(key)
        check_text(key, "a map key")
        out[key] = item
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
        if key.__class__ is not str or not key or not key.isascii():
            value = _str_keys(value)
            break
    return {"M": each_in_mapping(each, value)}
