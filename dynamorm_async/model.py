"""Declaring models: the ``@table`` decorator and the field markers.

A model is a plain attrs class with DynamoDB metadata; nothing here does I/O::

    @table("payments", indexes=[GSI("by-customer", pk="customer_id", sk="created_at")])
    class Payment:
        id: str = pk()
        amount: Decimal
        customer_id: str = attr()
        created_at: datetime | None = created_at()

``@table`` makes the class an attrs class (``attrs.define``, or ``attrs.frozen`` with
``frozen=True``) and is declared a :func:`typing.dataclass_transform` whose field specifiers
are :func:`pk`, :func:`sk`, :func:`attr` and :func:`attrs.field`, so mypy and pyright see the
real constructor with no plugin: a marker without ``default=``/``factory=`` is a required
argument, and a plain annotated field may follow it. :func:`version`, :func:`created_at`,
:func:`updated_at` and :func:`ttl` always have a default (0, ``None``, ``None``, ``None``).

``@table`` also accepts a class already made with ``@attrs.define``/``@attrs.frozen`` (put it
on top); such a class works the same at run time, but mypy's built-in attrs support then reads
every marker as a default value, so prefer ``@table`` alone where a type checker matters.
For ``attrs.evolve``/``attrs.fields`` on such a model under mypy, enable the
``dynamorm_async.mypy`` plugin.

Each marker accepts :func:`attrs.field`'s keyword arguments (``default``, ``factory``,
``validator``, ``converter``...) besides its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, dataclass_transform, overload

import attrs

from ._schema import (
    GSI,
    LSI,
    METADATA_KEY,
    FieldMeta,
    FieldSpec,
    Floats,
    IndexMeta,
    ModelMeta,
    Naming,
    Projection,
    Role,
    declare,
    model_meta,
)
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

C = TypeVar("C", bound=type)
T = TypeVar("T")


def _marker(
    role: Role | None,
    *,
    name: str | None,
    omit_empty: bool,
    field_kwargs: dict[str, Any],
    floats: Floats = "reject",
) -> Any:
    if name is not None and (not isinstance(name, str) or not name):
        raise SchemaError(f"stored attribute name must be a non-empty string, not {name!r}")
    if floats not in ("reject", "str"):
        raise SchemaError(f'floats must be "reject" or "str", not {floats!r}')
    metadata = dict(field_kwargs.pop("metadata", None) or {})
    metadata[METADATA_KEY] = FieldSpec(role=role, name=name, omit_empty=omit_empty, floats=floats)
    return attrs.field(metadata=metadata, **field_kwargs)


# pk, sk and attr are field specifiers (PEP 681): a call without default= or factory= is a
# required constructor argument. The overloads give the field the default's type, as
# attrs.field's do, so `amount: Decimal = attr(default=0.5)` is a type error.
@overload
def pk(*, name: str | None = None, default: T, **field_kwargs: Any) -> T: ...
@overload
def pk(*, name: str | None = None, factory: Callable[[], T], **field_kwargs: Any) -> T: ...
@overload
def pk(*, name: str | None = None, **field_kwargs: Any) -> Any: ...
def pk(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """The partition key field. ``name`` overrides the stored attribute name."""
    return _marker("pk", name=name, omit_empty=False, field_kwargs=field_kwargs)


@overload
def sk(*, name: str | None = None, default: T, **field_kwargs: Any) -> T: ...
@overload
def sk(*, name: str | None = None, factory: Callable[[], T], **field_kwargs: Any) -> T: ...
@overload
def sk(*, name: str | None = None, **field_kwargs: Any) -> Any: ...
def sk(*, name: str | None = None, **field_kwargs: Any) -> Any:
    """The sort key field. ``name`` overrides the stored attribute name."""
    return _marker("sk", name=name, omit_empty=False, field_kwargs=field_kwargs)


@overload
def attr(
    *,
    name: str | None = None,
    omit_empty: bool = False,
    floats: Floats = "reject",
    default: T,
    **field_kwargs: Any,
) -> T: ...
@overload
def attr(
    *,
    name: str | None = None,
    omit_empty: bool = False,
    floats: Floats = "reject",
    factory: Callable[[], T],
    **field_kwargs: Any,
) -> T: ...
@overload
def attr(
    *,
    name: str | None = None,
    omit_empty: bool = False,
    floats: Floats = "reject",
    **field_kwargs: Any,
) -> Any: ...
def attr(
    *,
    name: str | None = None,
    omit_empty: bool = False,
    floats: Floats = "reject",
    **field_kwargs: Any,
) -> Any:
    """An ordinary attribute with options.

    Args:
        name: The stored attribute name, instead of the model's naming convention.
        omit_empty: Leave the attribute out of the item when it is ``None``, ``""``, ``0``,
            ``False`` or an empty collection. Without it an empty set is stored as NULL.
        floats: For a ``Decimal`` field: ``"reject"`` (the default) refuses a float with an
            :class:`~dynamorm_async.EncodeError`; ``"str"`` converts it as
            ``Decimal(str(x))`` (``0.1`` is stored as ``0.1``), for data that arrives as
            floats (JSON parsed without ``parse_float=Decimal``).
        **field_kwargs: Passed to :func:`attrs.field`.

    Raises:
        SchemaError: ``floats`` is not one of those (or, at ``@table``, is ``"str"`` on a
            field that is not a ``Decimal``).
    """
    return _marker(None, name=name, omit_empty=omit_empty, field_kwargs=field_kwargs, floats=floats)


# version, created_at, updated_at and ttl are deliberately not field specifiers: they always
# have a default, so type checkers read their call as that default value.
def version(*, name: str | None = None, **field_kwargs: Any) -> int:
    """An optimistic-locking version (an ``int``): 0 on create, +1 on every update."""
    field_kwargs.setdefault("default", 0)
    marker: int = _marker("version", name=name, omit_empty=False, field_kwargs=field_kwargs)
    return marker


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


@dataclass_transform(field_specifiers=(pk, sk, attr, attrs.field))
def table(
    name: str,
    *,
    indexes: Sequence[GSI | LSI] = (),
    naming: Naming = "camelCase",
    frozen: bool = False,
    options: TableOptions = DEFAULT_TABLE_OPTIONS,
) -> Callable[[C], C]:
    """Make a class a DynamoDB model stored in table ``name``.

    The class becomes an attrs class (``attrs.define``; ``attrs.frozen`` with
    ``frozen=True``) unless it already is one, and gets its (cached) metadata; nothing else
    is added. Declaration mistakes raise :class:`SchemaError` here.

    Args:
        name: The logical table name (``Config.table_prefix`` is prepended to it).
        indexes: GSI and LSI declarations.
        naming: How stored attribute names derive from field names: ``"camelCase"``
            (DynamORM's convention: ``customer_id`` → ``customerId``) or ``"snake_case"``.
        frozen: Make an immutable (``attrs.frozen``) class. Only for a class ``@table``
            makes: an attrs class you declared keeps what you declared.
        options: The table's settings (billing, backups, stream, encryption, class,
            deletion protection, tags), used by ``create_table`` and the deploy tooling.
    """
    if not isinstance(name, str) or not name:
        raise SchemaError(f"@table needs a non-empty table name, not {name!r}")
    if not isinstance(frozen, bool):
        raise SchemaError(f"@table frozen= must be True or False, not {frozen!r}")

    def decorate(cls: C) -> C:
        if not isinstance(cls, type):
            raise SchemaError(f"@table must decorate a class, not {cls!r}")
        if "__attrs_attrs__" not in cls.__dict__:
            cls = attrs.frozen(cls) if frozen else attrs.define(cls)
        elif frozen:
            raise SchemaError(
                f"{cls.__name__} is already an attrs class: frozen=True is for a class @table "
                "makes (use @attrs.frozen, or drop the attrs decorator)"
            )
        declare(cls, table=name, indexes=tuple(indexes), naming=naming, options=options)
        return cls

    return decorate
