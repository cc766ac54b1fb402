"""Custom field types: an encoder/decoder pair registered on the codec."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from dynamorm_async import DecodeError, EncodeError, SchemaError, pk, table, template
from dynamorm_async.codec import Codec


class Money:
    """An amount in cents with a currency, stored as text: ``"EUR:1999"``."""

    def __init__(self, currency: str, cents: int) -> None:
        self.currency = currency
        self.cents = cents

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.currency, self.cents) == (
            other.currency,
            other.cents,
        )

    def __hash__(self) -> int:
        return hash((self.currency, self.cents))

    @classmethod
    def parse(cls, text: str) -> Money:
        currency, cents = text.split(":")
        return cls(currency, int(cents))


class Ulid(str):
    """A str subclass with a text form of its own (upper-case)."""


@table("ledger")
class Entry:
    id: str = pk()
    amount: Money = Money("EUR", 0)
    history: list[Money] = attrs.field(factory=list)
    refund: Money | None = None


@table("ledger", pk=template("ACCOUNT#{account}"), sk=template("ENTRY#{amount}"))
class Keyed:
    account: Ulid
    amount: Money


def money_codec() -> Codec:
    codec = Codec()
    codec.register_type(
        Money, stored="S", encode=lambda m: f"{m.currency}:{m.cents}", decode=Money.parse
    )
    return codec


def test_a_registered_type_round_trips() -> None:
    codec = money_codec()
    entry = Entry("e-1", Money("EUR", 1999), [Money("USD", 5)], None)
    item = codec.encode(entry)
    assert item["amount"] == {"S": "EUR:1999"}
    assert item["history"] == {"L": [{"S": "USD:5"}]}
    assert item["refund"] == {"NULL": True}
    assert codec.decode(Entry, item) == entry
    assert codec.encode_value(Money, Money("GBP", 1)) == {"S": "GBP:1"}


def test_an_unregistered_type_says_how_to_register_it() -> None:
    with pytest.raises(SchemaError, match=r"unsupported type Money: .*register_type\(Money"):
        Codec().register(Entry)


def test_a_registered_type_fills_a_key_template() -> None:
    codec = money_codec()
    codec.register_type(Ulid, stored="S", encode=str.upper, decode=Ulid)
    item = codec.encode(Keyed(Ulid("01hx"), Money("EUR", 5)))
    assert (item["PK"], item["SK"]) == ({"S": "ACCOUNT#01HX"}, {"S": "ENTRY#EUR:5"})
    back = codec.decode(Keyed, {"PK": item["PK"], "SK": item["SK"]})  # every field is in the keys
    assert (back.account, back.amount) == ("01HX", Money("EUR", 5))


def test_a_number_stored_type() -> None:
    codec = Codec()
    codec.register_type(
        Money, stored="N", encode=lambda m: m.cents, decode=lambda n: Money("EUR", int(n))
    )
    item = codec.encode(Entry("e", Money("EUR", 7)))
    assert item["amount"] == {"N": "7"}
    assert codec.decode(Entry, item).amount == Money("EUR", 7)
    assert isinstance(codec.decode_value(Money, {"N": "7.0"}), Money)


def test_failing_hooks_are_typed_errors() -> None:
    codec = money_codec()
    with pytest.raises(EncodeError, match="expected Money"):
        codec.encode(Entry("e", "EUR:5"))  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="the Money decoder failed"):
        codec.decode(Entry, {"id": {"S": "e"}, "amount": {"S": "no-colon"}})
    codec.register_type(Money, stored="N", encode=lambda m: "text", decode=Decimal)
    with pytest.raises(EncodeError, match="encodes to int or Decimal"):
        codec.encode(Entry("e", Money("EUR", 1)))


@pytest.mark.parametrize(
    ("tp", "stored", "message"),
    [(str, "S", "stores itself"), (Money, "X", "stored must be"), ("Money", "S", "takes a class")],
)
def test_registration_mistakes(tp: object, stored: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        Codec().register_type(tp, stored=stored, encode=str, decode=str)  # type: ignore[arg-type]
