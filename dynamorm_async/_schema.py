"""The schema layer: what a model declares, validated once and cached on the class.

``declare`` runs when ``@table`` decorates a class and validates the declaration;
``model_meta`` returns the cached :class:`ModelMeta` (computing it on first use when the
class's annotations could not be resolved at decoration time, e.g. forward references).
The index declarations (:class:`GSI`, :class:`LSI`) live here too, so the schema reads them
by type; :mod:`dynamorm_async.model` re-exports them for users.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import attrs

from ._annotations import ScalarKind, scalar_kind, strip_optional, unsupported_reason
from .errors import SchemaError, ValidationError
from .key_templates import KeyTemplate
from .table_options import DEFAULT_TABLE_OPTIONS, TableOptions

Role = Literal["pk", "sk", "version", "created_at", "updated_at", "ttl"]
IndexKind = Literal["GSI", "LSI"]
ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
Floats = Literal["reject", "str"]
"""What a Decimal field does with a float: refuse it, or convert it with ``Decimal(str(x))``."""

METADATA_KEY = "dynamorm_async"
_SPEC_ATTR = "__dynamorm_spec__"
_META_ATTR = "__dynamorm_meta__"
_NAMINGS = ("camelCase", "snake_case")


@attrs.frozen
class FieldSpec:
    """What a field marker declared (stored in the attrs field's metadata)."""

    role: Role | None
    name: str | None
    omit_empty: bool
    floats: Floats = "reject"


_PLAIN = FieldSpec(role=None, name=None, omit_empty=False)

Naming = Literal["camelCase", "snake_case"]
"""How stored attribute names derive from field names."""

Projection = Literal["ALL", "KEYS_ONLY"] | Sequence[str]
"""An index projection: ``"ALL"``, ``"KEYS_ONLY"`` or the field names to include."""


def _projection(value: Any) -> Any:
    if value in ("ALL", "KEYS_ONLY"):
        return value
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SchemaError(
            f"index projection must be 'ALL', 'KEYS_ONLY' or a list of field names, not {value!r}"
        )
    return tuple(value)


@attrs.frozen
class GSI:
    """A global secondary index declaration.

    Attributes:
        name: The index name in DynamoDB.
        pk: The field (Python name) that is the index's partition key.
        sk: The field that is its sort key, if any.
        projection: ``"ALL"`` (default), ``"KEYS_ONLY"`` or a list of field names to include.
    """

    name: str
    pk: str | KeyTemplate
    sk: str | KeyTemplate | None = None
    projection: Projection = attrs.field(default="ALL", converter=_projection)


@attrs.frozen
class LSI:
    """A local secondary index: the table's partition key with another sort key.

    Attributes:
        name: The index name in DynamoDB.
        sk: The field (Python name) that is the index's sort key.
        projection: ``"ALL"`` (default), ``"KEYS_ONLY"`` or a list of field names to include.
    """

    name: str
    sk: str | KeyTemplate
    projection: Projection = attrs.field(default="ALL", converter=_projection)


Index = GSI | LSI
"""A secondary index declaration."""


@attrs.frozen
class FieldMeta:
    """One model field: its Python name, stored name, annotation and role.

    A key attribute built from a :func:`~dynamorm_async.template` is a field too, with
    ``template`` set: its ``name`` is its stored name, and no instance attribute holds it.
    """

    name: str
    stored: str
    type: Any
    role: Role | None
    omit_empty: bool
    optional: bool
    has_default: bool
    init: bool
    floats: Floats = "reject"
    template: KeyTemplate | None = None

    @property
    def sources(self) -> tuple[str, ...]:
        """The fields (Python names) the attribute's value comes from: the template's
        fields, or the field itself."""
        return (self.name,) if self.template is None else self.template.fields


@attrs.frozen
class SingleTable:
    """What ``@table`` declared for sharing a table: key templates and the discriminator."""

    pk: KeyTemplate | None = None
    sk: KeyTemplate | None = None
    discriminator: str | None = None
    entity: str | None = None


_NO_SINGLE = SingleTable()

_TEMPLATE_TYPES: tuple[type, ...] = (str, int, Decimal, dt.datetime, dt.date, uuid.UUID)


def _template_source(where: str, tpl: KeyTemplate, field: FieldMeta, width: int | None) -> None:
    """A field may fill a template placeholder when its values have one text form."""
    inner, _ = strip_optional(field.type)
    problem = None
    if not isinstance(inner, type) or inner is bool:
        problem = f"its type {field.type!r} has no key text"
    elif issubclass(inner, enum.Enum):
        kind = scalar_kind(inner)
        if kind is None:
            problem = f"enum {inner.__name__} has no key text"
        elif width is not None and kind != "N":
            problem = "a zero-padded placeholder needs an int (or int enum) field"
    elif issubclass(inner, _TEMPLATE_TYPES):
        if width is not None and (not issubclass(inner, int) or issubclass(inner, bool)):
            problem = "a zero-padded placeholder needs an int (or int enum) field"
    elif issubclass(inner, (bool, float, bytes, bytearray, set, frozenset, list, tuple, dict)):
        problem = f"its type {inner.__name__} has no key text"
    # Any other class (an attrs class too) may be a custom type: the codec checks it has a
    # hook (TemplateCodec).
    if problem is not None:
        raise SchemaError(f"{where}: key template {tpl.text!r} field {field.name!r}: {problem}")


class _Templates:
    """The key templates of one model, checked against its fields as they are added."""

    def __init__(
        self, where: str, by_name: Mapping[str, FieldMeta], by_stored: Mapping[str, FieldMeta]
    ) -> None:
        self.where = where
        self.by_name = by_name
        self.fields_stored = by_stored
        self.by_stored: dict[str, FieldMeta] = {}

    def add(self, tpl: Any, role: Role | None, default: str, *, table_key: bool) -> FieldMeta:
        where = self.where
        if not isinstance(tpl, KeyTemplate):
            raise SchemaError(f"{where}: a key template is made by template(...), not {tpl!r}")
        stored = tpl.name or default
        check_stored_name(stored, f"{where} key template {tpl.text!r}")
        if stored in self.fields_stored:
            raise SchemaError(
                f"{where}: key template {tpl.text!r} is stored as {stored!r}, the stored name "
                f"of field {self.fields_stored[stored].name!r}"
            )
        known = self.by_stored.get(stored)
        if known is not None:
            if known.template != tpl:
                raise SchemaError(f"{where}: two different key templates are stored as {stored!r}")
            return known
        optional = False
        for placeholder in tpl.placeholders:
            field = self.by_name.get(placeholder.field)
            if field is None:
                raise SchemaError(
                    f"{where}: key template {tpl.text!r} names unknown field {placeholder.field!r}"
                )
            if field.role in ("version", "created_at", "updated_at", "ttl"):
                raise SchemaError(
                    f"{where}: key template {tpl.text!r} cannot use lifecycle field "
                    f"{field.name!r} (its value changes on writes)"
                )
            if table_key and field.optional:
                raise SchemaError(
                    f"{where}: table key template {tpl.text!r} field {field.name!r} cannot be "
                    "Optional"
                )
            optional = optional or field.optional
            _template_source(where, tpl, field, placeholder.width)
        meta = FieldMeta(
            name=stored,
            stored=stored,
            type=str | None if optional else str,
            role=role,
            omit_empty=False,
            optional=optional,
            has_default=False,
            init=False,
            template=tpl,
        )
        self.by_stored[stored] = meta
        return meta


@attrs.frozen
class IndexMeta:
    """One secondary index, resolved against the model's fields."""

    name: str
    kind: IndexKind
    pk: FieldMeta
    sk: FieldMeta | None
    projection: ProjectionType
    non_key_attributes: tuple[str, ...]

    @property
    def key_fields(self) -> tuple[FieldMeta, ...]:
        """The index's key fields, partition key first."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)


@attrs.frozen
class ModelMeta:
    """Everything the codec, planner and engine need to know about a model class."""

    cls: type
    table: str
    naming: str
    fields: tuple[FieldMeta, ...]
    pk: FieldMeta
    sk: FieldMeta | None
    indexes: tuple[IndexMeta, ...]
    by_name: Mapping[str, FieldMeta]
    by_stored: Mapping[str, FieldMeta]
    version: FieldMeta | None
    created_at: FieldMeta | None
    updated_at: FieldMeta | None
    ttl: FieldMeta | None
    options: TableOptions = DEFAULT_TABLE_OPTIONS
    discriminator: str | None = None
    entity: str | None = None
    templates: tuple[FieldMeta, ...] = ()
    has_lifecycle: bool = attrs.field(init=False)
    """Whether the model has a ``version()``, ``created_at()`` or ``updated_at()`` field."""

    @has_lifecycle.default
    def _has_lifecycle(self) -> bool:
        return (self.version, self.created_at, self.updated_at) != (None, None, None)

    @property
    def key_fields(self) -> tuple[FieldMeta, ...]:
        """The table's key attributes, partition key first (a template is one attribute)."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)

    @property
    def key_names(self) -> tuple[str, ...]:
        """The fields (Python names) that name an item: the key fields, or the fields the
        key templates are built from."""
        return tuple(name for field in self.key_fields for name in field.sources)

    def field(self, name: str) -> FieldMeta:
        """The field called ``name`` (Python name).

        Raises:
            ValidationError: There is none (a caller's mistake); the message lists the fields.
        """
        try:
            return self.by_name[name]
        except KeyError:
            raise ValidationError(
                f"{self.cls.__name__} has no field {name!r} (fields: {', '.join(self.by_name)})"
            ) from None

    def index(self, name: str) -> IndexMeta:
        """The secondary index called ``name``."""
        for index in self.indexes:
            if index.name == name:
                return index
        names = ", ".join(i.name for i in self.indexes) or "none"
        raise SchemaError(f"{self.cls.__name__} has no index {name!r} (indexes: {names})")


def stored_name(name: str, naming: str) -> str:
    """The stored attribute name of field ``name`` under a naming convention.

    camelCase follows DynamORM: ``customer_id`` → ``customerId``; a name written in capitals
    (``PK``, ``GSI1SK``) is kept as written.
    """
    name = name.lstrip("_") or name
    if naming == "snake_case" or name.isupper():
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def field_spec(field: attrs.Attribute[Any]) -> FieldSpec:
    """The marker spec of an attrs field (a plain spec when it has no marker)."""
    spec = field.metadata.get(METADATA_KEY)
    return spec if isinstance(spec, FieldSpec) else _PLAIN


def declare(
    cls: type,
    *,
    table: str,
    indexes: tuple[Index, ...],
    naming: str,
    options: TableOptions = DEFAULT_TABLE_OPTIONS,
    single: SingleTable | None = None,
) -> None:
    """Attach a declaration to ``cls`` and validate it (called by ``@table``)."""
    if not isinstance(cls, type) or not attrs.has(cls):
        raise SchemaError(
            f"@table must decorate an attrs class (put it above @attrs.define), not {cls!r}"
        )
    if naming not in _NAMINGS:
        raise SchemaError(f"{cls.__name__}: naming must be one of {_NAMINGS}, not {naming!r}")
    if not isinstance(options, TableOptions):
        raise SchemaError(f"{cls.__name__}: options must be a TableOptions, not {options!r}")
    setattr(cls, _SPEC_ATTR, (cls, table, indexes, naming, options, single or _NO_SINGLE))
    if _META_ATTR in cls.__dict__:
        delattr(cls, _META_ATTR)
    try:
        attrs.resolve_types(cls)
    except NameError:
        return  # a forward reference: validated on first use (register() or a request)
    model_meta(cls)


def check_stored_name(stored: str, where: str) -> None:
    """A stored attribute name must be valid UTF-8 (no lone surrogate), as DynamoDB needs.

    Raises:
        SchemaError: It is not.
    """
    try:
        stored.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SchemaError(
            f"{where}: the stored name holds a lone surrogate (U+{ord(stored[exc.start]):04X}) "
            f"at position {exc.start}; DynamoDB attribute names are valid UTF-8"
        ) from None


@attrs.frozen
class Declaration:
    """What ``@table`` declared on a class, as its subclasses' ``@table`` inherit it."""

    table: str
    indexes: tuple[Index, ...]
    naming: str
    options: TableOptions
    single: SingleTable


def inherited(cls: type) -> Declaration | None:
    """The declaration of the nearest model among ``cls``'s bases, if any."""
    for base in cls.__mro__[1:]:
        if is_model(base):
            _, table, indexes, naming, options, single = base.__dict__[_SPEC_ATTR]
            return Declaration(table, indexes, naming, options, single)
    return None


def is_model(cls: Any) -> bool:
    """Whether ``cls`` was decorated with ``@table``."""
    return isinstance(cls, type) and _SPEC_ATTR in cls.__dict__


def model_meta(cls: type) -> ModelMeta:
    """The cached metadata of a ``@table`` class, computed on first call."""
    meta = cls.__dict__.get(_META_ATTR)
    if meta is not None and meta.cls is cls:
        return meta  # type: ignore[no-any-return]
    if not is_model(cls):
        raise SchemaError(
            f"{getattr(cls, '__name__', cls)!r} is not a model: decorate it with @table"
        )
    declared, table, indexes, naming, options, single = cls.__dict__[_SPEC_ATTR]
    if declared is not cls:
        # A class decorator above @table (such as @attrs.define) made a new class from the
        # declared one; its fields lost the markers, so it must not be read as the model.
        raise SchemaError(
            f"{cls.__name__}: a decorator above @table made a new class from the model; "
            "put @table on top (it makes the attrs class itself)"
        )
    meta = _build(cls, table, indexes, naming, options, single)
    setattr(cls, _META_ATTR, meta)
    return meta


def _build(
    cls: type,
    table: str,
    indexes: tuple[Index, ...],
    naming: str,
    options: TableOptions,
    single: SingleTable,
) -> ModelMeta:
    where = cls.__name__
    try:
        attrs.resolve_types(cls)
    except NameError as exc:
        raise SchemaError(f"{where}: cannot resolve a field annotation ({exc})") from exc
    fields: list[FieldMeta] = []
    by_role: dict[str, FieldMeta] = {}
    by_stored: dict[str, FieldMeta] = {}
    for field in attrs.fields(cls):
        spec = field_spec(field)
        tp = field.type if field.type is not None else Any
        reason = unsupported_reason(tp)
        if reason:
            raise SchemaError(f"{where}.{field.name}: {reason}")
        inner, optional = strip_optional(tp)
        meta = FieldMeta(
            name=field.name,
            stored=spec.name or stored_name(field.name, naming),
            type=tp,
            role=spec.role,
            omit_empty=spec.omit_empty,
            optional=optional or tp is Any,
            has_default=field.default is not attrs.NOTHING,
            init=field.init,
            floats=spec.floats,
        )
        check_stored_name(meta.stored, f"{where}.{field.name}")
        if spec.floats != "reject" and inner is not Decimal:
            raise SchemaError(f'{where}.{field.name}: floats="str" is for Decimal fields')
        if meta.stored in by_stored:
            raise SchemaError(
                f"{where}: fields {by_stored[meta.stored].name!r} and {field.name!r} "
                f"are both stored as {meta.stored!r}"
            )
        by_stored[meta.stored] = meta
        if spec.role is not None:
            if spec.role in by_role:
                first = by_role[spec.role].name
                raise SchemaError(f"{where}: two {spec.role} fields ({first!r} and {field.name!r})")
            by_role[spec.role] = meta
            _check_role(where, meta, inner)
        fields.append(meta)
    by_name = {f.name: f for f in fields}
    templates = _Templates(where, by_name, by_stored)
    for role, declared in (("pk", single.pk), ("sk", single.sk)):
        if declared is None:
            continue
        if role in by_role:
            raise SchemaError(
                f"{where}: both a {role}() field ({by_role[role].name!r}) and a {role}= key "
                "template; keep one"
            )
        by_role[role] = templates.add(declared, role, role.upper(), table_key=True)  # type: ignore[arg-type]
    if "pk" not in by_role:
        raise SchemaError(f"{where}: no partition key; mark one field with pk()")
    resolved = _indexes(where, indexes, by_name, by_role, templates)
    discriminator = single.discriminator
    if discriminator is not None:
        check_stored_name(discriminator, f"{where} discriminator")
        if discriminator in by_stored or discriminator in templates.by_stored:
            raise SchemaError(
                f"{where}: the discriminator attribute {discriminator!r} is also the stored "
                "name of a field or key template"
            )
    return ModelMeta(
        cls=cls,
        table=table,
        naming=naming,
        fields=tuple(fields),
        pk=by_role["pk"],
        sk=by_role.get("sk"),
        indexes=resolved,
        by_name=types.MappingProxyType(by_name),
        by_stored=types.MappingProxyType(by_stored),
        version=by_role.get("version"),
        created_at=by_role.get("created_at"),
        updated_at=by_role.get("updated_at"),
        ttl=by_role.get("ttl"),
        options=options,
        discriminator=discriminator,
        entity=None if discriminator is None else (single.entity or cls.__name__),
        templates=tuple(templates.by_stored.values()),
    )


def _check_role(where: str, field: FieldMeta, inner: Any) -> None:
    role = field.role
    if role in ("pk", "sk"):
        if field.optional:
            raise SchemaError(f"{where}.{field.name}: a key field cannot be Optional")
        if key_kind(field) is None:
            raise SchemaError(
                f"{where}.{field.name}: a key must be stored as a string, number or binary, "
                f"not {field.type!r}"
            )
    elif role == "version" and (inner is bool or inner is not int):
        raise SchemaError(f"{where}.{field.name}: version() fields are int")
    elif role in ("created_at", "updated_at") and inner is not dt.datetime:
        raise SchemaError(
            f"{where}.{field.name}: {role}() fields are datetime (or datetime | None)"
        )
    elif role == "ttl" and inner not in (int, dt.datetime):
        raise SchemaError(f"{where}.{field.name}: ttl() fields are int or datetime (or None)")


def key_kind(field: FieldMeta) -> ScalarKind | None:
    """The S/N/B type of a key field (a TTL-style datetime key is not allowed)."""
    return scalar_kind(field.type)


def _indexes(
    where: str,
    declared: tuple[Index, ...],
    by_name: Mapping[str, FieldMeta],
    by_role: Mapping[str, FieldMeta],
    templates: _Templates,
) -> tuple[IndexMeta, ...]:
    def key(index_name: str, field_name: str | KeyTemplate | None) -> FieldMeta | None:
        if field_name is None:
            return None
        if isinstance(field_name, KeyTemplate):
            if field_name.name is None:
                raise SchemaError(
                    f"{where}: index {index_name!r} key template {field_name.text!r} needs "
                    "name= (its stored attribute name)"
                )
            return templates.add(field_name, None, field_name.name, table_key=False)
        field = by_name.get(field_name)
        if field is None:
            raise SchemaError(f"{where}: index {index_name!r} names unknown field {field_name!r}")
        if key_kind(field) is None:
            raise SchemaError(
                f"{where}: index {index_name!r} key {field_name!r} must be a string, number "
                f"or binary field, not {field.type!r}"
            )
        return field

    resolved: list[IndexMeta] = []
    seen: set[str] = set()
    for index in declared:
        if not isinstance(index, GSI | LSI):
            raise SchemaError(f"{where}: indexes holds GSI(...) and LSI(...), not {index!r}")
        if index.name in seen:
            raise SchemaError(f"{where}: two indexes named {index.name!r}")
        seen.add(index.name)
        if isinstance(index, GSI):
            kind: IndexKind = "GSI"
            index_pk = key(index.name, index.pk)
            index_sk = key(index.name, index.sk)
        else:
            kind = "LSI"
            if "sk" not in by_role:
                raise SchemaError(f"{where}: LSI {index.name!r} needs a table with a sort key")
            index_pk = by_role["pk"]
            index_sk = key(index.name, index.sk)
        assert index_pk is not None
        projection: ProjectionType
        if isinstance(index.projection, tuple):
            projection = "INCLUDE"
            non_key = tuple(
                by_name[n].stored if n in by_name else _unknown(where, index.name, n)
                for n in index.projection
            )
        else:
            projection = "ALL" if index.projection == "ALL" else "KEYS_ONLY"
            non_key = ()
        resolved.append(IndexMeta(index.name, kind, index_pk, index_sk, projection, non_key))
    if sum(1 for i in resolved if i.kind == "LSI") > 5:
        raise SchemaError(f"{where}: DynamoDB allows at most 5 local secondary indexes")
    if sum(1 for i in resolved if i.kind == "GSI") > 20:
        raise SchemaError(f"{where}: DynamoDB allows at most 20 global secondary indexes")
    return tuple(resolved)


def _unknown(where: str, index: str, name: str) -> str:
    raise SchemaError(f"{where}: index {index!r} projects unknown field {name!r}")
