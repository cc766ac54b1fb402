"""Key conditions on templated keys: tests on a template's fields become tests on its key.

Pure, like the rest of the read planner. For one access path, :func:`rewrite` turns the
``where`` tests on the fields a key template is built from into tests on the stored key
attribute, so the planner's usual rules (see :mod:`.reads`) apply unchanged:

* ``=`` on every field of a partition-key template: ``PK = "CUSTOMER#c-1"``.
* On a sort-key template, ``=`` on its leading fields, then at most one range test on the
  next field, become one key-condition test on the text prefix:

  - ``=`` on every field: ``SK = "ORDER#...#o-1"``;
  - ``begins_with`` on a text field: ``begins_with(SK, "ORDER#<prefix>")``;
  - ``>= <= > < between`` on a fixed-width field (a datetime, date, UUID, zero-padded
    int), whose text order is its value order: ``SK BETWEEN lo AND hi`` within the prefix
    (``>`` and ``<`` stay filters too, as the bounds include the value itself);
  - otherwise ``begins_with(SK, prefix)``: the range of the template's literal prefix
    and the equal fields (``ORDER#``), the other tests staying filters.

A read of one model needs a discriminator filter only when the key range may hold other
entities: :attr:`Rewrite.owned` is true when the sort key test stays within the model's
own template prefix (its literal first segment), which the single-table rules give each
model alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from .._schema import FieldMeta
from ..codec._invalid import Invalid
from ..codec._templates import TemplateCodec
from ..errors import ValidationError
from ..expr import Path, Predicate, compare
from ..key_templates import HIGHEST, Placeholder

__all__ = ["Rewrite", "rewrite"]

_RANGES = frozenset({"<", "<=", ">", ">=", "between"})


@attrs.frozen
class Rewrite:
    """The ``where`` tests of one access path, with template tests on its key attributes.

    Attributes:
        where: The tests: those on template fields that a key test now covers are gone.
        notes: What became of them, for ``explain()``.
        owned: The sort-key test keeps to this model's own template prefix.
    """

    where: tuple[Predicate, ...]
    notes: tuple[str, ...] = ()
    owned: bool = False


def _top(test: Predicate) -> str | None:
    subject = test.subject
    if isinstance(subject, Path) and len(subject.segments) == 1:
        return subject.attribute
    return None


def _values(test: Predicate) -> list[Mapping[str, Any]] | None:
    operands = list(test.operands)
    if any(not isinstance(op, Mapping) for op in operands):
        return None
    return operands  # type: ignore[return-value]


def _equal(tests: Sequence[Predicate], stored: str) -> Predicate | None:
    for test in tests:
        if _top(test) == stored and test.op == "=" and _values(test) is not None:
            return test
    return None


def rewrite(
    pk: FieldMeta,
    sk: FieldMeta | None,
    where: Sequence[Predicate],
    templates: Mapping[str, TemplateCodec],
) -> Rewrite:
    """The access path's ``where``, with tests on its key templates' fields rewritten.

    Args:
        pk: The path's partition key.
        sk: Its sort key, if any.
        where: The tests (stored names, encoded values).
        templates: The model's template codecs by stored name.

    Raises:
        ValidationError: A value the template cannot hold (a separator in it...).
    """
    tests = list(where)
    notes: list[str] = []
    if pk.template is not None:
        codec = templates[pk.stored]
        found = {name: _equal(tests, stored) for name, stored, _, _ in codec.sources}
        if any(test is None for test in found.values()):
            return Rewrite(tuple(tests))
        values = {name: _values(test)[0] for name, test in found.items() if test is not None}  # type: ignore[index]
        text = _text(codec, values)
        tests = [t for t in tests if all(t is not used for used in found.values())]
        tests.insert(0, compare(Path.of(pk.stored), "=", {"S": text}))
        notes.append(f"{pk.stored} from template {codec.template.text!r}")
    owned = False
    if sk is not None and sk.template is not None:
        tests, note, owned = _sort_key(sk, tests, templates[sk.stored])
        if note:
            notes.append(note)
    return Rewrite(tuple(tests), tuple(notes), owned)


def _text(codec: TemplateCodec, values: Mapping[str, Any]) -> str:
    try:
        return codec.text(values)
    except Invalid as exc:
        raise ValidationError(f"{codec.model}: {exc.message}") from None


def _segments(codec: TemplateCodec, values: Mapping[str, Any]) -> dict[str, str]:
    try:
        return codec.segments(values)
    except Invalid as exc:
        raise ValidationError(f"{codec.model}: {exc.message}") from None


def _sort_key(
    sk: FieldMeta, tests: list[Predicate], codec: TemplateCodec
) -> tuple[list[Predicate], str, bool]:
    template = codec.template
    path = Path.of(sk.stored)
    leading_literal = bool(template.segments) and not isinstance(template.segments[0], Placeholder)
    used: list[Predicate] = []
    values: dict[str, Any] = {}
    sources = codec.sources
    for name, stored, _, _ in sources:
        test = _equal(tests, stored)
        if test is None:
            break
        used.append(test)
        values[name] = _values(test)[0]  # type: ignore[index]
    count = len(values)

    def rest() -> list[Predicate]:
        return [t for t in tests if all(t is not u for u in used)]

    if count == len(sources):
        text = _text(codec, values)
        return (
            [*rest(), compare(path, "=", {"S": text})],
            f"{sk.stored} = template {template.text!r}",
            leading_literal,
        )
    prefix = template.prefix(_segments(codec, values), count)
    name, stored, _, _ = sources[count]
    key_test, keep = _range(codec, name, stored, prefix, tests, path)
    if key_test is not None:
        if not keep:
            used.append(_range_test(tests, stored))  # type: ignore[arg-type]
        what = f"{key_test.op} on its prefix"
        if keep:
            what += " (the test stays a filter: the bounds hold the value itself)"
        return (
            [*rest(), key_test],
            f"{sk.stored}: {', '.join([*values, name])} of template {template.text!r} as {what}",
            leading_literal,
        )
    if not prefix:
        return tests, "", False
    fields = f" and {', '.join(values)}" if values else ""
    return (
        [*rest(), compare(path, "begins_with", {"S": prefix})],
        f"{sk.stored}: begins_with the prefix of template {template.text!r}{fields}",
        leading_literal,
    )


def _range_test(tests: Sequence[Predicate], stored: str) -> Predicate | None:
    for test in tests:
        ranged = test.op in _RANGES or test.op == "begins_with"
        if ranged and _top(test) == stored and _values(test) is not None:
            return test
    return None


def _range(
    codec: TemplateCodec,
    name: str,
    stored: str,
    prefix: str,
    tests: Sequence[Predicate],
    path: Path,
) -> tuple[Predicate | None, bool]:
    """The key test for a range test on source ``name`` after ``prefix``.

    And whether the range test must stay a filter too (its bounds include more than it does).
    """
    test = _range_test(tests, stored)
    if test is None:
        return None, False
    operands = _values(test)
    assert operands is not None
    if test.op == "begins_with":
        if codec.fixed[name] or "S" not in operands[0]:
            return None, False
        text = _segments(codec, {name: operands[0]})[name]
        return compare(path, "begins_with", {"S": prefix + text}), False
    if not codec.fixed[name]:
        return None, False
    texts = [_segments(codec, {name: operand})[name] for operand in operands]
    low, high = {"S": prefix}, {"S": prefix + HIGHEST}
    if test.op in (">=", ">"):
        low = {"S": prefix + texts[0]}
    elif test.op in ("<=", "<"):
        high = {"S": prefix + texts[0] + HIGHEST}
    else:
        low, high = {"S": prefix + texts[0]}, {"S": prefix + texts[1] + HIGHEST}
    keep = test.op in (">", "<")
    if not low["S"]:  # no prefix: DynamoDB takes no empty string as a bound
        return compare(path, "<=", high), keep
    return compare(path, "between", low, high), keep
