"""Key templates and the discriminator in the codec: the attributes a shared table adds.

A templated key attribute is computed from the AttributeValues of the fields it is built
from (so a write and a query's key condition agree by construction), and read back into
those fields when an item lacks them (a ``KEYS_ONLY`` index, an item another service
wrote). See :mod:`dynamorm_async.key_templates` for the rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .._annotations import ScalarKind, scalar_kind, strip_optional
from .._schema import FieldMeta, ModelMeta
from ..errors import SchemaError, UnknownEntity, shown
from ..key_templates import HIGHEST, KeyTemplate, Placeholder
from ._invalid import Invalid
from ._models import MAX_ITEM_SIZE, size_bound
from ._scalars import AttributeValue
from ._size import MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE, item_size
from ._time import parse_datetime_text

__all__ = ["HIGHEST", "TemplateCodec", "discriminated", "entity_of"]

Segment = Callable[[AttributeValue], str]
"""A field's AttributeValue to its segment text (raises :class:`Invalid`)."""
Unsegment = Callable[[str], AttributeValue]
"""Segment text back to the field's AttributeValue (raises :class:`Invalid`)."""


def fixed_datetime(text: str) -> str:
    """A stored RFC 3339 timestamp with all nine fraction digits, so text order is time order."""
    value = parse_datetime_text(text)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}000Z"


def _text(av: AttributeValue, kind: str) -> str:
    value = av.get(kind)
    if value.__class__ is not str:
        tags = "/".join(av) or "nothing"
        raise Invalid(f"a key template needs {kind} text, got {tags}")
    return value


def _segment_functions(
    placeholder: Placeholder, field: FieldMeta, custom_kind: ScalarKind | None
) -> tuple[Segment, Unsegment]:
    inner, _ = strip_optional(field.type)
    width = placeholder.width
    if isinstance(inner, type) and issubclass(inner, dt.datetime):
        return (lambda av: fixed_datetime(_text(av, "S"))), (lambda text: {"S": text})
    kind = custom_kind or scalar_kind(inner) or "S"
    if kind == "N" and width is not None:

        def padded(av: AttributeValue) -> str:
            text = _text(av, "N")
            if not text.isdigit():
                raise Invalid(f"a {{{placeholder.field}:0{width}}} placeholder takes an int >= 0")
            text = text.lstrip("0") or "0"
            if len(text) > width:
                raise Invalid(
                    f"the value of {placeholder.field!r} has more than {width} digits, the "
                    "template's width"
                )
            return text.zfill(width)

        return padded, lambda text: {"N": text.lstrip("0") or "0"}
    if kind == "N":
        return (lambda av: _text(av, "N")), (lambda text: {"N": text})
    if kind == "B":
        raise Invalid("binary values have no key text")
    return (lambda av: _text(av, "S")), (lambda text: {"S": text})


FIXED_WIDTH_TYPES: tuple[type, ...] = (dt.datetime, dt.date, uuid.UUID)
"""Field types whose segment text always has one width (so ranges on them are exact)."""


class TemplateCodec:
    """Computes one templated key attribute of one model, and reads it back.

    Attributes:
        field: The template's pseudo-field (its ``stored`` name is the attribute's).
        template: The template.
        required: Whether every item has it (a table key) or items may leave it out (a
            sparse index key: left out when a source field is missing or ``None``).
    """

    def __init__(
        self,
        meta: ModelMeta,
        field: FieldMeta,
        *,
        required: bool,
        custom_kind: Callable[[Any], ScalarKind | None],
    ) -> None:
        assert field.template is not None
        self.field = field
        self.template: KeyTemplate = field.template
        self.required = required
        self.model = meta.cls.__name__
        self.limit = MAX_SORT_KEY_SIZE if field.role == "sk" else MAX_PARTITION_KEY_SIZE
        self.sources: list[tuple[str, str, Segment, Unsegment]] = []
        self.fixed: dict[str, bool] = {}
        for placeholder in self.template.placeholders:
            source = meta.by_name[placeholder.field]
            inner, _ = strip_optional(source.type)
            custom = custom_kind(inner)
            if custom is None and scalar_kind(inner) is None:
                raise SchemaError(
                    f"{self.model}: key template {self.template.text!r} field {source.name!r}: "
                    f"{getattr(inner, '__name__', inner)} has no key text; register it with "
                    "codec.register_type(..., stored='S') (see docs/custom-types.md)"
                )
            segment, unsegment = _segment_functions(placeholder, source, custom)
            self.sources.append((source.name, source.stored, segment, unsegment))
            self.fixed[source.name] = placeholder.width is not None or (
                isinstance(inner, type) and issubclass(inner, FIXED_WIDTH_TYPES)
            )

    def segments(self, values: Mapping[str, AttributeValue]) -> dict[str, str]:
        """Each source field's segment text, from AttributeValues by Python name (only the
        fields given: a prefix needs the leading ones)."""
        out: dict[str, str] = {}
        for name, _, segment, _ in self.sources:
            av = values.get(name)
            if av is not None:
                out[name] = self._segment(name, segment, av)
        return out

    def _segment(self, name: str, segment: Segment, av: AttributeValue) -> str:
        try:
            text = segment(av)
        except Invalid as exc:
            raise Invalid(f"key template {self.field.stored!r}: {exc.message}") from exc
        if self.template.separator in text:
            raise Invalid(
                f"key template {self.field.stored!r}: the value of {name!r} holds the "
                f"separator {self.template.separator!r}, which would make the key ambiguous"
                f"{shown(text)}"
            )
        return text

    def text(self, values: Mapping[str, AttributeValue]) -> str:
        """The attribute's text from every source field's AttributeValue (by Python name)."""
        missing = [name for name, _, _, _ in self.sources if name not in values]
        if missing:
            raise Invalid(
                f"key template {self.field.stored!r} needs {', '.join(map(repr, missing))}"
            )
        text = self.template.expand(self.segments(values))
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.limit:
            raise Invalid(
                f"key template {self.field.stored!r} makes {size} bytes, over DynamoDB's "
                f"limit of {self.limit} bytes for that key"
            )
        return text

    def add_to(self, item: dict[str, AttributeValue]) -> None:
        """Put the attribute into an encoded item (left out of a sparse index when a source
        is missing or NULL)."""
        values: dict[str, AttributeValue] = {}
        for name, stored, _, _ in self.sources:
            av = item.get(stored)
            if av is None or av.get("NULL") is True:
                if self.required:
                    raise Invalid(
                        f"key template {self.field.stored!r} needs field {name!r}, which the "
                        "item leaves out"
                    )
                return
            values[name] = av
        item[self.field.stored] = {"S": self.text(values)}

    def read(self, text: str) -> dict[str, AttributeValue] | None:
        """The source fields' AttributeValues (by Python name) read back from the stored
        text, or ``None`` when the text does not have the template's shape."""
        parsed = self.template.parse(text)
        if parsed is None:
            return None
        try:
            return {name: unsegment(parsed[name]) for name, _, _, unsegment in self.sources}
        except Invalid:
            return None

    def fill(self, item: Mapping[str, Any]) -> Mapping[str, Any]:
        """``item`` with source fields it lacks read back from the stored attribute."""
        if all(stored in item for _, stored, _, _ in self.sources):
            return item
        av = item.get(self.field.stored)
        text = None if av is None else av.get("S")
        if text.__class__ is not str:
            return item
        parsed = self.template.parse(text)
        if parsed is None:
            return item
        filled = dict(item)
        for name, stored, _, unsegment in self.sources:
            if stored not in filled:
                filled[stored] = unsegment(parsed[name])
        return filled


def entity_of(meta: ModelMeta) -> AttributeValue | None:
    """The discriminator value a model's items carry, as an AttributeValue."""
    return None if meta.entity is None else {"S": meta.entity}


def discriminated(
    meta: ModelMeta,
    templates: tuple[TemplateCodec, ...],
    encode: Callable[[Any], dict[str, AttributeValue]],
    decode: Callable[[Mapping[str, Any]], Any],
) -> tuple[Callable[[Any], dict[str, AttributeValue]], Callable[[Mapping[str, Any]], Any]]:
    """A model's compiled encode and decode, adding its templates and discriminator.

    The decoder refuses an item whose discriminator names another entity
    (:class:`~dynamorm_async.errors.UnknownEntity`), and reads an item without one as this
    model (items written before the model had a discriminator).
    """
    if not templates and meta.discriminator is None:
        return encode, decode
    attribute = meta.discriminator
    entity = entity_of(meta)

    def encode_item(obj: Any) -> dict[str, AttributeValue]:
        item = encode(obj)
        for codec in templates:
            codec.add_to(item)
        if attribute is not None:
            item[attribute] = dict(entity or {})
        # The compiled encoder checked the size without these attributes: bound it again
        # (marshal's length bounds the stored size, see size_bound) and count exactly only
        # near the limit.
        if templates and size_bound(item) > MAX_ITEM_SIZE:
            size = item_size(item)
            if size > MAX_ITEM_SIZE:
                raise Invalid(
                    f"the item is {size} bytes with its key templates, over DynamoDB's item "
                    f"size limit of {MAX_ITEM_SIZE} bytes (400 KB)"
                )
        return item

    def decode_item(item: Mapping[str, Any]) -> Any:
        if attribute is not None:
            found = item.get(attribute) if isinstance(item, Mapping) else None
            if found is not None and found != entity:
                raise UnknownEntity(
                    f"the item is not a {meta.entity!r}: its {attribute!r} attribute names "
                    f"another entity{shown(found)}",
                    model=meta.cls.__name__,
                    attribute=attribute,
                    expected=(meta.entity or "",),
                )
        if isinstance(item, Mapping):
            for codec in templates:
                item = codec.fill(item)
        return decode(item)

    return encode_item, decode_item
