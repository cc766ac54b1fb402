"""Generated per-class encode and decode functions.

For each attrs class (a ``@table`` model or a class nested in one) the codec writes a Python
function that reads every field straight off the instance into an AttributeValue dict, and
one that reads an AttributeValue dict straight into the constructor's arguments, with no
intermediate dict of Python values. They are compiled once per codec and class, with the
per-field encoders and decoders bound as globals and the common scalar types inlined; the
source is registered with ``linecache`` so tracebacks show it.
"""

from __future__ import annotations

import contextvars
import itertools
import linecache
import marshal
import types
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from .._annotations import strip_optional
from .._schema import ModelMeta, check_stored_name, field_spec, stored_name
from ..errors import SchemaError
from ._hooks import (
    Hooks,
    check_nesting,
    may_nest_too_deep,
    may_omit,
    never_omit,
    non_empty,
    optional_decoder,
    optional_encoder,
)
from ._invalid import Invalid, at, type_name
from ._numbers import MAX_DIGITS, float_as_decimal
from ._scalars import (
    AttributeValue,
    Decoder,
    Encoder,
    KeyEncoder,
    bounded_size,
    encode_ttl,
    ttl_decoder,
    wrong_type,
)
from ._sets import empty_set_factory, is_set_type
from ._size import (
    MAX_PARTITION_KEY_SIZE,
    MAX_SORT_KEY_SIZE,
    ascii_first,
    item_size,
    size_limited,
    value_size,
)
from .precompiled import lookup

Mode = Literal["plain", "omit_empty", "sparse", "key"]
Missing = Literal["default", "none", "empty", "error"]

MAX_ITEM_SIZE = 400 * 1024
"""DynamoDB's limit on one item's size, in bytes (names and values, as DynamoDB counts)."""

_dumps = marshal.dumps

_TABLE_KEY = "a key attribute"
_INDEX_KEY = "a secondary index key (set it to None to leave the item out of the index)"


@attrs.frozen
class FieldPlan:
    """How one field is written and read."""

    name: str
    alias: str
    init: bool
    stored: str
    encoder: Encoder
    key_encoder: KeyEncoder | None
    decoder: Decoder
    inline: str | None
    may_omit: bool
    deep: bool
    mode: Mode
    missing: Missing
    empty: Callable[[], Any] | None
    size: int | None
    default: Any
    kw_only: bool
    key_limit: int | None = None


def _plan(
    hooks: Hooks,
    naming: str,
    field: attrs.Attribute[Any],
    *,
    stored: str,
    tp: Any,
    ttl: bool,
    omit_empty: bool,
    table_key: bool = False,
    index_key: bool = False,
    key_limit: tuple[int, str] | None = None,
    floats: str = "reject",
) -> FieldPlan:
    inner, optional = strip_optional(tp)
    optional = optional or tp is Any or tp is object
    encoder: Encoder
    decoder: Decoder
    if ttl:
        encoder, decoder = encode_ttl, ttl_decoder(inner)
        if optional:
            encoder, decoder = optional_encoder(encoder), optional_decoder(decoder)
        inline = None
        size: int | None = bounded_size(int)
    else:
        encoder, decoder = hooks.encoder(tp, naming), hooks.decoder(tp, naming)
        inline = (
            "str" if inner is str else "int" if inner is int else "bool" if inner is bool else None
        )
        size = bounded_size(tp)
    key_encoder = None
    mode: Mode = "plain"
    if table_key:
        mode = "key"
        key_encoder = non_empty(hooks.encoder(inner, naming), _TABLE_KEY)
    elif omit_empty:
        mode = "omit_empty"
    elif index_key:
        mode = "sparse"
        key_encoder = non_empty(hooks.encoder(inner, naming), _INDEX_KEY)
    if key_encoder is not None and key_limit is not None:
        key_encoder = size_limited(key_encoder, *key_limit)
        if inline == "str":
            key_encoder = ascii_first(key_encoder, key_limit[0])
    if floats == "str":
        encoder = _converting(float_as_decimal, encoder)
    omits = not ttl and may_omit(tp)
    if mode == "plain" and omits:
        # DynamORM's data model: an empty set outside omit_empty is stored as NULL (and
        # reads back as an empty set, or None for an Optional set).
        encoder, omits = never_omit(encoder), False
    missing: Missing
    empty = None
    if field.default is not attrs.NOTHING:
        missing = "default"
    elif is_set_type(inner):
        missing, empty = "empty", empty_set_factory(inner)
    elif optional:
        missing = "none"
    else:
        missing = "error"
    return FieldPlan(
        name=field.name,
        alias=field.alias or field.name,
        init=field.init,
        stored=stored,
        encoder=encoder,
        key_encoder=key_encoder,
        decoder=decoder,
        inline=inline,
        may_omit=omits,
        deep=not ttl and may_nest_too_deep(tp),
        mode=mode,
        missing=missing,
        empty=empty,
        size=size,
        default=field.default,
        kw_only=field.kw_only,
        key_limit=key_limit[0] if key_encoder is not None and key_limit is not None else None,
    )


def model_plans(hooks: Hooks, meta: ModelMeta) -> list[FieldPlan]:
    """The field plans of a ``@table`` model: roles, keys and sparse index keys applied."""
    table_keys = {f.name for f in meta.key_fields}
    index_keys = {f.name for index in meta.indexes for f in index.key_fields} - table_keys
    limits = _key_limits(meta)
    by_name = {f.name: f for f in attrs.fields(meta.cls)}
    return [
        _plan(
            hooks,
            meta.naming,
            by_name[f.name],
            stored=f.stored,
            tp=f.type,
            ttl=f.role == "ttl",
            omit_empty=f.omit_empty,
            table_key=f.name in table_keys,
            index_key=f.name in index_keys,
            key_limit=limits.get(f.name),
            floats=f.floats,
        )
        for f in meta.fields
    ]


def _key_limits(meta: ModelMeta) -> dict[str, tuple[int, str]]:
    """Each key field's byte limit and role: the strictest of its roles in table and indexes."""
    roles = [(meta.pk, MAX_PARTITION_KEY_SIZE, "the partition key")]
    if meta.sk is not None:
        roles.append((meta.sk, MAX_SORT_KEY_SIZE, "the sort key"))
    for index in meta.indexes:
        name = f"of index {index.name!r}"
        roles.append((index.pk, MAX_PARTITION_KEY_SIZE, f"the partition key {name}"))
        if index.sk is not None:
            roles.append((index.sk, MAX_SORT_KEY_SIZE, f"the sort key {name}"))
    limits: dict[str, tuple[int, str]] = {}
    for field, limit, role in roles:
        if field.name not in limits or limit < limits[field.name][0]:
            limits[field.name] = (limit, role)
    return limits


def _converting(convert: Callable[[Any], Any], encoder: Encoder) -> Encoder:
    def encode(value: Any) -> AttributeValue | None:
        return encoder(convert(value))

    return encode


def class_plans(hooks: Hooks, cls: type, naming: str) -> list[FieldPlan]:
    """The field plans of a nested attrs class under its parent model's naming convention."""
    try:
        attrs.resolve_types(cls)
    except NameError as exc:
        raise SchemaError(f"{cls.__name__}: cannot resolve a field annotation ({exc})") from exc
    plans: list[FieldPlan] = []
    seen: dict[str, str] = {}
    for field in attrs.fields(cls):
        spec = field_spec(field)
        stored = spec.name or stored_name(field.name, naming)
        check_stored_name(stored, f"{cls.__name__}.{field.name}")
        if stored in seen:
            raise SchemaError(
                f"{cls.__name__}: fields {seen[stored]!r} and {field.name!r} are both "
                f"stored as {stored!r}"
            )
        seen[stored] = field.name
        plans.append(
            _plan(
                hooks,
                naming,
                field,
                stored=stored,
                tp=field.type if field.type is not None else Any,
                ttl=spec.role == "ttl",
                omit_empty=spec.omit_empty,
                floats=spec.floats,
            )
        )
    return plans


# --- code generation -------------------------------------------------------------------------

_serial = itertools.count(1)

GENERATED: contextvars.ContextVar[list[tuple[str, str, str]] | None] = contextvars.ContextVar(
    "dynamorm_async_generated", default=None
)
"""Set by the code generator: every function compiled meanwhile is recorded as
``(owner, name, source)``."""


def _compile(cls: type, name: str, source: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    owner = f"{cls.__module__}.{cls.__qualname__}"
    recorder = GENERATED.get()
    if recorder is not None:  # generating: record, and use no earlier generated code
        recorder.append((owner, name, source))
    precompiled = lookup(owner, source) if recorder is None else None
    if precompiled is not None:  # `dynamorm-async gen` compiled this very source already
        return types.FunctionType(precompiled, namespace, name)
    filename = f"<dynamorm_async codec {name} #{next(_serial)}>"
    code = compile(source, filename, "exec")
    exec(code, namespace)
    # Keep the source for tracebacks and debuggers.
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    return namespace[name]  # type: ignore[no-any-return]


def _attributed(fields: list[str], plans: list[FieldPlan], namespace: dict[str, Any]) -> list[str]:
    """The fields' code in one ``try``, its errors attributed to the field ``f`` names.

    One handler for all fields, not one each, keeps the source (and so the compiler's
    memory and time at a model's first use) about 30 % smaller; the field number costs a
    local store per field.
    """
    if not fields:
        return []
    namespace["_paths"] = tuple("." + plan.name for plan in plans)
    return [
        "try:",
        *_indent(fields),
        "except Exception as exc:",
        "    invalid = _at(exc, _paths[f])",
        "    raise invalid from invalid.__cause__",
    ]


def _indent(lines: list[str], depth: int = 1) -> list[str]:
    pad = "    " * depth
    return [pad + line for line in lines]


def _store(plan: FieldPlan, top: bool, encoder: str, omittable: bool) -> list[str]:
    target = f"item[{plan.stored!r}]"
    measured = top and plan.size is None
    # A whole item's attributes are level 1: only there is a value's depth known.
    nest = top and plan.deep
    if omittable:
        lines = [f"av = {encoder}(v)", "if av is not None:"]
        if nest:
            lines.append("    _nest(av)")
        lines.append(f"    {target} = av")
        if measured:
            lines.append("    nx += _bound(av)")
        return lines
    call = f"_nest({encoder}(v))" if nest else f"{encoder}(v)"
    lines = [f"{target} = av = {call}"]
    if measured:
        lines.append("nx += _bound(av)")
    return lines


def _store_inline(
    plan: FieldPlan, top: bool, encoder: str, omittable: bool, *, key: bool = False
) -> list[str]:
    target = f"item[{plan.stored!r}]"
    if plan.inline == "str":
        # Non-ASCII text takes the encoder, which checks for lone surrogates; ASCII text is
        # one byte a character, so its length is its size against a key's limit.
        test = "v.__class__ is str and v.isascii()"
        if key and plan.key_limit is not None:
            test += f" and 0 < len(v) <= {plan.key_limit}"
        elif key:
            test += " and v"
        fast = [f"{target} = {{'S': v}}"] + (["ns += len(v)"] if top else [])
    elif plan.inline == "int":
        test = "v.__class__ is int and -_SMALL < v < _SMALL"
        fast = [f"{target} = {{'N': str(v)}}"]
    elif plan.inline == "bool":
        test = "v is True or v is False"
        fast = [f"{target} = {{'BOOL': v}}"]
    else:
        return _store(plan, top, encoder, omittable)
    return [
        f"if {test}:",
        *_indent(fast),
        "else:",
        *_indent(_store(plan, top, encoder, omittable)),
    ]


def compile_encoder(cls: type, plans: list[FieldPlan], *, top: bool) -> Callable[[Any], Any]:
    """The function ``obj -> {stored name: AttributeValue}`` of a class.

    With ``top`` (a whole item) the function also bounds the item's size cheaply and checks
    it exactly only when the bound passes :data:`MAX_ITEM_SIZE`.
    """
    namespace: dict[str, Any] = {
        "_at": at,
        "_nest": check_nesting,
        "_bound": size_bound,
        "_check_size": _check_size,
        "_SMALL": 10**MAX_DIGITS,
        "_MAX": MAX_ITEM_SIZE,
    }
    static = 0
    body: list[str] = ["item = {}"]
    if top:
        body += ["ns = 0", "nx = 0"]
    fields: list[str] = []
    for i, plan in enumerate(plans):
        namespace[f"_e{i}"] = plan.encoder
        namespace[f"_k{i}"] = plan.key_encoder
        static += len(plan.stored.encode()) + (plan.size or 0)
        lines = [f"v = obj.{plan.name}"]
        if plan.mode == "key":
            lines += _store_inline(plan, top, f"_k{i}", False, key=True)
        elif plan.mode == "sparse":
            lines += ["if v is not None:"]
            lines += _indent(_store_inline(plan, top, f"_k{i}", False, key=True))
        elif plan.mode == "omit_empty":
            lines += ["if v:"]
            lines += _indent(_store_inline(plan, top, f"_e{i}", plan.may_omit))
            lines += ["elif v is not None:", f"    _e{i}(v)  # still type-checked"]
        else:
            lines += _store_inline(plan, top, f"_e{i}", plan.may_omit)
        fields += [f"f = {i}", *lines]
    body += _attributed(fields, plans, namespace)
    if top:
        namespace["_STATIC"] = static
        # 4 bytes per character bounds any string's UTF-8 size.
        body += ["if _STATIC + 4 * ns + nx > _MAX:", "    _check_size(item)"]
    body.append("return item")
    source = "def encode(obj):\n" + "\n".join(_indent(body)) + "\n"
    return _compile(cls, "encode", source, namespace)


def size_bound(av: AttributeValue) -> int:
    """A cheap upper bound of an AttributeValue's stored size.

    marshal (format 0: no back-references) writes every string's UTF-8 bytes, every
    binary's bytes, and at least one byte of framing for each value, list and map, so its
    output is never shorter than DynamoDB's count; and it runs in C.
    """
    try:
        return len(_dumps(av, 0))
    except ValueError:  # an object marshal does not know (the codec never builds one)
        return value_size(av)


def _check_size(item: dict[str, AttributeValue]) -> None:
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise Invalid(
            f"the item is {size} bytes, over DynamoDB's item size limit of "
            f"{MAX_ITEM_SIZE} bytes (400 KB)"
        )


def compile_decoder(cls: type, plans: list[FieldPlan]) -> Callable[[Mapping[str, Any]], Any]:
    """The function ``{stored name: AttributeValue} -> instance`` of a class.

    Missing attributes: the field's default when it has one (the value attrs would use);
    otherwise ``None`` for an Optional field, an empty set for a set field, and an error
    naming the attribute for anything else.

    The constructor is called with positional arguments (several times faster than
    ``cls(**kwargs)``), unless a default is a ``Factory(takes_self=True)``: then absent
    arguments are left out of a keyword call for attrs to fill in.
    """
    namespace: dict[str, Any] = {
        "_at": at,
        "_cls": cls,
        "_Invalid": Invalid,
        "_ctor_failed": _constructor_failed(cls),
        "_not_mapping": _not_mapping,
        "_setattr": object.__setattr__,
        "_UNSET": _UNSET,
    }
    by_keyword = any(
        isinstance(plan.default, attrs.Factory) and plan.default.takes_self  # type: ignore[arg-type]
        for plan in plans
        if plan.init
    )
    body: list[str] = [
        "try:",
        "    get = item.get",
        "except AttributeError:",
        "    raise _not_mapping(item) from None",
    ]
    if by_keyword:
        body.append("kw = {}")
    fields: list[str] = []
    for i, plan in enumerate(plans):
        namespace[f"_d{i}"] = plan.decoder
        target = f"kw[{plan.alias!r}]" if by_keyword and plan.init else f"a{i}"
        missing = plan.missing
        if not plan.init:
            absent = [f"{target} = _UNSET"]
        elif missing == "default":
            if by_keyword:
                absent = ["pass"]
            elif isinstance(plan.default, attrs.Factory):  # type: ignore[arg-type]
                namespace[f"_factory{i}"] = plan.default.factory
                absent = [f"{target} = _factory{i}()"]
            else:
                namespace[f"_default{i}"] = plan.default
                absent = [f"{target} = _default{i}"]
        elif missing == "none":
            absent = [f"{target} = None"]
        elif missing == "empty":
            namespace[f"_empty{i}"] = plan.empty
            absent = [f"{target} = _empty{i}()"]
        else:
            namespace[f"_missing{i}"] = f"missing attribute {plan.stored!r}"
            absent = [f"raise _Invalid(_missing{i})"]
        if plan.inline == "str":
            present = ["s = av.get('S')", f"{target} = s if s.__class__ is str else _d{i}(av)"]
        elif plan.inline == "int":
            present = [
                "try:",
                "    n = av['N']",
                f"    {target} = int(n) if n.__class__ is str else _d{i}(av)",
                "except Exception:",  # "5.0", a missing N or NULL: the full decoder decides
                f"    {target} = _d{i}(av)",
            ]
        elif plan.inline == "bool":
            present = [
                "b = av.get('BOOL')",
                f"{target} = b if b is True or b is False else _d{i}(av)",
            ]
        else:
            present = [f"{target} = _d{i}(av)"]
        fields += [
            f"f = {i}",
            f"av = get({plan.stored!r})",
            "if av is None:",
            *_indent(absent),
            "else:",
            *_indent(present),
        ]
    body += _attributed(fields, plans, namespace)
    if by_keyword:
        call = "_cls(**kw)"
    else:
        arguments = [f"a{i}" for i, plan in enumerate(plans) if plan.init and not plan.kw_only]
        arguments += [
            f"{plan.alias}=a{i}" for i, plan in enumerate(plans) if plan.init and plan.kw_only
        ]
        call = f"_cls({', '.join(arguments)})"
    body += [
        "try:",
        f"    obj = {call}",
        "except Exception as exc:",
        "    raise _ctor_failed(exc) from exc",
    ]
    for i, plan in enumerate(plans):
        if not plan.init:
            body += [f"if a{i} is not _UNSET:", f"    _setattr(obj, {plan.name!r}, a{i})"]
    body.append("return obj")
    source = "def decode(item):\n" + "\n".join(_indent(body)) + "\n"
    return _compile(cls, "decode", source, namespace)


_UNSET = object()


def _constructor_failed(cls: type) -> Callable[[BaseException], Invalid]:
    def failed(exc: BaseException) -> Invalid:
        return Invalid(
            f"{cls.__qualname__}() rejected the stored values ({type(exc).__name__}: {exc})"
        )

    return failed


def _not_mapping(item: Any) -> Invalid:
    return Invalid(f"expected a map of attribute names to AttributeValues, got {type_name(item)}")


def field_encoder(plan: FieldPlan) -> Callable[[Any], AttributeValue | None]:
    """One field's encoder with its omission rules (``None``: the attribute is left out)
    and, where the annotation allows deep values, DynamoDB's nesting limit."""
    encoder = plan.encoder
    if plan.deep:
        unchecked = encoder

        def encoder(value: Any) -> AttributeValue | None:
            av = unchecked(value)
            return None if av is None else check_nesting(av)

    key_encoder = plan.key_encoder
    if plan.mode == "key":
        assert key_encoder is not None
        return key_encoder
    if plan.mode == "sparse":
        assert key_encoder is not None
        sparse = key_encoder
        return lambda value: None if value is None else sparse(value)
    if plan.mode == "omit_empty":

        def encode(value: Any) -> AttributeValue | None:
            if value:
                return encoder(value)
            if value is not None:
                encoder(value)
            return None

        return encode
    return encoder


def nested_pair(hooks: Hooks, cls: type, naming: str) -> tuple[Encoder, Decoder]:
    """The (encoder, decoder) of an attrs class stored as an M value."""
    plans = class_plans(hooks, cls, naming)
    encode_fields = compile_encoder(cls, plans, top=False)
    decode_fields = compile_decoder(cls, plans)
    expected = f"expected {cls.__qualname__}"

    def encode(value: Any) -> AttributeValue:
        if value.__class__ is not cls and not isinstance(value, cls):
            raise Invalid(f"{expected}, got {type_name(value)}")
        return {"M": encode_fields(value)}

    def decode(av: Any) -> Any:
        fields = av.get("M")
        if fields is None:
            raise wrong_type(av, "M")
        return decode_fields(fields)

    return encode, decode
