"""Reading several models of one table in one Query: ``db.collection(Customer, Order, Payment)``.

In a single-table design one partition holds a customer, its orders and its payments. A
:class:`Collection` reads such a partition with one Query and decodes each item as the
model its discriminator names::

    async with db.collection(Customer, Order, Payment).where("id", "=", "c-1").stream() as items:
        async for item in items:
            match item:
                case Customer(): ...
                case Order(): ...

Conditions are written in the fields of the first model (the partition's owner); the
others must share its table, partition key and discriminator. Everything a
:class:`~dynamorm_async.query.Query` does works here: ``filter``, ``order``, ``limit``,
``page(size, cursor)`` with DynamORM cursors, ``count``. An item whose discriminator names
none of the models raises :class:`~dynamorm_async.errors.UnknownEntity`, unless the
collection was made with ``skip_unknown=True``: then such items are filtered out by
DynamoDB (a filter on the discriminator).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

import attrs

from ._schema import ModelMeta, model_meta
from .errors import SchemaError, UnknownEntity, ValidationError, shown
from .expr import Condition, Path, Predicate, and_
from .planning.reads import Plan
from .query import Query, _State
from .session import Session

__all__ = ["Collection"]

T = TypeVar("T")


def _check(models: tuple[type, ...]) -> tuple[ModelMeta, ...]:
    if not models:
        raise TypeError("a collection needs at least one model")
    metas = tuple(model_meta(model) for model in models)
    owner = metas[0]
    if owner.discriminator is None:
        raise SchemaError(
            f"{owner.cls.__name__}: a collection decodes items by their discriminator; "
            "declare @table(..., discriminator=...)"
        )
    seen: dict[str, str] = {}
    for meta in metas:
        where = meta.cls.__name__
        if meta.table != owner.table:
            raise SchemaError(f"{where} is stored in {meta.table!r}, not {owner.table!r}")
        if meta.discriminator != owner.discriminator:
            raise SchemaError(
                f"{where}'s discriminator is {meta.discriminator!r}, not {owner.discriminator!r}"
            )
        if meta.pk.stored != owner.pk.stored:
            raise SchemaError(
                f"{where}'s partition key is {meta.pk.stored!r}, not {owner.pk.stored!r}"
            )
        assert meta.entity is not None
        if meta.entity in seen:
            raise SchemaError(f"{where} and {seen[meta.entity]} both have entity {meta.entity!r}")
        seen[meta.entity] = where
    return metas


class Collection(Query[T]):
    """An immutable read of several models sharing a table and partition; see the module.

    Build it with :meth:`DB.collection <dynamorm_async.DB.collection>`.
    """

    def __init__(
        self,
        session: Session,
        models: tuple[type, ...],
        state: _State | None = None,
        *,
        skip_unknown: bool = False,
    ) -> None:
        self._metas = _check(models)
        super().__init__(session, models[0], state)
        self._models = models
        self._skip_unknown = bool(skip_unknown)
        attribute = self._metas[0].discriminator
        assert attribute is not None
        self._attribute = attribute
        self._by_entity = {meta.entity: meta.cls for meta in self._metas}

    @property
    def models(self) -> tuple[type, ...]:
        """The models read, the partition's owner first."""
        return self._models

    def _with(self, **changes: Any) -> Self:
        return type(self)(
            self._session,
            self._models,
            attrs.evolve(self._state, **changes),
            skip_unknown=self._skip_unknown,
        )

    def _plan_paths(
        self,
        where: list[Predicate],
        filters: Condition | None,
        *,
        count: bool = False,
        mixed: bool = True,
    ) -> Plan:
        if self._skip_unknown:
            known = tuple({"S": entity} for entity in self._by_entity)
            test = Predicate("in", Path.of(self._attribute), known)
            filters = test if filters is None else and_(filters, test)
        plan = super()._plan_paths(where, filters, count=count, mixed=True)
        if plan.keys:
            raise ValidationError(
                "a collection reads a partition: test its partition key only (a full key "
                "names one item; read it with db.get)"
            )
        return plan

    def _decoder(self) -> Callable[[Mapping[str, Any]], T]:
        decode = self._session.codec.decode
        by_entity = self._by_entity
        attribute = self._attribute
        expected = tuple(str(entity) for entity in by_entity)

        def decode_item(item: Mapping[str, Any]) -> T:
            found = item.get(attribute)
            entity = found.get("S") if isinstance(found, Mapping) else None
            model = by_entity.get(entity)
            if model is None:
                raise UnknownEntity(
                    f"an item's {attribute!r} names none of the collection's entities "
                    f"({', '.join(expected)}){shown(found)}",
                    attribute=attribute,
                    expected=expected,
                )
            return decode(model, item)

        return decode_item

    def update(self) -> Any:
        """Not for a collection: update one item through ``db.model(Model)``.

        Raises:
            TypeError: Always.
        """
        raise TypeError("a collection reads; update an item with db.model(Model).key(...)")
