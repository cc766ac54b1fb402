"""DynamoDB number rules: exact text in both directions, never through float.

DynamoDB stores numbers with at most 38 significant digits and a magnitude between
1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero); anything else is
rejected here, before a request is made. ``bool`` is not a number.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import shown
from ._invalid import Invalid, type_name

MAX_DIGITS = 38
MIN_EXPONENT = -130  # adjusted exponent of 1E-130
MAX_EXPONENT = 125  # adjusted exponent of 9.99...E+125

# Integers strictly inside (-10**38, 10**38) have at most 38 digits: no further checks.
_SMALL = 10**MAX_DIGITS
_LIMIT = 10 ** (MAX_EXPONENT + 1)
_FLOAT_MIN = 1e-130
_FLOAT_LIMIT = 1e126


def int_text(value: Any) -> str:
    """The N text of an ``int`` field's value (an int, never a bool)."""
    if value.__class__ is int:
        if -_SMALL < value < _SMALL:
            return str(value)
        return _big_int_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(int(value))
    raise Invalid(f"expected int, got {type_name(value)}{shown(value)}")


def _big_int_text(value: int) -> str:
    if not -_LIMIT < value < _LIMIT:
        raise Invalid(
            f"the integer{shown(value)} is out of DynamoDB's number range "
            "(magnitude at most 9.99...E+125)"
        )
    text = str(value)
    digits = len(text.lstrip("-").rstrip("0"))
    if digits > MAX_DIGITS:
        raise Invalid(
            f"the integer{shown(value)} has {digits} significant digits; "
            f"DynamoDB stores at most {MAX_DIGITS}"
        )
    return text


def decimal_text(value: Any) -> str:
    """The N text of a ``Decimal`` field's value (a Decimal or an int, never a float).

    A float is refused: ``1/3`` would be stored as ``0.3333333333333333``, a value nobody
    wrote. Convert it where you know how (``Decimal(str(x))``), or declare the field with
    ``attr(floats="str")`` to have that done for its values.
    """
    if value.__class__ is Decimal:
        text = str(value)
        # Plain notation (no exponent) of at most 38 characters is always in range.
        if len(text) <= MAX_DIGITS and "E" not in text and value.is_finite():
            return text
        return _check_decimal(value, text)
    if isinstance(value, float):
        raise Invalid(
            "a float cannot be stored exactly in a Decimal field: pass Decimal(str(x)), or "
            'declare the field with attr(floats="str") to convert floats that way'
        )
    return number_text(value)


def float_as_decimal(value: Any) -> Any:
    """A float as the Decimal of its shortest text (``0.1`` -> ``Decimal("0.1")``); any
    other value unchanged (``attr(floats="str")``)."""
    if isinstance(value, float):
        return Decimal(repr(float(value)))  # inf and nan too: refused then as not finite
    return value


def float_text(value: Any) -> str:
    """The N text of a ``float`` field's value (a finite float, int or Decimal)."""
    if value.__class__ is float:
        return _float_text(value)
    return number_text(value)


def number_text(value: Any) -> str:
    """The N text of any number (int, Decimal or finite float; never bool)."""
    cls = value.__class__
    if cls is int:
        return int_text(value)
    if cls is Decimal:
        return decimal_text(value)
    if cls is float:
        return _float_text(value)
    if isinstance(value, bool):
        raise Invalid(f"expected a number, got bool{shown(value)}")
    if isinstance(value, int):
        return int_text(int(value))
    if isinstance(value, Decimal):
        return decimal_text(Decimal(value))
    if isinstance(value, float):
        return _float_text(float(value))
    raise Invalid(f"expected a number, got {type_name(value)}{shown(value)}")


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise Invalid(f"the float{shown(value)} cannot be stored: DynamoDB numbers are finite")
    magnitude = abs(value)
    if magnitude and not _FLOAT_MIN <= magnitude < _FLOAT_LIMIT:
        raise Invalid(
            f"the float{shown(value)} is out of DynamoDB's number range (1E-130 to 9.99...E+125)"
        )
    # repr() is the shortest text that reads back as the same float: 0.1 -> "0.1".
    return repr(value)


def _check_decimal(value: Decimal, text: str) -> str:
    if not value.is_finite():
        raise Invalid(f"the Decimal{shown(value)} cannot be stored: DynamoDB numbers are finite")
    if not value:
        return text
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant > MAX_DIGITS:
        raise Invalid(
            f"the Decimal{shown(value)} has {significant} significant digits; "
            f"DynamoDB stores at most {MAX_DIGITS}"
        )
    exponent = value.adjusted()
    if not MIN_EXPONENT <= exponent <= MAX_EXPONENT:
        raise Invalid(
            f"the Decimal{shown(value)} is out of DynamoDB's number range (1E-130 to 9.99...E+125)"
        )
    return text


def parse_int(text: Any) -> int:
    """An ``int`` from N text: ``"5"``, and also ``"5.0"``/``"5E+0"`` when integral."""
    if text.__class__ is str:
        try:
            return int(text)
        except ValueError:
            pass
    number = parse_decimal(text)
    # Guard before int(): a stored number never exceeds 1E+126, a corrupt one might.
    if number.adjusted() > MAX_EXPONENT + 5 or number != number.to_integral_value():
        raise Invalid(f"expected an integer, got a fraction{shown(text)}")
    return int(number)


def parse_decimal(text: Any) -> Decimal:
    """A ``Decimal`` from N text, exactly as written."""
    if text.__class__ is not str:
        raise Invalid(f"expected number text, got {type_name(text)}{shown(text)}")
    try:
        number = Decimal(text)
    except (ValueError, InvalidOperation):
        raise Invalid(f"the stored text is not a number{shown(text)}") from None
    if not number.is_finite():
        raise Invalid(f"the stored number is not finite{shown(text)}")
    return number


def parse_float(text: Any) -> float:
    """A ``float`` from N text."""
    if text.__class__ is not str:
        raise Invalid(f"expected number text, got {type_name(text)}{shown(text)}")
    try:
        number = float(text)
    except ValueError:
        raise Invalid(f"the stored text is not a number{shown(text)}") from None
    if not math.isfinite(number):
        raise Invalid(f"the stored number is not finite{shown(text)}")
    return number


def parse_number(text: Any) -> int | Decimal:
    """An untyped N: ``int`` when the text is an integer literal, else ``Decimal``."""
    if text.__class__ is str:
        try:
            return int(text)
        except ValueError:
            pass
    return parse_decimal(text)
