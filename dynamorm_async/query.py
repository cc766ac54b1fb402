"""The query builder users hold: ``db.model(Payment).where(...).filter(...).all()``.

Field names are the models' Python attribute names; values are Python values, encoded by
the field's annotation. A :class:`Query` is immutable: each method returns a new one, so a
base query can be shared and refined::

    recent = db.model(Payment).where("customer_id", "=", "c-1").where("created_at", ">=", since)
    pending = recent.filter("status", "in", [Status.PENDING, Status.FAILED])
    async with pending.order("desc").stream() as payments:
        async for payment in payments:
            ...

Nothing is sent until one of :meth:`Query.first`, :meth:`Query.all`, :meth:`Query.count`,
:meth:`Query.stream` or :meth:`Query.page` runs; :meth:`Query.explain` shows the plan
(see :mod:`dynamorm_async.planning.reads`) without sending anything. Mistakes (an unknown field, an
operator a key condition does not take, ``in`` with more than 100 values, a consistent
read of a GSI) raise before any request.

A :class:`Query` reads whole items into model instances. :meth:`Query.select` takes a view
(an attrs class with some of the model's fields) and gives a :class:`ProjectedQuery`, whose
reads return view instances: part of an item never becomes a model instance.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, Self, TypeVar

import attrs

from ._fanout import run_all
from ._items import get_item
from ._schema import model_meta
from ._views import ViewMeta, view_meta
from .conditions import Cond, FieldPath, compile_condition, cond
from .errors import DeadlineExceeded, ItemNotFound, Throttled, ValidationError
from .expr import Condition, Path, Predicate, and_, or_
from .pagination import Cursor, Page, Pager, Stream
from .planning import _keys
from .planning.batches import BatchGetPlan, read_options
from .planning.reads import Plan, plan_read
from .session import Session

if TYPE_CHECKING:
    from .update_builder import UpdateBuilder

__all__ = ["FilterGroup", "ProjectedQuery", "Query"]

T = TypeVar("T")
V = TypeVar("V")
R = TypeVar("R")

Connector = Literal["AND", "OR"]


def _fold(terms: Sequence[tuple[Connector, Condition]]) -> Condition | None:
    """Join a chain of filters as DynamORM does: AND binds tighter than OR.

    ``a AND b OR c AND d`` is ``(a AND b) OR (c AND d)``, exactly as DynamoDB reads the
    same text.
    """
    groups: list[list[Condition]] = []
    for connector, condition in terms:
        if connector == "OR" or not groups:
            groups.append([condition])
        else:
            groups[-1].append(condition)
    if not groups:
        return None
    return or_(*(and_(*group) for group in groups))


class _FilterChain:
    """The filter methods shared by queries and filter groups."""

    _model: type
    _session: Session

    def _add(self, connector: Connector, condition: Condition) -> Self:
        raise NotImplementedError

    def _compile(self, field: FieldPath, op: str, values: tuple[Any, ...]) -> Condition:
        if isinstance(field, Cond):
            raise TypeError(
                "filter() takes a field, an operator and values; pass a Cond to filter_group()"
            )
        return compile_condition(cond(field, op, *values), self._model, self._session.codec)

    def filter(self, field: FieldPath, op: str, *values: Any) -> Self:
        """AND a filter: ``.filter("status", "in", ["pending", "failed"])``.

        A whole :class:`~dynamorm_async.conditions.Cond` expression goes to
        :meth:`filter_group`.

        Args:
            field: A field name or path (``"meta.region"``, ``"items[0]"``,
                ``"size(tags)"``, ``Path.of(...)``).
            op: ``= != < <= > >= between in begins_with contains exists not_exists
                attribute_type``.
            *values: The values (two for ``between``; ``in`` takes one list).

        Raises:
            ValidationError: An unknown field, operator or a value the field cannot take.
            TypeError: ``field`` is a ``Cond`` (use :meth:`filter_group`).
        """
        return self._add("AND", self._compile(field, op, values))

    def or_filter(self, field: FieldPath, op: str, *values: Any) -> Self:
        """OR a filter with what came before (AND binds tighter, as in DynamoDB).

        ``.filter(a).filter(b).or_filter(c)`` is ``(a AND b) OR c``; use
        :meth:`filter_group` for other groupings.
        """
        return self._add("OR", self._compile(field, op, values))

    def filter_group(self, group: Callable[[FilterGroup], FilterGroup] | Cond) -> Self:
        """AND a parenthesised group of filters.

        ``.filter_group(lambda g: g.filter("a", "=", 1).or_filter("b", "=", 2))`` adds
        ``AND (a = 1 OR b = 2)``. A :class:`~dynamorm_async.conditions.Cond` works too.
        """
        return self._add("AND", self._group(group))

    def or_filter_group(self, group: Callable[[FilterGroup], FilterGroup] | Cond) -> Self:
        """OR a parenthesised group of filters with what came before."""
        return self._add("OR", self._group(group))

    def _group(self, group: Callable[[FilterGroup], FilterGroup] | Cond) -> Condition:
        if isinstance(group, Cond):
            return compile_condition(group, self._model, self._session.codec)
        built = group(FilterGroup(self._session, self._model))
        if not isinstance(built, FilterGroup):
            raise TypeError("a filter_group callback must return the group it was given")
        condition = built.condition()
        if condition is None:
            raise ValidationError("an empty filter group")
        return condition


class FilterGroup(_FilterChain):
    """A parenthesised group of filters, built inside :meth:`Query.filter_group`."""

    def __init__(
        self, session: Session, model: type, terms: tuple[tuple[Connector, Condition], ...] = ()
    ) -> None:
        self._session = session
        self._model = model
        self._terms = terms

    def _add(self, connector: Connector, condition: Condition) -> Self:
        return type(self)(self._session, self._model, (*self._terms, (connector, condition)))

    def condition(self) -> Condition | None:
        """The group's expression-level condition (``None`` when empty)."""
        return _fold(self._terms)


@attrs.frozen
class _State:
    where: tuple[Condition, ...] = ()
    filters: tuple[tuple[Connector, Condition], ...] = ()
    key: Mapping[str, Any] | None = None
    view: ViewMeta | None = None
    index: str | None = None
    scan: bool = False
    segments: int | None = None
    allow_scan: bool = False
    consistent: bool = False
    descending: bool = False
    limit: int | None = None
    page_size: int | None = None


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {value!r}")
    if value < 1:
        raise ValidationError(f"{name} must be a positive int, not {value!r}")
    return value


class _Reads(_FilterChain, Generic[R]):
    """Building and running a read whose items come back as ``R``."""

    _state: _State

    def __init__(self, session: Session, model: type, state: _State | None = None) -> None:
        model_meta(model)  # a SchemaError now rather than at the first request
        if not isinstance(session, Session):
            raise TypeError(f"a Query runs on a Session, not {type(session).__name__}")
        self._session = session
        self._model = model
        self._state = state if state is not None else _State()

    def _decoder(self) -> Callable[[Mapping[str, Any]], R]:
        raise NotImplementedError

    def _with(self, **changes: Any) -> Self:
        return type(self)(self._session, self._model, attrs.evolve(self._state, **changes))

    def _add(self, connector: Connector, condition: Condition) -> Self:
        return self._with(filters=(*self._state.filters, (connector, condition)))

    # -- building ----------------------------------------------------------------------------

    def where(self, field: FieldPath, op: str, *values: Any) -> Self:
        """Add a test the planner may use as a key condition: ``.where("customer_id", "=", c)``.

        ``=`` on a partition key (of the table or an index) and one of
        ``= < <= > >= between begins_with`` on its sort key make a Query; tests the chosen
        key condition does not take become filters.

        Raises:
            ValidationError: An unknown field, operator or a value the field cannot take.
        """
        condition = compile_condition(cond(field, op, *values), self._model, self._session.codec)
        return self._with(where=(*self._state.where, condition))

    def key(self, key: Mapping[str, Any], /) -> Self:
        """Address one item by its full primary key: ``.key({"id": "p-1"})``.

        Raises:
            TypeError: ``key`` is not a mapping.
            ValidationError: A key field is missing, unknown or of the wrong type.
        """
        self._session.codec.encode_key(self._model, _keys.key_mapping(self._model, key))
        query: Self = self
        for name, value in key.items():
            query = query.where(name, "=", value)
        return query._with(key=dict(key))

    def index(self, name: str) -> Self:
        """Read this index (the planner still needs an ``=`` on its partition key).

        An index projected ``KEYS_ONLY`` or ``INCLUDE`` serves only reads of what it holds:
        read it through :meth:`Query.select` with a view of its fields; a whole-item read
        of it raises :class:`~dynamorm_async.errors.QueryPlanError` before sending.
        """
        if not isinstance(name, str) or not name:
            raise ValidationError(f"index() takes an index name, not {name!r}")
        return self._with(index=name)

    def consistent(self, consistent: bool = True) -> Self:
        """Use strongly consistent reads (the table and LSIs only)."""
        return self._with(consistent=bool(consistent))

    def order(self, direction: str) -> Self:
        """Sort-key order of a Query: ``"asc"`` (the default) or ``"desc"``."""
        normalized = direction.lower() if isinstance(direction, str) else direction
        if normalized not in ("asc", "desc"):
            raise ValidationError(f"order() takes 'asc' or 'desc', not {direction!r}")
        return self._with(descending=normalized == "desc")

    def limit(self, count: int) -> Self:
        """Return at most ``count`` items; paging stops once they have come back."""
        return self._with(limit=_positive("limit", count))

    def page_size(self, size: int) -> Self:
        """Items per request (``Limit``); defaults to ``Config.page_size``."""
        return self._with(page_size=_positive("page_size", size))

    def allow_scan(self, allow: bool = True) -> Self:
        """Let the planner fall back to a Scan when no Query serves the conditions."""
        return self._with(allow_scan=bool(allow))

    def scan(self, *, segments: int | None = None) -> Self:
        """Read by Scan, whatever the conditions; ``segments`` > 1 scans in parallel."""
        if segments is not None:
            _positive("segments", segments)
        return self._with(scan=True, segments=segments)

    # -- planning ----------------------------------------------------------------------------

    def explain(self) -> Plan:
        """The plan of :meth:`all` / :meth:`stream` / :meth:`page`, without sending anything.

        ``str(plan)`` reads well; :meth:`Plan.describe` and :meth:`Plan.request` give the
        details, ``plan.skipped`` the indexes passed over and why.

        Raises:
            QueryPlanError: No access path serves the query (a forced index that does not
                project what the read returns included).
            ValidationError: An invalid combination.
        """
        return self._plan()

    def _plan(self, *, count: bool = False) -> Plan:
        state = self._state
        where = [c for c in state.where if isinstance(c, Predicate)]
        extra = [c for c in state.where if not isinstance(c, Predicate)]
        filters = _fold(state.filters)
        if extra:
            filters = and_(*extra, *([] if filters is None else [filters]))
        return self._plan_paths(where, filters, count=count)

    def _plan_paths(
        self,
        where: list[Predicate],
        filters: Condition | None,
        *,
        count: bool = False,
        mixed: bool = False,
    ) -> Plan:
        state = self._state
        return plan_read(
            model_meta(self._model),
            self._session.table_name(self._model),
            where=where,
            filter=filters,
            select=None if state.view is None else [Path.of(f.stored) for f in state.view.fields],
            index=state.index,
            scan=state.scan,
            allow_scan=state.allow_scan,
            consistent=state.consistent,
            descending=state.descending,
            segments=state.segments,
            count=count,
            templates=self._session.codec.key_templates(self._model) or None,
            mixed=mixed,
        )

    def _page_size(self) -> int:
        return self._state.page_size or self._session.config.page_size

    def _pagers(
        self, plan: Plan, *, count: bool = False, start_key: Mapping[str, Any] | None = None
    ) -> list[Pager]:
        request = plan.request(count=count)
        page_size: int | None = self._page_size()
        if count and self._state.page_size is None:
            page_size = None  # counting holds no items: let DynamoDB fill 1 MB pages
        limit = self._state.limit
        segments = plan.segments or 1
        if segments == 1:
            return [
                Pager(
                    self._session.send,
                    plan.operation,
                    request,
                    page_size=page_size,
                    limit=limit,
                    start_key=start_key,
                )
            ]
        return [
            Pager(
                self._session.send,
                plan.operation,
                {**request, "Segment": segment},
                page_size=page_size
                if page_size is None or limit is None
                else min(page_size, limit),
            )
            for segment in range(segments)
        ]

    # -- reading -----------------------------------------------------------------------------

    async def first(self) -> R:
        """The first matching item (``GetItem`` when the full key is given).

        Raises:
            ItemNotFound: Nothing matches.
        """
        plan = self.explain()
        decode = self._decoder()
        if plan.keys:
            raw = await self._get(plan)
            if raw:
                return decode(raw[0])
        else:
            # Without a filter the first evaluated item is the answer: ask for one. With a
            # filter, a whole page per request finds a match in fewer round trips.
            size = self._page_size() if plan.filter is not None else 1
            pager = Pager(self._session.send, plan.operation, plan.request(), page_size=size)
            while not pager.done:
                items = (await pager.fetch()).get("Items") or []
                if items:
                    return decode(items[0])
        raise ItemNotFound(
            f"no {self._model.__name__} matches the query",
            operation=plan.operation,
            table=plan.table,
        )

    async def all(self) -> list[R]:
        """Every matching item (up to :meth:`limit`), all held in memory.

        Prefer :meth:`stream` for large results.
        """
        async with self.stream() as items:
            return [item async for item in items]

    async def count(self) -> int:
        """How many items match (up to :meth:`limit`), with ``Select=COUNT`` summed over pages.

        Counting returns no attributes, so any index holding what the filters test serves it.
        """
        plan = self._plan(count=True)
        if plan.keys:
            return len(await self._get(plan))
        pagers = self._pagers(plan, count=True)
        total = 0

        async def run(pager: Pager) -> None:
            nonlocal total
            while not pager.done:
                # Not `total += int(await ...)`: that reads total before the await, and the
                # segments' tasks would overwrite each other's sums.
                counted = int((await pager.fetch()).get("Count", 0))
                total += counted

        await run_all(functools.partial(run, pager) for pager in pagers)
        limit = self._state.limit
        return total if limit is None else min(total, limit)

    def stream(self) -> Stream[R]:
        """The matching items, one page held at a time: ``async with q.stream() as items:``.

        Every kind of query streams the same way: enter the stream with ``async with``,
        then ``async for item in items:``. The next page is fetched only when the
        previous one is used up, and nothing more once you stop; a parallel scan's
        producer tasks end with the block.

        Raises:
            QueryPlanError: No access path serves the query (raised here, before iterating).
        """
        plan = self.explain()
        decode = self._decoder()
        if plan.keys:
            return Stream([_GetPages(self, plan)], decode)
        return Stream(self._pagers(plan), decode, limit=self._state.limit)

    async def page(self, size: int | None = None, cursor: str | None = None) -> Page[R]:
        """One page of ``size`` items (fewer at the end) and the cursor of the next.

        Args:
            size: Items per page; defaults to the query's page size.
            cursor: A cursor from a previous page of the same query, or from a DynamORM
                service running the same query.

        Raises:
            ValidationError: The cursor is malformed or belongs to another query (another
                index, order or partition).
        """
        plan = self.explain()
        decode = self._decoder()
        if plan.segments is not None and plan.segments > 1:
            raise ValidationError("page() reads one segment order; a parallel scan has none")
        if plan.keys:
            return Page([decode(raw) for raw in await self._get(plan)], None, False)
        start = None if cursor is None else _check_cursor(Cursor.decode(cursor), plan)
        size = self._page_size() if size is None else _positive("size", size)
        pager = Pager(
            self._session.send, plan.operation, plan.request(), page_size=size, limit=size,
            start_key=start,
        )  # fmt: skip
        raw_items: list[Any] = []
        while not pager.done:
            raw_items.extend((await pager.fetch()).get("Items") or ())
        last_key = pager.last_key
        next_cursor = (
            None
            if last_key is None
            else Cursor(last_key=last_key, index=plan.index, sort=plan.sort).encode()
        )
        return Page([decode(raw) for raw in raw_items], next_cursor, next_cursor is not None)

    async def _get(self, plan: Plan) -> list[dict[str, Any]]:
        """The raw items of a GetItem / BatchGetItem plan, in the order of its keys."""
        if plan.operation == "GetItem":
            item = await get_item(self._session, plan.request())
            return [] if item is None else [item]
        meta = model_meta(self._model)
        keys = BatchGetPlan(plan.table, meta)
        for key in plan.keys:
            keys.add({name: dict(av) for name, av in key.items()})
        options = read_options(meta, plan.projection, consistent=plan.consistent)
        from .batch import fetch_keys  # here: most queries never fetch keys in a batch

        fetched = await fetch_keys(self._session, keys, options, dict)
        run = fetched.run
        if run.deadline is not None:
            raise run.deadline
        if run.hard is not None:
            raise run.hard
        if fetched.left:
            why = "no time left" if run.out_of_time else f"{run.requests} attempts"
            error = DeadlineExceeded if run.out_of_time else Throttled
            raise error(
                f"BatchGetItem left keys unprocessed ({why})",
                operation="BatchGetItem",
                table=plan.table,
            ) from run.last_error()
        found = fetched.found
        return [found[p] for p in keys.positions if p in found]


class Query(_Reads[T]):
    """An immutable description of a read of one model's whole items; see the module docstring.

    Build it with :meth:`DB.model <dynamorm_async.DB.model>`, or from a
    :class:`~dynamorm_async.session.Session` as ``Query(session, Model)``. Its reads return
    model instances, so it reads only paths holding whole items: the table and indexes
    projected ``ALL`` (or including every field).
    """

    def __init__(self, session: Session, model: type[T], state: _State | None = None) -> None:
        super().__init__(session, model, state)

    def _decoder(self) -> Callable[[Mapping[str, Any]], T]:
        return functools.partial(self._session.codec.decode, self._model)

    def select(self, view: type[V], /) -> ProjectedQuery[V]:
        """Read only the fields of ``view`` (a ``ProjectionExpression``), as ``view`` instances.

        A view is an attrs class whose fields are some of the model's, with the same names
        and annotations::

            @attrs.frozen
            class PaymentLine:
                id: str
                amount: Decimal

            lines = await db.model(Payment).where("customer_id", "=", c).select(PaymentLine).all()

        The planner may then read an index projected ``KEYS_ONLY`` or ``INCLUDE`` that holds
        the view's fields.

        Raises:
            TypeError: ``view`` is not a class (``select()`` no longer takes field names).
            SchemaError: ``view`` is not a view of the model (an unknown field, another
                annotation, not an attrs class).
        """
        meta = view_meta(model_meta(self._model), view)
        return ProjectedQuery(self._session, self._model, attrs.evolve(self._state, view=meta))

    # -- writing -----------------------------------------------------------------------------

    def update(self) -> UpdateBuilder[T]:
        """An update of the item given by :meth:`key`; see :class:`UpdateBuilder`.

        Raises:
            ValidationError: No :meth:`key`, or conditions besides it (use ``.condition()``).
        """
        from .update_builder import UpdateBuilder

        state = self._state
        if state.key is None:
            raise ValidationError("update() needs the item's key: .key({'id': ...}).update()")
        if len(state.where) != len(state.key) or state.filters:
            raise ValidationError(
                "update() takes the item's key only; test other fields with .condition()"
            )
        return UpdateBuilder(self._session, self._model, state.key)


class ProjectedQuery(_Reads[V]):
    """A :class:`Query` narrowed by :meth:`Query.select`: its reads return view instances.

    It has the query's building and reading methods (``where``, ``filter``, ``index``,
    ``first``, ``all``, ``count``, ``stream``, ``page``...); only the view's fields are
    read, so each item is an instance of the view, never of the model.
    """

    def _decoder(self) -> Callable[[Mapping[str, Any]], V]:
        view = self._state.view
        if view is None:
            raise TypeError("a ProjectedQuery is made by Query.select(View)")
        return functools.partial(self._session.codec.decode_view, view)


def _check_cursor(cursor: Cursor, plan: Plan) -> Mapping[str, Any]:
    def mismatch(why: str) -> ValidationError:
        return ValidationError(f"the cursor does not belong to this query: {why}")

    if cursor.index != plan.index:
        return_index = "the table" if plan.index is None else f"index {plan.index!r}"
        cursor_index = "the table" if cursor.index is None else f"index {cursor.index!r}"
        raise mismatch(f"it reads {cursor_index}, the query reads {return_index}")
    if (cursor.sort or "ASC") != (plan.sort or "ASC"):
        raise mismatch(f"it was made in {cursor.sort} order, the query is {plan.sort or 'ASC'}")
    if set(cursor.last_key) != plan.cursor_keys:
        raise mismatch(
            f"its key has attributes {sorted(cursor.last_key)}, this query's "
            f"{sorted(plan.cursor_keys)}"
        )
    if plan.key_condition is not None:
        stored = plan.key_condition.pk_path.attribute
        if dict(cursor.last_key[stored]) != dict(plan.key_condition.pk_value):
            raise mismatch(f"it was made for another {stored!r}")
    return cursor.last_key


class _GetPages:
    """A one-page source for a GetItem / BatchGetItem plan, so it streams like a Query."""

    def __init__(self, query: _Reads[Any], plan: Plan) -> None:
        self._query = query
        self._plan = plan
        self.done = False

    async def fetch(self) -> dict[str, Any]:
        self.done = True
        return {"Items": await self._query._get(self._plan)}
