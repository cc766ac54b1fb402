"""EMF metrics: what is recorded per request, and the documents a flush writes."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from dynamorm_async import DB, Config, Throttled
from dynamorm_async.aws_lambda import environment as env
from dynamorm_async.metrics import MAX_VALUES_PER_METRIC, Metrics, emf_documents
from dynamorm_async.testing import Answer, ScriptedTransport, fake_db
from tests.emf import check_emf
from tests.models import Payment


def fake_db_printing(
    answer: Answer | None = None, **config: Any
) -> tuple[DB, ScriptedTransport, list[dict[str, Any]]]:
    """A DB on a scripted transport, and the metric documents its flushes print."""
    db, transport = fake_db(answer, **config)
    printed: list[dict[str, Any]] = []
    db.metrics.emit = lambda line: printed.append(json.loads(line))
    return db, transport, printed


async def capacity(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    table = params.get("TableName", "")
    if operation == "GetItem":
        return {"ConsumedCapacity": {"TableName": table, "CapacityUnits": 0.5}}
    if operation == "PutItem":
        return {"ConsumedCapacity": {"TableName": table, "CapacityUnits": 1.0}}
    if operation == "BatchWriteItem":
        return {
            "ConsumedCapacity": [
                {"TableName": "a", "CapacityUnits": 3.0},
                {"TableName": "b", "CapacityUnits": 2.0},
            ],
            "UnprocessedItems": {"a": [{"PutRequest": {}}] * 4},
        }
    if operation == "BatchGetItem":
        return {"UnprocessedKeys": {"b": {"Keys": [{}, {}]}}}
    if operation == "TransactWriteItems":
        return {
            "ConsumedCapacity": [
                {"TableName": "a", "CapacityUnits": 4, "WriteCapacityUnits": 4},
            ]
        }
    return {"ResponseMetadata": {"RetryAttempts": 2}}


def by_operation(documents: list[dict[str, Any]]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(d["Operation"], d.get("Table")): d for d in documents if "Operation" in d}


async def test_requests_ask_for_capacity_only_when_metrics_are_on() -> None:
    off, off_transport, _ = fake_db_printing(capacity)
    await off.find(Payment, {"id": "p"})
    assert "ReturnConsumedCapacity" not in off_transport.requests[0][1]
    assert await off.metrics.flush() == []

    on, on_transport, _ = fake_db_printing(capacity, metrics=True)
    await on.find(Payment, {"id": "p"})
    await on.engine.call("DescribeTable", {"TableName": "x"})
    assert on_transport.requests[0][1]["ReturnConsumedCapacity"] == "TOTAL"
    assert "ReturnConsumedCapacity" not in on_transport.requests[1][1]


async def test_capacity_unprocessed_and_retries_per_operation_and_table() -> None:
    db, _, printed = fake_db_printing(capacity, metrics=True, metrics_service="payments")
    await db.find(Payment, {"id": "p"})
    await db.find(Payment, {"id": "q"})
    await db.put(Payment(id="p", amount=Decimal(1), customer_id="c"))
    await db.engine.call("BatchWriteItem", {"RequestItems": {"a": [], "b": []}})
    await db.engine.call("BatchGetItem", {"RequestItems": {"b": {}}})
    await db.engine.call(
        "TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "a", "Item": {}}}]}
    )
    await db.engine.call("ListTables", {})
    documents = await db.metrics.flush()
    assert documents == printed
    for document in documents:
        check_emf(document)
        assert document["service"] == "payments"
    found = by_operation(documents)
    table = db.table_name(Payment)
    get = found["GetItem", table]
    assert (get["ConsumedReadCapacity"], get["ConsumedWriteCapacity"]) == (1.0, 0)
    assert len(get["Latency"]) == 2
    assert found["PutItem", table]["ConsumedWriteCapacity"] == 1.0
    assert found["BatchWriteItem", "a,b"]["Latency"] >= 0  # the call, under its tables
    assert found["BatchWriteItem", "a"]["ConsumedWriteCapacity"] == 3.0
    assert found["BatchWriteItem", "a"]["UnprocessedItems"] == 4
    assert found["BatchWriteItem", "b"]["ConsumedWriteCapacity"] == 2.0
    assert found["BatchGetItem", "b"]["UnprocessedItems"] == 2
    assert found["TransactWriteItems", "a"]["ConsumedWriteCapacity"] == 4
    listing = found["ListTables", None]
    assert listing["Retries"] == 2  # from the response metadata of a transport without hook
    assert listing["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "Operation"]]
    assert await db.metrics.flush() == []  # a flush forgets what it wrote


async def test_errors_and_throttles_are_counted() -> None:
    async def throttled(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        raise Throttled("slow down", operation=operation)

    db, _, _ = fake_db_printing(throttled, metrics=True)
    with pytest.raises(Throttled):
        await db.find(Payment, {"id": "p"})
    [document] = await db.metrics.flush()
    check_emf(document)
    assert (document["Errors"], document["Throttles"], document["Retries"]) == (1, 1, 0)
    assert document["Latency"] >= 0  # one value, written as a number


async def test_a_busy_pair_is_written_every_100_requests() -> None:
    db, _, printed = fake_db_printing(metrics=True)
    for n in range(250):
        await db.find(Payment, {"id": f"p{n}"})
    assert [len(d["Latency"]) for d in printed] == [100, 100]  # written without a flush
    [rest] = await db.metrics.flush()
    assert len(rest["Latency"]) == 50
    for document in [*printed, rest]:
        check_emf(document)


async def test_custom_metrics_go_with_the_service_dimension() -> None:
    metrics = Metrics(namespace="Payments", service="api", emit=lambda line: None)
    metrics.add("PaymentsCaptured", 2)
    metrics.add("PaymentsCaptured", 3)
    metrics.add("Amount", 12.5, unit="None")
    with pytest.raises(ValueError, match="unit"):
        metrics.add("PaymentsCaptured", 1, unit="Seconds")
    [document] = await metrics.flush()
    check_emf(document)
    assert document["PaymentsCaptured"] == [2, 3]
    assert document["Amount"] == 12.5
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    with pytest.raises(ValueError, match="unknown unit"):
        metrics.add("Other", 1, unit="Parsecs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="number"):
        metrics.add("Other", float("nan"))


def test_documents_split_at_100_metrics_and_100_values() -> None:
    metrics = {f"M{n}": ("Count", [float(v) for v in range(150)]) for n in range(150)}
    documents = emf_documents("NS", {"Operation": "Query"}, metrics, timestamp=0)
    assert len(documents) == 4  # (100 + 50 metrics) x (100 + 50 values)
    seen: dict[str, list[float]] = {}
    for document in documents:
        document["_aws"]["Timestamp"] = int(time.time() * 1000)
        check_emf(document)
        assert len(document["_aws"]["CloudWatchMetrics"][0]["Metrics"]) <= 100
        for name in metrics:
            if name in document:
                value = document[name]
                seen.setdefault(name, []).extend(value if isinstance(value, list) else [value])
    assert seen == {name: values for name, (_, values) in metrics.items()}


async def test_custom_metric_values_are_written_every_100() -> None:
    printed: list[dict[str, Any]] = []
    metrics = Metrics(emit=lambda line: printed.append(json.loads(line)))
    for n in range(MAX_VALUES_PER_METRIC + 1):
        metrics.add("Items", n)
    assert len(printed) == 1 and len(printed[0]["Items"]) == MAX_VALUES_PER_METRIC
    [rest] = await metrics.flush()
    assert rest["Items"] == MAX_VALUES_PER_METRIC


def test_namespace_and_service_come_from_powertools_variables() -> None:
    config = Config.from_environment(
        {env.METRICS: "1", env.METRICS_NAMESPACE: "ServerlessShop", env.SERVICE_NAME: "orders"}
    )
    metrics = DB(config).metrics
    assert (metrics.enabled, metrics.namespace, metrics.service) == (
        True,
        "ServerlessShop",
        "orders",
    )


async def test_disabled_metrics_record_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics(enabled=False)
    metrics.add("Anything", 1)
    assert await metrics.flush() == []
    assert capsys.readouterr().out == ""


async def test_default_output_is_one_line_per_document(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics()
    metrics.add("A", 1)
    await metrics.flush()
    [line] = capsys.readouterr().out.splitlines()
    check_emf(json.loads(line))
