"""Map keys from user data addressed literally with ``Path.of`` (issue 15, item 18)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dynamorm_async import Path, ValidationError, cond, pk, table
from dynamorm_async.testing import fake_db
from dynamorm_async.updates import Changes


@table("profiles")
@attrs.define
class Profile:
    id: str = pk()
    settings: dict[str, int] = attrs.field(factory=dict)
    extra: Any = None


KEY = "a.b[0]"  # a map key as users send it: path syntax inside


def _names(request: dict[str, Any]) -> list[str]:
    return sorted(request["ExpressionAttributeNames"].values())


async def test_text_is_parsed_as_a_path_and_path_of_is_literal() -> None:
    db, _ = fake_db()
    parsed = db.model(Profile).key({"id": "p"}).update().set(f"extra.{KEY}", 1).request()
    literal = db.model(Profile).key({"id": "p"}).update().set(Path.of("extra", KEY), 1).request()
    assert "a" in _names(parsed) and KEY not in _names(parsed)
    assert KEY in _names(literal) and "a" not in _names(literal)
    assert literal["UpdateExpression"].count(".") == 1  # extra.<one placeholder>


async def test_literal_paths_in_filters_conditions_and_changes() -> None:
    db, transport = fake_db()
    async with db:
        await db.model(Profile).scan().filter(Path.of("settings", KEY), "=", 3).all()
        _, params = transport.requests[-1]
        assert KEY in params["ExpressionAttributeNames"].values()
        condition = cond(Path.of("settings", KEY), ">", 1)
        builder = db.model(Profile).key({"id": "p"}).update().increment(Path.of("settings", KEY), 2)
        request = builder.condition(condition).request()
        assert list(request["ExpressionAttributeNames"].values()).count(KEY) == 1
        changes = Changes().set(Path.of("settings", KEY), 5).remove(Path.of("extra", KEY))
        compiled = changes.compile(Profile, db.codec)
        assert compiled.paths == (Path(("settings", KEY)), Path(("extra", KEY)))
        # Values are encoded by the map's value type, as with text paths.
        with pytest.raises(ValidationError):
            db.model(Profile).key({"id": "p"}).update().set(Path.of("settings", KEY), "x")


async def test_a_literal_path_still_checks_the_model() -> None:
    db, _ = fake_db()
    with pytest.raises(ValidationError, match="no field"):
        db.model(Profile).key({"id": "p"}).update().set(Path.of("nope", KEY), 1)
    with pytest.raises(ValidationError, match="key field"):
        db.model(Profile).key({"id": "p"}).update().set(Path.of("id"), "q").request()
