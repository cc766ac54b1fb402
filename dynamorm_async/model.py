"""Declaring models: the ``@table`` decorator, field markers and index declarations.

Models are plain attrs classes; this module adds DynamoDB metadata to them and does no I/O::

    @table("payments", indexes=[GSI("by-customer", pk="customer_id", sk="created_at")])
    @attrs.define
    class Payment:
        id: str = pk()
        amount: Decimal = attr()
        customer_id: str = attr()
        created_at: datetime | None = created_at()

Each marker accepts :func:`attrs.field`'s keyword arguments (``default``, ``factory``,
``validator``, ``converter``...) besides its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import attrs

from . import _schema
from ._schema import FieldMeta, IndexMeta, ModelMeta, model_meta
from .errors import SchemaError
from .table_options import DEFAULT_TABLE_OPTIONS, TableOptions

__all__ = [
    "GSI",
    "LSI",
    "FieldMeta",
    "IndexMeta",
    "ModelMeta",
    "Naming",
    "Projection",
    "attr",
    "created_at",
    "model_meta",
    "pk",
    "sk",
    "table",
    "ttl",
    "updated_at",
    "version",
]

T = TypeVar("T", bound=type)

Naming = Literal["camelCase", "snake_case"]
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

    Args:
        name: The index name in DynamoDB.
        pk: The field (Python name) that is the index's partition key.
        sk: The field that is its sort key, if any.
        projection: ``"ALL"`` (default), ``"KEYS_ONLY"`` or a list of field names to include.
    """

    name: str
    pk: str
    sk: str | None = None
    projection: Projection = attrs.field(default="ALL", converter=_projection)


@attrs.frozen
class LSI:
    """A local secondary index: the table's partition key with another sort key.

    Args:
        name: The index name in DynamoDB.
        sk: The field (Python name) that is the index's sort key.
        projection: ``"ALL"`` (default), ``"KEYS_ONLY"`` or a list of field names to include.
    """

    name: str
    sk: str
    projection: Projection = attrs.field(default="ALL", converter=_projection)


def table(
    name: str,
    *,
    indexes: Sequence[GSI | LSI] = (),
    naming: Naming = "camelCase",
    options: TableOptions = DEFAULT_TABLE_OPTIONS,
) -> Callable[[T], T]:
    """Mark an attrs class as a DynamoDB model stored in table ``name``.

    Apply it above ``@attrs.define``. The class is returned unchanged apart from its
    (cached) metadata; declaration mistakes raise :class:`SchemaError` here.

    Args:
        name: The logical table name (``Config.table_prefix`` is prepended to it).
        indexes: GSI and LSI declarations.
        naming: How stored attribute names derive from field names: ``"camelCase"``
            (DynamORM's convention: ``customer_id`` → ``customerId``) or ``"snake_case"``.
        options: The table's settings (billing, backups, stream, encryption, class,
            deletion protection, tags), used by ``create_table`` and the deploy tooling.
    """
    if not isinstance(name, str) or not name:
        raise SchemaError(f"@table needs a non-empty table name, not {name!r}")

    def decorate(cls: T) -> T:
        _schema.declare(cls, table=name, indexes=tuple(indexes), naming=naming, options=options)
        return cls

    return decorate


def _marker(
    role: _schema.Role | None,
    *,
    name: str | None,
    omit_empty: bool,
    field_kwargs: dict[str, Any],
) -> Any:
    if name is not None and (not isinstance(name, str) or not name):
        raise SchemaError(f"stored attribute name must be a non-empty string, not {name!r}")
    metadata = dict(field_kwargs.pop("metadata", None) or {})
    metadata[_schema.METADATA_KEY] = _schema.FieldSpec(role=role, name=name, omit_empty=omit_empty)
    return attrs.field(metadata=metadata, **field_kwargs)


def pk(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """The partition key field. ``name`` overrides the stored attribute name."""
    return _marker("pk", name=name, omit_empty=False, field_kwargs=field_kwargs)


def sk(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """The sort key field. ``name`` overrides the stored attribute name."""
    return _marker("sk", name=name, omit_empty=False, field_kwargs=field_kwargs)


def attr(*, name: str | None = None, omit_empty: bool = False, **field_kwargs: Any) -> Any:
    """An ordinary attribute with options.

    Args:
        name: The stored attribute name, instead of the model's naming convention.
        omit_empty: Leave the attribute out of the item when it is ``None``, ``""``, ``0``,
            ``False`` or an empty collection.
        **field_kwargs: Passed to :func:`attrs.field`.
    """
    return _marker(None, name=name, omit_empty=omit_empty, field_kwargs=field_kwargs)


def version(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """An optimistic-locking version (an ``int``): 0 on create, +1 on every update."""
    field_kwargs.setdefault("default", 0)
    return _marker("version", name=name, omit_empty=False, field_kwargs=field_kwargs)


def created_at(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """A ``datetime | None`` set (UTC) when the item is created, never changed after."""
    field_kwargs.setdefault("default", None)
    return _marker("created_at", name=name, omit_empty=True, field_kwargs=field_kwargs)


def updated_at(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """A ``datetime | None`` set (UTC) on every create, put and update."""
    field_kwargs.setdefault("default", None)
    return _marker("updated_at", name=name, omit_empty=True, field_kwargs=field_kwargs)


def ttl(*, name: str | None = None, omit_empty: bool = True, **field_kwargs: Any) -> Any:
    """The item's expiry (``datetime`` or ``int`` epoch seconds), stored as epoch seconds (N).

    The table's TTL setting is enabled on this attribute by ``create_table``.
    """
    field_kwargs.setdefault("default", None)
    return _marker("ttl", name=name, omit_empty=omit_empty, field_kwargs=field_kwargs)
