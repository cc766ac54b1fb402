"""DynamoDB number rules: exact text in both directions, never through float.

DynamoDB stores numbers with at most 38 significant digits and a magnitude between
1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero); anything else is
rejected here, before a request is made. ``bool`` is not a number.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

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
    raise Invalid(f"expected int, got {type_name(value)} {value!r}")


def _big_int_text(value: int) -> str:
    if not -_LIMIT < value < _LIMIT:
        raise Invalid(
            f"{_short(value)} is out of DynamoDB's number range (magnitude at most 9.99...E+125)"
        )
    text = str(value)
    digits = len(text.lstrip("-").rstrip("0"))
    if digits > MAX_DIGITS:
        raise Invalid(
            f"{_short(value)} has {digits} significant digits; DynamoDB stores at most {MAX_DIGITS}"
        )
    return text


def decimal_text(value: Any) -> str:
    """The N text of a ``Decimal`` field's value (a Decimal, int or finite float)."""
    if value.__class__ is Decimal:
        text = str(value)
        # Plain notation (no exponent) of at most 38 characters is always in range.
        if len(text) <= MAX_DIGITS and "E" not in text and value.is_finite():
            return text
        return _check_decimal(value, text)
    return number_text(value)


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
        raise Invalid(f"expected a number, got bool {value!r}")
    if isinstance(value, int):
        return int_text(int(value))
    if isinstance(value, Decimal):
        return decimal_text(Decimal(value))
    if isinstance(value, float):
        return _float_text(float(value))
    raise Invalid(f"expected a number, got {type_name(value)} {_short(value)}")


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        raise Invalid(f"{value!r} cannot be stored: DynamoDB numbers are finite")
    magnitude = abs(value)
    if magnitude and not _FLOAT_MIN <= magnitude < _FLOAT_LIMIT:
        raise Invalid(f"{value!r} is out of DynamoDB's number range (1E-130 to 9.99...E+125)")
    # repr() is the shortest text that reads back as the same float: 0.1 -> "0.1".
    return repr(value)


def _check_decimal(value: Decimal, text: str) -> str:
    if not value.is_finite():
        raise Invalid(f"Decimal({text!r}) cannot be stored: DynamoDB numbers are finite")
    if not value:
        return text
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant > MAX_DIGITS:
        raise Invalid(
            f"Decimal({_short(text)!r}) has {significant} significant digits; "
            f"DynamoDB stores at most {MAX_DIGITS}"
        )
    exponent = value.adjusted()
    if not MIN_EXPONENT <= exponent <= MAX_EXPONENT:
        raise Invalid(
            f"Decimal({_short(text)!r}) is out of DynamoDB's number range (1E-130 to 9.99...E+125)"
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
        raise Invalid(f"expected an integer, got {_short(text)!r}")
    return int(number)


def parse_decimal(text: Any) -> Decimal:
    """A ``Decimal`` from N text, exactly as written."""
    if text.__class__ is not str:
        raise Invalid(f"expected number text, got {type_name(text)} {_short(text)}")
    try:
        number = Decimal(text)
    except (ValueError, InvalidOperation):
        raise Invalid(f"{_short(text)!r} is not a number") from None
    if not number.is_finite():
        raise Invalid(f"{_short(text)!r} is not a finite number")
    return number


def parse_float(text: Any) -> float:
    """A ``float`` from N text."""
    if text.__class__ is not str:
        raise Invalid(f"expected number text, got {type_name(text)} {_short(text)}")
    try:
        number = float(text)
    except ValueError:
        raise Invalid(f"{_short(text)!r} is not a number") from None
    if not math.isfinite(number):
        raise Invalid(f"{_short(text)!r} is not a finite number")
    return number


def parse_number(text: Any) -> int | Decimal:
    """An untyped N: ``int`` when the text is an integer literal, else ``Decimal``."""
    if text.__class__ is str:
        try:
            return int(text)
        except ValueError:
            pass
    return parse_decimal(text)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:25]}...{text[-25:]} ({len(text)} chars)"
