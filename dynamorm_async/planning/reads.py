"""Access-path choice for reads: GetItem, BatchGetItem, a Query on the table or an index, or Scan.

Pure: :func:`plan_read` takes a model's metadata and conditions already compiled to the
expression layer (stored names, encoded values) and returns a :class:`Plan`, whose
:meth:`Plan.request` is the request to send. The rules:

1. Every key attribute of the table tested with ``=`` (or ``in``), nothing else, and no
   index asked for: ``GetItem`` for one key, ``BatchGetItem`` for up to 100.
2. Otherwise each access path (the table, then its indexes) whose partition key is tested
   with ``=`` can serve a ``Query``; its score is how many ``where`` conditions its key
   condition takes (1, or 2 with a sort-key test). The highest score wins; ties go to the
   table over an LSI over a GSI, then to the index declared first.
3. Otherwise a ``Scan``, but only when asked for (``scan``) or allowed (``allow_scan``);
   else :class:`~dynamorm_async.errors.QueryPlanError` names the paths that could serve it.

``where`` conditions a key condition does not take become filters, ANDed with the filter.
A path is not usable when DynamoDB would reject the Query (two tests on one key attribute,
an operator a key condition does not allow on its sort key, a filter on its key attributes,
a consistent read of a GSI) or when it does not *cover* the read: an index projected
``KEYS_ONLY`` or ``INCLUDE`` serves only reads whose returned attributes (a view's fields,
or every field of the model for a whole-item read) and filtered attributes it holds. The
planner never reads part of an item into a model instance; :attr:`Plan.skipped` says
which paths it passed over and why, and a forced index that cannot serve the read is a
:class:`~dynamorm_async.errors.QueryPlanError`. (DynamoDB can fetch an LSI's unprojected
attributes from the table; the local servers cannot, so LSIs are held to the same rule.)
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .._schema import FieldMeta, ModelMeta, ProjectionType
from ..errors import QueryPlanError, ValidationError
from ..expr import (
    KEY_OPERATORS,
    And,
    AttributeValue,
    Condition,
    KeyCondition,
    Not,
    Or,
    Path,
    Predicate,
    Size,
    and_,
    compile_request,
)
from . import key_ranges
from .gets import get_request, projection_params

if TYPE_CHECKING:
    from ..codec._templates import TemplateCodec

__all__ = [
    "BATCH_GET_LIMIT",
    "MAX_SEGMENTS",
    "AccessPath",
    "Operation",
    "Plan",
    "plan_read",
]

Operation = Literal["GetItem", "BatchGetItem", "Query", "Scan"]

BATCH_GET_LIMIT = 100
"""The most keys one ``BatchGetItem`` request takes."""

MAX_SEGMENTS = 1_000_000
"""The most segments DynamoDB splits a parallel scan into."""

_SCALARS = frozenset({"S", "N", "B"})
_KIND_RANK = {"table": 0, "LSI": 1, "GSI": 2}


@attrs.frozen
class AccessPath:
    """The table or one of its secondary indexes, as a way to read the model.

    Attributes:
        index: The index name, ``None`` for the table itself.
        kind: ``"table"``, ``"LSI"`` or ``"GSI"``.
        pk: The partition key field.
        sk: The sort key field, if any.
        projection: What the path holds: ``"ALL"`` (always for the table), ``"KEYS_ONLY"``
            or ``"INCLUDE"``.
        projected: The stored names it holds besides everything (for ``ALL``): the table
            and index keys and the included attributes.
        position: 0 for the table, then the index's place in the declaration, from 1.
        cursor_keys: The stored names in a ``LastEvaluatedKey`` read from this path: the
            table's keys and the index's.
    """

    index: str | None
    kind: Literal["table", "LSI", "GSI"]
    pk: FieldMeta
    sk: FieldMeta | None
    projection: ProjectionType
    projected: frozenset[str]
    position: int
    cursor_keys: frozenset[str]

    @property
    def key_fields(self) -> tuple[FieldMeta, ...]:
        """The path's key fields, partition key first."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)

    def lacks(self, attributes: Iterable[str]) -> set[str]:
        """The ``attributes`` (stored names) the path's items do not carry."""
        if self.projection == "ALL":
            return set()
        return set(attributes) - self.projected

    def __str__(self) -> str:
        keys = ", ".join(f.name for f in self.key_fields)
        return (
            f"the table ({keys})" if self.index is None else f"{self.kind} {self.index!r} ({keys})"
        )


def access_paths(meta: ModelMeta) -> tuple[AccessPath, ...]:
    """The table and each of its indexes, in declaration order."""
    table_keys = frozenset(f.stored for f in meta.key_fields)
    paths = [AccessPath(None, "table", meta.pk, meta.sk, "ALL", table_keys, 0, table_keys)]
    for position, index in enumerate(meta.indexes, start=1):
        keys = table_keys | {f.stored for f in index.key_fields}
        projected = keys | set(index.non_key_attributes)
        paths.append(
            AccessPath(
                index.name,
                index.kind,
                index.pk,
                index.sk,
                index.projection,
                frozenset(projected),
                position,
                keys,
            )
        )
    return tuple(paths)


@attrs.frozen(kw_only=True)
class Plan:
    """How a read is carried out; :meth:`request` is what is sent.

    Attributes:
        operation: ``"GetItem"``, ``"BatchGetItem"``, ``"Query"`` or ``"Scan"``.
        table: The physical table name.
        index: The index read, ``None`` for the table.
        keys: The keys of a GetItem (one) or BatchGetItem (several).
        key_condition: A Query's key condition.
        filter: The filter applied by DynamoDB after reading (Query and Scan).
        projection: The attributes to return, ``None`` for all.
        consistent: Strongly consistent reads.
        descending: A Query in descending sort-key order.
        segments: A parallel scan's segment count.
        cursor_keys: The stored names a ``LastEvaluatedKey`` of this read holds.
        reason: Why this access path was chosen.
        skipped: The access paths that could have served the key condition but were
            passed over, each with why (an index that does not project what the read
            returns or filters on, a GSI under consistent reads...).
    """

    operation: Operation
    table: str
    index: str | None = None
    keys: tuple[Mapping[str, AttributeValue], ...] = ()
    key_condition: KeyCondition | None = None
    filter: Condition | None = None
    projection: tuple[Path, ...] | None = None
    consistent: bool = False
    descending: bool = False
    segments: int | None = None
    cursor_keys: frozenset[str] = frozenset()
    reason: str = ""
    skipped: tuple[str, ...] = ()

    @property
    def sort(self) -> Literal["ASC", "DESC"] | None:
        """The order a cursor records: ``"ASC"``/``"DESC"`` for a Query, else ``None``."""
        if self.operation != "Query":
            return None
        return "DESC" if self.descending else "ASC"

    def request(self, *, count: bool = False) -> dict[str, Any]:
        """The request parameters (without ``Limit``, ``ExclusiveStartKey``, ``Segment``).

        Args:
            count: For a Query or Scan, ask for the count only (``Select=COUNT``, no
                projection).
        """
        if self.operation == "GetItem":
            return get_request(
                self.table, self.keys[0], consistent=self.consistent, projection=self.projection
            )
        params: dict[str, Any]
        if self.operation == "BatchGetItem":
            table: dict[str, Any] = {"Keys": [dict(key) for key in self.keys]}
            table.update(self._projection())
            return {"RequestItems": {self.table: self._consistent(table)}}
        params = {"TableName": self.table}
        if self.index is not None:
            params["IndexName"] = self.index
        params.update(
            compile_request(
                key_condition=self.key_condition,
                filter_condition=self.filter,
                projection=None if count else self.projection,
            )
        )
        if count:
            params["Select"] = "COUNT"
        if self.descending:
            params["ScanIndexForward"] = False
        if self.segments is not None and self.segments > 1:
            params["TotalSegments"] = self.segments
        return self._consistent(params)

    def _projection(self) -> dict[str, Any]:
        return {} if self.projection is None else projection_params(self.projection)

    def _consistent(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.consistent:
            params["ConsistentRead"] = True
        return params

    def describe(self) -> dict[str, Any]:
        """The plan for people: expressions with names and values written in.

        Returns:
            ``operation``, ``table``, ``index``, ``key_condition``, ``filter``,
            ``projection``, ``consistent``, ``order``, ``segments``, ``reason``,
            ``skipped``.
        """
        request = self.request()
        if self.operation == "BatchGetItem":
            request = request["RequestItems"][self.table]
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})

        def readable(key: str) -> str | None:
            text = request.get(key)
            return None if text is None else _readable(text, names, values)

        key_condition = readable("KeyConditionExpression")
        if self.keys:
            key_condition = " OR ".join(
                " AND ".join(f"{name} = {_show_value(av)}" for name, av in key.items())
                for key in self.keys
            )
        return {
            "operation": self.operation,
            "table": self.table,
            "index": self.index,
            "key_condition": key_condition,
            "filter": readable("FilterExpression"),
            "projection": readable("ProjectionExpression"),
            "consistent": self.consistent,
            "order": self.sort,
            "segments": self.segments,
            "reason": self.reason,
            "skipped": list(self.skipped),
        }

    def __str__(self) -> str:
        described = self.describe()
        lines = [
            f"{self.operation} on {self.table}" + (f" index {self.index}" if self.index else "")
        ]
        lines.extend(
            f"  {name}: {value}"
            for name, value in described.items()
            if name not in ("operation", "table", "index", "skipped") and value not in (None, False)
        )
        lines.extend(f"  skipped: {why}" for why in self.skipped)
        return "\n".join(lines)


_PLACEHOLDER = re.compile(r"#n\d+|:v\d+")


def _show_value(av: Mapping[str, Any]) -> str:
    ((tag, value),) = av.items()
    if tag in ("S", "N") and isinstance(value, str):
        return json.dumps(value) if tag == "S" else value
    return repr(dict(av))


def _readable(text: str, names: Mapping[str, str], values: Mapping[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("#"):
            return names.get(token, token)
        value = values.get(token)
        return token if value is None else _show_value(value)

    return _PLACEHOLDER.sub(substitute, text)


# -- the planner -----------------------------------------------------------------------------


def _top(predicate: Predicate) -> str | None:
    subject = predicate.subject
    if isinstance(subject, Path) and len(subject.segments) == 1:
        return subject.attribute
    return None


def _plain(predicate: Predicate) -> bool:
    return not any(isinstance(operand, Path | Size) for operand in predicate.operands)


def _attributes(condition: Condition | None) -> set[str]:
    """The top-level attributes a condition reads."""
    found: set[str] = set()
    stack: list[Condition] = [] if condition is None else [condition]
    while stack:
        current = stack.pop()
        if isinstance(current, And | Or):
            stack.extend(current.conditions)
        elif isinstance(current, Not):
            stack.append(current.condition)
        elif isinstance(current, Predicate):
            for operand in (current.subject, *current.operands):
                if isinstance(operand, Size):
                    found.add(operand.path.attribute)
                elif isinstance(operand, Path):
                    found.add(operand.attribute)
    return found


def _show_op(op: str) -> str:
    return "!=" if op == "<>" else op


@attrs.frozen
class _Candidate:
    path: AccessPath
    pk_test: Predicate
    sk_test: Predicate | None
    problems: tuple[str, ...]

    @property
    def score(self) -> int:
        return 1 if self.sk_test is None else 2


@attrs.frozen
class _Read:
    """What a read takes from the items of the path it reads."""

    meta: ModelMeta
    returned: frozenset[str]  # stored names; every field of the model for a whole-item read
    whole: bool  # model instances (not a view, not a count)
    filtered: frozenset[str]

    def names(self, stored: Iterable[str]) -> str:
        by_stored = self.meta.by_stored
        return ", ".join(sorted(by_stored[a].name if a in by_stored else a for a in stored))

    def coverage(self, path: AccessPath) -> list[str]:
        """Why ``path`` cannot serve the read (nothing when it holds what the read needs)."""
        problems: list[str] = []
        lacking = path.lacks(self.filtered)
        if lacking:
            problems.append(
                f"it does not project the attribute(s) the filter tests ({self.names(lacking)})"
            )
        lacking = path.lacks(self.returned)
        if lacking and self.whole:
            problems.append(
                f"it projects {path.projection} ({self.names(path.projected)}), not every "
                f"field of a whole {self.meta.cls.__name__} (it lacks {self.names(lacking)}): "
                "read it with .select(View), a view of the fields it holds"
            )
        elif lacking:
            problems.append(f"it does not project the selected field(s) ({self.names(lacking)})")
        return problems


def _candidate(
    path: AccessPath,
    where: Sequence[Predicate],
    read: _Read,
    consistent: bool,
) -> _Candidate | None:
    pk_tests = [t for t in where if _top(t) == path.pk.stored]
    equal = [t for t in pk_tests if t.op == "=" and _plain(t)]
    if not equal:
        return None
    problems: list[str] = []
    if len(pk_tests) > 1:
        problems.append(
            f"{len(pk_tests)} tests on its partition key {path.pk.name!r}: a key condition "
            "takes one '=' and a Query cannot filter on a key attribute"
        )
    sk_test: Predicate | None = None
    sk_tests = [] if path.sk is None else [t for t in where if _top(t) == path.sk.stored]
    if path.sk is not None and sk_tests:
        if len(sk_tests) > 1:
            problems.append(
                f"{len(sk_tests)} tests on its sort key {path.sk.name!r}: a key condition "
                "takes one (use 'between' for a range)"
            )
        elif sk_tests[0].op not in KEY_OPERATORS or not _plain(sk_tests[0]):
            problems.append(
                f"operator {_show_op(sk_tests[0].op)!r} on its sort key {path.sk.name!r} is "
                f"not allowed in a key condition (allowed: {', '.join(KEY_OPERATORS)}), and a "
                "Query cannot filter on a key attribute"
            )
        else:
            sk_test = sk_tests[0]
    keys = {f.stored: f.name for f in path.key_fields}
    filtered_keys = sorted(keys[a] for a in read.filtered if a in keys)
    if filtered_keys:
        problems.append(
            f"the filter tests its key attribute(s) {', '.join(map(repr, filtered_keys))}, which "
            "DynamoDB rejects in a Query (put key tests in .where())"
        )
    if path.kind == "GSI" and consistent:
        problems.append("a GSI cannot be read with consistent reads")
    # where() tests the key condition does not take are filters too.
    used = (equal[0], sk_test)
    rest = [_attributes(t) for t in where if all(t is not u for u in used)]
    problems.extend(attrs.evolve(read, filtered=read.filtered.union(*rest)).coverage(path))
    return _Candidate(path, equal[0], sk_test, tuple(problems))


def _batch_keys(
    table: AccessPath, where: Sequence[Predicate]
) -> tuple[Mapping[str, AttributeValue], ...] | None:
    """The keys a GetItem/BatchGetItem reads, when ``where`` is exactly key equality."""
    tests: dict[str, Predicate] = {}
    stored = [f.stored for f in table.key_fields]
    for test in where:
        attribute = _top(test)
        if attribute not in stored or attribute in tests:
            return None
        if test.op not in ("=", "in") or not _plain(test):
            return None
        tests[attribute] = test
    if len(tests) != len(stored):
        return None
    choices: list[list[Mapping[str, Any]]] = []
    for attribute in stored:
        values: list[Mapping[str, Any]] = []
        for operand in tests[attribute].operands:
            assert not isinstance(operand, Path | Size)
            if next(iter(operand)) not in _SCALARS:
                return None  # not a key value: let the Query path report it
            if operand not in values:  # BatchGetItem rejects duplicate keys
                values.append(operand)
        choices.append(values)
    keys = tuple(dict(zip(stored, combo, strict=True)) for combo in itertools.product(*choices))
    return keys if len(keys) <= BATCH_GET_LIMIT else None


def plan_read(
    meta: ModelMeta,
    table: str,
    *,
    where: Sequence[Predicate] = (),
    filter: Condition | None = None,
    select: Sequence[Path] | None = None,
    index: str | None = None,
    scan: bool = False,
    allow_scan: bool = False,
    consistent: bool = False,
    descending: bool = False,
    segments: int | None = None,
    count: bool = False,
    templates: Mapping[str, TemplateCodec] | None = None,
    mixed: bool = False,
) -> Plan:
    """Choose how to read ``meta``'s items that match the conditions.

    Args:
        meta: The model's metadata.
        table: The physical table name.
        where: Tests, each a candidate for a key condition (stored names, encoded values).
        filter: Further conditions, only ever a filter.
        select: The attributes to return (stored top-level paths of a view's fields),
            ``None`` for whole items (every field of the model).
        index: Read this index (by name) rather than choosing.
        scan: Scan, whatever the conditions (``segments`` > 1 for a parallel scan).
        allow_scan: Scan when no Query can serve the conditions.
        consistent: Strongly consistent reads (not on a GSI).
        descending: Descending sort-key order (a Query only).
        segments: The parallel scan's segment count (needs ``scan``).
        count: The read only counts (``Select=COUNT``): a path needs to hold only what
            the filter tests.
        templates: The model's key template codecs by stored name, when it has templates
            (tests on their fields become key tests: :mod:`.key_ranges`).
        mixed: The read takes items of several entities (a collection): no discriminator
            filter, and the sort key is not narrowed to this model's template.

    Raises:
        QueryPlanError: No key condition serves the conditions and no scan was allowed, or
            the forced index cannot serve them (or does not project what the read returns).
        ValidationError: A combination DynamoDB rejects (consistent reads of a GSI,
            descending order of a Scan, an unknown index...).
    """
    name = meta.cls.__name__
    paths = access_paths(meta)
    if index is not None:
        chosen = [p for p in paths if p.index == index]
        if not chosen:
            known = ", ".join(repr(p.index) for p in paths[1:]) or "none"
            raise QueryPlanError(f"{name} has no index {index!r} (indexes: {known})")
        paths = (chosen[0],)
    if segments is not None:
        if isinstance(segments, bool) or not isinstance(segments, int):
            raise ValidationError(f"segments must be an int, not {segments!r}")
        if not 1 <= segments <= MAX_SEGMENTS:
            raise ValidationError(f"segments must be between 1 and {MAX_SEGMENTS}, not {segments}")
        if not scan:
            raise ValidationError("segments split a Scan: use .scan(segments=n)")
    if consistent and index is not None and paths[0].kind == "GSI":
        raise ValidationError(
            f"{name}: GSI {index!r} cannot be read with consistent reads (only the table "
            "and its LSIs can)"
        )
    if count:
        returned: frozenset[str] = frozenset()
    elif select is None:
        returned = frozenset(f.stored for f in meta.fields)
    else:
        returned = frozenset(p.attribute for p in select)
    read = _Read(meta, returned, not count and select is None, frozenset(_attributes(filter)))
    projected = tuple(select) if select is not None else None
    base = Plan(operation="Scan", table=table, projection=projected, consistent=consistent)

    if scan:
        plan = _scan(name, paths[0], where, filter, read, descending, segments, base, "asked")
        return _discriminate(meta, plan, mixed=mixed, owned=False)

    rewrites = {p.position: _rewrite(p, where, templates or {}, mixed=mixed) for p in paths}
    if index is None and filter is None:
        keys = _batch_keys(paths[0], rewrites[paths[0].position].where)
        if keys is not None:
            operation: Operation = "GetItem" if len(keys) == 1 else "BatchGetItem"
            return attrs.evolve(
                base,
                operation=operation,
                keys=keys,
                reason="every key attribute of the table is tested with '='"
                + (" or 'in'" if len(keys) > 1 else ""),
            )

    candidates = [
        c
        for c in (_candidate(p, rewrites[p.position].where, read, consistent) for p in paths)
        if c is not None
    ]
    usable = [c for c in candidates if not c.problems]
    skipped = tuple(f"{c.path}: {'; '.join(c.problems)}" for c in candidates if c.problems)
    if usable:
        best = min(usable, key=lambda c: (-c.score, _KIND_RANK[c.path.kind], c.path.position))
        rewritten = rewrites[best.path.position]
        tests = len(rewritten.where)
        plan = attrs.evolve(
            _query(best, rewritten.where, filter, descending, tests, base), skipped=skipped
        )
        if rewritten.notes:
            plan = attrs.evolve(plan, reason=f"{plan.reason}; {'; '.join(rewritten.notes)}")
        return _discriminate(meta, plan, mixed=mixed, owned=rewritten.owned)
    if candidates:
        raise QueryPlanError(f"{name}: no Query can serve these conditions: {'; '.join(skipped)}")
    if allow_scan:
        plan = _scan(name, paths[0], where, filter, read, descending, None, base, "allowed")
        return _discriminate(meta, plan, mixed=mixed, owned=False)
    raise QueryPlanError(_no_path_message(name, paths, where, set(read.filtered), index))


def _rewrite(
    path: AccessPath,
    where: Sequence[Predicate],
    templates: Mapping[str, TemplateCodec],
    *,
    mixed: bool,
) -> key_ranges.Rewrite:
    if not templates:
        return key_ranges.Rewrite(tuple(where))
    # A collection reads the whole partition: its sort key is not one model's template.
    sk = None if mixed and path.kind != "GSI" else path.sk
    return key_ranges.rewrite(path.pk, sk, where, templates)


def _discriminate(meta: ModelMeta, plan: Plan, *, mixed: bool, owned: bool) -> Plan:
    """The plan with a filter on the model's discriminator, when it may meet other entities.

    That is when its key range (or scan) may hold other entities' items.
    """
    if meta.discriminator is None or meta.entity is None or mixed or owned:
        return plan
    test = Predicate("=", Path.of(meta.discriminator), ({"S": meta.entity},))
    combined = test if plan.filter is None else and_(plan.filter, test)
    return attrs.evolve(
        plan,
        filter=combined,
        reason=(
            f"{plan.reason}; filtered on {meta.discriminator!r}: the range may hold other entities"
        ),
    )


def _query(
    best: _Candidate,
    where: Sequence[Predicate],
    filter: Condition | None,
    descending: bool,
    tests: int,
    base: Plan,
) -> Plan:
    path = best.path
    used = [best.pk_test] if best.sk_test is None else [best.pk_test, best.sk_test]
    rest = [t for t in where if all(t is not u for u in used)]
    value = best.pk_test.operands[0]
    assert not isinstance(value, Path | Size)
    key_condition = KeyCondition(Path.of(path.pk.stored), value, best.sk_test)
    keys = [f.name for f in path.key_fields][: best.score]
    where_text = "the table" if path.index is None else f"{path.kind} {path.index!r}"
    return attrs.evolve(
        base,
        operation="Query",
        index=path.index,
        key_condition=key_condition,
        filter=_combine(rest, filter),
        descending=descending,
        cursor_keys=path.cursor_keys,
        reason=(
            f"{where_text}: its key condition takes {best.score} of {tests} where() "
            f"test(s) ({', '.join(keys)})"
        ),
    )


def _combine(where: Sequence[Predicate], filter: Condition | None) -> Condition | None:
    parts: list[Condition] = list(where)
    if filter is not None:
        parts.append(filter)
    return and_(*parts) if parts else None


def _scan(
    name: str,
    path: AccessPath,
    where: Sequence[Predicate],
    filter: Condition | None,
    read: _Read,
    descending: bool,
    segments: int | None,
    base: Plan,
    why: str,
) -> Plan:
    if descending:
        raise ValidationError(
            f"{name}: a Scan returns items in no order; order('desc') needs a Query "
            "(a .where() '=' test on a partition key)"
        )
    filtered = read.filtered.union(*(_attributes(t) for t in where))
    problems = attrs.evolve(read, filtered=filtered).coverage(path)
    if problems:
        raise QueryPlanError(
            f"{name}: a Scan of {path} cannot serve the read: {'; '.join(problems)}"
        )
    return attrs.evolve(
        base,
        operation="Scan",
        index=path.index,
        filter=_combine(where, filter),
        segments=segments,
        cursor_keys=path.cursor_keys,
        reason="a Scan was asked for" if why == "asked" else "no Query serves it; scan allowed",
    )


def _no_path_message(
    name: str,
    paths: Sequence[AccessPath],
    where: Sequence[Predicate],
    filter_attributes: set[str],
    index: str | None,
) -> str:
    tested = filter_attributes.union(*(_attributes(t) for t in where))
    promising = [p for p in paths if p.pk.stored in tested or (p.sk and p.sk.stored in tested)]
    if index is not None:
        lead = f"{name}: index {index!r} needs a .where({paths[0].pk.name!r}, '=', ...) test"
    else:
        lead = (
            f"{name}: no key condition: a Query needs .where(field, '=', value) on a partition key"
        )
    could = promising or list(paths)
    names = "; ".join(str(p) for p in could)
    label = "paths keyed on the fields you test" if promising else "paths"
    return (
        f"{lead}. {label.capitalize()}: {names}. To read every item instead, use .scan() "
        "or .allow_scan()"
    )
