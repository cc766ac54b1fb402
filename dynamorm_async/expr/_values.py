"""AttributeValue checks shared by the expression modules.

Values reaching this layer were encoded by the codec; they are passed through untouched.
Only their outer shape (one known type tag) is checked, so a raw Python value passed by
mistake is caught before the request is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeAlias

from ..errors import ValidationError

AttributeValue: TypeAlias = Mapping[str, Any]
"""An encoded DynamoDB AttributeValue, e.g. ``{"S": "x"}`` or ``{"L": [{"N": "1"}]}``."""

AV_TAGS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})
SCALAR_TAGS = frozenset({"S", "N", "B"})
SET_TAGS = frozenset({"SS", "NS", "BS"})


def describe(value: object) -> str:
    # Never echo the value itself: it may be user data that must not reach logs.
    if isinstance(value, Mapping):
        keys = ", ".join(repr(k) for k in list(value)[:3])
        return f"a mapping with keys [{keys}{', ...' if len(value) > 3 else ''}]"
    return f"a {type(value).__name__}"


def check_av(value: object, where: str) -> AttributeValue:
    if isinstance(value, Mapping) and len(value) == 1:
        tag = next(iter(value))
        if tag in AV_TAGS:
            return value
    raise ValidationError(
        f"{where}: expected an encoded AttributeValue such as {{'S': 'x'}}, got {describe(value)}"
    )


def av_tag(value: AttributeValue) -> str:
    tag: str = next(iter(value))
    return tag


def check_tag(value: object, allowed: Collection[str], where: str) -> AttributeValue:
    av = check_av(value, where)
    tag = av_tag(av)
    if tag not in allowed:
        expected = " or ".join(sorted(allowed))
        raise ValidationError(f"{where}: expected a value of type {expected}, got type {tag}")
    return av
