import re
from typing import Any

import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import Path, Placeholders, Update

S1 = {"S": "one"}
N1 = {"N": "1"}
LIST = {"L": [{"S": "x"}, {"N": "2"}]}
EMPTY: dict[str, Any] = {"L": []}


def compiled(update: Update) -> tuple[str, dict[str, str], dict[str, Any]]:
    ph = Placeholders()
    text = update.compile(ph)
    return text, ph.names, ph.values


def test_set() -> None:
    assert compiled(Update().set("status", S1)) == (
        "SET #n0 = :v0",
        {"#n0": "status"},
        {":v0": S1},
    )


def test_set_from_another_attribute() -> None:
    assert compiled(Update().set("copy", Path.parse("meta.name"))) == (
        "SET #n0 = #n1.#n2",
        {"#n0": "copy", "#n1": "meta", "#n2": "name"},
        {},
    )


def test_set_if_not_exists() -> None:
    assert compiled(Update().set_if_not_exists("createdAt", S1)) == (
        "SET #n0 = if_not_exists(#n0, :v0)",
        {"#n0": "createdAt"},
        {":v0": S1},
    )


def test_increment_and_decrement() -> None:
    assert compiled(Update().increment("count", N1).decrement("stock", {"N": "2"})) == (
        "SET #n0 = #n0 + :v0, #n1 = #n1 - :v1",
        {"#n0": "count", "#n1": "stock"},
        {":v0": N1, ":v1": {"N": "2"}},
    )


def test_append_works_on_a_missing_list() -> None:
    assert compiled(Update().append("history", LIST)) == (
        "SET #n0 = list_append(if_not_exists(#n0, :v0), :v1)",
        {"#n0": "history"},
        {":v0": EMPTY, ":v1": LIST},
    )


def test_prepend_works_on_a_missing_list() -> None:
    assert compiled(Update().prepend("history", LIST)) == (
        "SET #n0 = list_append(:v0, if_not_exists(#n0, :v1))",
        {"#n0": "history"},
        {":v0": LIST, ":v1": EMPTY},
    )


def test_empty_list_placeholder_is_a_fresh_dict() -> None:
    ph = Placeholders()
    Update().append("a", LIST).append("b", LIST).compile(ph)
    assert ph.values[":v0"] == ph.values[":v2"] == EMPTY
    assert ph.values[":v0"] is not ph.values[":v2"]


def test_add_number_and_set() -> None:
    assert compiled(Update().add("visits", N1).add("tags", {"SS": ["a", "b"]})) == (
        "ADD #n0 :v0, #n1 :v1",
        {"#n0": "visits", "#n1": "tags"},
        {":v0": N1, ":v1": {"SS": ["a", "b"]}},
    )


def test_remove() -> None:
    assert compiled(Update().remove("draft").remove("items[3]")) == (
        "REMOVE #n0, #n1[3]",
        {"#n0": "draft", "#n1": "items"},
        {},
    )


def test_delete() -> None:
    assert compiled(Update().delete("tags", {"SS": ["old"]})) == (
        "DELETE #n0 :v0",
        {"#n0": "tags"},
        {":v0": {"SS": ["old"]}},
    )


def test_sections_in_order_whatever_the_call_order() -> None:
    update = (
        Update()
        .delete("e", {"NS": ["1"]})
        .add("d", N1)
        .remove("c")
        .set("a", S1)
        .increment("b", N1)
        .remove("f")
    )
    assert compiled(update) == (
        "SET #n0 = :v0, #n1 = #n1 + :v1 REMOVE #n2, #n3 ADD #n4 :v2 DELETE #n5 :v3",
        {"#n0": "a", "#n1": "b", "#n2": "c", "#n3": "f", "#n4": "d", "#n5": "e"},
        {":v0": S1, ":v1": N1, ":v2": N1, ":v3": {"NS": ["1"]}},
    )


def test_reserved_words_dots_dashes_and_nested_paths() -> None:
    update = (
        Update()
        .set("status", S1)
        .set(Path.of("weird.name-with-dots"), N1)
        .set("meta.size", N1)
        .remove("data[0].name")
        .add(Path.of("x-y", "z.w"), N1)
    )
    assert compiled(update) == (
        "SET #n0 = :v0, #n1 = :v1, #n2.#n3 = :v2 REMOVE #n4[0].#n5 ADD #n6.#n7 :v3",
        {
            "#n0": "status",
            "#n1": "weird.name-with-dots",
            "#n2": "meta",
            "#n3": "size",
            "#n4": "data",
            "#n5": "name",
            "#n6": "x-y",
            "#n7": "z.w",
        },
        {":v0": S1, ":v1": N1, ":v2": N1, ":v3": N1},
    )


@pytest.mark.parametrize(
    ("first", "second", "problem"),
    [
        ("a", "a", "two actions on a"),
        ("a", "a.b", "overlapping paths a and a.b"),
        ("a.b", "a", "overlapping paths a.b and a"),
        ("l", "l[0]", "overlapping paths l and l[0]"),
        ("m.n[1].o", "m.n[1]", "overlapping paths m.n[1].o and m.n[1]"),
    ],
)
def test_overlapping_paths_rejected(first: str, second: str, problem: str) -> None:
    with pytest.raises(ValidationError, match="update has " + re.escape(problem)):
        Update().set(first, S1).remove(second)


@pytest.mark.parametrize(
    "second",
    [
        lambda u: u.set("a", S1),
        lambda u: u.set_if_not_exists("a", S1),
        lambda u: u.increment("a", N1),
        lambda u: u.decrement("a", N1),
        lambda u: u.append("a", LIST),
        lambda u: u.prepend("a", LIST),
        lambda u: u.add("a", N1),
        lambda u: u.remove("a"),
        lambda u: u.delete("a", {"SS": ["x"]}),
    ],
)
def test_every_action_checks_overlap(second: Any) -> None:
    with pytest.raises(ValidationError, match="two actions on a"):
        second(Update().remove("a"))


def test_disjoint_paths_accepted() -> None:
    update = Update().set("a.b", S1).set("a.c", S1).remove("l[0]").set("l[1]", S1).set("ab", S1)
    assert len(update) == 5
    assert compiled(update)[0] == (
        "SET #n0.#n1 = :v0, #n0.#n2 = :v1, #n3[1] = :v2, #n4 = :v3 REMOVE #n3[0]"
    )


def test_literal_dotted_name_does_not_overlap_nested_path() -> None:
    update = Update().set(Path.of("a.b"), S1).set("a.b", S1)
    assert compiled(update)[1] == {"#n0": "a.b", "#n1": "a", "#n2": "b"}


def test_empty_update_rejected() -> None:
    with pytest.raises(ValidationError, match="empty update"):
        Update().compile(Placeholders())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Update().set("a", "x"),  # type: ignore[arg-type]
            "set\\(a\\): expected an encoded AttributeValue",
        ),
        (lambda: Update().set("a", {"X": 1}), "expected an encoded AttributeValue"),
        (
            lambda: Update().set_if_not_exists("a", 1),  # type: ignore[arg-type]
            "expected an encoded AttributeValue",
        ),
        (lambda: Update().increment("a", S1), "increment\\(a\\): expected a value of type N"),
        (lambda: Update().decrement("a", S1), "decrement\\(a\\): expected a value of type N"),
        (lambda: Update().append("a", S1), "append\\(a\\): expected a value of type L"),
        (lambda: Update().prepend("a", {"SS": ["x"]}), "expected a value of type L"),
        (lambda: Update().add("a", S1), "add\\(a\\): expected a value of type BS or N or NS or SS"),
        (lambda: Update().add("a", LIST), "got type L"),
        (
            lambda: Update().delete("a", N1),
            "delete\\(a\\): expected a value of type BS or NS or SS",
        ),
        (lambda: Update().remove("a..b"), "invalid attribute path"),
    ],
)
def test_bad_values_rejected(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_builder_is_immutable() -> None:
    base = Update().set("a", S1)
    longer = base.remove("b")
    assert len(base) == 1
    assert len(longer) == 2
    assert not Update()
    assert base
    assert longer.paths == (Path.of("a"), Path.of("b"))
    assert base.set("c", S1) == base.set("c", S1)
    with pytest.raises(AttributeError):
        base._actions = ()  # type: ignore[misc]
