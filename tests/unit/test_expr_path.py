import pytest

from dynamorm_async.errors import ValidationError
from dynamorm_async.expr import Path, as_path


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("status", ("status",)),
        ("meta.region", ("meta", "region")),
        ("items[0].name", ("items", 0, "name")),
        ("grid[1][22]", ("grid", 1, 22)),
        ("a.b.c.d", ("a", "b", "c", "d")),
        ("with-dash.and space", ("with-dash", "and space")),
        ("ünïcode.名前", ("ünïcode", "名前")),
        ("list[007]", ("list", 7)),
    ],
)
def test_parse(text: str, segments: tuple[object, ...]) -> None:
    assert Path.parse(text).segments == segments


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "expected an attribute name"),
        (".a", "expected an attribute name"),
        ("a.", "expected an attribute name"),
        ("a..b", "expected an attribute name"),
        ("[0]", "expected an attribute name"),
        ("a.[0]", "expected an attribute name"),
        ("a[]", "list index '' is not a non-negative integer"),
        ("a[x]", "list index 'x' is not a non-negative integer"),
        ("a[-1]", "list index '-1' is not a non-negative integer"),
        ("a[1.5]", "list index '1.5' is not a non-negative integer"),
        ("a[²]", "list index '²' is not a non-negative integer"),
        ("a[0", "unclosed '['"),
        ("a]", "unexpected ']'"),
        ("a[0]b", "unexpected 'b'"),
    ],
)
def test_parse_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="invalid attribute path") as info:
        Path.parse(text)
    assert reason in str(info.value)


def test_of_keeps_dots_literally() -> None:
    assert Path.of("weird.name-with-dots").segments == ("weird.name-with-dots",)
    assert Path.of("a.b", 0, "c[1]").segments == ("a.b", 0, "c[1]")


def test_constructor_takes_segments() -> None:
    assert Path(("a", 0, "b")).segments == ("a", 0, "b")
    assert Path(["a", "b"]) == Path.parse("a.b")


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ((), "at least one segment"),
        (("",), "empty name"),
        (("a", ""), "empty name"),
        ((0, "a"), "starts with a list index"),
        (("a", -1), "negative list index"),
        (("a", True), "neither a name"),
        (("a", 1.0), "neither a name"),
        (("a", None), "neither a name"),
    ],
)
def test_constructor_rejects(segments: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Path(segments)  # type: ignore[arg-type]


def test_constructor_rejects_plain_str() -> None:
    with pytest.raises(ValidationError, match=r"Path\.parse\('a\.b'\)"):
        Path("a.b")


def test_str_and_attribute() -> None:
    path = Path.parse("meta.tags[2][0].x")
    assert str(path) == "meta.tags[2][0].x"
    assert path.attribute == "meta"


def test_child() -> None:
    assert Path.of("a").child("b", 0) == Path.parse("a.b[0]")


@pytest.mark.parametrize(
    ("left", "right", "overlap"),
    [
        ("a", "a", True),
        ("a", "a.b", True),
        ("a.b", "a", True),
        ("a", "a[0]", True),
        ("a.b", "a.c", False),
        ("a[0]", "a[1]", False),
        ("a", "ab", False),
        ("a.b.c", "a.b", True),
    ],
)
def test_overlaps(left: str, right: str, overlap: bool) -> None:
    assert Path.parse(left).overlaps(Path.parse(right)) is overlap


def test_paths_are_hashable_values() -> None:
    assert {Path.parse("a.b"), Path(("a", "b"))} == {Path.of("a", "b")}
    assert Path.of("a.b") != Path.parse("a.b")


def test_as_path() -> None:
    path = Path.of("x.y")
    assert as_path(path) is path
    assert as_path("x.y") == Path(("x", "y"))
    with pytest.raises(ValidationError, match="expected a Path or path text, got a int"):
        as_path(3)  # type: ignore[arg-type]


def test_frozen() -> None:
    path = Path.parse("a")
    with pytest.raises(AttributeError):
        path.segments = ("b",)  # type: ignore[misc]
