"""No stored value, key value or credential in any error's str, repr or traceback (item 19).

Every error class the library raises is raised here through the public API, with items
full of marked personal data (card number, SSN, email as a key, an AWS account id and
access key id in a server message). ``str()``, ``repr()`` and the formatted traceback
(causes included) must hold none of it; ``values_in_errors()`` shows values on request.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import botocore.exceptions as bce
import pytest

from dynamorm_async import (
    AccessDenied,
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
    ConditionFailed,
    Config,
    Credentials,
    DeadlineExceeded,
    DecodeError,
    DynamORMError,
    EncodeError,
    ItemNotFound,
    QueryPlanError,
    RequestTimeout,
    TableExists,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    TransactionConflict,
    TransportError,
    ValidationError,
    WriteDeadlineExceeded,
    WriteOutcomeUnknown,
    attr,
    pk,
    table,
    version,
)
from dynamorm_async._delivery import CURRENT_DELIVERY
from dynamorm_async.errors import from_client_error, values_in_errors
from dynamorm_async.testing import fake_db
from dynamorm_async.transport.aiobotocore import translate

CARD = "4111111111111111"
SSN = "078-05-1120"
EMAIL = "alice@pii.example"
ACCOUNT = "123456789012"
KEY_ID = "AKIAPIIEXAMPLE000000"
SECRET = "pii-secret-access-key"
MARKS = (CARD, SSN, EMAIL, ACCOUNT, KEY_ID, SECRET, "078051120")


@table("customers")
@attrs.define
class Customer:
    email: str = pk()
    card: str = attr(default="")
    ssn_digits: int = attr(default=0)
    notes: dict[str, str] = attrs.field(factory=dict)
    version: int = version()


def customer() -> Customer:
    return Customer(email=EMAIL, card=CARD, notes={EMAIL: SSN})


def stored() -> dict[str, Any]:
    return {
        "email": {"S": EMAIL},
        "card": {"S": CARD},
        "ssnDigits": {"S": SSN},  # does not fit the int field: a DecodeError
        "notes": {"M": {EMAIL: {"S": SSN}}},
        "version": {"N": "1"},
    }


def fitting() -> dict[str, Any]:
    """A stored item that fits the model (ConditionFailed and cancellations decode it)."""
    return {**stored(), "ssnDigits": {"N": SSN.replace("-", "")}}


def server_error(code: str, message: str, status: int = 400, **extra: Any) -> DynamORMError:
    """A DynamoDB error answer, translated as a transport does (with the ClientError cause)."""
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "r-1"},
        **extra,
    }
    client_error = bce.ClientError(response, "PutItem")  # type: ignore[arg-type]
    try:
        raise client_error
    except bce.ClientError as exc:
        error = translate(exc, "PutItem", "customers")
        error.__cause__ = exc
        return error


def answering(error: Callable[[], BaseException] | None = None, **responses: Any) -> Any:
    async def answer(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if operation in responses:
            return dict(responses[operation])
        if error is not None:
            raise error()
        return {}

    return answer


Scenario = Callable[[], Awaitable[object]]


async def _encode() -> object:
    db, _ = fake_db()
    bad = customer()
    bad.ssn_digits = CARD  # type: ignore[assignment]
    return await db.put(bad)


async def _decode() -> object:
    db, _ = fake_db(answering(GetItem={"Item": stored()}))
    return await db.get(Customer, {"email": EMAIL})


async def _not_found() -> object:
    db, _ = fake_db()
    return await db.get(Customer, {"email": EMAIL})


async def _batch_duplicate() -> object:
    db, _ = fake_db()
    return await db.batch_put([customer(), customer()], unconditional=True)


async def _transaction_duplicate() -> object:
    db, _ = fake_db()
    async with db.transaction() as tx:
        tx.put(customer())
        tx.delete(Customer, {"email": EMAIL})
    return None


async def _query_plan() -> object:
    db, _ = fake_db()
    return await db.model(Customer).filter("card", "=", CARD).all()


async def _wrong_key_type() -> object:
    db, _ = fake_db()
    return await db.get(Customer, {"email": int(CARD)})


async def _condition_failed() -> object:
    item = fitting()
    db, _ = fake_db(
        answering(lambda: server_error("ConditionalCheckFailedException", "failed", Item=item))
    )
    return await db.put(customer())


async def _outcome_unknown() -> object:
    item = fitting()

    def lost_then_failed() -> BaseException:
        # What a retrying transport records when the first answer was lost.
        delivery = CURRENT_DELIVERY.get()
        assert delivery is not None
        delivery.sending()
        delivery.sending()
        return server_error("ConditionalCheckFailedException", "failed", Item=item)

    db, _ = fake_db(answering(lost_then_failed))
    return await db.put(customer())


async def _write_deadline() -> object:
    db, _ = fake_db(delay=5.0)
    return await db.with_deadline(0.5).put(customer())


async def _transaction_canceled() -> object:
    reasons = [{"Code": "ConditionalCheckFailed", "Message": "failed", "Item": fitting()}]
    db, _ = fake_db(
        answering(
            lambda: server_error(
                "TransactionCanceledException", "cancelled", CancellationReasons=reasons
            )
        )
    )
    async with db.transaction() as tx:
        tx.put(customer())
    return None


def _server(code: str, status: int = 400) -> Scenario:
    message = f"User: arn:aws:iam::{ACCOUNT}:user/{KEY_ID} is not authorized on customers"

    async def run() -> object:
        db, _ = fake_db(answering(lambda: server_error(code, message, status)))
        return await db.put(customer())

    return run


async def _batch_write() -> object:
    db, _ = fake_db(answering(lambda: server_error("ResourceNotFoundException", "no table")))
    return await db.batch_put([customer()], unconditional=True)


async def _batch_deadline() -> object:
    db, _ = fake_db(delay=5.0)
    return await db.with_deadline(0.01).batch_put([customer()], unconditional=True)


async def _batch_get() -> object:
    unprocessed = {"customers": {"Keys": [{"email": {"S": EMAIL}}]}}
    db, _ = fake_db(
        answering(BatchGetItem={"Responses": {}, "UnprocessedKeys": unprocessed}),
        batch_max_attempts=1,
    )
    return await db.batch_get(Customer, [{"email": EMAIL}])


async def _deadline() -> object:
    db, _ = fake_db(delay=5.0)
    return await db.with_deadline(0.01).get(Customer, {"email": EMAIL})


async def _timeout() -> object:
    def timed_out() -> BaseException:
        cause = bce.ReadTimeoutError(endpoint_url=f"https://{ACCOUNT}.example/")
        error = translate(cause, "GetItem", "customers")
        error.__cause__ = cause
        return error

    db, _ = fake_db(answering(timed_out))
    return await db.get(Customer, {"email": EMAIL})


SCENARIOS: dict[type[DynamORMError], Scenario] = {
    EncodeError: _encode,
    DecodeError: _decode,
    ItemNotFound: _not_found,
    ValidationError: _batch_duplicate,
    QueryPlanError: _query_plan,
    ConditionFailed: _condition_failed,
    TransactionCanceled: _transaction_canceled,
    TransactionConflict: _server("TransactionConflictException"),
    Throttled: _server("ThrottlingException"),
    TableNotFound: _server("ResourceNotFoundException"),
    TableExists: _server("ResourceInUseException"),
    AccessDenied: _server("AccessDeniedException"),
    TransportError: _server("InternalServerError", 500),
    RequestTimeout: _timeout,
    DeadlineExceeded: _deadline,
    BatchWriteError: _batch_write,
    BatchDeadlineExceeded: _batch_deadline,
    BatchGetError: _batch_get,
    WriteOutcomeUnknown: _outcome_unknown,
    WriteDeadlineExceeded: _write_deadline,
}
EXTRA: dict[str, tuple[type[DynamORMError], Scenario]] = {
    "transaction duplicate": (ValidationError, _transaction_duplicate),
    "key of the wrong type": (ValidationError, _wrong_key_type),
}


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error))]


def _leaks(error: BaseException) -> list[str]:
    return [mark for text in _texts(error) for mark in MARKS if mark in text]


CASES = {cls.__name__: (cls, run) for cls, run in SCENARIOS.items()} | EXTRA


@pytest.mark.parametrize("name", list(CASES))
async def test_no_error_shows_personal_data(name: str) -> None:
    cls, run = CASES[name]
    with pytest.raises(cls) as caught:
        await run()
    assert _leaks(caught.value) == []


def test_every_error_class_is_covered() -> None:
    import dynamorm_async.errors as errors

    raised_at_runtime = {
        getattr(errors, name)
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), DynamORMError)
    }
    # Declaration and configuration errors carry no data: a class, a setting; the partner
    # errors (issue 10) name a partner id, which is configuration, not item data. PoolTimeout
    # names an operation and a table; the stream errors a table and a sequence number; the
    # idempotency errors a function name and a SHA-256 digest of the key, never the key.
    assert raised_at_runtime - set(SCENARIOS) == {
        errors.PoolTimeout,
        errors.UnroutableRecord,
        errors.StreamImageMissing,
        errors.IdempotencyError,
        errors.IdempotencyInProgress,
        errors.IdempotencyKeyMismatch,
        errors.DynamORMError,
        errors.SchemaError,
        errors.ConfigError,
        errors.UnknownPartner,
        errors.InvalidPartnerId,
        errors.MissingPartner,
        errors.AssumeRoleFailed,
    }


async def test_the_data_stays_available_on_the_error_itself() -> None:
    with pytest.raises(ConditionFailed) as caught:
        await _condition_failed()
    assert caught.value.item is not None
    assert CARD in str(caught.value.item)  # kept for the caller: only str(error) hides it
    with pytest.raises(TransactionCanceled) as canceled:
        await _transaction_canceled()
    assert canceled.value.reasons[0].item.card == CARD  # type: ignore[union-attr]


async def test_values_in_errors_shows_them_while_debugging() -> None:
    with values_in_errors(), pytest.raises(EncodeError) as caught:
        await _encode()
    assert CARD in str(caught.value)
    with values_in_errors(), pytest.raises(ItemNotFound) as missing:
        await _not_found()
    assert EMAIL in str(missing.value)
    with pytest.raises(ItemNotFound) as masked:
        await _not_found()
    assert "<str of 17 chars>" in str(masked.value)


def test_config_repr_hides_credentials() -> None:
    config = Config(credentials=Credentials(access_key_id=KEY_ID, secret_access_key=SECRET))
    for text in (repr(config), str(config), repr(config.credentials)):
        assert KEY_ID not in text and SECRET not in text


def test_server_messages_lose_account_ids() -> None:
    error = from_client_error(
        {"Error": {"Code": "AccessDeniedException", "Message": f"arn:aws:iam::{ACCOUNT}:x"}},
        operation="PutItem",
        table="t",
    )
    assert ACCOUNT not in str(error) and "<account>" in str(error)
