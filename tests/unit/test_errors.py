from __future__ import annotations

from typing import Any

import pytest

from dynamorm_async import errors


def response(code: str, status: int = 400, **extra: Any) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": f"msg {code}"},
        "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": status},
        **extra,
    }


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("ConditionalCheckFailedException", errors.ConditionFailed),
        ("TransactionCanceledException", errors.TransactionCanceled),
        ("TransactionConflictException", errors.TransactionConflict),
        ("ProvisionedThroughputExceededException", errors.Throttled),
        ("ThrottlingException", errors.Throttled),
        ("RequestLimitExceeded", errors.Throttled),
        ("ValidationException", errors.ValidationError),
        ("ResourceNotFoundException", errors.TableNotFound),
        ("ResourceInUseException", errors.TableExists),
        ("AccessDeniedException", errors.AccessDenied),
        ("UnrecognizedClientException", errors.AccessDenied),
        ("ExpiredTokenException", errors.AccessDenied),
        ("InternalServerError", errors.TransportError),
        ("com.amazonaws.dynamodb.v20120810#ValidationException", errors.ValidationError),
    ],
)
def test_codes_map_to_causes(code: str, cls: type[errors.DynamORMError]) -> None:
    err = errors.from_client_error(response(code), operation="PutItem", table="t")
    assert type(err) is cls
    assert (err.operation, err.table, err.request_id) == ("PutItem", "t", "req-1")
    assert err.code == code.rsplit("#", 1)[-1]
    assert "req-1" in str(err) and "PutItem" in str(err)


def test_unknown_codes() -> None:
    assert type(errors.from_client_error(response("Weird"), operation="X", table=None)) is (
        errors.DynamORMError
    )
    server = errors.from_client_error(response("Weird", 503), operation="X", table=None)
    assert isinstance(server, errors.TransportError)


def test_condition_failed_carries_item() -> None:
    err = errors.from_client_error(
        response("ConditionalCheckFailedException", Item={"id": {"S": "1"}}),
        operation="PutItem",
        table="t",
    )
    assert isinstance(err, errors.ConditionFailed)
    assert err.item == {"id": {"S": "1"}}


def test_cancellation_reasons_skip_none() -> None:
    reasons = [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "nope", "Item": {"id": {"S": "2"}}},
        {"Code": "None"},
    ]
    err = errors.from_client_error(
        response("TransactionCanceledException", CancellationReasons=reasons),
        operation="TransactWriteItems",
        table=None,
    )
    assert isinstance(err, errors.TransactionCanceled)
    assert [(r.index, r.code) for r in err.reasons] == [(1, "ConditionalCheckFailed")]
    assert err.failed_index == 1


def test_deadline_is_a_timeout() -> None:
    assert issubclass(errors.DeadlineExceeded, TimeoutError)
    assert issubclass(errors.DeadlineExceeded, errors.DynamORMError)
