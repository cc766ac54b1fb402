"""Conditions: condition expressions, filter expressions and sort-key tests.

Build leaves with :func:`compare` / :func:`compare_size` and combine them with ``&``,
``|``, ``~`` (or :func:`and_`, :func:`or_`, :func:`not_`). Conditions are immutable and
compile to text through a shared :class:`~dynamorm_async.expr.Placeholders`::

    cond = compare("status", "=", {"S": "active"}) & (
        compare("size", "<", {"N": "3"}) | compare("meta.region", "exists")
    )
    cond.compile(ph)  # '#n0 = :v0 AND (#n1 < :v1 OR attribute_exists(#n2.#n3))'

Operands are encoded AttributeValue dicts, a :class:`Path` (compare with another
attribute) or :func:`size` of a path. Plain strings are never operands, so a value that
was not encoded cannot silently turn into an attribute reference.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from ..errors import ValidationError
from ._values import AttributeValue, av_tag, check_av, describe
from .path import Path, PathLike, as_path
from .placeholders import Placeholders

__all__ = [
    "OPERATORS",
    "SIZE_OPERATORS",
    "And",
    "Condition",
    "Not",
    "Operand",
    "Or",
    "Predicate",
    "Size",
    "and_",
    "compare",
    "compare_size",
    "not_",
    "or_",
    "size",
]

IN_LIMIT = 100  # DynamoDB allows at most 100 operands in IN.

_COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_ALIASES = {"!=": "<>"}
# operator -> (fewest, most) operands after the subject.
_ARITY: dict[str, tuple[int, int]] = {
    **dict.fromkeys(_COMPARATORS, (1, 1)),
    "between": (2, 2),
    "in": (1, IN_LIMIT),
    "begins_with": (1, 1),
    "contains": (1, 1),
    "exists": (0, 0),
    "not_exists": (0, 0),
    "attribute_type": (1, 1),
}
_FUNCTIONS = {
    "begins_with": "begins_with",
    "contains": "contains",
    "exists": "attribute_exists",
    "not_exists": "attribute_not_exists",
    "attribute_type": "attribute_type",
}
_TYPE_CODES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})

OPERATORS: tuple[str, ...] = (
    "=", "!=", "<>", "<", "<=", ">", ">=", "between", "in",
    "begins_with", "contains", "exists", "not_exists", "attribute_type",
)  # fmt: skip
"""Operators :func:`compare` accepts (case-insensitive; ``!=`` is ``<>``)."""

SIZE_OPERATORS: tuple[str, ...] = ("=", "!=", "<>", "<", "<=", ">", ">=", "between", "in")
"""Operators :func:`compare_size` accepts."""


@attrs.frozen
class Size:
    """``size(path)``: the length of a string, binary, list, map or set attribute.

    Use it as the subject of :func:`compare_size` or as an operand of :func:`compare`.
    """

    path: Path = attrs.field(converter=as_path)


def size(path: PathLike) -> Size:
    """The size of ``path`` as an operand.

    Example: ``compare("limit", ">=", size("items"))`` compiles to ``#n0 >= size(#n1)``.
    """
    return Size(path)


Operand: TypeAlias = Path | Size | AttributeValue
"""What a condition compares against: an encoded value, another attribute, or its size."""


class Condition:
    """Base of every condition; immutable and combinable with ``&``, ``|`` and ``~``.

    A condition has no truth value: ``a and b`` raises ``TypeError`` (use ``a & b``).
    """

    __slots__ = ()

    def compile(self, placeholders: Placeholders) -> str:
        """The expression text, registering names and values in ``placeholders``."""
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return and_(self, other)

    def __or__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return or_(self, other)

    def __invert__(self) -> Condition:
        return Not(self)

    def __bool__(self) -> bool:
        # `a and b` / `a or b` would silently drop a condition: refuse to guess.
        raise TypeError(
            "a Condition has no truth value: combine with &, | and ~ (not and/or/not), "
            "and test for absence with `is None`"
        )


def _normalize_op(op: str) -> str:
    if not isinstance(op, str):
        raise ValidationError(f"condition operator must be a str, got {describe(op)}")
    name = op.lower()
    name = _ALIASES.get(name, name)
    if name not in _ARITY:
        raise ValidationError(
            f"unknown condition operator {op!r}; expected one of {', '.join(OPERATORS)}"
        )
    return name


def _operands(values: tuple[Any, ...]) -> tuple[Operand, ...]:
    for value in values:
        if isinstance(value, Path | Size):
            continue
        if isinstance(value, str):
            raise ValidationError(
                "a str is not a condition operand: encode values as AttributeValues (e.g. "
                "{'S': ...}), or use Path.parse(text) to compare with an attribute"
            )
        check_av(value, "condition operand")
    return values


@attrs.frozen
class Predicate(Condition):
    """One test, e.g. ``#n0 = :v0``, ``#n0 BETWEEN :v0 AND :v1``, ``begins_with(#n0, :v0)``.

    Prefer :func:`compare` / :func:`compare_size`; the constructor checks the same things.

    Attributes:
        op: The operator, lower-case, ``!=`` normalised to ``<>`` (see :data:`OPERATORS`).
        subject: The path tested, or :class:`Size` of it for size comparisons.
        operands: The operands after the subject (values, paths, sizes).

    Raises:
        ValidationError: Unknown operator, wrong number or kind of operands.
    """

    op: str = attrs.field(converter=_normalize_op)
    subject: Path | Size
    operands: tuple[Operand, ...] = attrs.field(default=(), converter=_operands)

    def __attrs_post_init__(self) -> None:
        op = self.op
        if not isinstance(self.subject, Path | Size):
            raise ValidationError(f"{op!r}: the subject must be a Path or size(path)")
        fewest, most = _ARITY[op]
        count = len(self.operands)
        if not fewest <= count <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} to {most}"
            raise ValidationError(f"operator {op!r} takes {wanted} value(s), got {count}")
        if op in _FUNCTIONS:
            if isinstance(self.subject, Size):
                raise ValidationError(f"operator {op!r} cannot be applied to size()")
            if any(isinstance(operand, Size) for operand in self.operands):
                raise ValidationError(f"operator {op!r} does not take a size() operand")
        if op == "attribute_type":
            operand = self.operands[0]
            if isinstance(operand, Path | Size) or av_tag(operand) != "S":
                raise ValidationError(
                    "operator 'attribute_type' takes the type code as a string value, "
                    "e.g. {'S': 'SS'}"
                )
            code = operand["S"]
            if code not in _TYPE_CODES:
                raise ValidationError(
                    f"operator 'attribute_type': unknown type code {code!r}; expected one "
                    f"of {', '.join(sorted(_TYPE_CODES))}"
                )

    def compile(self, placeholders: Placeholders) -> str:
        """The expression text, registering names and values in ``placeholders``."""
        subject = _render(self.subject, placeholders)
        operands = [_render(operand, placeholders) for operand in self.operands]
        op = self.op
        if op in _COMPARATORS:
            return f"{subject} {op} {operands[0]}"
        if op == "between":
            return f"{subject} BETWEEN {operands[0]} AND {operands[1]}"
        if op == "in":
            return f"{subject} IN ({', '.join(operands)})"
        return f"{_FUNCTIONS[op]}({', '.join([subject, *operands])})"


def _render(operand: Operand, placeholders: Placeholders) -> str:
    if isinstance(operand, Path):
        return placeholders.name(operand)
    if isinstance(operand, Size):
        return f"size({placeholders.name(operand.path)})"
    return placeholders.value(operand)


def _conditions(values: tuple[Condition, ...]) -> tuple[Condition, ...]:
    values = tuple(values)
    if not values:
        raise ValidationError("AND/OR needs at least one condition")
    for value in values:
        if not isinstance(value, Condition):
            raise ValidationError(f"expected a Condition, got {describe(value)}")
    return values


def _group(child: Condition, parent: type[Condition], placeholders: Placeholders) -> str:
    text = child.compile(placeholders)
    # AND binds tighter than OR, so only an OR inside an AND needs parentheses;
    # `a OR (b AND c)` gets them anyway because it reads unambiguously.
    if isinstance(child, And | Or) and not isinstance(child, parent):
        return f"({text})"
    return text


@attrs.frozen
class And(Condition):
    """All of ``conditions`` hold: ``a AND b AND c`` (nested ANDs are flattened by ``&``).

    Attributes:
        conditions: The operands, at least one.
    """

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def compile(self, placeholders: Placeholders) -> str:
        """The expression text, registering names and values in ``placeholders``."""
        return " AND ".join(_group(c, And, placeholders) for c in self.conditions)


@attrs.frozen
class Or(Condition):
    """Any of ``conditions`` holds: ``a OR b OR c`` (nested ORs are flattened by ``|``).

    Attributes:
        conditions: The operands, at least one.
    """

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def compile(self, placeholders: Placeholders) -> str:
        """The expression text, registering names and values in ``placeholders``."""
        return " OR ".join(_group(c, Or, placeholders) for c in self.conditions)


@attrs.frozen
class Not(Condition):
    """``condition`` does not hold: ``NOT a``, ``NOT (a OR b)``.

    Attributes:
        condition: The negated condition.
    """

    condition: Condition = attrs.field()

    @condition.validator
    def _check(self, _: object, value: object) -> None:
        if not isinstance(value, Condition):
            raise ValidationError(f"NOT expects a Condition, got {describe(value)}")

    def compile(self, placeholders: Placeholders) -> str:
        """The expression text, registering names and values in ``placeholders``."""
        text = self.condition.compile(placeholders)
        # DynamoDB's grammar wants a parenthesis after NOT unless a single test follows
        # (`NOT NOT a` is a syntax error), and a group must stay a group.
        return f"NOT {text}" if isinstance(self.condition, Predicate) else f"NOT ({text})"

    def __invert__(self) -> Condition:
        return self.condition


def compare(path: PathLike, op: str, *values: Operand) -> Predicate:
    """A test on ``path``: ``compare("status", "=", {"S": "active"})``.

    Args:
        path: The attribute tested (text is read with :meth:`Path.parse`).
        op: One of :data:`OPERATORS`: ``= != <> < <= > >=`` (one operand), ``between``
            (two), ``in`` (1 to 100), ``begins_with``, ``contains`` (one), ``exists``,
            ``not_exists`` (none), ``attribute_type`` (one, the type code as ``{"S": "N"}``).
        values: The operands: AttributeValue dicts, :class:`Path` or :func:`size`.

    Raises:
        ValidationError: Unknown operator or wrong number or kind of operands; the
            message names the operator.
    """
    return Predicate(op, as_path(path), values)


def compare_size(path: PathLike, op: str, *values: Operand) -> Predicate:
    """A test on ``size(path)``: ``compare_size("tags", ">", {"N": "2"})``.

    Args:
        path: The attribute whose size is tested.
        op: One of :data:`SIZE_OPERATORS`.
        values: The operands, as for :func:`compare`.

    Raises:
        ValidationError: Operator not in :data:`SIZE_OPERATORS`, or wrong operands.
    """
    name = _normalize_op(op)
    if name not in _COMPARATORS and name not in ("between", "in"):
        raise ValidationError(
            f"operator {op!r} cannot test size(); expected one of {', '.join(SIZE_OPERATORS)}"
        )
    return Predicate(name, Size(path), values)


def and_(*conditions: Condition) -> Condition:
    """All of ``conditions``; one condition is returned as is, nested ANDs are flattened.

    Raises:
        ValidationError: No conditions, or something that is not a Condition.
    """
    flat: list[Condition] = []
    for condition in _conditions(conditions):
        flat.extend(condition.conditions if isinstance(condition, And) else (condition,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*conditions: Condition) -> Condition:
    """Any of ``conditions``; one condition is returned as is, nested ORs are flattened.

    Raises:
        ValidationError: No conditions, or something that is not a Condition.
    """
    flat: list[Condition] = []
    for condition in _conditions(conditions):
        flat.extend(condition.conditions if isinstance(condition, Or) else (condition,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def not_(condition: Condition) -> Condition:
    """The negation of ``condition`` (``not_(not_(c))`` is ``c``).

    Raises:
        ValidationError: ``condition`` is not a Condition.
    """
    if not isinstance(condition, Condition):
        raise ValidationError(f"NOT expects a Condition, got {describe(condition)}")
    return ~condition
