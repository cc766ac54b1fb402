"""Key values over DynamoDB's size limits are refused by the codec, before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from dynamorm_async import GSI, LSI, EncodeError, ValidationError, pk, sk, table
from dynamorm_async.codec import Codec
from dynamorm_async.codec._size import MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE
from dynamorm_async.testing import fake_db


@table(
    "key-sizes",
    indexes=[GSI("by-owner", pk="owner", sk="tag"), LSI("by-rank", sk="rank")],
)
@attrs.define
class Thing:
    id: str = pk()
    part: str = sk()
    owner: str | None = None
    tag: bytes | None = None
    rank: str | None = None


@table("number-keys")
@attrs.define
class Counter:
    id: Decimal = pk()


@table("shared-key", indexes=[GSI("by-part", pk="part")])
@attrs.define
class Shared:
    id: str = pk()
    part: str = sk()  # also a partition key, of an index: the sort key's limit binds


def test_limits_are_dynamodbs() -> None:
    assert (MAX_PARTITION_KEY_SIZE, MAX_SORT_KEY_SIZE) == (2048, 1024)


def test_keys_at_the_limits_are_stored() -> None:
    item = Codec().encode(
        Thing(id="a" * 2048, part="é" * 512, owner="o" * 2048, tag=b"t" * 1024, rank="r" * 1024)
    )
    assert item["id"] == {"S": "a" * 2048}
    assert item["part"] == {"S": "é" * 512}  # 1,024 bytes of UTF-8


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({"id": "a" * 2049}, "id", "the partition key is 2049 bytes"),
        ({"id": "é" * 1025}, "id", "the partition key is 2050 bytes"),  # UTF-8 bytes count
        ({"part": "b" * 1025}, "part", "the sort key is 1025 bytes"),
        ({"owner": "o" * 2049}, "owner", "the partition key of index 'by-owner' is 2049 bytes"),
        ({"tag": b"x" * 1025}, "tag", "the sort key of index 'by-owner' is 1025 bytes"),
        ({"rank": "r" * 1025}, "rank", "the sort key of index 'by-rank' is 1025 bytes"),
    ],
)
def test_keys_over_the_limits_are_refused(
    fields: dict[str, object], path: str, message: str
) -> None:
    thing = Thing(**{"id": "a", "part": "b", **fields})  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match=message) as caught:
        Codec().encode(thing)
    assert caught.value.path == path
    assert "over DynamoDB's limit of" in str(caught.value)


def test_the_strictest_role_of_a_field_binds() -> None:
    with pytest.raises(EncodeError, match="the sort key is 1025 bytes"):
        Codec().encode(Shared(id="a", part="p" * 1025))


def test_numbers_are_never_too_long() -> None:
    big = Decimal("9" * 38)
    assert Codec().encode(Counter(id=big)) == {"id": {"N": "9" * 38}}


def test_keys_given_by_name_are_refused_as_invalid_requests() -> None:
    codec = Codec()
    with pytest.raises(ValidationError, match=r"Thing\.id: the partition key is 3000 bytes"):
        codec.encode_key(Thing, {"id": "a" * 3000, "part": "b"})
    with pytest.raises(EncodeError, match="the partition key of index 'by-owner'"):
        codec.encode_field(Thing, "owner", "o" * 2049)


class Name(str):
    """A str subclass: stored as its text, like a plain str."""


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        ({"id": "a" * 2048, "part": "b" * 1024}, None),
        ({"id": "é" * 1024, "part": "ü" * 512}, None),  # 2,048 and 1,024 bytes of UTF-8
        ({"id": Name("a" * 2048), "part": "b"}, None),
        ({"id": "a" * 2049, "part": "b"}, "the partition key is 2049 bytes"),
        ({"id": "é" * 1025, "part": "b"}, "the partition key is 2050 bytes"),
        ({"id": "a", "part": "b" * 1025}, "the sort key is 1025 bytes"),
        ({"id": "", "part": "b"}, "cannot be an empty string"),
        ({"id": "a", "part": ""}, "cannot be an empty string"),
        ({"id": 7, "part": "b"}, "str"),
    ],
)
def test_a_key_is_checked_alike_by_name_by_instance_and_in_the_item(
    key: dict[str, object], refused: str | None
) -> None:
    codec = Codec()
    thing = Thing(**key)  # type: ignore[arg-type]
    if refused is None:
        expected = {name: {"S": str(value)} for name, value in key.items()}
        assert codec.encode_key(Thing, key) == expected
        assert codec.key_of(thing) == expected
        item = codec.encode(thing)
        assert {name: item[name] for name in key} == expected
        return
    with pytest.raises(ValidationError, match=refused):
        codec.encode_key(Thing, key)
    with pytest.raises(EncodeError, match=refused):
        codec.key_of(thing)
    with pytest.raises(EncodeError, match=refused):
        codec.encode(thing)


async def test_nothing_is_sent() -> None:
    db, transport = fake_db()
    async with db:
        with pytest.raises(EncodeError, match="the partition key is 2049 bytes"):
            await db.put(Thing(id="a" * 2049, part="b"))
        with pytest.raises(ValidationError, match="the sort key is 1025 bytes"):
            await db.find(Thing, {"id": "a", "part": "b" * 1025})
    assert transport.requests == []
