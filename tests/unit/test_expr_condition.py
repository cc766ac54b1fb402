from typing import Any

import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import (
    OPERATORS,
    And,
    Condition,
    Not,
    Or,
    Path,
    Placeholders,
    Predicate,
    Size,
    and_,
    compare,
    compare_size,
    not_,
    or_,
    size,
)

S1 = {"S": "one"}
S2 = {"S": "two"}
N1 = {"N": "1"}
N2 = {"N": "2"}


def compiled(condition: Condition) -> tuple[str, dict[str, str], dict[str, Any]]:
    ph = Placeholders()
    text = condition.compile(ph)
    return text, ph.names, ph.values


@pytest.mark.parametrize(
    ("op", "text"),
    [
        ("=", "#n0 = :v0"),
        ("!=", "#n0 <> :v0"),
        ("<>", "#n0 <> :v0"),
        ("<", "#n0 < :v0"),
        ("<=", "#n0 <= :v0"),
        (">", "#n0 > :v0"),
        (">=", "#n0 >= :v0"),
        ("begins_with", "begins_with(#n0, :v0)"),
        ("contains", "contains(#n0, :v0)"),
    ],
)
def test_one_value_operators(op: str, text: str) -> None:
    assert compiled(compare("status", op, S1)) == (text, {"#n0": "status"}, {":v0": S1})


def test_between() -> None:
    assert compiled(compare("age", "between", N1, N2)) == (
        "#n0 BETWEEN :v0 AND :v1",
        {"#n0": "age"},
        {":v0": N1, ":v1": N2},
    )


def test_in() -> None:
    assert compiled(compare("status", "in", S1, S2, N1)) == (
        "#n0 IN (:v0, :v1, :v2)",
        {"#n0": "status"},
        {":v0": S1, ":v1": S2, ":v2": N1},
    )
    assert compiled(compare("status", "in", S1))[0] == "#n0 IN (:v0)"


def test_in_accepts_up_to_100_values() -> None:
    values = [{"N": str(i)} for i in range(100)]
    text, _, placeholders = compiled(compare("n", "in", *values))
    assert text == "#n0 IN (" + ", ".join(f":v{i}" for i in range(100)) + ")"
    assert list(placeholders.values()) == values


@pytest.mark.parametrize("count", [0, 101])
def test_in_rejects_0_or_more_than_100_values(count: int) -> None:
    values = [{"N": str(i)} for i in range(count)]
    with pytest.raises(
        ValidationError, match=rf"operator 'in' takes 1 to 100 value\(s\), got {count}"
    ):
        compare("n", "in", *values)


def test_exists_and_not_exists() -> None:
    assert compiled(compare("meta.region", "exists")) == (
        "attribute_exists(#n0.#n1)",
        {"#n0": "meta", "#n1": "region"},
        {},
    )
    assert compiled(compare("data", "not_exists")) == (
        "attribute_not_exists(#n0)",
        {"#n0": "data"},
        {},
    )


def test_attribute_type() -> None:
    assert compiled(compare("tags", "attribute_type", {"S": "SS"})) == (
        "attribute_type(#n0, :v0)",
        {"#n0": "tags"},
        {":v0": {"S": "SS"}},
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"S": "STRING"}, "unknown type code 'STRING'"),
        ({"N": "1"}, "takes the type code as a string value"),
        (Path.parse("other"), "takes the type code as a string value"),
    ],
)
def test_attribute_type_rejects(value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        compare("tags", "attribute_type", value)


def test_operator_names_are_case_insensitive() -> None:
    assert compare("a", "BETWEEN", N1, N2) == compare("a", "between", N1, N2)
    assert compare("a", "Begins_With", S1).op == "begins_with"
    assert compare("a", "!=", S1) == compare("a", "<>", S1)
    assert compare("a", "!=", S1).op == "<>"


def test_every_listed_operator_compiles() -> None:
    arity = {"between": 2, "exists": 0, "not_exists": 0}
    for op in OPERATORS:
        values = [{"S": "S"}] * arity.get(op, 1)
        assert compare("a", op, *values).compile(Placeholders())


@pytest.mark.parametrize("op", ["==", "like", "not_in", "size", "", "AND"])
def test_unknown_operator_named(op: str) -> None:
    with pytest.raises(ValidationError, match=f"unknown condition operator '{op}'"):
        compare("a", op, S1)


@pytest.mark.parametrize(
    ("op", "values", "wanted"),
    [
        ("=", (), "1"),
        ("=", (S1, S2), "1"),
        ("between", (S1,), "2"),
        ("between", (S1, S2, S1), "2"),
        ("begins_with", (), "1"),
        ("contains", (S1, S2), "1"),
        ("exists", (S1,), "0"),
        ("not_exists", (S1,), "0"),
        ("attribute_type", (), "1"),
    ],
)
def test_wrong_arity_names_operator(op: str, values: tuple[Any, ...], wanted: str) -> None:
    with pytest.raises(ValidationError, match=rf"operator '{op}' takes {wanted} value\(s\)"):
        compare("a", op, *values)


@pytest.mark.parametrize("bad", ["active", 3, None, {"S": "x", "N": "1"}, {"name": "x"}])
def test_rejects_unencoded_operands(bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"condition operand|not a condition operand"):
        compare("status", "=", bad)


def test_str_operand_error_suggests_path() -> None:
    with pytest.raises(ValidationError, match=r"Path\.parse\(text\)"):
        compare("status", "=", "other")  # type: ignore[arg-type]


def test_path_vs_path() -> None:
    assert compiled(compare("a.b", "<", Path.parse("c[0]"))) == (
        "#n0.#n1 < #n2[0]",
        {"#n0": "a", "#n1": "b", "#n2": "c"},
        {},
    )
    assert compiled(compare("a", "between", Path.of("lo"), {"N": "9"}))[0] == (
        "#n0 BETWEEN #n1 AND :v0"
    )
    assert compiled(compare("a", "begins_with", Path.of("prefix")))[0] == "begins_with(#n0, #n1)"


@pytest.mark.parametrize(
    ("op", "text"),
    [
        ("=", "size(#n0) = :v0"),
        ("!=", "size(#n0) <> :v0"),
        ("<", "size(#n0) < :v0"),
        ("<=", "size(#n0) <= :v0"),
        (">", "size(#n0) > :v0"),
        (">=", "size(#n0) >= :v0"),
    ],
)
def test_size_comparisons(op: str, text: str) -> None:
    assert compiled(compare_size("tags", op, N1)) == (text, {"#n0": "tags"}, {":v0": N1})


def test_size_between_in_and_operands() -> None:
    assert compiled(compare_size("a", "between", N1, N2))[0] == "size(#n0) BETWEEN :v0 AND :v1"
    assert compiled(compare_size("a", "in", N1, N2))[0] == "size(#n0) IN (:v0, :v1)"
    assert compiled(compare("limit", ">=", size("items")))[0] == "#n0 >= size(#n1)"
    assert compiled(compare_size("a", "<", size("b")))[0] == "size(#n0) < size(#n1)"
    assert compiled(compare_size("size", "=", N1)) == (
        "size(#n0) = :v0",
        {"#n0": "size"},
        {":v0": N1},
    )


@pytest.mark.parametrize(
    "op", ["begins_with", "contains", "exists", "not_exists", "attribute_type"]
)
def test_size_rejects_function_operators(op: str) -> None:
    with pytest.raises(ValidationError, match=f"operator '{op}' cannot test size"):
        compare_size("a", op, S1)


def test_size_rejects_unknown_operator() -> None:
    with pytest.raises(ValidationError, match="unknown condition operator 'like'"):
        compare_size("a", "like", S1)


def test_functions_reject_size_operand() -> None:
    with pytest.raises(ValidationError, match="operator 'contains' does not take a size"):
        compare("a", "contains", size("b"))


def test_reserved_words_dots_and_dashes_go_through_placeholders() -> None:
    condition = (
        compare("status", "=", S1)
        & compare("size", ">", N1)
        & compare("name", "exists")
        & compare("data", "begins_with", S2)
        & compare(Path.of("weird.name-with-dots"), "<>", N2)
        & compare(Path.of("dash-ed", "a.b"), "not_exists")
    )
    text, names, values = compiled(condition)
    assert text == (
        "#n0 = :v0 AND #n1 > :v1 AND attribute_exists(#n2) AND begins_with(#n3, :v2)"
        " AND #n4 <> :v3 AND attribute_not_exists(#n5.#n6)"
    )
    assert names == {
        "#n0": "status",
        "#n1": "size",
        "#n2": "name",
        "#n3": "data",
        "#n4": "weird.name-with-dots",
        "#n5": "dash-ed",
        "#n6": "a.b",
    }
    assert values == {":v0": S1, ":v1": N1, ":v2": S2, ":v3": N2}


def test_nested_paths_with_indexes() -> None:
    assert compiled(compare("orders[3].lines[0].sku", "=", S1)) == (
        "#n0[3].#n1[0].#n2 = :v0",
        {"#n0": "orders", "#n1": "lines", "#n2": "sku"},
        {":v0": S1},
    )


def test_same_name_reuses_placeholder_values_do_not() -> None:
    condition = compare("a", ">", N1) & compare("a", "<", N1) & compare("b.a", "=", N1)
    assert compiled(condition) == (
        "#n0 > :v0 AND #n0 < :v1 AND #n1.#n0 = :v2",
        {"#n0": "a", "#n1": "b"},
        {":v0": N1, ":v1": N1, ":v2": N1},
    )


# -- grouping ------------------------------------------------------------------------------

A = compare("a", "=", N1)
B = compare("b", "=", N1)
C = compare("c", "=", N1)
D = compare("d", "=", N1)


def text_of(condition: Condition) -> str:
    return condition.compile(Placeholders())


def test_flat_and_chain_has_no_nesting() -> None:
    assert text_of(A & B & C & D) == "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2 AND #n3 = :v3"
    assert text_of(A & (B & C)) == "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2"
    assert And((A, B, C, D)) == (A & B) & (C & D)


def test_flat_or_chain_has_no_nesting() -> None:
    assert text_of(A | B | (C | D)) == "#n0 = :v0 OR #n1 = :v1 OR #n2 = :v2 OR #n3 = :v3"
    assert Or((A, B, C)) == A | (B | C)


def test_or_inside_and_is_parenthesised() -> None:
    assert text_of(A & (B | C)) == "#n0 = :v0 AND (#n1 = :v1 OR #n2 = :v2)"
    assert text_of((A | B) & C) == "(#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"
    assert text_of((A | B) & (C | D)) == ("(#n0 = :v0 OR #n1 = :v1) AND (#n2 = :v2 OR #n3 = :v3)")


def test_and_inside_or_is_parenthesised_for_readability() -> None:
    assert text_of(A & B | C) == "(#n0 = :v0 AND #n1 = :v1) OR #n2 = :v2"
    assert text_of(A | B & C) == "#n0 = :v0 OR (#n1 = :v1 AND #n2 = :v2)"


def test_not() -> None:
    assert text_of(~A) == "NOT #n0 = :v0"
    assert text_of(~A & B) == "NOT #n0 = :v0 AND #n1 = :v1"
    assert text_of(~(A & B)) == "NOT (#n0 = :v0 AND #n1 = :v1)"
    assert text_of(~(A | B) & C) == "NOT (#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2"
    assert text_of(A | ~B) == "#n0 = :v0 OR NOT #n1 = :v1"
    assert text_of(~compare("x", "exists")) == "NOT attribute_exists(#n0)"


def test_double_negation() -> None:
    assert ~~A == A
    assert not_(not_(A)) == A
    # Built directly, NOT NOT needs a parenthesis (DynamoDB rejects `NOT NOT a`).
    assert text_of(Not(Not(A))) == "NOT (NOT #n0 = :v0)"


def test_deep_mixture() -> None:
    condition = (A | (B & ~(C | D))) & compare("e", "between", N1, N2)
    assert text_of(condition) == (
        "(#n0 = :v0 OR (#n1 = :v1 AND NOT (#n2 = :v2 OR #n3 = :v3))) AND #n4 BETWEEN :v4 AND :v5"
    )


def test_helper_functions() -> None:
    assert and_(A, B, C) == A & B & C
    assert or_(A, B, C) == A | B | C
    assert and_(A) is A
    assert or_(A) is A
    assert not_(A) == ~A == Not(A)
    assert and_(and_(A, B), and_(C, D)) == And((A, B, C, D))
    assert text_of(and_(A, or_(B, C))) == "#n0 = :v0 AND (#n1 = :v1 OR #n2 = :v2)"


@pytest.mark.parametrize("helper", [and_, or_])
def test_helpers_reject_empty_and_non_conditions(helper: Any) -> None:
    with pytest.raises(ValidationError, match="at least one condition"):
        helper()
    with pytest.raises(ValidationError, match="expected a Condition, got a str"):
        helper(A, "b = 1")
    with pytest.raises(ValidationError, match="NOT expects a Condition"):
        not_("x")  # type: ignore[arg-type]


def test_operators_with_non_conditions() -> None:
    with pytest.raises(TypeError):
        _ = A & "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = A | 1  # type: ignore[operator]


def test_no_truth_value() -> None:
    with pytest.raises(TypeError, match="combine with &, \\| and ~"):
        bool(A)
    with pytest.raises(TypeError):
        _ = A and B


def test_conditions_are_immutable_values() -> None:
    assert compare("a", "=", N1) == compare("a", "=", {"N": "1"})
    assert compare("a", "=", N1) != compare("a", "=", N2)
    with pytest.raises(AttributeError):
        A.op = "<"  # type: ignore[misc]
    both = A & B
    _ = both & C
    assert both == And((A, B))


def test_predicate_constructor_validates() -> None:
    assert Predicate("=", Path.of("a"), (N1,)) == compare("a", "=", N1)
    assert Predicate(">", Size(Path.of("a")), (N1,)) == compare_size("a", ">", N1)
    with pytest.raises(ValidationError, match="subject must be a Path"):
        Predicate("=", "a", (N1,))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'exists' cannot be applied to size"):
        Predicate("exists", Size(Path.of("a")))


def test_compile_is_repeatable() -> None:
    condition = A & B
    ph = Placeholders()
    assert condition.compile(ph) == "#n0 = :v0 AND #n1 = :v1"
    assert condition.compile(ph) == "#n0 = :v2 AND #n1 = :v3"
