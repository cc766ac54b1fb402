"""With the mypy plugin (dynamorm_async.mypy): attrs.evolve and attrs.fields on @table models.

Checked by mypy with tests/typing/mypy_plugin.ini only: pyright needs no plugin for evolve,
and reads attrs.fields(Model).x as Any (pass_models.py covers pyright).
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

import attrs

from tests.typing.models import Legacy, Payment, Rate

rate = Rate(currency="EUR", value=Decimal("1.1"))
assert_type(attrs.evolve(rate, value=Decimal(2)), Rate)
assert_type(attrs.fields(Rate).value, attrs.Attribute[Decimal])

payment = Payment(id="p1", amount=Decimal("9.99"), customer_id="c1")
assert_type(attrs.evolve(payment, tags=["a"]), Payment)
assert_type(attrs.fields(Payment).customer_id, attrs.Attribute[str])

# A class made by @attrs.frozen under @table is left as mypy's attrs support made it.
assert_type(attrs.evolve(Legacy(id="l1"), note="n"), Legacy)
