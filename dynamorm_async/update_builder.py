"""The update builder: field-level update actions and conditions on one item, by key.

::

    updated = await (
        db.model(Payment).key({"id": "p-1"}).update()
        .set("status", Status.PAID).add("attempts", 1).remove("note")
        .condition("status", "=", Status.PENDING)
        .returning("ALL_NEW")
        .execute()
    )

The actions are :class:`~dynamorm_async.updates.Changes`; conditions are ANDed
:class:`~dynamorm_async.conditions.Cond` tests. :meth:`UpdateBuilder.write` is the
planned write (``tx.update(builder)`` adds it to a transaction),
:meth:`UpdateBuilder.request` its ``UpdateItem`` parameters, and
:meth:`UpdateBuilder.execute` sends it.

Lifecycle fields are kept as :meth:`DB.update <dynamorm_async.DB.update>` keeps them:
``updated_at`` is set to now and ``version`` goes up by one, unless the update names them.
By default the item must exist (``attribute_exists`` on the partition key); :meth:`upsert`
lifts that and sets ``created_at`` on an item it creates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Self, TypeVar

from ._items import send_write
from .conditions import Cond, FieldPath, compile_condition, cond
from .errors import ValidationError
from .planning import _keys
from .planning.writes import RETURN_VALUES, ReturnValues, Write, WritePlanner
from .session import Session
from .updates import Changes

__all__ = ["ReturnValues", "UpdateBuilder"]

T = TypeVar("T")


class UpdateBuilder(Generic[T]):
    """An ``UpdateItem`` of one item, built step by step; each method returns a new builder.

    Get one with ``db.model(Model).key({...}).update()``.
    """

    def __init__(
        self,
        session: Session,
        model: type[T],
        key: Mapping[str, Any],
        *,
        changes: Changes | None = None,
        condition: Cond | None = None,
        returning: ReturnValues = "NONE",
        upsert: bool = False,
    ) -> None:
        if not isinstance(session, Session):
            raise TypeError(f"an UpdateBuilder runs on a Session, not {type(session).__name__}")
        self._session = session
        self._model = model
        self._key = dict(_keys.key_mapping(model, key))
        self._changes = changes if changes is not None else Changes()
        self._condition = condition
        self._returning: ReturnValues = returning
        self._upsert = upsert

    @property
    def model(self) -> type[T]:
        """The model class of the item this builder updates."""
        return self._model

    def _with(self, **changes: Any) -> Self:
        current: dict[str, Any] = {
            "changes": self._changes,
            "condition": self._condition,
            "returning": self._returning,
            "upsert": self._upsert,
        }
        current.update(changes)
        return type(self)(self._session, self._model, self._key, **current)

    def _change(self, changes: Changes) -> Self:
        # Compiled now so that a bad field or value fails at the call that added it.
        changes.compile(self._model, self._session.codec)
        return self._with(changes=changes)

    # -- actions -----------------------------------------------------------------------------

    def set(self, field: FieldPath, value: Any) -> Self:
        """``SET field = value`` (an empty value of an ``omit_empty`` field removes it)."""
        return self._change(self._changes.set(field, value))

    def set_if_not_exists(self, field: FieldPath, value: Any) -> Self:
        """Set ``field`` only where the stored item has no value for it yet."""
        return self._change(self._changes.set_if_not_exists(field, value))

    def add(self, field: FieldPath, value: Any) -> Self:
        """``ADD``: add a number (missing counts as 0) or elements to a set."""
        return self._change(self._changes.add(field, value))

    def increment(self, field: FieldPath, amount: Any = 1) -> Self:
        """Add ``amount`` to a number field that exists."""
        return self._change(self._changes.increment(field, amount))

    def remove(self, field: FieldPath) -> Self:
        """``REMOVE`` a field, map key or list element (``"history[0]"``)."""
        return self._change(self._changes.remove(field))

    def delete(self, field: FieldPath, values: Any) -> Self:
        """``DELETE`` elements from a set field."""
        return self._change(self._changes.delete(field, values))

    def append(self, field: FieldPath, values: Any) -> Self:
        """Append a list of values to a list field (a missing list is created)."""
        return self._change(self._changes.append(field, values))

    def prepend(self, field: FieldPath, values: Any) -> Self:
        """Put a list of values in front of a list field (a missing list is created)."""
        return self._change(self._changes.prepend(field, values))

    # -- options -----------------------------------------------------------------------------

    def condition(self, field: FieldPath | Cond, op: str | None = None, *values: Any) -> Self:
        """AND a condition the stored item must meet: ``.condition("status", "=", "pending")``.

        A :class:`~dynamorm_async.conditions.Cond` works too, for OR and NOT:
        ``.condition(cond("a", "=", 1) | ~cond("b", "exists"))``. When a condition fails,
        :meth:`execute` raises :class:`~dynamorm_async.errors.ConditionFailed`.

        Raises:
            ValidationError: An unknown field, operator or a value the field cannot take.
        """
        if isinstance(field, Cond):
            if op is not None or values:
                raise TypeError("pass either a Cond or a field, operator and values")
            condition = field
        elif not isinstance(field, str):
            raise TypeError(f"condition() takes a field name or a Cond, not {field!r}")
        elif op is None:
            raise ValidationError(f"condition on {field!r} needs an operator")
        else:
            condition = cond(field, op, *values)
        # Compiled now so that a bad field or value fails at the call that added it.
        compile_condition(condition, self._model, self._session.codec)
        combined = condition if self._condition is None else self._condition & condition
        return self._with(condition=combined)

    def returning(self, what: ReturnValues) -> Self:
        """What :meth:`execute` returns (``ReturnValues``).

        ``"NONE"`` (the default), ``"ALL_NEW"``, ``"ALL_OLD"``, ``"UPDATED_NEW"`` or
        ``"UPDATED_OLD"``.
        """
        if what not in RETURN_VALUES:
            raise ValidationError(f"returning() takes one of {', '.join(RETURN_VALUES)}")
        return self._with(returning=what)

    def upsert(self, upsert: bool = True) -> Self:
        """Create the item if it does not exist (by default the update requires it)."""
        return self._with(upsert=bool(upsert))

    # -- sending -----------------------------------------------------------------------------

    def write(self) -> Write:
        """The planned write (a transaction adds it with ``tx.update(builder)``).

        Raises:
            ValidationError: No actions, a key field in an action, overlapping paths.
        """
        planner = WritePlanner(self._session.codec, self._session.config)
        return planner.update_actions(
            self._model,
            self._key,
            self._changes,
            condition=self._condition,
            upsert=self._upsert,
            returning=self._returning,
        )

    def request(self) -> dict[str, Any]:
        """The ``UpdateItem`` parameters, without sending them.

        ``ReturnValues`` is present only when :meth:`returning` asked for something;
        ``ReturnValuesOnConditionCheckFailure`` is ``ALL_OLD`` whenever there is a condition.

        Raises:
            ValidationError: No actions, a key field in an action, overlapping paths.
        """
        return self.write().body

    async def execute(self) -> T | None:
        """Send the update.

        Returns:
            The item as :meth:`returning` asked (``UPDATED_*`` as a partial instance whose
            other fields are ``None``), or ``None``.

        Raises:
            ConditionFailed: A condition did not hold, or the item does not exist (without
                :meth:`upsert`); ``item`` is the stored item when DynamoDB returned it.
            WriteOutcomeUnknown: An attempt may have been applied (its answer was lost) and
                the stored item does not show whether (see ``docs/writes.md``).
        """
        response, _ = await send_write(self._session, self.write())
        attributes = response.get("Attributes")
        if not attributes or self._returning == "NONE":
            return None
        partial = self._returning.startswith("UPDATED_")
        return self._session.codec.decode(self._model, attributes, partial=partial)
