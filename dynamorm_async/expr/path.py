"""Document paths: an attribute name followed by map keys and list indexes.

A :class:`Path` is a tuple of segments: ``str`` for an attribute name or map key, ``int``
for a list index. Every segment is sent through a placeholder, so a segment may contain
anything (dots, dashes, reserved words) once it is a segment; only :meth:`Path.parse` gives
``.`` and ``[n]`` a meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TypeAlias

import attrs

from ..errors import ValidationError

__all__ = ["Path", "PathLike", "Segment", "as_path"]

Segment: TypeAlias = str | int
"""One step of a path: an attribute name / map key (``str``) or a list index (``int``)."""


def _segments(value: Iterable[Segment]) -> tuple[Segment, ...]:
    if isinstance(value, str):
        raise ValidationError(
            f"Path() takes a tuple of segments, not a str: use Path.parse({value!r}) for a "
            f"dotted path or Path.of({value!r}) for a single attribute name"
        )
    segments = tuple(value)
    if not segments:
        raise ValidationError("a path needs at least one segment")
    for segment in segments:
        if isinstance(segment, bool) or not isinstance(segment, str | int):
            raise ValidationError(
                f"path segment {segment!r} is neither a name (str) nor a list index (int)"
            )
        if isinstance(segment, str) and not segment:
            raise ValidationError(f"empty name in path {segments!r}")
        if isinstance(segment, int) and segment < 0:
            raise ValidationError(f"negative list index {segment} in path {segments!r}")
    if not isinstance(segments[0], str):
        raise ValidationError(
            f"path {segments!r} starts with a list index; it must start with an attribute name"
        )
    return segments


@attrs.frozen
class Path:
    """A document path, e.g. ``Path(("meta", "tags", 0))`` for ``meta.tags[0]``.

    Build one with :meth:`parse` (dotted text), :meth:`of` (literal segments) or the
    constructor (a tuple of segments). Paths are immutable and hashable.

    Attributes:
        segments: The segments, the first always an attribute name.

    Raises:
        ValidationError: No segments, an empty name, a negative or non-int index, or a
            first segment that is not a name.
    """

    segments: tuple[Segment, ...] = attrs.field(converter=_segments)

    @classmethod
    def parse(cls, text: str) -> Path:
        """Parse dotted text: ``"meta.region"``, ``"items[0].name"``, ``"grid[1][2]"``.

        ``.`` separates names and ``[n]`` is a list index; names cannot contain ``.``,
        ``[`` or ``]`` here (use :meth:`of` for such names).

        Raises:
            ValidationError: An empty segment, a bad index, or stray brackets.
        """
        return _parse(text)

    @classmethod
    def of(cls, *segments: Segment) -> Path:
        """A path of literal segments: ``Path.of("weird.name-with-dots")`` is one attribute.

        Raises:
            ValidationError: As for the constructor.
        """
        return cls(segments)

    @property
    def attribute(self) -> str:
        """The top-level attribute name (the first segment)."""
        return str(self.segments[0])

    def child(self, *segments: Segment) -> Path:
        """A longer path: ``Path.of("a").child("b", 0)`` is ``a.b[0]``."""
        return Path(self.segments + segments)

    def overlaps(self, other: Path) -> bool:
        """Whether one path equals or contains the other (``a`` and ``a.b`` overlap)."""
        mine, theirs = self.segments, other.segments
        shorter = min(len(mine), len(theirs))
        return mine[:shorter] == theirs[:shorter]

    def __str__(self) -> str:
        parts: list[str] = []
        for segment in self.segments:
            if isinstance(segment, int):
                parts.append(f"[{segment}]")
            else:
                if parts:
                    parts.append(".")
                parts.append(segment)
        return "".join(parts)


PathLike: TypeAlias = Path | str
"""A :class:`Path`, or text that :meth:`Path.parse` reads."""


def as_path(value: PathLike) -> Path:
    """``value`` as a :class:`Path`; text is read with :meth:`Path.parse`.

    Raises:
        ValidationError: ``value`` is neither a Path nor valid path text.
    """
    if isinstance(value, Path):
        return value
    if isinstance(value, str):
        return _parse(value)
    raise ValidationError(f"expected a Path or path text, got a {type(value).__name__}")


@lru_cache(maxsize=1024)
def _parse(text: str) -> Path:
    # Cached: the same few attribute paths are parsed over and over on a hot path, and a
    # Path is immutable. Errors are not cached (lru_cache does not store exceptions).
    if not isinstance(text, str):
        raise ValidationError(f"Path.parse() takes a str, got a {type(text).__name__}")
    segments: list[Segment] = []
    size = len(text)
    i = 0
    while True:
        start = i
        while i < size and text[i] not in ".[]":
            i += 1
        if i == start:
            raise _bad_path(text, start, "expected an attribute name")
        segments.append(text[start:i])
        while i < size and text[i] == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise _bad_path(text, i, "unclosed '['")
            digits = text[i + 1 : close]
            if not (digits.isascii() and digits.isdigit()):
                raise _bad_path(text, i, f"list index {digits!r} is not a non-negative integer")
            segments.append(int(digits))
            i = close + 1
        if i == size:
            return Path(segments)
        if text[i] != ".":
            raise _bad_path(text, i, f"unexpected {text[i]!r}")
        i += 1


def _bad_path(text: str, position: int, reason: str) -> ValidationError:
    return ValidationError(f"invalid attribute path {text!r} at position {position}: {reason}")
