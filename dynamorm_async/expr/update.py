"""Update expressions: an immutable builder of SET, REMOVE, ADD and DELETE actions.

::

    update = (
        Update()
        .set("status", {"S": "shipped"})
        .increment("attempts", {"N": "1"})
        .append("history", {"L": [{"S": "shipped"}]})
        .remove("draft")
    )
    update.compile(ph)
    # 'SET #n0 = :v0, #n1 = #n1 + :v1, #n2 = list_append(if_not_exists(#n2, :v2), :v3)
    #  REMOVE #n3'

Each method returns a new :class:`Update`. Two actions on the same or overlapping paths
(``a`` and ``a.b``, ``l`` and ``l[0]``) are rejected when the second is added, because
DynamoDB rejects the request.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs

from ..errors import ValidationError
from ._values import SET_TAGS, AttributeValue, check_av, check_tag
from .path import Path, PathLike, as_path
from .placeholders import Placeholders

__all__ = ["Update"]

_SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")


@attrs.frozen
class _Action:
    section: str
    path: Path
    # "{p}" is the target path; "{0}", "{1}"... the operands, rendered in that order.
    template: str
    operands: tuple[Path | AttributeValue, ...] = ()

    def compile(self, placeholders: Placeholders) -> str:
        target = placeholders.name(self.path)
        rendered = [
            placeholders.name(operand) if isinstance(operand, Path) else placeholders.value(operand)
            for operand in self.operands
        ]
        return self.template.format(*rendered, p=target)


def _value(value: object, allowed: Collection[str], action: str, path: Path) -> AttributeValue:
    return check_tag(value, allowed, f"{action}({path})")


@attrs.frozen
class Update:
    """The actions of one ``UpdateExpression``; build with ``Update().set(...).remove(...)``.

    Values are encoded AttributeValue dicts, used as given. ``len(update)`` is the number
    of actions, so an empty update is falsy.
    """

    _actions: tuple[_Action, ...] = attrs.field(default=(), alias="_actions")

    @property
    def paths(self) -> tuple[Path, ...]:
        """The paths the actions write, in the order they were added."""
        return tuple(action.path for action in self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def set(self, path: PathLike, value: AttributeValue | Path) -> Update:
        """``SET #p = :v``; ``value`` may also be a :class:`Path` to copy another attribute.

        Raises:
            ValidationError: ``value`` is not an AttributeValue or Path, or ``path``
                overlaps a path this update already touches.
        """
        target = as_path(path)
        operand = value if isinstance(value, Path) else check_av(value, f"set({target})")
        return self._with(_Action("SET", target, "{p} = {0}", (operand,)))

    def set_if_not_exists(self, path: PathLike, value: AttributeValue) -> Update:
        """``SET #p = if_not_exists(#p, :v)``: write ``value`` only where nothing is stored.

        Raises:
            ValidationError: Not an AttributeValue, or an overlapping path.
        """
        target = as_path(path)
        operand = check_av(value, f"set_if_not_exists({target})")
        return self._with(_Action("SET", target, "{p} = if_not_exists({p}, {0})", (operand,)))

    def increment(
        self, path: PathLike, amount: AttributeValue, *, start: AttributeValue | None = None
    ) -> Update:
        """``SET #p = #p + :v``; the attribute must exist (use :meth:`add` if it may not).

        With ``start`` (an N value), ``SET #p = if_not_exists(#p, :start) + :v``: a missing
        attribute counts as ``start``.

        Raises:
            ValidationError: ``amount`` or ``start`` is not an N value, or an overlapping
                path.
        """
        target = as_path(path)
        operand = _value(amount, {"N"}, "increment", target)
        if start is None:
            return self._with(_Action("SET", target, "{p} = {p} + {0}", (operand,)))
        initial = _value(start, {"N"}, "increment", target)
        template = "{p} = if_not_exists({p}, {1}) + {0}"
        return self._with(_Action("SET", target, template, (operand, initial)))

    def decrement(self, path: PathLike, amount: AttributeValue) -> Update:
        """``SET #p = #p - :v``; the attribute must exist.

        Raises:
            ValidationError: ``amount`` is not an N value, or an overlapping path.
        """
        target = as_path(path)
        operand = _value(amount, {"N"}, "decrement", target)
        return self._with(_Action("SET", target, "{p} = {p} - {0}", (operand,)))

    def append(self, path: PathLike, values: AttributeValue) -> Update:
        """Append the elements of the list ``values`` to the list at ``path``.

        Compiles to ``SET #p = list_append(if_not_exists(#p, :empty), :v)`` so appending
        to a missing attribute creates the list (``:empty`` is ``{"L": []}``).

        Raises:
            ValidationError: ``values`` is not an L value, or an overlapping path.
        """
        target = as_path(path)
        operand = _value(values, {"L"}, "append", target)
        template = "{p} = list_append(if_not_exists({p}, {0}), {1})"
        return self._with(_Action("SET", target, template, ({"L": []}, operand)))

    def prepend(self, path: PathLike, values: AttributeValue) -> Update:
        """Put the elements of the list ``values`` in front of the list at ``path``.

        Compiles to ``SET #p = list_append(:v, if_not_exists(#p, :empty))``; a missing
        attribute becomes ``values``.

        Raises:
            ValidationError: ``values`` is not an L value, or an overlapping path.
        """
        target = as_path(path)
        operand = _value(values, {"L"}, "prepend", target)
        template = "{p} = list_append({0}, if_not_exists({p}, {1}))"
        return self._with(_Action("SET", target, template, (operand, {"L": []})))

    def extend(self, path: PathLike, *, before: AttributeValue, after: AttributeValue) -> Update:
        """Prepend ``before`` and append ``after`` to the list at ``path`` in one action.

        DynamoDB rejects two actions on one path, so a prepend and an append of the same
        list must be one ``SET #p = list_append(:before, list_append(if_not_exists(#p,
        :empty), :after))``.

        Raises:
            ValidationError: ``before`` or ``after`` is not an L value, or an overlapping path.
        """
        target = as_path(path)
        head = _value(before, {"L"}, "prepend", target)
        tail = _value(after, {"L"}, "append", target)
        template = "{p} = list_append({0}, list_append(if_not_exists({p}, {1}), {2}))"
        return self._with(_Action("SET", target, template, (head, {"L": []}, tail)))

    def add(self, path: PathLike, value: AttributeValue) -> Update:
        """``ADD #p :v``: add a number (missing counts as 0) or add elements to a set.

        Raises:
            ValidationError: ``value`` is not N, SS, NS or BS, or an overlapping path.
        """
        target = as_path(path)
        operand = _value(value, {"N", *SET_TAGS}, "add", target)
        return self._with(_Action("ADD", target, "{p} {0}", (operand,)))

    def remove(self, path: PathLike) -> Update:
        """``REMOVE #p``: delete the attribute, map key or list element.

        Raises:
            ValidationError: An overlapping path.
        """
        return self._with(_Action("REMOVE", as_path(path), "{p}"))

    def delete(self, path: PathLike, value: AttributeValue) -> Update:
        """``DELETE #p :v``: remove the elements of the set ``value`` from the set at ``path``.

        Raises:
            ValidationError: ``value`` is not SS, NS or BS, or an overlapping path.
        """
        target = as_path(path)
        operand = _value(value, SET_TAGS, "delete", target)
        return self._with(_Action("DELETE", target, "{p} {0}", (operand,)))

    def compile(self, placeholders: Placeholders) -> str:
        """``SET ... REMOVE ... ADD ... DELETE ...``, actions in the order added per section.

        Raises:
            ValidationError: The update has no actions.
        """
        if not self._actions:
            raise ValidationError("empty update: there is nothing to SET, REMOVE, ADD or DELETE")
        clauses: list[str] = []
        for section in _SECTIONS:
            actions = [a.compile(placeholders) for a in self._actions if a.section == section]
            if actions:
                clauses.append(f"{section} {', '.join(actions)}")
        return " ".join(clauses)

    def _with(self, action: _Action) -> Update:
        for existing in self._actions:
            if existing.path.overlaps(action.path):
                if existing.path == action.path:
                    problem = f"two actions on {action.path}"
                else:
                    problem = f"overlapping paths {existing.path} and {action.path}"
                raise ValidationError(
                    f"update has {problem}: DynamoDB rejects an update expression where "
                    "two actions touch the same attribute or one contains the other"
                )
        return Update(_actions=(*self._actions, action))
