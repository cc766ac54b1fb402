"""Must fail: each line below carries the exact error both checkers report for it.

mypy runs with ``warn_unused_ignores`` (part of ``--strict``) and pyright with
``reportUnnecessaryTypeIgnoreComment`` and ``enableTypeIgnoreComments = false``, so an expected
error that goes missing, or a different one, fails the typing session.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from dynamorm_async import DB, GSI, LSI, attr, pk, table, version
from tests.typing.models import Payment, Rate

# A missing required field: the partition key, and a plain field after marker fields.
Payment(amount=Decimal(1), customer_id="c1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
Payment(id="p1", customer_id="c1")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
# An unknown field.
Payment(id="p1", amount=Decimal(1), customer_id="c1", colour="red")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
# A wrongly typed field (a float is no Decimal: numbers stay exact).
Payment(id=1, amount=Decimal(1), customer_id="c1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
Payment(id="p1", amount=1.5, customer_id="c1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
# A frozen model.
Rate(currency="EUR", value=Decimal(1)).value = Decimal(2)  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]

# Index declarations: a GSI needs its partition key, an LSI takes none, names are str.
GSI("by-customer")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
GSI("by-customer", pk=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
LSI("by-amount", pk="id", sk="amount")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
table("t", indexes=["by-customer"])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]


@table("mistyped")
class Mistyped:
    """Marker defaults are checked against the annotation."""

    id: str = pk()
    count: int = attr(default="none")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    revision: str = version()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]


async def reads(db: DB) -> None:
    """Read results are the model (get) or the model or None (find)."""
    got = await db.get(Payment, {"id": "p1"})
    print(got.colour)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    found = await db.find(Payment, {"id": "p1"})
    print(found.amount)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]


# Without the dynamorm_async.mypy plugin, pinned so that a checker change shows up: mypy knows
# attrs classes only through its built-in attrs plugin, which a class made by @table alone does
# not pass, so it rejects attrs.evolve() on one (pyright accepts it). With the plugin it is
# checked (plugin_pass.py, plugin_fail.py). docs/models.md says so.
attrs.evolve(Rate(currency="EUR", value=Decimal(1)), value=Decimal(2))  # type: ignore[misc]
