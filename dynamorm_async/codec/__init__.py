"""The codec: model instances to DynamoDB AttributeValues and back, exactly.

Each :class:`~dynamorm_async.db.DB` owns a :class:`Codec`. It speaks the AttributeValue
shape botocore takes and returns (``{"S": "x"}``, ``{"N": "1.5"}``, ``{"M": {...}}``...)::

    codec = Codec()
    item = codec.encode(Payment(id="p1", amount=Decimal("9.99")))
    # {"id": {"S": "p1"}, "amount": {"N": "9.99"}}
    payment = codec.decode(Payment, item)

Numbers stay exact (``Decimal`` and ``int`` end to end, DynamoDB's 38-digit and range limits
checked on write), datetimes are RFC 3339 UTC text as DynamORM writes them, an empty set is
stored as NULL (left out for ``omit_empty`` fields), values nested deeper than DynamoDB's 32
levels, lone surrogates and empty map keys are refused, and errors name the path of the bad
value (``history[3].amount``) but never the value itself (see
:func:`~dynamorm_async.errors.values_in_errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from .._schema import ModelMeta, is_model, model_meta
from .._views import ViewMeta
from ..errors import DecodeError, EncodeError, ValidationError
from ._hooks import Hooks, check_nesting, may_nest_too_deep
from ._invalid import Invalid, wrap
from ._models import (
    MAX_ITEM_SIZE,
    FieldPlan,
    compile_decoder,
    compile_encoder,
    field_encoder,
    model_plans,
    nested_pair,
)
from ._scalars import AttributeValue, Decoder
from ._size import item_size
from ._templates import TemplateCodec, discriminated
from ._time import format_datetime, parse_datetime

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "MAX_ITEM_SIZE",
    "AttributeValue",
    "Codec",
    "Item",
    "StoredKind",
    "TemplateCodec",
    "format_datetime",
    "item_size",
    "parse_datetime",
]

Item = dict[str, AttributeValue]
"""A whole item: stored attribute names to AttributeValues."""

T = TypeVar("T")

StoredKind = Literal["S", "N", "B"]
"""How a custom type is stored: as text (S), a number (N) or binary (B)."""

_DEFAULT_NAMING = "camelCase"


class _ModelCodec:
    """The compiled functions of one model class."""

    __slots__ = (
        "decode",
        "encode",
        "fields",
        "key_names",
        "keys",
        "meta",
        "plans",
        "required",
        "templates",
        "views",
    )

    def __init__(
        self,
        meta: ModelMeta,
        plans: list[FieldPlan],
        encode: Callable[[Any], Item],
        decode: Callable[[Mapping[str, Any]], Any],
        fields: dict[str, Callable[[Any], AttributeValue | None]],
        keys: tuple[_Key, ...],
        required: tuple[str, ...],
        templates: dict[str, TemplateCodec],
    ) -> None:
        self.meta = meta
        self.plans = {plan.name: plan for plan in plans}
        self.required = required
        self.encode = encode
        self.decode = decode
        self.views: dict[type, Callable[[Mapping[str, Any]], Any]] = {}
        self.fields = fields
        self.keys = keys
        self.key_names = frozenset(name for key in keys for name in key.names)
        self.templates = templates


class _Key:
    """One table key attribute: the fields it is made from and how it is encoded."""

    __slots__ = ("encode", "names", "stored")

    def __init__(
        self, names: tuple[str, ...], stored: str, encode: Callable[..., AttributeValue]
    ) -> None:
        self.names = names
        self.stored = stored
        self.encode = encode


def _plain_key(name: str, stored: str, encoder: Callable[[Any], AttributeValue]) -> _Key:
    return _Key((name,), stored, encoder)


def _template_key(
    codec: TemplateCodec, fields: Mapping[str, Callable[[Any], AttributeValue | None]]
) -> _Key:
    names = tuple(name for name, _, _, _ in codec.sources)

    def encode(*values: Any) -> AttributeValue:
        encoded: dict[str, AttributeValue] = {}
        for name, value in zip(names, values, strict=True):
            try:
                av = fields[name](value)
            except Exception as exc:
                invalid = wrap(exc)
                raise Invalid(f"{name}: {invalid.message}") from exc
            if av is None:
                raise Invalid(f"key template {codec.field.stored!r} needs a value of {name!r}")
            encoded[name] = av
        return {"S": codec.text(encoded)}

    return _Key(names, codec.field.stored, encode)


class Codec:
    """Turns model instances into DynamoDB items and back; owned by each DB.

    It wraps one :class:`cattrs.Converter` whose hooks speak AttributeValues, and caches
    a compiled encode and decode function per model class, built on first use or by
    :meth:`register`.

    The codec's own encode/decode functions do not go through cattrs: the converter is
    built (and cattrs imported) the first time :attr:`converter` is read.
    """

    def __init__(self) -> None:
        self._hooks = Hooks(nested_pair)
        self._models: dict[type, _ModelCodec] = {}
        self._deep_types: dict[Any, bool] = {}
        self._converter: cattrs.Converter | None = None

    @property
    def converter(self) -> cattrs.Converter:
        """This codec's cattrs converter (not a global one).

        Its hooks turn any supported value into an AttributeValue and back, a model as
        ``{"M": {...}}``.
        """
        if self._converter is None:
            import cattrs

            self._converter = cattrs.Converter()
            self._install_converter_hooks(self._converter)
        return self._converter

    # -- models ------------------------------------------------------------------------------

    def register(self, cls: type) -> None:
        """Build and cache the encode/decode functions of a model ahead of its first use.

        Args:
            cls: A ``@table`` class.

        Raises:
            SchemaError: ``cls`` is not a model, or a field type cannot be stored.
        """
        self._model(cls)

    def _model(self, cls: type) -> _ModelCodec:
        model = self._models.get(cls)
        if model is None:
            model = self._build(cls)
            self._models[cls] = model
        return model

    def _build(self, cls: type) -> _ModelCodec:
        meta = model_meta(cls)
        plans = model_plans(self._hooks, meta)
        by_name = {plan.name: plan for plan in plans}
        fields = {plan.name: field_encoder(plan) for plan in plans}
        table_keys = {field.stored for field in meta.key_fields}
        templates = {
            field.stored: TemplateCodec(
                meta,
                field,
                required=field.stored in table_keys,
                custom_kind=self._hooks.custom_kind,
            )
            for field in meta.templates
        }
        keys: list[_Key] = []
        for field in meta.key_fields:
            if field.template is not None:
                keys.append(_template_key(templates[field.stored], fields))
                continue
            key_encoder = by_name[field.name].key_encoder
            assert key_encoder is not None
            keys.append(_plain_key(field.name, field.stored, key_encoder))
        ordered = tuple(templates.values())
        encode, decode = discriminated(
            meta, ordered, compile_encoder(cls, plans, top=True),
            compile_decoder(cls, plans),
        )  # fmt: skip
        return _ModelCodec(
            meta=meta,
            plans=plans,
            encode=encode,
            decode=decode,
            fields=fields,
            keys=tuple(keys),
            required=tuple(plan.name for plan in plans if plan.missing == "error"),
            templates=templates,
        )

    def register_type(
        self,
        tp: type[T],
        *,
        stored: StoredKind,
        encode: Callable[[T], Any],
        decode: Callable[[Any], T],
    ) -> None:
        """Teach the codec a field type of your own (``Money``, ``ULID``...).

        The value is stored as one S, N or B attribute: ``encode`` turns an instance into
        a ``str`` (S), an ``int``/``Decimal`` (N) or ``bytes`` (B), and ``decode`` turns that
        back into an instance. Subclasses of ``tp`` use the same pair. A type stored as S
        or N may fill a key template placeholder. Register types before the models that
        use them are first used (registering drops the compiled models, which are rebuilt).

        Args:
            tp: The class.
            stored: ``"S"``, ``"N"`` or ``"B"``.
            encode: Instance to ``str``/``int``/``Decimal``/``bytes``.
            decode: That value back to an instance.

        Raises:
            SchemaError: ``tp`` is not a class, ``stored`` is not S, N or B, or ``tp`` is
                one the codec stores itself (``str``, ``int``, an attrs class...).
        """
        self._hooks.add_type(tp, stored, encode, decode)
        self._models.clear()
        self._deep_types.clear()
        self._converter = None  # rebuilt, with the new type, on its next use

    def key_templates(self, cls: type) -> Mapping[str, TemplateCodec]:
        """The key templates of model ``cls`` by stored name (for the read planner)."""
        return self._model(cls).templates

    def required_fields(self, cls: type) -> tuple[str, ...]:
        """The fields (Python names) a stored item must hold for :meth:`decode` to read it.

        Those without a default, not ``Optional`` and not a set (a missing set reads as an
        empty one); the key fields are among them.
        """
        return self._model(cls).required

    def encode(self, obj: Any) -> Item:
        """Encode a model instance as a whole item (stored names to AttributeValues).

        An empty set is NULL (DynamORM's data model), left out for ``omit_empty`` fields;
        ``None`` is left out for ``omit_empty`` fields and for
        secondary index keys (sparse indexes); ``omit_empty`` fields also leave out ``""``,
        ``0``, ``False`` and empty collections.

        Args:
            obj: An instance of a ``@table`` class.

        Returns:
            The item, ready for ``PutItem``'s ``Item``.

        Raises:
            EncodeError: A value cannot be stored (``path`` names it), or the item is over
                :data:`MAX_ITEM_SIZE`.
            SchemaError: ``obj`` is not a model instance.
        """
        model = self._models.get(obj.__class__)
        if model is None:
            model = self._model(obj.__class__)
        try:
            return model.encode(obj)
        except Invalid as exc:
            raise EncodeError(exc.message, path=exc.path(), model=model.meta.cls.__name__) from exc

    def decode(self, cls: type[T], item: Mapping[str, AttributeValue]) -> T:
        """Decode a whole item into an instance of model ``cls``.

        Unknown attributes are ignored. A missing attribute takes the field's default;
        without one it is ``None`` for an Optional field, an empty set for a set field, and
        an error otherwise. Part of an item (a projection) is read with
        :meth:`decode_view`, never into a model instance.

        Args:
            cls: The ``@table`` class.
            item: The item as DynamoDB returned it.

        Returns:
            The instance.

        Raises:
            DecodeError: The item does not fit the model (``path`` names the value).
            SchemaError: ``cls`` is not a model.
        """
        model = self._models.get(cls)
        if model is None:
            model = self._model(cls)
        try:
            return model.decode(item)  # type: ignore[no-any-return]
        except Invalid as exc:
            raise DecodeError(exc.message, path=exc.path(), model=model.meta.cls.__name__) from exc

    def decode_view(self, view: ViewMeta, item: Mapping[str, AttributeValue]) -> Any:
        """Decode a projected item into an instance of a view of its model.

        Each view field is read as its model field is (a missing attribute the way
        :meth:`decode` treats it); attributes outside the view are ignored.

        Args:
            view: The view, resolved against its model (see ``select()``).
            item: The item as DynamoDB returned it.

        Returns:
            An instance of ``view.cls``.

        Raises:
            DecodeError: The item does not fit the view (``path`` names the value).
        """
        model = self._model(view.model.cls)
        decode = model.views.get(view.cls)
        if decode is None:
            plans = [
                attrs.evolve(model.plans[meta.name], alias=field.alias, kw_only=field.kw_only)
                for meta, field in zip(view.fields, attrs.fields(view.cls), strict=True)
            ]
            # The view's items are checked for their entity and get their template fields
            # back from the keys, as the model's are.
            _, decode = discriminated(
                model.meta,
                tuple(model.templates.values()),
                model.encode,
                compile_decoder(view.cls, plans),
            )
            model.views[view.cls] = decode
        try:
            return decode(item)
        except Invalid as exc:
            raise DecodeError(exc.message, path=exc.path(), model=view.cls.__name__) from exc

    # -- single values -----------------------------------------------------------------------

    def _naming(self, tp: Any) -> str:
        return model_meta(tp).naming if is_model(tp) else _DEFAULT_NAMING

    def encode_value(self, tp: Any, value: Any, *, path: str = "") -> AttributeValue | None:
        """Encode one value by its annotation.

        Args:
            tp: The annotation (``int``, ``list[Decimal]``, an attrs class...).
            value: The value.
            path: Where the value sits, for error messages (e.g. ``"meta.tags"``).

        Returns:
            The AttributeValue, or ``None`` when the value is to be left out (an empty set).

        Raises:
            EncodeError: The value does not fit ``tp`` or cannot be stored.
            SchemaError: ``tp`` is not a supported annotation.
        """
        encoder = self._hooks.encoder(tp, self._naming(tp))
        try:
            av = encoder(value)
            if av is not None and self._deep(tp):
                check_nesting(av)
            return av
        except Exception as exc:
            raise _failure(EncodeError, exc, path) from exc

    def _deep(self, tp: Any) -> bool:
        try:
            deep = self._deep_types.get(tp)
        except TypeError:  # an unhashable annotation
            return may_nest_too_deep(tp)
        if deep is None:
            deep = self._deep_types[tp] = may_nest_too_deep(tp)
        return deep

    def decode_value(self, tp: Any, av: Mapping[str, Any], *, path: str = "") -> Any:
        """Decode one AttributeValue by its annotation.

        Args:
            tp: The annotation.
            av: The AttributeValue, e.g. ``{"N": "1.5"}``.
            path: Where the value sits, for error messages.

        Returns:
            The Python value.

        Raises:
            DecodeError: The AttributeValue does not fit ``tp``.
            SchemaError: ``tp`` is not a supported annotation.
        """
        decoder = self._hooks.decoder(tp, self._naming(tp))
        try:
            return decoder(av)
        except Exception as exc:
            raise _failure(DecodeError, exc, path) from exc

    def encode_field(self, cls: type, name: str, value: Any) -> AttributeValue | None:
        """Encode a value for one model field, by its annotation and role.

        The field's rules apply as in :meth:`encode`: a TTL becomes epoch seconds, and
        ``None`` is returned when the item would leave the attribute out (an empty set,
        ``None`` for a secondary index key, an empty value of an ``omit_empty`` field).

        Args:
            cls: The ``@table`` class.
            name: The field's Python name.
            value: The value.

        Returns:
            The AttributeValue, or ``None`` for "no attribute".

        Raises:
            EncodeError: The value cannot be stored in that field.
            ValidationError: ``cls`` has no such field.
        """
        model = self._model(cls)
        encoder = model.fields.get(name)
        if encoder is None:
            model.meta.field(name)  # raises ValidationError naming the fields
        assert encoder is not None
        try:
            return encoder(value)
        except Exception as exc:
            invalid = wrap(exc)
            raise EncodeError(
                invalid.message, path=invalid.path(name), model=model.meta.cls.__name__
            ) from exc

    # -- keys --------------------------------------------------------------------------------

    def encode_key(self, cls: type, key: Mapping[str, Any]) -> Item:
        """Encode a table key given by Python field names: ``{"id": "p1"}``.

        Args:
            cls: The ``@table`` class.
            key: The partition key field, and the sort key field when the table has one.

        Returns:
            ``{stored name: AttributeValue}``, ready for ``GetItem``'s ``Key``.

        Raises:
            ValidationError: A key part is missing, an unknown name is given, or a value has
                the wrong type or cannot be a key (an empty string).
        """
        model = self._model(cls)
        where = model.meta.cls.__name__
        if not isinstance(key, Mapping):
            raise ValidationError(
                f"{where}: a key is a mapping of field names to values, not {type(key).__name__}"
            )
        if len(key) != len(model.key_names) or not model.key_names.issuperset(key):
            extra = sorted(set(key) - model.key_names, key=str)
            if extra:
                raise ValidationError(
                    f"{where}: {', '.join(map(repr, extra))} "
                    f"{'is not a key field' if len(extra) == 1 else 'are not key fields'}; "
                    f"the key is {_key_names(model)}"
                )
        item: Item = {}
        for part in model.keys:
            names = part.names
            for name in names:
                if name not in key:
                    raise ValidationError(
                        f"{where}.{name}: the key part is missing; the key is {_key_names(model)}"
                    )
            try:
                if len(names) == 1:  # a plain key field: no tuple built on this hot path
                    item[part.stored] = part.encode(key[names[0]])
                else:
                    item[part.stored] = part.encode(*(key[name] for name in names))
            except Exception as exc:
                raise ValidationError(f"{where}.{names[0]}: {wrap(exc).message}") from exc
        return item

    def key_of(self, obj: Any) -> Item:
        """The table key of a model instance: ``{stored name: AttributeValue}``.

        Raises:
            EncodeError: A key field's value cannot be a key.
            SchemaError: ``obj`` is not a model instance.
        """
        model = self._model(obj.__class__)
        item: Item = {}
        for part in model.keys:
            names = part.names
            try:
                if len(names) == 1:  # a plain key field: no tuple built on this hot path
                    item[part.stored] = part.encode(getattr(obj, names[0]))
                else:
                    item[part.stored] = part.encode(*(getattr(obj, name) for name in names))
            except Exception as exc:
                invalid = wrap(exc)
                raise EncodeError(
                    invalid.message, path=part.names[0], model=model.meta.cls.__name__
                ) from exc
        return item

    # -- cattrs ------------------------------------------------------------------------------

    def _install_converter_hooks(self, converter: cattrs.Converter) -> None:
        converter.register_unstructure_hook_factory(lambda _: True, self._unstructure_factory)
        converter.register_structure_hook_factory(lambda _: True, self._structure_factory)
        # cattrs dispatches these classes (and subclasses: bool, IntEnum...) before any
        # factory; route them through the codec too.
        for unstructured in (str, bytes):
            converter.register_unstructure_hook(
                unstructured, self._unstructure_factory(unstructured)
            )
        for structured in (str, bytes, int, float):
            converter.register_structure_hook(structured, self._structure_by_type)

    def _unstructure_factory(self, tp: Any) -> Callable[[Any], AttributeValue | None]:
        encoder = self._hooks.encoder(tp, self._naming(tp))

        def unstructure(value: Any) -> AttributeValue | None:
            try:
                return encoder(value)
            except Exception as exc:
                raise _failure(EncodeError, exc) from exc

        return unstructure

    def _structure_factory(self, tp: Any) -> Callable[[Any, Any], Any]:
        decoder: Decoder = self._hooks.decoder(tp, self._naming(tp))

        def structure(av: Any, _: Any) -> Any:
            try:
                return decoder(av)
            except Exception as exc:
                raise _failure(DecodeError, exc) from exc

        return structure

    def _structure_by_type(self, av: Any, tp: Any) -> Any:
        return self.decode_value(tp, av)


def _failure(
    error: type[EncodeError | DecodeError], exc: BaseException, path: str = ""
) -> EncodeError | DecodeError:
    """``error`` for a failed value, its path under ``path``."""
    invalid = wrap(exc)
    return error(invalid.message, path=invalid.path(path))


def _key_names(model: _ModelCodec) -> str:
    return " and ".join(repr(name) for part in model.keys for name in part.names)
