"""The expression layer: paths, placeholders, conditions, key conditions, updates, projections.

Pure (no I/O). It works on *stored* attribute names and on values already encoded by the
codec as AttributeValue dicts, and sends every name and every value through a placeholder::

    ph = Placeholders()
    update = Update().set("status", {"S": "shipped"}).add("version", {"N": "1"})
    cond = compare("version", "=", {"N": "3"}) & compare("status", "<>", {"S": "lost"})
    request = {
        "UpdateExpression": update.compile(ph),     # 'SET #n0 = :v0 ADD #n1 :v1'
        "ConditionExpression": cond.compile(ph),    # '#n1 = :v2 AND #n0 <> :v3'
        **ph.params(),
    }

Text paths are read with :meth:`Path.parse` (``"meta.tags[0]"``); use ``Path.of(name)`` for
an attribute whose name contains dots or brackets.
"""

from ._values import AttributeValue
from .condition import (
    OPERATORS,
    SIZE_OPERATORS,
    And,
    Condition,
    Not,
    Operand,
    Or,
    Predicate,
    Size,
    and_,
    compare,
    compare_size,
    not_,
    or_,
    size,
)
from .key import KEY_OPERATORS, KeyCondition
from .path import Path, PathLike, Segment, as_path
from .placeholders import Placeholders
from .projection import projection
from .request import compile_request
from .update import Update

__all__ = [
    "KEY_OPERATORS",
    "OPERATORS",
    "SIZE_OPERATORS",
    "And",
    "AttributeValue",
    "Condition",
    "KeyCondition",
    "Not",
    "Operand",
    "Or",
    "Path",
    "PathLike",
    "Placeholders",
    "Predicate",
    "Segment",
    "Size",
    "Update",
    "and_",
    "as_path",
    "compare",
    "compare_size",
    "compile_request",
    "not_",
    "or_",
    "projection",
    "size",
]
