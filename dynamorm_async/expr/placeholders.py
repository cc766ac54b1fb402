"""The placeholder accumulator every expression compiles through.

DynamoDB expressions refer to attribute names as ``#name`` placeholders and to values as
``:value`` placeholders, resolved through ``ExpressionAttributeNames`` and
``ExpressionAttributeValues``. Sending *every* name and value through a placeholder makes
reserved words (``status``, ``size``...), names with dots or dashes, and nested paths safe.

One :class:`Placeholders` is shared by all expressions of one request (key condition,
filter, condition, update, projection), so their placeholders never collide.
"""

from __future__ import annotations

from typing import Any

from ._values import AttributeValue, check_av
from .path import PathLike, as_path

__all__ = ["AttributeValue", "Placeholders"]


class Placeholders:
    """Hands out ``#n0``-style name and ``:v0``-style value placeholders for one request.

    The same attribute name (or map key) always gets the same name placeholder; each value
    gets a new one. Compile every expression of a request with the same instance and send
    :meth:`params` with it. Only compile what you send: DynamoDB rejects a request whose
    placeholder maps hold entries no expression uses.
    """

    __slots__ = ("_names", "_values")

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # attribute name -> placeholder
        self._values: dict[str, AttributeValue] = {}

    def name(self, path: PathLike) -> str:
        """The expression text for ``path``: ``"#n0.#n1[0]"`` for ``meta.items[0]``.

        Text is read with :meth:`Path.parse`; pass ``Path.of(name)`` for a name that
        contains dots or brackets.

        Raises:
            ValidationError: ``path`` is not a valid path.
        """
        parts: list[str] = []
        for segment in as_path(path).segments:
            if isinstance(segment, int):
                parts.append(f"[{segment}]")
                continue
            placeholder = self._names.get(segment)
            if placeholder is None:
                placeholder = f"#n{len(self._names)}"
                self._names[segment] = placeholder
            if parts:
                parts.append(".")
            parts.append(placeholder)
        return "".join(parts)

    def value(self, av: AttributeValue) -> str:
        """A new placeholder (``":v0"``) standing for the encoded value ``av``.

        ``av`` is stored as given (not copied or re-encoded).

        Raises:
            ValidationError: ``av`` is not an AttributeValue dict (one known type tag).
        """
        check_av(av, "expression value")
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = av
        return placeholder

    @property
    def names(self) -> dict[str, str]:
        """``ExpressionAttributeNames``: placeholder → attribute name (a new dict)."""
        return {placeholder: name for name, placeholder in self._names.items()}

    @property
    def values(self) -> dict[str, AttributeValue]:
        """``ExpressionAttributeValues``: placeholder → AttributeValue (a new dict)."""
        return dict(self._values)

    def params(self) -> dict[str, Any]:
        """The request parameters for the placeholders used so far.

        Returns:
            ``{"ExpressionAttributeNames": ..., "ExpressionAttributeValues": ...}``, each
            key left out when its map is empty (DynamoDB rejects empty maps).
        """
        params: dict[str, Any] = {}
        if self._names:
            params["ExpressionAttributeNames"] = self.names
        if self._values:
            params["ExpressionAttributeValues"] = self.values
        return params

    def __repr__(self) -> str:
        return f"Placeholders(names={self.names!r}, values={len(self._values)})"
