"""Run the payments service locally: an embedded DynamoDB-compatible server, sample events.

    python -m examples.payments

No AWS account is needed: moto's DynamoDB server runs on 127.0.0.1 for the duration. The
handler is called as the Lambda runtime calls it (synchronously, one invocation after the
other, each with a context whose remaining time runs down) in the environment a deployed
function has, plus the endpoint, metrics on, and the Powertools namespace and service name.
Under each result, the metrics the invocation wrote (CloudWatch EMF documents) are summed up.

Then the stream consumer (``consumer.py``) gets the payments table's stream records, read
from the local server's DynamoDB Streams API as Lambda's poller would, once and then again
(Lambda delivers records again after a failure): the customers are notified once. Last, the
same service serves two partners whose tables live in two other accounts
(:mod:`examples.payments.partners_demo`).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from dynamorm_async.aws_lambda import shutdown
from dynamorm_async.idempotency import IdempotencyRecord
from dynamorm_async.testing import FakeLambdaContext, lambda_environment
from dynamorm_async.testing.local import LocalServer
from dynamorm_async.testing.streams import StreamPoller

from . import partners_demo

EVENTS = Path(__file__).parent / "events"
TIMEOUT = 10.0
"""Seconds each invocation gets, unless its event file says ``"remaining"``."""


def _fill(event: dict[str, Any], last_payment: str | None) -> dict[str, Any]:
    return {k: (last_payment if v == "$last_payment" else v) for k, v in event.items()}


def _summary(document: dict[str, Any]) -> str:
    names = [m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    where = " ".join(f"{k}={document[k]}" for k in ("service", "Operation") if k in document)
    values = ", ".join(f"{name}={document[name]}" for name in names if document[name])
    return f"  EMF {where}: {values}"


def main() -> int:
    """Start the local server, invoke the handler with each sample event, show what it did."""
    with LocalServer() as server:
        os.environ.update(lambda_environment(function_name="payments", memory_mb=256))
        os.environ.update(
            DYNAMODB_ENDPOINT=server.endpoint_url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            DYNAMORM_METRICS="1",
            POWERTOOLS_METRICS_NAMESPACE="PaymentsExample",
            POWERTOOLS_SERVICE_NAME="payments",
        )
        print(f"local DynamoDB (moto) at {server.endpoint_url}")
        # Lambda's init phase of both functions: DB.from_environment().
        from . import consumer
        from . import handler as module
        from .models import Notification, Payment

        db = module.db
        printed: list[dict[str, Any]] = []
        db.metrics.emit = lambda line: printed.append(json.loads(line))
        consumer.db.metrics.emit = db.metrics.emit

        async def deploy() -> bool:  # a deployment step, not an invocation
            check = await db.ensure_table(Payment)  # with its stream (TableOptions)
            for model in (Notification, IdempotencyRecord):
                await db.ensure_table(model)
            await db.metrics.flush()
            printed.clear()
            return check.created

        created = asyncio.run(deploy())
        print(f"table {db.table_name(Payment)}: {'created' if created else 'exists'}")
        try:
            failures, invocations = _invoke_all(module.handler, printed)
            failures += _consume_stream(consumer, StreamPoller(db, Payment), printed)
            failures += partners_demo.run(server.endpoint_url)  # two partners, two accounts
        finally:
            shutdown()  # close the adapter's event loop (Lambda just freezes the process)
        print(f"\n{'all events behaved as expected' if not failures else f'{failures} unexpected'}")
        print(f"{invocations} invocations shared {db.engine.opened - 1} DynamoDB client")
        return 1 if failures else 0


def _invoke_all(handler: Any, printed: list[dict[str, Any]]) -> tuple[int, int]:
    last_payment: str | None = None
    failures = invocations = 0
    for path in sorted(EVENTS.glob("*.json")):
        spec = json.loads(path.read_text())
        event = _fill(spec["event"], last_payment)
        remaining = spec.get("remaining", TIMEOUT)
        context = FakeLambdaContext(timeout=remaining, memory_mb=256, function_name="payments")
        result = handler(event, context)  # as the Lambda runtime calls it
        invocations += 1
        if "payment" in result and event.get("action") == "create":
            last_payment = result["payment"]["id"]
        ok = result["statusCode"] == spec["expect_status"]
        failures += not ok
        print(f"\n{path.stem} ({remaining:g} s left): {json.dumps(event)}")
        print(f"  -> {json.dumps(result, indent=None)}")
        for document in printed:
            print(_summary(document))
        printed.clear()
        if not ok:
            print(f"  !! expected status {spec['expect_status']}")
    return failures, invocations


def _consume_stream(consumer: Any, poller: StreamPoller, printed: list[dict[str, Any]]) -> int:
    """Deliver the stream's records to the consumer twice; return how many checks failed."""
    from .models import Notification

    event = asyncio.run(poller.poll())
    expected = sum(
        spec["expect_status"] == 200 and spec["event"]["action"] in ("capture", "refund")
        for spec in (json.loads(path.read_text()) for path in EVENTS.glob("*.json"))
    )
    failures = 0
    for delivery in ("first delivery", "delivered again"):
        context = FakeLambdaContext(timeout=TIMEOUT, memory_mb=256, function_name="consumer")
        response = consumer.handler(event, context)  # as Lambda calls the stream consumer
        names = [record["eventName"] for record in event["Records"]]
        print(f"\nstream consumer, {delivery}: {len(names)} records ({', '.join(names)})")
        print(f"  -> {json.dumps(response)}")
        for document in printed:
            print(_summary(document))
        printed.clear()
        failures += response != {"batchItemFailures": []}

    async def notifications() -> list[Notification]:
        return await consumer.db.model(Notification).allow_scan().all()

    sent = asyncio.run(notifications())
    for notification in sorted(sent, key=lambda n: n.text):
        print(f"  notified {notification.customer_id}: {notification.text}")
    if len(sent) != expected:
        print(f"  !! expected {expected} notifications, not {len(sent)}")
        failures += 1
    return failures


if __name__ == "__main__":
    raise SystemExit(main())
