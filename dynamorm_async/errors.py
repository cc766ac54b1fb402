"""The dynamorm_async error hierarchy.

Errors are named after their cause, not the operation that met it; the operation, the
physical table name and the DynamoDB request id are attributes::

    DynamORMError
    ├── ConfigError (also ValueError)      a Config value or environment variable is invalid
    ├── SchemaError (also TypeError)       a declaration is wrong (a model, a handler)
    ├── ValidationError (also ValueError)  a request we (before sending) or DynamoDB reject
    │   ├── EncodeError                    a Python value cannot be stored
    │   └── QueryPlanError                 no access path serves a query without a scan
    ├── DecodeError                        a stored item does not fit the model
    ├── ItemNotFound                       get()/first() found nothing
    ├── ConditionFailed                    a condition expression was false
    ├── WriteOutcomeUnknown                a write may or may not have been applied
    │   └── WriteDeadlineExceeded (also DeadlineExceeded)  ... because its deadline came
    ├── TransactionCanceled                a transaction was cancelled (per-action reasons)
    ├── TransactionConflict                a concurrent transaction touched the same item
    ├── BatchWriteError                    a batch write left items unwritten (which, how many)
    │   └── BatchDeadlineExceeded (also DeadlineExceeded)  ... because its deadline came
    ├── BatchGetError                      a batch read left keys unread after its retries
    ├── Throttled                          throughput exceeded / request limit / throttling
    ├── TableNotFound                      the table (or index) does not exist
    ├── TableExists                        create_table on a table that exists
    ├── AccessDenied                       credentials missing, invalid or not allowed
    ├── TransportError                     the request did not get an answer (network, 5xx)
    │   └── RequestTimeout (also TimeoutError)  ... because connecting or reading timed out
    ├── PoolTimeout (also TimeoutError)    no connection came free within Config.pool_timeout
    ├── DeadlineExceeded (also TimeoutError)  the operation ran out of time
    ├── UnroutableRecord                   a stream record's table has no model
    ├── StreamImageMissing                 a stream record lacks the image asked for
    ├── IdempotencyError                   an idempotent call cannot run now
    │   ├── IdempotencyInProgress          another invocation is running the same key
    │   └── IdempotencyKeyMismatch         the key was used with a different payload
    ├── UnknownPartner                     no partner account is configured under that id
    │   └── InvalidPartnerId (also ValidationError)  ... because the id is malformed
    ├── MissingPartner                     an event names no partner
    └── AssumeRoleFailed                   STS did not give a partner's role credentials

**One rule for mistakes.** A mistake in a *call* (an unknown field name, a value that does
not fit its field, a bad operator, key or cursor) is a :class:`ValidationError`, which is a
``ValueError``. A mistake in a *declaration* (a model without a partition key, an index on
an unknown field, an unsupported annotation, ``@lambda_handler`` on a plain ``def``) is a
:class:`SchemaError`, which is a ``TypeError``, raised when the class or function is
declared or first registered.

A botocore ``ClientError`` is translated by :func:`from_client_error`, the one place that
knows DynamoDB's error codes; it never reaches the user untranslated.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "AccessDenied",
    "AssumeRoleFailed",
    "BatchDeadlineExceeded",
    "BatchGetError",
    "BatchWriteError",
    "CancellationReason",
    "ConditionFailed",
    "ConfigError",
    "DeadlineExceeded",
    "DecodeError",
    "DynamORMError",
    "EncodeError",
    "IdempotencyError",
    "IdempotencyInProgress",
    "IdempotencyKeyMismatch",
    "InvalidPartnerId",
    "ItemNotFound",
    "MissingPartner",
    "PoolTimeout",
    "QueryPlanError",
    "RequestTimeout",
    "SchemaError",
    "StreamImageMissing",
    "TableExists",
    "TableNotFound",
    "Throttled",
    "TransactionCanceled",
    "TransactionConflict",
    "TransportError",
    "UnknownEntity",
    "UnknownPartner",
    "UnroutableRecord",
    "ValidationError",
    "WriteDeadlineExceeded",
    "WriteOutcomeUnknown",
    "from_client_error",
    "masked",
    "masked_key",
    "scrub",
    "shown",
    "transport_failure",
    "values_in_errors",
]

# -- what messages may show -------------------------------------------------------------------

_SHOW_VALUES: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "dynamorm_async_values_in_errors", default=False
)
_SHOWN_LENGTH = 80


@contextlib.contextmanager
def values_in_errors(show: bool = True) -> Iterator[None]:
    """A debugging aid: inside the block, error messages also show the values they are about.

    By default no message, ``str()`` or ``repr()`` of a dynamorm_async error holds a stored
    value, a key value or a credential: messages name the model, the field, the type and
    the position (``Payment.amount``, ``history[3]``), because services log their
    exceptions and card numbers or emails in logs are a compliance finding. While
    debugging, ``with values_in_errors():`` adds each offending value (shortened) to the
    messages of errors raised inside the block, in this task only. Never leave it on in
    production. Credentials are never shown.
    """
    token = _SHOW_VALUES.set(show)
    try:
        yield
    finally:
        _SHOW_VALUES.reset(token)


def shown(value: Any) -> str:
    """``" <repr of value>"`` inside :func:`values_in_errors`, else ``""``.

    Append it to a message where the value would help; never inline a value otherwise.
    """
    if not _SHOW_VALUES.get():
        return ""
    text = repr(value)
    if len(text) > _SHOWN_LENGTH:
        text = text[: _SHOWN_LENGTH - 3] + "..."
    return f" {text}"


def masked(value: Any) -> str:
    """A key value as messages print it: its type and size (``<str of 17 chars>``).

    Inside :func:`values_in_errors`, the value itself.
    """
    if _SHOW_VALUES.get():
        return shown(value).lstrip()
    if isinstance(value, Mapping) and len(value) == 1:  # an AttributeValue
        ((kind, inner),) = value.items()
        return f"<{kind} {_size_of(inner)}>"
    return f"<{type(value).__name__} {_size_of(value)}>"


def masked_key(key: Mapping[str, Any]) -> str:
    """A key (field or stored names to values) as messages print it: ``{id=<str of 17 chars>}``."""
    return "{" + ", ".join(f"{name}={masked(value)}" for name, value in key.items()) + "}"


# An AWS account id (12 digits, in ARNs and messages) and an access key id (AKIA.../ASIA...).
_ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b")


def scrub(text: str) -> str:
    """``text`` (a server's or HTTP library's message) without account ids or access key ids.

    DynamoDB's AccessDenied messages name the caller's ARN, which holds the account id.
    """
    text = _ACCOUNT_ID.sub("<account>", text)
    return _ACCESS_KEY_ID.sub("<access key>", text)


def _size_of(value: Any) -> str:
    if isinstance(value, str):
        return f"of {len(value)} chars"
    if isinstance(value, bytes | bytearray):
        return f"of {len(value)} bytes"
    return "value"


class DynamORMError(Exception):
    """Base of every error dynamorm_async raises.

    Catch it to handle every error of the library at once (its subclasses are named
    after the cause). Log ``operation``, ``table`` and ``request_id``: AWS support asks for
    the request id.

    Attributes:
        operation: The DynamoDB operation (``"PutItem"``...) or ORM call that failed, if any.
        table: The physical table name involved, if any.
        request_id: DynamoDB's request id, when the error came from a response.
        code: DynamoDB's error code (``"ValidationException"``...), when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        table: str | None = None,
        request_id: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.table = table
        self.request_id = request_id
        self.code = code

    def __str__(self) -> str:
        context = [
            f"{label}={value}"
            for label, value in (
                ("operation", self.operation),
                ("table", self.table),
                ("request_id", self.request_id),
            )
            if value
        ]
        return f"{self.message} ({', '.join(context)})" if context else self.message


class ConfigError(DynamORMError, ValueError):
    """A configuration value (or the environment variable it came from) is invalid.

    Raised when a :class:`~dynamorm_async.Config` or :class:`~dynamorm_async.Credentials` is
    made, or by ``Config.from_environment()``.

    What to do: fix the value the message names (the field, or the variable it came from).
    """


class SchemaError(DynamORMError, TypeError):
    """A declaration is invalid (a model, a handler); never raised for a call's arguments.

    Raised when the class is decorated or registered, or the handler decorated.

    What to do: fix the declaration the message names (a model without ``pk()``, an index on
    an unknown field, an unsupported annotation, ``@lambda_handler`` on a plain ``def``...).
    It is a ``TypeError``: a programming mistake, not something to catch at run time.
    """


class ValidationError(DynamORMError, ValueError):
    """A mistake in a call: a request we reject before sending it, or DynamoDB rejects.

    Unknown field names, values that do not fit, bad operators, keys, limits or cursors are
    refused before anything is sent; DynamoDB's ``ValidationException`` (``code``) arrives
    as this too. It is a ``ValueError``.

    What to do: fix the call; the message names the field or argument. Input that came from
    your own callers (a cursor, a key) is theirs to fix: answer with a 4xx.
    """


class EncodeError(ValidationError):
    """A Python value cannot be turned into a DynamoDB AttributeValue.

    Raised on a write, or when a query's value is encoded, before anything is sent.

    What to do: pass a value of the field's annotated type (``path`` says which one). For
    floats in a ``Decimal`` field, convert them yourself or declare ``attr(floats="str")``.

    Attributes:
        path: Where in the item the value sits, e.g. ``"meta.tags[2]"``.
        model: The model class's name, when the value belongs to one.
    """

    def __init__(
        self, message: str, *, path: str = "", model: str | None = None, **context: Any
    ) -> None:
        super().__init__(_located(message, path, model), **context)
        self.path = path
        self.model = model


class DecodeError(DynamORMError):
    """A stored item cannot be turned into the model.

    Raised when an item is read: another writer stored a type the model's annotation does
    not accept, or a required attribute is missing.

    What to do: make the model accept what is stored (a default, an optional or wider
    annotation) or fix the stored items; ``path`` says where the value sits.

    Attributes:
        path: Where in the item the bad value sits.
        model: The model class's name, when the item was read as one.
    """

    def __init__(
        self, message: str, *, path: str = "", model: str | None = None, **context: Any
    ) -> None:
        super().__init__(_located(message, path, model), **context)
        self.path = path
        self.model = model


def _located(message: str, path: str, model: str | None) -> str:
    """``Model.path: message`` (the parts that are known)."""
    where = ".".join(part for part in (model, path) if part)
    if model and path.startswith("["):
        where = model + path
    return f"{where}: {message}" if where else message


class UnknownEntity(DecodeError):
    """An item's discriminator names no model the read expects (single-table design).

    Raised instead of decoding the item as the wrong model: a ``db.model(Order)`` read
    meeting a payment, or a collection meeting an entity it was not given.

    What to do: read the partition with ``db.collection(...)`` naming every model stored
    there, or pass ``skip_unknown=True`` to leave other entities out.

    Attributes:
        attribute: The discriminator attribute's stored name.
        expected: The entity names the read accepts.
    """

    def __init__(
        self,
        message: str,
        *,
        attribute: str,
        expected: tuple[str, ...],
        path: str = "",
        model: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, path=path, model=model, **context)
        self.attribute = attribute
        self.expected = expected


class QueryPlanError(ValidationError):
    """No key condition or index serves the query and a scan was not asked for.

    Raised by the query's terminal methods (and ``explain()``) before any request.

    What to do: test a key with ``where`` (the message names the indexes that could serve
    the query), declare an index for the access pattern, or read everything on purpose with
    ``.scan()`` or ``.allow_scan()``.
    """


class ItemNotFound(DynamORMError):
    """The item (or, for ``first()``, any item) does not exist.

    Raised by ``db.get(...)`` and ``Query.first()``.

    What to do: use ``db.find(...)``, which returns ``None`` instead, when absence is
    expected; in an API, answer 404.
    """


class ConditionFailed(DynamORMError):
    """A condition expression evaluated to false; nothing was written.

    Raised by ``create`` (the item exists), by versioned ``put``/``update``/``delete`` (the
    stored version differs: another writer was first) and by any write's ``condition=``.

    What to do: for a version conflict, read the item again, re-apply the change and write
    again; for ``create``, the item exists already (``put`` overwrites). The stored item is
    in ``item`` when DynamoDB returned it.

    Attributes:
        item: The item as stored, decoded to a dict of AttributeValues, when DynamoDB
            returned it (``ReturnValuesOnConditionCheckFailure=ALL_OLD``), else ``None``.
    """

    def __init__(
        self, message: str, *, item: Mapping[str, Any] | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.item = item


class CancellationReason:
    """Why one action of a cancelled transaction failed.

    Attributes:
        index: The action's position in the transaction (0-based).
        code: DynamoDB's reason code, e.g. ``"ConditionalCheckFailed"``.
        message: DynamoDB's message, if any.
        item: The stored item (AttributeValue dict) when DynamoDB returned it.
    """

    __slots__ = ("code", "index", "item", "message")

    def __init__(
        self, index: int, code: str, message: str | None, item: Mapping[str, Any] | None
    ) -> None:
        self.index = index
        self.code = code
        self.message = message
        self.item = item

    def __repr__(self) -> str:
        return (
            f"CancellationReason(index={self.index}, code={self.code!r}, message={self.message!r})"
        )


class TransactionCanceled(DynamORMError):
    """A transaction was cancelled; nothing in it was applied.

    What to do: look at ``reasons`` (``failed_index`` is the first failed action):
    ``ConditionalCheckFailed`` is a condition or version check, to handle like
    :class:`ConditionFailed`; ``ValidationError`` means an action was invalid.

    Attributes:
        reasons: One :class:`CancellationReason` per action that failed (DynamoDB's
            ``None`` placeholders for the others are skipped).
    """

    def __init__(
        self, message: str, *, reasons: list[CancellationReason] | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.reasons = reasons or []

    @property
    def failed_index(self) -> int | None:
        """The index of the first action that failed, or ``None`` if DynamoDB named none."""
        return self.reasons[0].index if self.reasons else None


class TransactionConflict(DynamORMError):
    """Another transaction was working on the same item at the same time.

    The ORM retries the commit with the same token (``Config.transaction_max_attempts``);
    this is raised when conflicts outlasted those attempts.

    What to do: retry later, or make fewer writers touch the same items at once.
    """


class Throttled(DynamORMError):
    """DynamoDB refused the request for throughput or rate reasons (after retries).

    Raised after botocore's retries (``Config.max_retries``) and, for batches and
    transactions, the ORM's own.

    What to do: retry later (the request had no effect); if it keeps happening, raise the
    table's capacity or use on-demand billing, lower ``batch_concurrency``, or spread the
    writes over more partition keys.
    """


class TableNotFound(DynamORMError):
    """The table or index does not exist (or is not active yet).

    What to do: create the table (``db.ensure_table(Model)`` or your deployment template);
    check ``Config.table_prefix``, the region and the account. A table just created is
    usable once ACTIVE (``create_table`` waits for it).
    """


class TableExists(DynamORMError):
    """The table being created exists already, or is being changed.

    Raised by ``db.create_table`` (DynamoDB's ``ResourceInUseException``).

    What to do: use ``db.ensure_table(Model)``, which creates the table only when it is
    missing; if the table is being changed, wait until it is ACTIVE again.
    """


class AccessDenied(DynamORMError):
    """The credentials are missing, invalid, expired or not allowed to do this.

    What to do: give the process credentials (``Config(credentials=...)``, a session or a
    profile: see the credentials guide), or the IAM permission the message names; for a
    local server use ``dynamorm_async.testing.local.local_config``, which carries dummy
    credentials.
    """


class TransportError(DynamORMError):
    """No usable answer came back: connection failure, read timeout or a server error.

    Raised after botocore's retries. A write whose answer was lost may have been applied.

    What to do: check ``Config.endpoint_url`` and the network; retrying a read, a
    ``put`` of the same item or a transaction commit (same token) is safe, a conditional
    write may then fail its condition because the first attempt was applied.
    """


class PoolTimeout(DynamORMError, TimeoutError):
    """Every connection of the pool stayed busy for ``Config.pool_timeout`` seconds.

    The request was never sent. Requests wait for a connection first come, first served;
    waiting this long means more requests are in flight than the pool serves (see the
    concurrency documentation: ``max_pool_connections``, ``batch_concurrency``).

    What to do: raise ``Config.max_pool_connections``, or lower ``batch_concurrency`` and
    the number of operations you start at once.
    """


class RequestTimeout(TransportError, TimeoutError):
    """Connecting to DynamoDB or reading its answer took longer than the configured timeout.

    ``Config.connect_timeout`` and ``Config.timeout`` bound each attempt; botocore retries a
    timed-out attempt, and this is raised when the last one timed out too. Like
    :class:`DeadlineExceeded` it is a :class:`TimeoutError`, so ``except TimeoutError``
    catches every way an operation can run out of time.

    What to do: raise ``Config.timeout`` or ``Config.connect_timeout`` if DynamoDB is slow
    to answer (large pages), or check the endpoint and network; as for
    :class:`TransportError`, a write may have been applied.
    """


class DeadlineExceeded(DynamORMError, TimeoutError):
    """The operation did not finish before its deadline; in-flight requests were cancelled.

    The deadline is a Lambda's remaining time, ``with_deadline`` or a table wait's timeout.

    What to do: give the operation more time (a longer Lambda timeout, a later
    ``with_deadline``) or less work (smaller pages, fewer items per call). Writes that were
    in flight may have been applied.
    """


class WriteOutcomeUnknown(DynamORMError):
    """A single-item write may have been applied, or not: nobody can tell from here.

    Raised instead of :class:`ConditionFailed` when an earlier attempt of the write may
    have been applied (its answer was lost: a reset connection, a read timeout, a 5xx),
    the retry failed its condition, and the stored item is not the one this call wrote
    (another writer may have changed it since, or it could not be read).

    What to do: reload the item and decide from what is stored (``item`` has it when it is
    known); never re-apply a change blindly.

    Attributes:
        item: The stored item as the model when it is known (``None`` when the item does
            not exist or could not be read). Never printed by ``str``/``repr``.
    """

    def __init__(self, message: str, *, item: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.item = item


class WriteDeadlineExceeded(WriteOutcomeUnknown, DeadlineExceeded):
    """The deadline cut a single-item write after its request was sent.

    It is a :class:`DeadlineExceeded` (deadline handling catches it) and a
    :class:`WriteOutcomeUnknown`: the request may have been applied before it was cut. A
    write the deadline stopped before sending raises a plain :class:`DeadlineExceeded`.

    What to do: as for :class:`WriteOutcomeUnknown`, reload the item when there is time
    again (the next invocation) and decide from what is stored.
    """


class UnknownPartner(DynamORMError):
    """No partner account is configured under this id (see :mod:`dynamorm_async.partners`).

    What to do: add the partner's account (``MultiAccountDB.add`` or the
    ``DYNAMORM_PARTNERS`` variable), or answer the request as for an unknown tenant (404 or
    403).

    Attributes:
        partner: The id asked for (only a well-formed id is ever kept here).
    """

    def __init__(self, message: str, *, partner: str | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.partner = partner


class InvalidPartnerId(UnknownPartner, ValidationError):
    """A partner id is not 1-64 letters, digits, ``_`` or ``-``.

    Raised before the id reaches a table name, an STS session name or a log line; the
    message gives its length, never the text (which came from a request).

    What to do: the id came from a request: answer 400.
    """


class MissingPartner(DynamORMError):
    """An event carries no partner id where the event's reader looked for one.

    See :func:`~dynamorm_async.aws_lambda.partner_id_from_event`.

    What to do: the caller sent no partner id (no claim, header or authorizer value):
    answer 401 or 400, or tell the reader where the id is.
    """


class AssumeRoleFailed(DynamORMError):
    """STS did not give credentials for a partner's role (on first use or on a refresh).

    Nothing is cached after a failure: the next request for the partner asks STS again.
    The message names the partner and STS's error code, with account ids masked; it never
    holds credentials or the ExternalId. A refusal is not chained to botocore's
    ``ClientError``, whose text names accounts unmasked: its code, request id and (masked)
    message are here; a failure to reach STS is chained to its cause.

    What to do: check the partner's role ARN, its trust policy (your account and the
    ExternalId) and your own ``sts:AssumeRole`` permission; a later request tries again.

    Attributes:
        partner: The partner id.
    """

    def __init__(self, message: str, *, partner: str, **context: Any) -> None:
        super().__init__(message, **context)
        self.partner = partner


class BatchWriteError(DynamORMError):
    """A batch write ended with items DynamoDB did not confirm as written.

    Every item is in exactly one of three groups: confirmed written (:attr:`written` counts
    them), :attr:`unprocessed` (known not written by this call: DynamoDB left it in
    ``UnprocessedItems``, refused its request, or it was never sent) and :attr:`unknown`
    (its request may have been applied but no answer says so: the answer was lost, or the
    deadline cut the request in flight). Writing either group again is safe, because batch
    puts and deletes are idempotent. The error is chained ``from`` the failure that stopped
    the batch, if there was one.

    What to do: write ``unprocessed`` again later (a queue, a retry): it is safe; or pass
    ``raise_on_unprocessed=False`` to get them in the result instead.

    Attributes:
        unprocessed: What was not written, as the caller passed it (model instances, or
            ``(Model, key)`` pairs for deletes by key), puts first.
        unknown: What may or may not have been written, in the same form, puts first.
        written: How many puts and deletes were confirmed.
        result: The :class:`~dynamorm_async.batch.BatchResult` with the counts so far.
    """

    def __init__(
        self,
        message: str,
        *,
        unprocessed: list[Any],
        written: int,
        unknown: list[Any] | None = None,
        result: Any = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.unprocessed = unprocessed
        self.unknown = unknown or []
        self.written = written
        self.result = result


class BatchDeadlineExceeded(BatchWriteError, DeadlineExceeded):
    """A batch write ran out of time: the chunks in flight were cancelled.

    It is a :class:`DeadlineExceeded` (so deadline handling catches it) and a
    :class:`BatchWriteError` telling what was written and what was not.

    What to do: as for :class:`BatchWriteError`, resend ``unprocessed`` with more time, or
    write fewer items per call.
    """


class BatchGetError(DynamORMError):
    """A batch read still had unprocessed keys after its retries.

    What to do: read ``unprocessed`` again later (throttling is the usual cause), or pass
    ``raise_on_unprocessed=False`` to get them in the result.

    Attributes:
        unprocessed: The keys not read, as the caller passed them.
        result: The :class:`~dynamorm_async.batch.BatchGetResult` of the keys that were read.
    """

    def __init__(
        self, message: str, *, unprocessed: list[Any], result: Any = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.unprocessed = unprocessed
        self.result = result


class UnroutableRecord(DynamORMError):
    """A stream record comes from a table that none of the given models is stored in.

    ``table`` is the physical table name from the record's event source ARN.

    What to do: pass the model of that table to ``decode_stream``/``process_stream``, or
    leave that table's stream out of the function's event sources.
    """


class StreamImageMissing(DynamORMError):
    """A stream record does not carry the image asked for (see its ``view_type``).

    What to do: set the table's stream view type to one that carries the image
    (``NEW_AND_OLD_IMAGES`` carries both), or read the image the stream has.
    """


class IdempotencyError(DynamORMError):
    """An idempotent call cannot run or replay now (see :mod:`dynamorm_async.idempotency`).

    What to do: catch its two subclasses separately: one means "try again later", the
    other "the client made a mistake".

    Attributes:
        key: The idempotency record's key (function name and hash of the key value).
    """

    def __init__(self, message: str, *, key: str, **context: Any) -> None:
        super().__init__(message, **context)
        self.key = key


class IdempotencyInProgress(IdempotencyError):
    """Another invocation holds the key and has neither finished nor run out of time.

    What to do: tell the caller to retry later (HTTP 409 or 429), after ``holder_deadline``.

    Attributes:
        holder_deadline: When the holder's invocation ends (epoch milliseconds), after which
            a new call takes the key over; ``None`` when the holder gave none (the key is
            then free when the record expires).
    """

    def __init__(
        self, message: str, *, key: str, holder_deadline: int | None, **context: Any
    ) -> None:
        super().__init__(message, key=key, **context)
        self.holder_deadline = holder_deadline


class IdempotencyKeyMismatch(IdempotencyError):
    """The idempotency key was used before with a different payload (its hash differs).

    What to do: the client reused a key for another request: answer 422 and ask for a new
    key.
    """


_CODE_TO_ERROR: dict[str, type[DynamORMError]] = {
    "ConditionalCheckFailedException": ConditionFailed,
    "TransactionCanceledException": TransactionCanceled,
    "TransactionConflictException": TransactionConflict,
    "TransactionInProgressException": TransactionConflict,
    "ProvisionedThroughputExceededException": Throttled,
    "ThrottlingException": Throttled,
    "RequestLimitExceeded": Throttled,
    "LimitExceededException": Throttled,
    "ValidationException": ValidationError,
    "SerializationException": ValidationError,
    "ItemCollectionSizeLimitExceededException": ValidationError,
    "IdempotentParameterMismatchException": ValidationError,
    "ResourceNotFoundException": TableNotFound,
    "ResourceInUseException": TableExists,
    "AccessDeniedException": AccessDenied,
    "UnrecognizedClientException": AccessDenied,
    "MissingAuthenticationToken": AccessDenied,
    "MissingAuthenticationTokenException": AccessDenied,
    "InvalidSignatureException": AccessDenied,
    "ExpiredTokenException": AccessDenied,
    "IncompleteSignatureException": AccessDenied,
    "InternalServerError": TransportError,
    "InternalFailure": TransportError,
    "ServiceUnavailable": TransportError,
}


def from_client_error(
    response: Mapping[str, Any], *, operation: str, table: str | None
) -> DynamORMError:
    """Translate a botocore error response into the matching :class:`DynamORMError`.

    Args:
        response: ``ClientError.response`` (``{"Error": {...}, "ResponseMetadata": {...}}``).
        operation: The DynamoDB operation name.
        table: The physical table name, if the call had one.

    Returns:
        The error to raise (the caller chains it ``from`` the ClientError).
    """
    error = response.get("Error") or {}
    code = str(error.get("Code") or "Unknown")
    # Some error codes arrive namespaced ("com.amazonaws.dynamodb.v20120810#ValidationException").
    code = code.rsplit("#", 1)[-1]
    message = scrub(str(error.get("Message") or code))
    request_id = (response.get("ResponseMetadata") or {}).get("RequestId")
    context: dict[str, Any] = {
        "operation": operation,
        "table": table,
        "request_id": request_id,
        "code": code,
    }
    cls = _CODE_TO_ERROR.get(code)
    if cls is None:
        status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        cls = TransportError if isinstance(status, int) and status >= 500 else DynamORMError
    if cls is ConditionFailed:
        return ConditionFailed(message, item=response.get("Item"), **context)
    if cls is TransactionCanceled:
        return TransactionCanceled(
            message, reasons=_cancellation_reasons(response.get("CancellationReasons")), **context
        )
    return cls(message, **context)


def _cancellation_reasons(raw: Any) -> list[CancellationReason]:
    reasons: list[CancellationReason] = []
    for index, reason in enumerate(raw or ()):
        code = (reason or {}).get("Code")
        if not code or code == "None":
            continue
        reasons.append(CancellationReason(index, code, reason.get("Message"), reason.get("Item")))
    return reasons


def transport_failure(exc: BaseException, *, operation: str, table: str | None) -> TransportError:
    """The :class:`TransportError` for a request that got no usable answer.

    The rule every transport shares: when the failure, or any exception it was raised from
    (its ``__cause__`` / ``__context__`` chain), is a :class:`TimeoutError`, or its class is
    named as a timeout (botocore's ``ReadTimeoutError``, ``ConnectTimeoutError``), the
    result is a :class:`RequestTimeout`.

    Args:
        exc: What the HTTP library raised.
        operation: The DynamoDB operation name.
        table: The physical table name, if the call had one.
    """
    cls = RequestTimeout if _timed_out(exc) else TransportError
    return cls(f"{type(exc).__name__}: {scrub(str(exc))}", operation=operation, table=table)


def _timed_out(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TimeoutError) or any(
            "Timeout" in cls.__name__ for cls in type(current).__mro__
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
