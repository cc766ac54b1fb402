"""Properties: compiled text holds only placeholders and grammar, and grouping keeps meaning."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import (
    And,
    Condition,
    KeyCondition,
    Not,
    Or,
    Path,
    Placeholders,
    Predicate,
    Size,
    Update,
    and_,
    compare,
    compare_size,
    not_,
    or_,
    projection,
    size,
)

TRICKY_NAMES = [
    "status", "size", "name", "data", "key", "value", "AND", "OR", "NOT", "BETWEEN", "IN",
    "SET", "REMOVE", "ADD", "DELETE", "attribute_exists", "if_not_exists", "list_append",
    "#n0", ":v0", "a.b", "x-y", "[0]", "a b", "ü", "(", ")", ",", "=", "<>", " ", "\n",
]  # fmt: skip
names = st.one_of(st.sampled_from(TRICKY_NAMES), st.text(min_size=1, max_size=8))
paths = st.builds(
    lambda first, rest: Path((first, *rest)),
    names,
    st.lists(st.one_of(names, st.integers(0, 20)), max_size=3),
)
strings = st.text(max_size=8)
avs = st.one_of(
    st.builds(lambda s: {"S": s}, strings),
    st.builds(lambda n: {"N": str(n)}, st.integers()),
    st.builds(lambda b: {"B": b}, st.binary(max_size=4)),
    st.builds(lambda xs: {"SS": xs}, st.lists(strings, min_size=1, max_size=3, unique=True)),
    st.builds(lambda xs: {"L": [{"S": x} for x in xs]}, st.lists(strings, max_size=3)),
    st.builds(lambda k: {"M": {k: {"S": k}}}, strings),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
)
operands = st.one_of(avs, avs, paths, st.builds(size, paths))
value_or_path = st.one_of(avs, paths)

predicates = st.one_of(
    st.builds(compare, paths, st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">="]), operands),
    st.builds(lambda p, a, b: compare(p, "between", a, b), paths, operands, operands),
    st.builds(
        lambda p, xs: compare(p, "in", *xs), paths, st.lists(operands, min_size=1, max_size=4)
    ),
    st.builds(compare, paths, st.sampled_from(["begins_with", "contains"]), value_or_path),
    st.builds(compare, paths, st.sampled_from(["exists", "not_exists"])),
    st.builds(
        lambda p, code: compare(p, "attribute_type", {"S": code}),
        paths,
        st.sampled_from(["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"]),
    ),
    st.builds(compare_size, paths, st.sampled_from(["=", "<>", "<", ">="]), operands),
)


def combine(children: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
    groups = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        groups.map(lambda cs: and_(*cs)),
        groups.map(lambda cs: or_(*cs)),
        children.map(not_),
        # Built directly, without the flattening/simplifying helpers.
        groups.map(lambda cs: And(tuple(cs))),
        groups.map(lambda cs: Or(tuple(cs))),
        children.map(Not),
    )


conditions = st.recursive(predicates, combine, max_leaves=8)

KEYWORDS = {
    "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE", "size",
    "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains",
    "if_not_exists", "list_append",
}  # fmt: skip
TOKENS = re.compile(r"#n\d+|:v\d+|\[\d+\]|[A-Za-z_]+|<>|<=|>=|[=<>(),.+-]| ")


def walk(condition: Condition) -> Iterator[Any]:
    """Every path and value in ``condition``, in the order they are written."""
    if isinstance(condition, And | Or):
        for child in condition.conditions:
            yield from walk(child)
    elif isinstance(condition, Not):
        yield from walk(condition.condition)
    else:
        assert isinstance(condition, Predicate)
        for operand in (condition.subject, *condition.operands):
            yield operand.path if isinstance(operand, Size) else operand


def check_only_placeholders(text: str, ph: Placeholders, inputs: list[Any]) -> None:
    """``text`` is placeholders and grammar only; the maps hold exactly what the inputs held."""
    position = 0
    used_names: set[str] = set()
    used_values: set[str] = set()
    for match in TOKENS.finditer(text):
        assert match.start() == position, f"raw text {text[position : match.start()]!r}"
        token = match.group()
        position = match.end()
        if token.startswith("#n"):
            used_names.add(token)
        elif token.startswith(":v"):
            used_values.add(token)
        elif token[0].isalpha() or token[0] == "_":
            assert token in KEYWORDS, f"raw word {token!r} in {text!r}"
    assert position == len(text), f"raw text {text[position:]!r}"
    names, values = ph.names, ph.values
    # Every placeholder sent is used (DynamoDB rejects unused ones) and defined.
    assert used_names == set(names)
    assert used_values == set(values)
    in_paths = [p for p in inputs if isinstance(p, Path)]
    assert set(names.values()) == {s for p in in_paths for s in p.segments if isinstance(s, str)}
    # Values are passed through as given: the very same objects.
    given_values = [v for v in inputs if not isinstance(v, Path)]
    sent = list(values.values())
    for value in given_values:
        assert any(value is s for s in sent)
    for value in sent:
        assert any(value is v for v in given_values) or value == {"L": []}


@settings(max_examples=300)
@given(conditions)
def test_condition_text_holds_only_placeholders(condition: Condition) -> None:
    ph = Placeholders()
    text = condition.compile(ph)
    check_only_placeholders(text, ph, list(walk(condition)))


@given(st.lists(paths, min_size=1, max_size=5))
def test_projection_text_holds_only_placeholders_or_rejects_overlap(items: list[Path]) -> None:
    unique = set(items)
    overlap = any(a != b and a.overlaps(b) for a in unique for b in unique)
    ph = Placeholders()
    if overlap:
        with pytest.raises(ValidationError, match="overlap"):
            projection(items, ph)
        return
    text = projection(items, ph)
    assert text.count(", ") == len(unique) - 1
    check_only_placeholders(text, ph, items)


ACTIONS: dict[str, Callable[[Update, Path, Any], Update]] = {
    "set": lambda u, p, v: u.set(p, v),
    "set_path": lambda u, p, v: u.set(p, Path.of("source", "x")),
    "set_if_not_exists": lambda u, p, v: u.set_if_not_exists(p, v),
    "increment": lambda u, p, v: u.increment(p, {"N": "1"}),
    "decrement": lambda u, p, v: u.decrement(p, {"N": "2"}),
    "append": lambda u, p, v: u.append(p, {"L": [v]}),
    "prepend": lambda u, p, v: u.prepend(p, {"L": [v]}),
    "add": lambda u, p, v: u.add(p, {"NS": ["1"]}),
    "remove": lambda u, p, v: u.remove(p),
    "delete": lambda u, p, v: u.delete(p, {"SS": ["x"]}),
}


def prefix(a: Path, b: Path) -> bool:
    return a.segments == b.segments[: len(a.segments)]


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(sorted(ACTIONS)), paths, avs), min_size=1, max_size=6))
def test_update_text_holds_only_placeholders_or_rejects_overlap(
    steps: list[tuple[str, Path, Any]],
) -> None:
    targets = [path for _, path, _ in steps]
    overlap = any(prefix(a, b) or prefix(b, a) for i, a in enumerate(targets) for b in targets[:i])

    def build() -> Update:
        update = Update()
        for action, path, value in steps:
            update = ACTIONS[action](update, path, value)
        return update

    if overlap:
        with pytest.raises(ValidationError, match="update has"):
            build()
        return
    update = build()
    ph = Placeholders()
    text = update.compile(ph)
    # What went in: each action's path and the values (or source path) it was given.
    inputs: list[Any] = []
    for action in update._actions:
        inputs.append(action.path)
        inputs.extend(action.operands)
    check_only_placeholders(text, ph, inputs)
    words = [w for w in re.findall(r"[A-Z]+", text) if w in ("SET", "REMOVE", "ADD", "DELETE")]
    order = ["SET", "REMOVE", "ADD", "DELETE"]
    assert words == sorted(set(words), key=order.index)
    assert text.startswith(words[0])


@given(names, avs.filter(lambda v: "S" in v or "N" in v), names, st.integers())
def test_key_condition_text_holds_only_placeholders(
    pk: str, pk_value: Any, sk: str, bound: int
) -> None:
    if pk == sk:
        return
    value = {"N": str(bound)}
    key = KeyCondition(Path.of(pk), pk_value, compare(Path.of(sk), "<=", value))
    ph = Placeholders()
    text = key.compile(ph)
    assert text in ("#n0 = :v0 AND #n1 <= :v1",)
    check_only_placeholders(text, ph, [Path.of(pk), pk_value, Path.of(sk), value])


plain_names = st.text(min_size=1, max_size=6).filter(lambda s: not set(s) & set(".[]"))


@given(plain_names, st.lists(st.one_of(plain_names, st.integers(0, 99)), max_size=4))
def test_parse_round_trips_str(first: str, rest: list[Any]) -> None:
    path = Path((first, *rest))
    assert Path.parse(str(path)) == path


# -- grouping keeps its meaning -----------------------------------------------------------
# DynamoDB's precedence is NOT > AND > OR, the same as Python's not > and > or, so the
# compiled text, read as Python, must give the same truth value as the tree it came from.

truth_leaves = st.builds(
    lambda truth, i: compare(Path.of(f"{'t' if truth else 'f'}{i}"), "exists"),
    st.booleans(),
    st.integers(0, 5),
)
truth_trees = st.recursive(truth_leaves, combine, max_leaves=10)


def truth(condition: Condition) -> bool:
    if isinstance(condition, And):
        return all(truth(c) for c in condition.conditions)
    if isinstance(condition, Or):
        return any(truth(c) for c in condition.conditions)
    if isinstance(condition, Not):
        return not truth(condition.condition)
    assert isinstance(condition, Predicate) and isinstance(condition.subject, Path)
    return condition.subject.attribute.startswith("t")


@settings(max_examples=500)
@given(truth_trees)
def test_grouping_keeps_meaning(condition: Condition) -> None:
    ph = Placeholders()
    text = condition.compile(ph)
    names = ph.names
    python = re.sub(
        r"attribute_exists\((#n\d+)\)",
        lambda m: str(names[m.group(1)].startswith("t")),
        text,
    )
    python = python.replace("AND", "and").replace("OR", "or").replace("NOT", "not")
    assert eval(python) is truth(condition)  # only True/False/and/or/not/parens


comparisons = st.builds(
    compare, paths, st.sampled_from(["=", "<", ">="]), avs
)  # leaves without parentheses of their own


def chains(join: Callable[[Condition, Condition], Condition]) -> st.SearchStrategy[Condition]:
    return st.recursive(
        comparisons, lambda ch: st.tuples(ch, ch).map(lambda ab: join(*ab)), max_leaves=8
    )


@given(st.one_of(chains(lambda a, b: a & b), chains(lambda a, b: a | b)))
def test_flat_chains_have_no_parentheses(condition: Condition) -> None:
    # However a chain of & (or of |) was bracketed in Python, it compiles flat.
    assert "(" not in condition.compile(Placeholders())
