"""Key templates: composite key attributes built from a model's fields (single-table design).

A template is text made of segments joined by a separator (``#`` unless told otherwise);
each segment is literal text or one ``{field}`` placeholder::

    @table(
        "app",
        pk=template("CUSTOMER#{customer_id}"),
        sk=template("ORDER#{placed_at}#{id}"),
        discriminator="type",
    )
    class Order:
        customer_id: str
        placed_at: datetime
        id: str

The attribute (``PK``/``SK`` unless ``name=`` says otherwise) is stored next to the fields
it is built from, which stay ordinary fields. The rules, chosen so that a stored key has
one reading and its text order is the order of its values:

* A value may not contain the separator: the write is refused with an
  :class:`~dynamorm_async.EncodeError` (never escaped, never ambiguous).
* ``{field:0N}`` zero-pads a non-negative integer to ``N`` digits, so that numbers sort as
  numbers; without a width a number is written as DynamoDB's text of it (no order).
* A datetime is RFC 3339 UTC with all nine fraction digits (``...05.120000000Z``), a date
  ``YYYY-MM-DD``, a UUID its 36 characters: fixed widths, so text order is time order.

This module is the pure text part: splitting a template into segments, expanding it from
each field's segment text and parsing stored text back. The codec turns field values into
segment text (:mod:`dynamorm_async.codec._templates`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from .errors import SchemaError

__all__ = ["HIGHEST", "KeyTemplate", "Placeholder", "template"]

HIGHEST = "\U0010ffff"
"""The greatest character: ``prefix + HIGHEST`` bounds every key that starts with ``prefix``."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::0([1-9][0-9]?))?\}")


@attrs.frozen
class Placeholder:
    """One ``{field}`` segment of a template.

    Attributes:
        field: The model field (Python name) whose value fills it.
        width: For ``{field:0N}``, the number of digits an integer is padded to.
    """

    field: str
    width: int | None = None


Segment = str | Placeholder


def _segments(text: str, separator: str) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for part in text.split(separator):
        match = _PLACEHOLDER.fullmatch(part)
        if match is not None:
            width = match.group(2)
            segments.append(Placeholder(match.group(1), None if width is None else int(width)))
        elif "{" in part or "}" in part:
            raise SchemaError(
                f"key template {text!r}: segment {part!r} is neither literal text nor one "
                "{field} or {field:0N} placeholder (each placeholder is a whole segment "
                f"between {separator!r} separators)"
            )
        else:
            segments.append(part)
    return tuple(segments)


@attrs.frozen
class KeyTemplate:
    """A parsed key template; build it with :func:`template`.

    Attributes:
        text: The template as written (``"ORDER#{placed_at}#{id}"``).
        name: The stored attribute name, or ``None`` for the role's default (``PK``/``SK``).
        separator: The text between segments.
        segments: Literal text and :class:`Placeholder` s, in order.
    """

    text: str
    name: str | None
    separator: str
    segments: tuple[Segment, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the template is built from, in order."""
        return tuple(s.field for s in self.segments if isinstance(s, Placeholder))

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        """The placeholders, in order."""
        return tuple(s for s in self.segments if isinstance(s, Placeholder))

    def expand(self, values: Mapping[str, str]) -> str:
        """The key text, given each field's segment text (separator-free, as checked here).

        Raises:
            ValueError: A value holds the separator (the message names the field only).
        """
        parts: list[str] = []
        for segment in self.segments:
            if isinstance(segment, Placeholder):
                value = values[segment.field]
                if self.separator in value:
                    raise ValueError(
                        f"the value of {segment.field!r} holds the key template separator "
                        f"{self.separator!r}, which would make the key ambiguous"
                    )
                parts.append(value)
            else:
                parts.append(segment)
        return self.separator.join(parts)

    def prefix(self, values: Mapping[str, str], count: int) -> str:
        """The key text before placeholder number ``count`` (from 0).

        The first ``count`` placeholders are filled from ``values``; the text ends with a
        separator when anything follows it.
        """
        parts: list[str] = []
        seen = 0
        for segment in self.segments:
            if isinstance(segment, Placeholder):
                if seen == count:
                    return self.separator.join(parts) + self.separator if parts else ""
                parts.append(values[segment.field])
                seen += 1
            else:
                parts.append(segment)
        return self.separator.join(parts)

    def parse(self, text: str) -> dict[str, str] | None:
        """Each field's segment text read back from a stored key.

        ``None`` when ``text`` does not have this template's shape (another model's key).
        """
        parts = text.split(self.separator)
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] = {}
        for segment, part in zip(self.segments, parts, strict=True):
            if isinstance(segment, Placeholder):
                values[segment.field] = part
            elif segment != part:
                return None
        return values


def template(text: str, *, name: str | None = None, separator: str = "#") -> KeyTemplate:
    """A key attribute built from the model's fields: ``template("ORDER#{placed_at}#{id}")``.

    Pass it as ``@table(pk=..., sk=...)`` or as a :class:`~dynamorm_async.GSI` key.

    Args:
        text: Segments joined by ``separator``: literal text or ``{field}`` (``{field:0N}``
            zero-pads an integer to ``N`` digits).
        name: The stored attribute name; by default ``PK`` and ``SK`` for the table's keys
            (an index's templates need one).
        separator: The text between segments; values may not contain it.

    Raises:
        SchemaError: A malformed template.
    """
    if not isinstance(text, str) or not text:
        raise SchemaError(f"a key template is non-empty text, not {text!r}")
    if not isinstance(separator, str) or not separator or "{" in separator or "}" in separator:
        raise SchemaError(
            f"a key template separator is non-empty text without braces, not {separator!r}"
        )
    if name is not None and (not isinstance(name, str) or not name):
        raise SchemaError(f"a key template's stored name is a non-empty string, not {name!r}")
    segments = _segments(text, separator)
    fields = [s.field for s in segments if isinstance(s, Placeholder)]
    if len(set(fields)) != len(fields):
        raise SchemaError(f"key template {text!r} names a field twice")
    return KeyTemplate(text=text, name=name, separator=separator, segments=segments)
