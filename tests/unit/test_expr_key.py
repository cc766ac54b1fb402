from typing import Any

import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import KEY_OPERATORS, KeyCondition, Path, Placeholders, compare, size

PK = {"S": "user#1"}
N1 = {"N": "1"}
N2 = {"N": "2"}


def compiled(key: KeyCondition) -> tuple[str, dict[str, str], dict[str, Any]]:
    ph = Placeholders()
    text = key.compile(ph)
    return text, ph.names, ph.values


def test_partition_key_only() -> None:
    assert compiled(KeyCondition("pk", PK)) == ("#n0 = :v0", {"#n0": "pk"}, {":v0": PK})


def test_between() -> None:
    key = KeyCondition("pk", PK, compare("sk", "between", N1, N2))
    assert compiled(key) == (
        "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2",
        {"#n0": "pk", "#n1": "sk"},
        {":v0": PK, ":v1": N1, ":v2": N2},
    )


@pytest.mark.parametrize(
    ("op", "text"),
    [
        ("=", "#n0 = :v0 AND #n1 = :v1"),
        ("<", "#n0 = :v0 AND #n1 < :v1"),
        ("<=", "#n0 = :v0 AND #n1 <= :v1"),
        (">", "#n0 = :v0 AND #n1 > :v1"),
        (">=", "#n0 = :v0 AND #n1 >= :v1"),
        ("begins_with", "#n0 = :v0 AND begins_with(#n1, :v1)"),
    ],
)
def test_allowed_sort_key_operators(op: str, text: str) -> None:
    value = {"S": "order#"}
    assert compiled(KeyCondition("pk", PK, compare("sk", op, value))) == (
        text,
        {"#n0": "pk", "#n1": "sk"},
        {":v0": PK, ":v1": value},
    )


def test_key_operators_constant() -> None:
    assert set(KEY_OPERATORS) == {"=", "<", "<=", ">", ">=", "between", "begins_with"}


@pytest.mark.parametrize(
    ("op", "values", "named"),
    [
        ("!=", (N1,), "'<>' (!=)"),
        ("<>", (N1,), "'<>' (!=)"),
        ("in", (N1, N2), "'in'"),
        ("contains", (N1,), "'contains'"),
        ("exists", (), "'exists'"),
        ("not_exists", (), "'not_exists'"),
        ("attribute_type", ({"S": "N"},), "'attribute_type'"),
    ],
)
def test_rejected_sort_key_operators(op: str, values: tuple[Any, ...], named: str) -> None:
    with pytest.raises(ValidationError) as info:
        KeyCondition("pk", PK, compare("sk", op, *values))
    assert f"operator {named} is not allowed in a key condition" in str(info.value)


@pytest.mark.parametrize(
    ("sk", "message"),
    [
        (compare("sk", ">", N1) & compare("sk", "<", N2), "AND is not allowed in a key condition"),
        (compare("sk", ">", N1) | compare("sk", "<", N2), "OR is not allowed in a key condition"),
        (~compare("sk", ">", N1), "NOT is not allowed in a key condition"),
        (compare("sk", ">", size("other")), "compares with values only"),
        (compare("sk", "=", Path.of("other")), "compares with values only"),
        (compare("pk", ">", N1), "sort key test is on the partition key"),
        (compare("sk.part", ">", N1), "sort key 'sk.part' must be a top-level attribute"),
    ],
)
def test_rejected_sort_key_tests(sk: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KeyCondition("pk", PK, sk)


def test_size_on_sort_key_rejected() -> None:
    from dynamorm_async.expr import compare_size

    with pytest.raises(ValidationError, match="size\\(\\) is not allowed in a key condition"):
        KeyCondition("pk", PK, compare_size("sk", ">", N1))


def test_sort_key_values_must_be_scalars() -> None:
    with pytest.raises(ValidationError, match="expected a value of type B or N or S, got type L"):
        KeyCondition("pk", PK, compare("sk", "=", {"L": []}))
    with pytest.raises(ValidationError, match="expected a value of type B or S, got type N"):
        KeyCondition("pk", PK, compare("sk", "begins_with", N1))
    with pytest.raises(ValidationError, match="must be a Condition"):
        KeyCondition("pk", PK, "sk = 1")  # type: ignore[arg-type]


def test_partition_key_checks() -> None:
    with pytest.raises(
        ValidationError, match=r"partition key 'a\.b' must be a top-level attribute"
    ):
        KeyCondition("a.b", PK)
    with pytest.raises(ValidationError, match="partition key pk: expected a value of type"):
        KeyCondition("pk", {"SS": ["a"]})
    with pytest.raises(ValidationError, match="expected an encoded AttributeValue"):
        KeyCondition("pk", "user#1")  # type: ignore[arg-type]


def test_key_names_with_dots_and_reserved_words() -> None:
    key = KeyCondition(Path.of("tenant.id"), PK, compare(Path.of("data"), ">=", N1))
    assert compiled(key) == (
        "#n0 = :v0 AND #n1 >= :v1",
        {"#n0": "tenant.id", "#n1": "data"},
        {":v0": PK, ":v1": N1},
    )
