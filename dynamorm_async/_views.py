"""Views: attrs classes that hold some of a model's fields, the typed result of a projection.

A read that returns part of an item (``select(...)``, or an index that does not project
every attribute) cannot honestly build a model instance: the fields it did not read would
show defaults (``status=PENDING`` where ``PAID`` is stored). Such reads return instances of
a *view* instead::

    @attrs.frozen
    class PaymentLine:
        id: str
        amount: Decimal

    lines = await db.model(Payment).where("customer_id", "=", c).select(PaymentLine).all()

A view's fields are named as the model's Python fields and annotated with the same types,
so a type checker sees exactly what was read, and a field that was not read does not exist.
:func:`view_meta` checks that once, when the query is built.
"""

from __future__ import annotations

from typing import Any

import attrs

from ._schema import FieldMeta, ModelMeta
from .errors import SchemaError

__all__ = ["ViewMeta", "view_meta"]


@attrs.frozen
class ViewMeta:
    """A view class resolved against a model: which model fields it reads, in its order.

    Attributes:
        cls: The view class.
        model: The model's metadata.
        fields: The model fields the view holds, in the view's field order.
    """

    cls: type
    model: ModelMeta
    fields: tuple[FieldMeta, ...]

    @property
    def stored(self) -> frozenset[str]:
        """The stored attribute names the view reads."""
        return frozenset(f.stored for f in self.fields)


def view_meta(model: ModelMeta, view: Any) -> ViewMeta:
    """Check that ``view`` is a view of ``model`` and resolve its fields.

    Args:
        model: The model's metadata.
        view: An attrs class whose fields are some of the model's fields (same Python
            names, same annotations).

    Raises:
        TypeError: ``view`` is not a class (a field name, say: ``select()`` takes a class).
        SchemaError: ``view`` is not an attrs class, has no fields, or a field the model
            does not have, of another type, or with ``init=False``.
    """
    name = model.cls.__name__
    if not isinstance(view, type):
        raise TypeError(
            f"select() takes a view class (an attrs class with some of {name}'s fields), "
            f"not {type(view).__name__}" + (f" {view!r}" if isinstance(view, str) else "")
        )
    where = view.__qualname__
    if not attrs.has(view):
        raise SchemaError(f"{where} is not an attrs class: a view is declared with @attrs.frozen")
    try:
        attrs.resolve_types(view)
    except NameError as exc:
        raise SchemaError(f"{where}: cannot resolve a field annotation ({exc})") from exc
    fields: list[FieldMeta] = []
    for field in attrs.fields(view):
        at = f"{where}.{field.name}"
        meta = model.by_name.get(field.name)
        if meta is None:
            raise SchemaError(
                f"{at}: {name} has no field {field.name!r} (fields: {', '.join(model.by_name)})"
            )
        if not field.init:
            raise SchemaError(f"{at}: a view field is read from the item, so it takes init=True")
        if field.type != meta.type:
            raise SchemaError(
                f"{at}: annotated {_show(field.type)}, but {name}.{field.name} is "
                f"{_show(meta.type)}; a view field has the model field's type"
            )
        fields.append(meta)
    if not fields:
        raise SchemaError(f"{where}: a view needs at least one of {name}'s fields")
    return ViewMeta(view, model, tuple(fields))


def _show(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")
