"""What an update adds to an item of a shared table: its discriminator and index templates.

A put writes the whole item, templates and discriminator included (the codec adds them).
An update names some fields only, so the write planner asks here for the rest: the
discriminator (so an upsert's new item says what it is) and each secondary-index key
template built from a field the update changes. Changing a template's field changes the
key text, so every field of that template must be known: from the instance, or set by
the same update.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .._schema import ModelMeta, model_meta
from ..codec import AttributeValue, Codec
from ..errors import EncodeError, ValidationError
from ..expr import Path, Update

__all__ = ["on_instance_update", "on_key_update"]


def _stamp(meta: ModelMeta, update: Update) -> Update:
    if meta.discriminator is None or meta.entity is None:
        return update
    return update.set(Path.of(meta.discriminator), {"S": meta.entity})


def _index_templates(meta: ModelMeta) -> list[tuple[str, tuple[str, ...]]]:
    table_keys = {field.stored for field in meta.key_fields}
    return [
        (field.stored, field.sources) for field in meta.templates if field.stored not in table_keys
    ]


def on_instance_update(codec: Codec, item: object, names: Iterable[str], update: Update) -> Update:
    """``update`` with the discriminator and the index templates fields ``names`` feed.

    ``update`` writes those fields of the instance ``item``; the templates are computed from
    the whole instance.
    """
    meta = model_meta(type(item))
    changed = set(names)
    affected = [stored for stored, sources in _index_templates(meta) if changed & set(sources)]
    if affected:
        encoded = codec.encode(item)
        for stored in affected:
            av = encoded.get(stored)
            update = (
                update.remove(Path.of(stored)) if av is None else update.set(Path.of(stored), av)
            )
    return _stamp(meta, update)


def on_key_update(
    codec: Codec, model: type, values: Mapping[str, object], touched: Iterable[str], update: Update
) -> Update:
    """``update`` (actions on an item by key) with the discriminator and index templates.

    Each index template built from a field the update touches is computed from the values
    the update sets.

    Args:
        codec: Encodes the values.
        model: The model.
        values: The values set on top-level fields (Python names), ``None`` for a removal.
        touched: Every top-level field an action names.
        update: The update so far.

    Raises:
        ValidationError: An action changes a field of an index template without setting
            every other field of it (the key text cannot be computed).
    """
    meta = model_meta(model)
    touched = set(touched)
    for stored, sources in _index_templates(meta):
        hit = touched & set(sources)
        if not hit:
            continue
        missing = [name for name in sources if name not in values]
        if missing:
            raise ValidationError(
                f"{model.__name__}: the update changes {', '.join(sorted(hit))}, which index key "
                f"template {stored!r} is built from; set {', '.join(missing)} in the same update "
                "so the key can be computed"
            )
        encoded: dict[str, AttributeValue] = {}
        for name in sources:
            value = values[name]
            av = None if value is None else codec.encode_field(model, name, value)
            if av is None or av.get("NULL") is True:
                encoded = {}
                break
            encoded[name] = av
        if not encoded:
            update = update.remove(Path.of(stored))
            continue
        try:
            text = codec.key_templates(model)[stored].text(encoded)
        except Exception as exc:
            raise EncodeError(str(exc), model=model.__name__) from exc
        update = update.set(Path.of(stored), {"S": text})
    return _stamp(meta, update)
