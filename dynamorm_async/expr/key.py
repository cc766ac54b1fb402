"""Key conditions: the partition key's value and an optional test on the sort key.

DynamoDB allows only ``pk = :v`` and, on the sort key, ``= < <= > >=``, ``BETWEEN`` and
``begins_with`` against values; :class:`KeyCondition` rejects anything else before the
request is sent.
"""

from __future__ import annotations

import attrs

from ..errors import ValidationError
from ._values import SCALAR_TAGS, AttributeValue, check_tag, describe
from .condition import Condition, Predicate, Size
from .path import Path, as_path
from .placeholders import Placeholders

__all__ = ["KEY_OPERATORS", "KeyCondition"]

KEY_OPERATORS: tuple[str, ...] = ("=", "<", "<=", ">", ">=", "between", "begins_with")
"""Operators allowed on the sort key in a key condition."""


def _key_path(path: Path, role: str) -> Path:
    if len(path.segments) != 1:
        raise ValidationError(
            f"{role} {str(path)!r} must be a top-level attribute; use Path.of(name) for a "
            "key name that contains dots or brackets"
        )
    return path


@attrs.frozen
class KeyCondition:
    """``pk = :v`` and an optional sort-key test, for Query's ``KeyConditionExpression``.

    ``KeyCondition("pk", {"S": "user#1"}, compare("sk", "begins_with", {"S": "order#"}))``
    compiles to ``#n0 = :v0 AND begins_with(#n1, :v1)``.

    Attributes:
        pk_path: The partition key attribute (top-level; text is read with
            :meth:`Path.parse`, so pass ``Path.of(name)`` for a name with dots).
        pk_value: The partition key value, an S, N or B AttributeValue.
        sk: A test on the sort key made with :func:`compare`, or ``None``.

    Raises:
        ValidationError: A nested key path, a non-scalar key value, or a sort-key test
            DynamoDB does not allow in a key condition (the message names the operator).
    """

    pk_path: Path = attrs.field(converter=as_path)
    pk_value: AttributeValue
    sk: Condition | None = None

    def __attrs_post_init__(self) -> None:
        _key_path(self.pk_path, "partition key")
        check_tag(self.pk_value, SCALAR_TAGS, f"partition key {self.pk_path}")
        sk = self.sk
        if sk is None:
            return
        if not isinstance(sk, Condition):
            raise ValidationError(f"the sort key test must be a Condition, got {describe(sk)}")
        if not isinstance(sk, Predicate):
            kind = type(sk).__name__.upper()
            raise ValidationError(
                f"{kind} is not allowed in a key condition: the sort key takes one test "
                f"({', '.join(KEY_OPERATORS)})"
            )
        if sk.op not in KEY_OPERATORS:
            spelled = "'<>' (!=)" if sk.op == "<>" else repr(sk.op)
            raise ValidationError(
                f"operator {spelled} is not allowed in a key condition; the sort key "
                f"accepts {', '.join(KEY_OPERATORS)}"
            )
        if not isinstance(sk.subject, Path):
            raise ValidationError("size() is not allowed in a key condition")
        _key_path(sk.subject, "sort key")
        if sk.subject == self.pk_path:
            raise ValidationError(f"the sort key test is on the partition key {self.pk_path}")
        allowed = {"S", "B"} if sk.op == "begins_with" else SCALAR_TAGS
        for operand in sk.operands:
            if isinstance(operand, Path | Size):
                raise ValidationError(
                    f"operator {sk.op!r} in a key condition compares with values only, "
                    "not with another attribute or size()"
                )
            check_tag(operand, allowed, f"sort key {sk.subject} {sk.op}")

    def compile(self, placeholders: Placeholders) -> str:
        """``#n0 = :v0`` (``AND`` the sort-key test), registering in ``placeholders``."""
        text = f"{placeholders.name(self.pk_path)} = {placeholders.value(self.pk_value)}"
        if self.sk is None:
            return text
        return f"{text} AND {self.sk.compile(placeholders)}"
