import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import Path, Placeholders


def test_name_reuses_placeholder_per_attribute_name() -> None:
    ph = Placeholders()
    assert ph.name("status") == "#n0"
    assert ph.name("meta.status") == "#n1.#n0"
    assert ph.name("status") == "#n0"
    assert ph.name("meta.meta[0].meta") == "#n1.#n1[0].#n1"
    assert ph.names == {"#n0": "status", "#n1": "meta"}


def test_name_nested_and_indexes() -> None:
    ph = Placeholders()
    assert ph.name("items[0].name") == "#n0[0].#n1"
    assert ph.name("grid[1][2]") == "#n2[1][2]"
    assert ph.names == {"#n0": "items", "#n1": "name", "#n2": "grid"}


def test_name_literal_segments() -> None:
    ph = Placeholders()
    assert ph.name(Path.of("weird.name-with-dots")) == "#n0"
    assert ph.name(Path.of("a.b", "c")) == "#n1.#n2"
    assert ph.names == {"#n0": "weird.name-with-dots", "#n1": "a.b", "#n2": "c"}


def test_value_gets_a_new_placeholder_each_time() -> None:
    ph = Placeholders()
    one = {"S": "x"}
    assert ph.value(one) == ":v0"
    assert ph.value({"S": "x"}) == ":v1"
    assert ph.value({"L": [{"N": "1"}]}) == ":v2"
    assert ph.values == {":v0": {"S": "x"}, ":v1": {"S": "x"}, ":v2": {"L": [{"N": "1"}]}}
    assert ph.values[":v0"] is one  # passed through, not copied or re-encoded


@pytest.mark.parametrize(
    "bad",
    ["x", 1, None, {}, {"S": "x", "N": "1"}, {"X": "1"}, {"status": {"S": "x"}}, [{"S": "x"}]],
)
def test_value_rejects_non_attribute_values(bad: object) -> None:
    with pytest.raises(ValidationError, match="expected an encoded AttributeValue"):
        Placeholders().value(bad)  # type: ignore[arg-type]


def test_value_error_does_not_echo_the_value() -> None:
    with pytest.raises(ValidationError) as info:
        Placeholders().value("secret-password")  # type: ignore[arg-type]
    assert "secret-password" not in str(info.value)
    assert "got a str" in str(info.value)


def test_params_leave_out_empty_maps() -> None:
    ph = Placeholders()
    assert ph.params() == {}
    ph.name("a")
    assert ph.params() == {"ExpressionAttributeNames": {"#n0": "a"}}
    ph.value({"BOOL": True})
    assert ph.params() == {
        "ExpressionAttributeNames": {"#n0": "a"},
        "ExpressionAttributeValues": {":v0": {"BOOL": True}},
    }
    only_values = Placeholders()
    only_values.value({"NULL": True})
    assert only_values.params() == {"ExpressionAttributeValues": {":v0": {"NULL": True}}}


def test_maps_are_copies() -> None:
    ph = Placeholders()
    ph.name("a")
    ph.value({"S": "x"})
    ph.names.clear()
    ph.values.clear()
    assert ph.params() == {
        "ExpressionAttributeNames": {"#n0": "a"},
        "ExpressionAttributeValues": {":v0": {"S": "x"}},
    }


def test_name_rejects_bad_path_text() -> None:
    with pytest.raises(ValidationError, match=r"invalid attribute path 'a\.\.b'"):
        Placeholders().name("a..b")
