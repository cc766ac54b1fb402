"""Update actions on model fields, in users' terms: Python field names and Python values.

``Changes().set("status", Status.PAID).add("attempts", 1).remove("note")`` lists actions;
:meth:`Changes.compile` turns them into an :class:`~dynamorm_async.expr.Update` on the
model's stored names with encoded values. The query layer's update builder and
transactions both use it.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ._schema import model_meta
from .codec import AttributeValue, Codec
from .conditions import FieldPath, field_name, resolve_path
from .errors import ValidationError
from .expr import Path, Update

__all__ = ["Changes"]

Action = Literal[
    "set", "set_if_not_exists", "add", "remove", "delete", "append", "prepend", "increment"
]


@attrs.frozen
class Changes:
    """An immutable list of update actions; each method returns a new ``Changes``."""

    actions: tuple[tuple[Action, FieldPath, Any], ...] = ()

    def _with(self, action: Action, field: FieldPath, value: Any = None) -> Changes:
        if not isinstance(field, str | Path):
            raise TypeError(
                f"an update action's field is a name (str) or a Path, not {type(field).__name__}"
            )
        if not field:
            raise ValidationError("an update action needs a field name, not ''")
        return Changes((*self.actions, (action, field, value)))

    def set(self, field: FieldPath, value: Any) -> Changes:
        """Set a field (an empty value of an ``omit_empty`` field or an empty set removes it)."""
        return self._with("set", field, value)

    def set_if_not_exists(self, field: FieldPath, value: Any) -> Changes:
        """Set a field only if the stored item does not have it yet."""
        return self._with("set_if_not_exists", field, value)

    def add(self, field: FieldPath, value: Any) -> Changes:
        """Add a number to a number field, or elements to a set field (missing counts as empty)."""
        return self._with("add", field, value)

    def remove(self, field: FieldPath) -> Changes:
        """Remove a field (or a list element: ``"history[0]"``)."""
        return self._with("remove", field)

    def delete(self, field: FieldPath, values: Any) -> Changes:
        """Remove elements from a set field."""
        return self._with("delete", field, values)

    def append(self, field: FieldPath, values: Any) -> Changes:
        """Append a list of values to a list field (a missing list is created)."""
        return self._with("append", field, values)

    def prepend(self, field: FieldPath, values: Any) -> Changes:
        """Put a list of values in front of a list field (a missing list is created)."""
        return self._with("prepend", field, values)

    def increment(self, field: FieldPath, amount: Any = 1) -> Changes:
        """Add ``amount`` to a number field that exists (``add`` also covers a missing one)."""
        return self._with("increment", field, amount)

    def __len__(self) -> int:
        return len(self.actions)

    def compile(self, model: type, codec: Codec) -> Update:
        """The expression-level update for ``model``.

        Raises:
            ValidationError: no actions, an unknown field, a key field, a value the field
                cannot take, or two actions on overlapping paths.
        """
        if not self.actions:
            raise ValidationError(f"an update of {model.__name__} needs at least one action")
        keys = set(model_meta(model).key_names)
        # A prepend and an append of the same list become one action (DynamoDB rejects two).
        lists: dict[FieldPath, dict[str, Any]] = {}
        for action, field, value in self.actions:
            if action in ("append", "prepend"):
                lists.setdefault(field, {})[action] = value
        update = Update()
        for action, field, value in self.actions:
            path, tp = resolve_path(model, field)
            label = str(field)
            if field_name(field) in keys:
                raise ValidationError(f"an update cannot change key field {label!r}")
            if action == "remove":
                update = update.remove(path)
                continue
            top = len(path.segments) == 1
            name = field_name(field) if top and action in ("set", "set_if_not_exists") else None
            av = _encode(codec, model, name or label, tp, value, top=name is not None)
            if action == "set":
                update = update.remove(path) if av is None else update.set(path, av)
                continue
            if av is None:
                raise ValidationError(f"{action} on {label!r} needs a non-empty value")
            if action == "set_if_not_exists":
                update = update.set_if_not_exists(path, av)
            elif action == "add":
                update = update.add(path, av)
            elif action == "delete":
                update = update.delete(path, av)
            elif action in ("append", "prepend") and len(lists[field]) == 2:
                if action == "append":
                    continue  # sent with the prepend below or above
                after = codec.encode_value(tp, lists[field]["append"], path=label)
                if after is None:
                    raise ValidationError(f"append on {label!r} needs a non-empty value")
                update = update.extend(path, before=av, after=after)
            elif action == "append":
                update = update.append(path, av)
            elif action == "prepend":
                update = update.prepend(path, av)
            else:
                update = update.increment(path, av)
        return update


def _encode(
    codec: Codec, model: type, field: str, tp: Any, value: Any, *, top: bool
) -> AttributeValue | None:
    # A plain top-level set goes through the field's role and omission rules (a ttl()
    # field stores epoch seconds; an omit_empty field's empty value is removed).
    if top:
        return codec.encode_field(model, field, value)
    return codec.encode_value(tp, value, path=field)
