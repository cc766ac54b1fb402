"""Projection expressions: which attributes a read returns."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ValidationError
from .path import Path, PathLike, Segment, as_path
from .placeholders import Placeholders

__all__ = ["projection"]


def projection(paths: Iterable[PathLike], placeholders: Placeholders) -> str:
    """The ``ProjectionExpression`` for ``paths``: ``"#n0, #n1.#n2"``.

    Exact duplicates are sent once (asking for a key attribute twice is harmless), in
    first-seen order.

    Args:
        paths: The attributes to return (text is read with :meth:`Path.parse`).
        placeholders: The request's accumulator.

    Raises:
        ValidationError: No paths, or two paths where one contains the other (``a`` and
            ``a.b``), which DynamoDB rejects.
    """
    unique: dict[tuple[Segment, ...], Path] = {}
    for item in paths:
        path = as_path(item)
        unique.setdefault(path.segments, path)
    if not unique:
        raise ValidationError("a projection needs at least one attribute path")
    for segments, path in unique.items():
        for depth in range(1, len(segments)):
            outer = unique.get(segments[:depth])
            if outer is not None:
                raise ValidationError(
                    f"projection paths {outer} and {path} overlap; DynamoDB rejects that "
                    f"(project {outer} alone)"
                )
    return ", ".join(placeholders.name(path) for path in unique.values())
