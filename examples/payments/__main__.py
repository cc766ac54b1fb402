"""Run the payments service locally: an embedded DynamoDB-compatible server, sample events.

    python -m examples.payments

No AWS account is needed: moto's DynamoDB server runs on 127.0.0.1 for the duration.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from dynamorm_async.local import LocalServer

EVENTS = Path(__file__).parent / "events"


class LocalContext:
    """Just enough of a Lambda context for a local invocation."""

    function_name = "payments"
    memory_limit_in_mb = 256
    aws_request_id = "local"

    def __init__(self, timeout: float = 10.0) -> None:
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before this invocation's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _fill(event: dict[str, Any], last_payment: str | None) -> dict[str, Any]:
    return {k: (last_payment if v == "$last_payment" else v) for k, v in event.items()}


async def _create_tables() -> None:
    from .handler import get_db
    from .models import Payment

    db = get_db()
    created = await db.ensure_table(Payment)
    print(f"table {db.table_name(Payment)}: {'created' if created else 'exists'}")


def main() -> int:
    """Start the local server, create the table, invoke the handler with each sample event."""
    with LocalServer() as server:
        os.environ.update(
            DYNAMODB_ENDPOINT=server.endpoint_url,
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )
        print(f"local DynamoDB (moto) at {server.endpoint_url}")
        from .handler import handler

        # Like a Lambda runtime that uses asyncio.run per invocation: the DB reopens its
        # client on each new event loop.
        asyncio.run(_create_tables())
        last_payment: str | None = None
        failures = 0
        for path in sorted(EVENTS.glob("*.json")):
            spec = json.loads(path.read_text())
            event = _fill(spec["event"], last_payment)
            result = asyncio.run(handler(event, LocalContext()))
            if "payment" in result and event.get("action") == "create":
                last_payment = result["payment"]["id"]
            ok = result["statusCode"] == spec["expect_status"]
            failures += not ok
            print(f"\n{path.stem}: {json.dumps(event)}")
            print(f"  -> {json.dumps(result, indent=None)}")
            if not ok:
                print(f"  !! expected status {spec['expect_status']}")
        print(f"\n{'all events behaved as expected' if not failures else f'{failures} unexpected'}")
        return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
