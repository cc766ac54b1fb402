"""Timestamps as DynamORM stores them: RFC 3339 in UTC, nanosecond precision, no trailing zeros.

That is Go's ``time.RFC3339Nano`` layout: ``2024-01-02T03:04:05.12Z``, ``2024-01-02T03:04:05Z``.
Python datetimes hold microseconds, so fractional digits past the sixth are truncated on
read. Naive datetimes are refused on write: their meaning depends on the machine's zone.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..errors import DecodeError, EncodeError, shown
from ._invalid import Invalid, type_name
from ._numbers import int_text

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = dt.timedelta(seconds=1)
_EPOCH_ORDINAL = _EPOCH.toordinal()

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
).fullmatch
_fromisoformat = dt.datetime.fromisoformat
_TWO = tuple(f"{i:02d}" for i in range(100))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch

NAIVE_MESSAGE = (
    "a naive datetime{shown} has no time zone; pass an aware one "
    "(datetime.now(UTC), or value.replace(tzinfo=UTC) if it is already UTC)"
)


def datetime_text(value: Any) -> str:
    """The stored text of an aware datetime (raises :class:`Invalid`)."""
    if value.__class__ is not dt.datetime and not isinstance(value, dt.datetime):
        raise Invalid(f"expected datetime, got {type_name(value)}{shown(value)}")
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise Invalid(NAIVE_MESSAGE.format(shown=shown(value)))
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise Invalid(f"the datetime{shown(value)} is out of range in UTC") from None
    # Table lookups instead of isoformat(): several times faster, and this is the hot path.
    year = value.year
    text = (
        f"{year if year >= 1000 else f'{year:04d}'}-{_TWO[value.month]}-{_TWO[value.day]}"
        f"T{_TWO[value.hour]}:{_TWO[value.minute]}:{_TWO[value.second]}"
    )
    micro = value.microsecond
    if micro:
        return f"{text}.{str(1_000_000 + micro)[1:].rstrip('0')}Z"
    return text + "Z"


def parse_datetime_text(text: Any) -> dt.datetime:
    """An aware UTC datetime from RFC 3339 text (raises :class:`Invalid`)."""
    try:
        # The shape DynamORM writes ("...T03:04:05[.f{1,9}]Z") skips the regular expression;
        # fromisoformat() checks the digits.
        if (
            text[-1] == "Z"
            and (text[19] == "Z" or (text[19] == "." and len(text) > 21))
            and text[10] == "T"
            and text[16] == ":"
            and text[7] == "-"
            and len(text) <= 30
            and text.__class__ is str
        ):
            return _fromisoformat(text)
    except (TypeError, IndexError, KeyError):
        raise Invalid(f"expected an RFC 3339 timestamp{shown(text)}") from None
    except ValueError:
        raise Invalid(f"invalid timestamp{shown(text)}") from None
    if text.__class__ is not str or _RFC3339(text) is None:
        raise Invalid(f"expected an RFC 3339 timestamp{shown(text)}")
    try:
        value = _fromisoformat(text.upper())
        return value if value.tzinfo is UTC else value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Invalid(f"invalid timestamp{shown(text)}") from None


def date_text(value: Any) -> str:
    """The stored text of a date: ``YYYY-MM-DD``."""
    if value.__class__ is dt.date or (
        isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    ):
        return dt.date.isoformat(value)
    raise Invalid(f"expected date, got {type_name(value)}{shown(value)}")


def parse_date_text(text: Any) -> dt.date:
    """A date from ``YYYY-MM-DD`` text."""
    if text.__class__ is not str or _ISO_DATE(text) is None:
        raise Invalid(f"expected a YYYY-MM-DD date{shown(text)}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"invalid date{shown(text)}") from None


def epoch_text(value: Any) -> str:
    """The N text of a TTL value: an aware datetime or int epoch seconds."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not UTC:
            if value.utcoffset() is None:
                raise Invalid(NAIVE_MESSAGE.format(shown=shown(value)))
            return str((value - _EPOCH) // _SECOND)
        days = value.toordinal() - _EPOCH_ORDINAL
        return str(days * 86400 + value.hour * 3600 + value.minute * 60 + value.second)
    if isinstance(value, int) and not isinstance(value, bool):
        return int_text(value)
    raise Invalid(
        f"a TTL is an aware datetime or int epoch seconds, not {type_name(value)}{shown(value)}"
    )


def from_epoch(seconds: int) -> dt.datetime:
    """The UTC datetime of epoch seconds."""
    try:
        return _EPOCH + dt.timedelta(seconds=seconds)
    except OverflowError:
        raise Invalid(f"epoch seconds {seconds} are out of datetime's range") from None


def format_datetime(value: dt.datetime) -> str:
    """Format an aware datetime as DynamORM stores it: RFC 3339 in UTC, trailing zeros trimmed.

    ``2024-01-02T03:04:05.12Z``, ``2024-01-02T03:04:05Z`` (Go's ``time.RFC3339Nano``).

    Args:
        value: An aware datetime, in any zone; it is converted to UTC.

    Returns:
        The timestamp text, ending in ``Z``.

    Raises:
        EncodeError: ``value`` is naive (no time zone), not a datetime, or out of range in UTC.
    """
    try:
        return datetime_text(value)
    except Invalid as exc:
        raise EncodeError(exc.message) from exc


def parse_datetime(text: str) -> dt.datetime:
    """Parse an RFC 3339 timestamp into an aware UTC datetime.

    Accepts up to 9 fractional digits (digits past the sixth are truncated: Python keeps
    microseconds) and a ``Z`` or numeric ``±HH:MM`` offset.

    Args:
        text: The timestamp, e.g. ``2024-01-02T03:04:05.123456789Z``.

    Returns:
        The datetime, with ``tzinfo=UTC``.

    Raises:
        DecodeError: ``text`` is not an RFC 3339 timestamp.
    """
    try:
        return parse_datetime_text(text)
    except Invalid as exc:
        raise DecodeError(exc.message) from exc
