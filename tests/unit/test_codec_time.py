"""Timestamps: RFC 3339 UTC as DynamORM writes them (Go's RFC3339Nano)."""

import datetime as dt

import pytest

from dynamorm_async import DecodeError, EncodeError
from dynamorm_async.codec import Codec, format_datetime, parse_datetime

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC), "2024-01-02T03:04:05.12Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=UTC), "2024-01-02T03:04:05.000001Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=UTC), "2024-01-02T03:04:05.1Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), "2024-01-02T03:04:05.123456Z"),
        (dt.datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), "0999-12-31T23:59:59Z"),
        (dt.datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00Z"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
            "2024-01-01T21:34:05Z",
        ),
        (
            dt.datetime(2023, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-2))),
            "2024-01-01T01:00:00Z",
        ),
    ],
)
def test_format_datetime(value: dt.datetime, text: str) -> None:
    assert format_datetime(value) == text
    assert parse_datetime(text) == value


def test_format_rejects_naive_datetimes() -> None:
    with pytest.raises(EncodeError, match=r"naive datetime .* pass an aware one"):
        format_datetime(dt.datetime(2024, 1, 2))
    with pytest.raises(EncodeError, match="expected datetime"):
        format_datetime("2024-01-02")  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match="out of range"):
        format_datetime(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))


def test_naive_datetime_field_is_rejected_with_advice() -> None:
    with pytest.raises(EncodeError, match=r"datetime\.now\(UTC\)") as info:
        Codec().encode_value(dt.datetime, dt.datetime(2024, 1, 2), path="when")
    assert info.value.path == "when"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2024-01-02T03:04:05.123456789Z", dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T03:04:05.999999999Z", dt.datetime(2024, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)),
        ("2024-01-02T03:04:05.1234567Z", dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2024-01-02T03:04:05.000000001Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05+00:00", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05.5+05:30", dt.datetime(2024, 1, 1, 21, 34, 5, 500000, tzinfo=UTC)),
        ("2024-01-02T03:04:05-08:00", dt.datetime(2024, 1, 2, 11, 4, 5, tzinfo=UTC)),
        ("2024-01-02t03:04:05z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            "2024-01-02T03:04:05.123456789-01:00",
            dt.datetime(2024, 1, 2, 4, 4, 5, 123456, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime(text: str, value: dt.datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == value
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02T03:04:05",  # no offset: a naive time
        "2024-01-02 03:04:05Z",
        "2024-01-02T03:04Z",
        "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05.1234567890Z",  # more than nanoseconds
        "2024-01-02T03:04:05+0530",
        "2024-W01-1T03:04:05Z",
        "20240102T030405Z",
        "2024-13-02T03:04:05Z",
        "2024-01-02T24:00:00Z",
        "2024-01-02T03:04:60Z",
        "2024-01-02T03:04:05.1a2Z",
        "",
        "yesterday",
    ],
)
def test_parse_rejects_what_is_not_rfc3339(text: str) -> None:
    with pytest.raises(DecodeError):
        parse_datetime(text)


def test_parse_rejects_non_text() -> None:
    with pytest.raises(DecodeError):
        parse_datetime(1704067200)  # type: ignore[arg-type]
    with pytest.raises(DecodeError):
        parse_datetime(b"2024-01-02T03:04:05Z")  # type: ignore[arg-type]


def test_dates_are_iso() -> None:
    codec = Codec()
    assert codec.encode_value(dt.date, dt.date(2024, 2, 29)) == {"S": "2024-02-29"}
    assert codec.decode_value(dt.date, {"S": "0001-01-01"}) == dt.date(1, 1, 1)
    for bad in ("20240229", "2024-2-29", "2024-02-29T00:00:00Z"):
        with pytest.raises(DecodeError, match="YYYY-MM-DD"):
            codec.decode_value(dt.date, {"S": bad})
