import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import Path, Placeholders, projection


def test_projection() -> None:
    ph = Placeholders()
    assert projection(["status", "meta.region", "items[0].name"], ph) == (
        "#n0, #n1.#n2, #n3[0].#n4"
    )
    assert ph.names == {
        "#n0": "status",
        "#n1": "meta",
        "#n2": "region",
        "#n3": "items",
        "#n4": "name",
    }
    assert ph.params() == {"ExpressionAttributeNames": ph.names}


def test_reserved_words_and_literal_names() -> None:
    ph = Placeholders()
    paths: list[Path | str] = [
        Path.of("weird.name-with-dots"),
        "size",
        "data",
        Path.of("a-b", "size"),
    ]
    assert projection(paths, ph) == "#n0, #n1, #n2, #n3.#n1"
    assert ph.names == {"#n0": "weird.name-with-dots", "#n1": "size", "#n2": "data", "#n3": "a-b"}


def test_duplicates_sent_once() -> None:
    ph = Placeholders()
    assert projection(["pk", "sk", "pk", Path.of("sk")], ph) == "#n0, #n1"


def test_siblings_allowed() -> None:
    assert projection(["a.b", "a.c", "l[0]", "l[1]"], Placeholders()) == (
        "#n0.#n1, #n0.#n2, #n3[0], #n3[1]"
    )


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (["a", "a.b"], "projection paths a and a.b overlap"),
        (["a.b", "a"], "projection paths a and a.b overlap"),
        (["l[0].x", "l[0]"], "projection paths l\\[0\\] and l\\[0\\].x overlap"),
    ],
)
def test_overlap_rejected(paths: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        projection(paths, Placeholders())


def test_empty_rejected() -> None:
    with pytest.raises(ValidationError, match="at least one attribute path"):
        projection([], Placeholders())


def test_accepts_any_iterable() -> None:
    assert projection((p for p in ["a", "b"]), Placeholders()) == "#n0, #n1"
