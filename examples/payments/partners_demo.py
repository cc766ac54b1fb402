"""The multi-account part of the example: one function serving two partners in two accounts.

moto's server stands in for both partners' AWS accounts and for STS: credentials from a role
assumed in account 111111111111 act in that account, so each partner's ``payments`` table is
its own, under the same name, and neither the other partner nor the base account sees it.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "partner_events"

PARTNERS: dict[str, dict[str, Any]] = {
    "acme": {
        "account_id": "111111111111",
        "role_arn": "arn:aws:iam::111111111111:role/payments-api",
        "external_id": "acme-payments-7f3e",
    },
    "globex": {
        "account_id": "222222222222",
        "role_arn": "arn:aws:iam::222222222222:role/payments-api",
    },
}


def _fill(value: Any, payment_id: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, payment_id) for k, v in value.items()}
    if isinstance(value, str):
        return value.replace("$acme_payment", payment_id)
    return value


def run(endpoint_url: str) -> int:
    """Serve the partner events; returns how many answers were not the expected ones."""
    from dynamorm_async import DB
    from dynamorm_async.testing import FakeLambdaContext

    # The deployed function gets DYNAMORM_PARTNERS; AWS_ENDPOINT_URL_STS (botocore's own
    # variable) sends STS to the local server instead of https://sts.<region>.amazonaws.com.
    os.environ.update(DYNAMORM_PARTNERS=json.dumps(PARTNERS), AWS_ENDPOINT_URL_STS=endpoint_url)
    from . import partner_handler as module  # Lambda's init phase
    from .models import Payment

    partners = module.partners
    printed: list[dict[str, Any]] = []

    async def deploy() -> None:  # each partner's stack creates its table in its account
        for partner_id in partners.partner_ids:
            db = await partners.partner(partner_id)
            db.metrics.emit = lambda line: printed.append(json.loads(line))
            await db.ensure_table(Payment)
            await db.metrics.flush()

    asyncio.run(deploy())
    printed.clear()
    print(f"\npartners {', '.join(partners.partner_ids)}, each in its own account")
    failures = 0
    payment_id = ""
    for path in sorted(EVENTS.glob("*.json")):
        spec = json.loads(path.read_text())
        event = _fill(spec["event"], payment_id)
        result = module.handler(event, FakeLambdaContext(timeout=10, function_name="payments"))
        body = json.loads(result["body"])
        if path.stem == "01-acme-creates":
            payment_id = body["id"]
        ok = result["statusCode"] == spec["expect_status"]
        failures += not ok
        print(
            f"\n{path.stem}: {event.get('httpMethod') or event['requestContext']['http']['method']}"
        )
        print(f"  -> {result['statusCode']} {result['body']}")
        for document in printed:
            print(f"  EMF Partner={document['Partner']} Operation={document['Operation']}")
        printed.clear()
        if not ok:
            print(f"  !! expected status {spec['expect_status']}")

    async def count() -> dict[str, int]:
        counts = {}
        for partner_id in partners.partner_ids:
            db = await partners.partner(partner_id)
            counts[partner_id] = len(await db.model(Payment).allow_scan().all())
        async with DB.from_environment() as base:
            acme = await base.find(Payment, {"id": payment_id})
            counts["base account has acme's payment"] = acme is not None
        await partners.close()
        return counts

    print(f"\npayments stored per account: {asyncio.run(count())}")
    return failures
