"""With the mypy plugin: each error pinned on its line (mypy only; rules in fail_models.py)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from tests.typing.models import Payment, Rate

rate = Rate(currency="EUR", value=Decimal("1.1"))
attrs.evolve(rate, value="2")  # type: ignore[arg-type]
attrs.evolve(rate, colour="red")  # type: ignore[call-arg]
print(attrs.fields(Payment).colour)  # type: ignore[attr-defined]
# The plugin keeps the constructor dataclass_transform gives: required fields stay required.
Payment(id="p1")  # type: ignore[call-arg]
