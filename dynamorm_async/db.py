"""The DB facade users hold: CRUD on models, table management, lifecycle fields.

A :class:`DB` owns a :class:`~dynamorm_async.codec.Codec` and an
:class:`~dynamorm_async.engine.Engine`. It does no I/O when constructed; the first request
opens the one pooled client.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar, overload

import anyio

from . import batch, lifecycle, transaction
from ._deadline import DEFAULT_BUFFER, INVOCATION_DEADLINE, LambdaContext, deadline_from_context
from ._deadline import earliest as _earliest
from ._schema import ModelMeta, model_meta
from .batch import BatchGetResult, BatchResult
from .codec import Codec
from .conditions import Cond, compile_condition
from .config import Config
from .engine import Engine, TransportFactory
from .errors import (
    ConditionFailed,
    DeadlineExceeded,
    ItemNotFound,
    TableExists,
    TableNotFound,
    ValidationError,
)
from .expr import Condition, and_, compile_request
from .metrics import Metrics
from .query import Query
from .tables import BillingMode, create_table_params, ttl_params
from .transaction import Transaction

__all__ = ["DB"]

T = TypeVar("T")

# A failed condition returns the stored item, so ConditionFailed can show it.
_RETURN_ON_FAILURE = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}

TABLE_WAIT_TIMEOUT = 300.0
"""How long ``create_table``/``delete_table`` wait for the table by default, in seconds."""


class DB:
    """The entry point: holds the configuration, the codec and the connection.

    Use it as ``async with DB(config) as db:`` or call :meth:`close` when done. One DB
    is meant to live as long as the process (a Lambda execution environment).

    Args:
        config: Connection settings; defaults to ``Config()``.
        transport_factory: Opens the transport; defaults to the one ``Config.transport`` names.
    """

    def __init__(
        self, config: Config | None = None, *, transport_factory: TransportFactory | None = None
    ) -> None:
        self.config = config if config is not None else Config()
        self.codec = Codec()
        self.metrics = Metrics.from_config(self.config)
        """This DB's metrics (shared by its views); see :mod:`dynamorm_async.metrics`."""
        self.engine = Engine(self.config, transport_factory, metrics=self.metrics)
        self._deadline: float | None = None

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        transport_factory: TransportFactory | None = None,
        **overrides: Any,
    ) -> Self:
        """A DB configured by :meth:`Config.from_environment` (no I/O happens here).

        Args:
            environ: The variables to read; ``None`` reads :data:`os.environ`.
            transport_factory: As for :class:`DB`.
            **overrides: Config fields that win over the environment.

        Raises:
            ConfigError: A variable holds an invalid value (the message names both).
        """
        return cls(
            Config.from_environment(environ, **overrides), transport_factory=transport_factory
        )

    @property
    def deadline(self) -> float | None:
        """Absolute :func:`time.monotonic` time every request of this DB (view) must end by.

        The earlier of the view's own deadline (:meth:`with_deadline`,
        :meth:`with_lambda_context`) and the one the Lambda handler adapter binds for the
        running invocation; ``None`` when neither is set.
        """
        return _earliest(self._deadline, INVOCATION_DEADLINE.get())

    def with_deadline(self, seconds: float) -> Self:
        """A view of this DB whose every operation must finish within ``seconds`` from now.

        The view shares the connection, codec, metrics and registered models; it only adds
        the deadline (the earlier one wins if this DB has one already). Requests still in
        flight at the deadline are cancelled and raise :class:`DeadlineExceeded`; an
        operation started with no time left fails at once without sending anything.
        """
        view = copy.copy(self)
        view._deadline = _earliest(time.monotonic() + seconds, self._deadline)
        return view

    def with_lambda_context(self, context: LambdaContext, buffer: float = DEFAULT_BUFFER) -> Self:
        """A view of this DB whose operations end ``buffer`` seconds before the invocation does.

        The deadline is ``context.get_remaining_time_in_millis()`` from now, less ``buffer``
        (kept for the handler to answer and log before Lambda stops it); it is a
        :meth:`with_deadline` view, so everything said there holds. With less than
        ``buffer`` left, every operation fails at once with :class:`DeadlineExceeded`.

        Args:
            context: The Lambda context object (anything with
                ``get_remaining_time_in_millis()``).
            buffer: Seconds to keep back, >= 0.

        Raises:
            ValueError: ``buffer`` is negative or not a number.
        """
        view = copy.copy(self)
        view._deadline = _earliest(deadline_from_context(context, buffer), self._deadline)
        return view

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the connection pool now instead of on the first request (no request is sent)."""
        await self.engine.transport()

    async def close(self) -> None:
        """Close the connection pool. Harmless to call twice; a later request reopens it."""
        await self.engine.aclose()

    def register(self, *models: type) -> None:
        """Build models' metadata and codecs now, ahead of the first request.

        Raises:
            SchemaError: a model's declaration is invalid.
        """
        for model in models:
            model_meta(model)
            self.codec.register(model)

    def table_name(self, model: type) -> str:
        """The physical table name of ``model`` (with the config's ``table_prefix``)."""
        return self.config.table_name(model_meta(model).table)

    async def _call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return await self.engine.call(operation, params, deadline=self.deadline)

    # -- reads -------------------------------------------------------------------------------

    def model(self, model: type[T], /, *, allow_scan: bool = False) -> Query[T]:
        """A query of ``model``'s items: ``db.model(Payment).where(...).all()``.

        Args:
            model: The model class.
            allow_scan: Let the planner fall back to a Scan when no key condition serves
                the query (otherwise that raises :class:`QueryPlanError`).
        """
        query = Query(self, model)
        return query.allow_scan() if allow_scan else query

    async def find(self, model: type[T], /, *, consistent: bool = False, **key: Any) -> T | None:
        """Fetch one item by its full primary key, or ``None`` if it does not exist.

        Args:
            model: The model class.
            consistent: Use a strongly consistent read.
            **key: The key fields by Python name, e.g. ``id="p-1"``.

        Raises:
            ValidationError: a key field is missing, unknown or of the wrong type.
        """
        params: dict[str, Any] = {
            "TableName": self.table_name(model),
            "Key": self.codec.encode_key(model, key),
        }
        if consistent:
            params["ConsistentRead"] = True
        response = await self._call("GetItem", params)
        raw = response.get("Item")
        return None if raw is None else self.codec.decode(model, raw)

    async def get(self, model: type[T], /, *, consistent: bool = False, **key: Any) -> T:
        """Fetch one item by its full primary key.

        Raises:
            ItemNotFound: no item has that key.
            ValidationError: a key field is missing, unknown or of the wrong type.
        """
        item = await self.find(model, consistent=consistent, **key)
        if item is None:
            raise ItemNotFound(
                f"no {model.__name__} with key {key!r}",
                operation="GetItem",
                table=self.table_name(model),
            )
        return item

    # -- writes ------------------------------------------------------------------------------

    async def create(
        self, item: T, *, if_not_exists: bool = False, condition: Cond | None = None
    ) -> T:
        """Write a new item; version becomes 0 and both timestamps are set.

        Args:
            item: A model instance.
            if_not_exists: Fail with :class:`ConditionFailed` instead of replacing an
                item with the same key.
            condition: A condition the item it replaces must meet (see
                :func:`~dynamorm_async.conditions.cond`).

        Returns:
            The same instance, carrying its lifecycle values.
        """
        stamp = lifecycle.on_create(
            self.codec, item, now=lifecycle.utcnow(), if_not_exists=if_not_exists
        )
        await self._put(item, stamp, condition)
        return item

    async def put(self, item: T, *, condition: Cond | None = None) -> T:
        """Write an item, replacing any with the same key (an upsert).

        A versioned item is written only if the stored version equals the in-memory one
        (or, for version 0, if no item exists) and gets version + 1. ``updated_at`` is set;
        ``created_at`` is set only if it is still ``None``.

        Args:
            item: A model instance.
            condition: A condition the stored item must meet, ANDed with the version check.

        Raises:
            ConditionFailed: the stored version differs or ``condition`` does not hold
                (nothing was written).
        """
        stamp = lifecycle.on_put(self.codec, item, now=lifecycle.utcnow())
        await self._put(item, stamp, condition)
        return item

    async def _put(self, item: Any, stamp: lifecycle.Stamp, condition: Cond | None) -> None:
        meta = model_meta(type(item))
        params: dict[str, Any] = {
            "TableName": self.config.table_name(meta.table),
            "Item": lifecycle.put_item(self.codec, item, stamp),
        }
        combined = self._and(meta, stamp.condition, condition)
        if combined is not None:
            params.update(compile_request(condition=combined), **_RETURN_ON_FAILURE)
        await self._write("PutItem", params, meta)
        lifecycle.apply(item, stamp)

    async def update(
        self, item: T, *, fields: Iterable[str] | None = None, condition: Cond | None = None
    ) -> T:
        """Write only some fields of an existing item (keys are never rewritten).

        Args:
            item: A model instance holding the new values.
            fields: Python names of the fields to write; ``None`` writes every non-key field.
            condition: A condition the stored item must meet, ANDed with the existence and
                version checks.

        Returns:
            The same instance, carrying its new version and ``updated_at``.

        Raises:
            ConditionFailed: the item does not exist, its stored version differs, or
                ``condition`` does not hold (nothing was written, the instance is unchanged).
            ValidationError: ``fields`` names a key field, or none.
            SchemaError: ``fields`` names an unknown field.
        """
        meta = model_meta(type(item))
        stamp = lifecycle.on_update(self.codec, item, now=lifecycle.utcnow())
        update = lifecycle.update_of(self.codec, item, fields, stamp)
        params: dict[str, Any] = {
            "TableName": self.config.table_name(meta.table),
            "Key": self.codec.key_of(item),
            **compile_request(update=update, condition=self._and(meta, stamp.condition, condition)),
            **_RETURN_ON_FAILURE,
        }
        await self._write("UpdateItem", params, meta)
        lifecycle.apply(item, stamp)
        return item

    @overload
    async def delete(self, item: object, /, *, condition: Cond | None = None) -> None: ...

    @overload
    async def delete(self, item: type, /, *, condition: Cond | None = None, **key: Any) -> None: ...

    async def delete(self, item: Any, /, *, condition: Cond | None = None, **key: Any) -> None:
        """Delete an item, given as an instance or as a model class and its key.

        ``await db.delete(payment)`` or ``await db.delete(Payment, id="p-1")``. Deleting an
        instance of a versioned model succeeds only if the stored version equals its own.
        Deleting a missing item is not an error (unless ``condition`` needs it to exist).

        Args:
            item: A model instance, or a model class followed by its key fields.
            condition: A condition the stored item must meet (a key field named
                ``condition`` cannot be passed by keyword; delete the instance instead).
            **key: The key fields, with a model class.

        Raises:
            ConditionFailed: the stored version differs or ``condition`` does not hold.
            ValidationError: the key is missing, unknown or of the wrong type.
        """
        checks: Condition | None = None
        if isinstance(item, type):
            meta = model_meta(item)
            encoded_key = self.codec.encode_key(item, key)
        else:
            if key:
                raise ValidationError("pass either an instance or a model class with its key")
            meta = model_meta(type(item))
            encoded_key = self.codec.key_of(item)
            checks = lifecycle.on_delete(self.codec, item).condition
        params: dict[str, Any] = {
            "TableName": self.config.table_name(meta.table),
            "Key": encoded_key,
        }
        combined = self._and(meta, checks, condition)
        if combined is not None:
            params.update(compile_request(condition=combined), **_RETURN_ON_FAILURE)
        await self._write("DeleteItem", params, meta)

    def _and(
        self, meta: ModelMeta, checks: Condition | None, condition: Cond | None
    ) -> Condition | None:
        """The DB's own checks ANDed with the caller's ``condition=``."""
        if condition is None:
            return checks
        compiled = compile_condition(condition, meta.cls, self.codec)
        return compiled if checks is None else and_(checks, compiled)

    async def _write(
        self, operation: str, params: dict[str, Any], meta: ModelMeta
    ) -> dict[str, Any]:
        try:
            return await self._call(operation, params)
        except ConditionFailed as exc:
            if exc.item is not None and not isinstance(exc.item, meta.cls):
                exc.item = self.codec.decode(meta.cls, exc.item)
            raise

    # -- batches -----------------------------------------------------------------------------

    async def batch_create(
        self,
        items: Iterable[Any],
        *,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
    ) -> BatchResult:
        """Create many items with ``BatchWriteItem``: version 0, both timestamps set.

        Unconditional, like :meth:`create` without ``if_not_exists``: an existing item with
        the same key is replaced. See :mod:`dynamorm_async.batch` for chunking and retries.

        Args:
            items: Model instances, of one or several tables.
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return what is left after the retries in the result
                instead of raising :class:`BatchWriteError`.

        Raises:
            ValidationError: Two items with the same key (nothing is sent).
            BatchWriteError: Some items were not written; ``unprocessed`` holds them.
            BatchDeadlineExceeded: The view's deadline came first.
        """
        return await batch.write(
            self,
            puts=items,
            mode="create",
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
        )

    async def batch_put(
        self,
        items: Iterable[Any],
        *,
        unconditional: bool = False,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
    ) -> BatchResult:
        """Put many items with ``BatchWriteItem`` (upserts; ``updated_at`` set).

        A batch cannot check versions, so items of a versioned model are rejected before
        anything is sent, unless ``unconditional=True``: they are then written with
        version + 1 whatever the stored version is.

        Raises:
            ValidationError: A versioned model without ``unconditional``, or two items
                with the same key (nothing is sent).
            BatchWriteError: Some items were not written; ``unprocessed`` holds them.
            BatchDeadlineExceeded: The view's deadline came first.
        """
        return await self.batch_write(
            puts=items,
            unconditional=unconditional,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
        )

    @overload
    async def batch_delete(
        self,
        targets: Iterable[Any],
        /,
        *,
        unconditional: bool = ...,
        concurrency: int | None = ...,
        raise_on_unprocessed: bool = ...,
    ) -> BatchResult: ...

    @overload
    async def batch_delete(
        self,
        model: type,
        keys: Iterable[Mapping[str, Any]],
        /,
        *,
        unconditional: bool = ...,
        concurrency: int | None = ...,
        raise_on_unprocessed: bool = ...,
    ) -> BatchResult: ...

    async def batch_delete(
        self,
        targets: Any,
        keys: Iterable[Mapping[str, Any]] | None = None,
        /,
        *,
        unconditional: bool = False,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
    ) -> BatchResult:
        """Delete many items with ``BatchWriteItem``.

        ``await db.batch_delete(payments)`` (instances, or ``(Model, key)`` pairs) or
        ``await db.batch_delete(Payment, [{"id": "p-1"}, ...])``. Deleting instances of a
        versioned model needs ``unconditional=True`` (a batch cannot check the version).

        Raises:
            ValidationError: A bad key, a repeated item, or a versioned instance without
                ``unconditional`` (nothing is sent).
            BatchWriteError: Some deletes were not confirmed; ``unprocessed`` holds them.
            BatchDeadlineExceeded: The view's deadline came first.
        """
        if keys is not None:
            if not isinstance(targets, type):
                raise ValidationError("batch_delete(Model, keys): the first argument is a model")
            model = targets
            targets = [(model, key) for key in keys]
        return await self.batch_write(
            deletes=targets,
            unconditional=unconditional,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
        )

    async def batch_write(
        self,
        *,
        puts: Iterable[Any] = (),
        deletes: Iterable[Any] = (),
        unconditional: bool = False,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
    ) -> BatchResult:
        """Put and delete in one batch (any tables): :meth:`batch_put` and :meth:`batch_delete`.

        Args:
            puts: Model instances to put.
            deletes: Instances or ``(Model, key)`` pairs to delete.
            unconditional: Allow versioned models, written without their version check.
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return what is left after the retries instead of raising.
        """
        return await batch.write(
            self,
            puts=puts,
            deletes=deletes,
            unconditional=unconditional,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
        )

    async def batch_get(
        self,
        model: type[T],
        keys: Iterable[Mapping[str, Any]],
        *,
        consistent: bool = False,
        select: Iterable[str] | None = None,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
    ) -> BatchGetResult[T]:
        """Fetch many items by key with ``BatchGetItem`` (100-key chunks, concurrent).

        Args:
            model: The model class.
            keys: Key fields by Python name, e.g. ``[{"id": "p-1"}, {"id": "p-2"}]``;
                a repeated key is read once.
            consistent: Strongly consistent reads.
            select: Python names of the fields to read (the key fields are always read);
                the other fields take their defaults, or ``None``.
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return keys left unread after the retries in
                ``result.unprocessed`` instead of raising :class:`BatchGetError`.

        Returns:
            The items found in the order of their keys, and the ``missing`` keys.

        Raises:
            ValidationError: A key is missing a part, has an unknown field or a bad value.
            BatchGetError: Keys still unprocessed after the retries.
            DeadlineExceeded: The view's deadline came first.
        """
        return await batch.get(
            self,
            model,
            keys,
            consistent=consistent,
            select=select,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
        )

    # -- transactions ------------------------------------------------------------------------

    def transaction(self, *, token: str | None = None) -> Transaction:
        """A transaction: ``async with db.transaction() as tx: tx.put(...); ...``.

        The actions are sent as one ``TransactWriteItems`` when the block exits normally
        (nothing is sent if it raises); see :mod:`dynamorm_async.transaction`.

        Args:
            token: The ``ClientRequestToken`` (1-36 characters); a new UUID by default.
                DynamoDB applies a request with a given token at most once for ten
                minutes, but only the identical request: lifecycle timestamps make two
                transactions differ, so to retry one, commit the same transaction again.
        """
        return Transaction(self, token=token)

    async def transact_get(self, targets: Sequence[Any]) -> list[Any]:
        """Read up to 100 items as one consistent snapshot (``TransactGetItems``).

        ``await db.transact_get([payment, (Account, {"id": "a-1"})])`` returns one entry per
        target, in order: the item, or ``None`` if it does not exist.

        Raises:
            ValidationError: More than 100 targets, or a bad key (nothing is sent).
            TransactionCanceled: DynamoDB cancelled the read.
        """
        return await transaction.transact_get(self, targets)

    # -- tables ------------------------------------------------------------------------------

    async def create_table(
        self,
        model: type,
        *,
        wait: bool = True,
        billing_mode: BillingMode = "PAY_PER_REQUEST",
        read_capacity: int | None = None,
        write_capacity: int | None = None,
        ttl: bool = True,
        wait_seconds: float = TABLE_WAIT_TIMEOUT,
    ) -> dict[str, Any]:
        """Create the model's table (keys, indexes, billing) and enable TTL if it has a TTL field.

        Args:
            model: The model class.
            wait: Wait until the table and its indexes are ACTIVE.
            billing_mode: ``"PAY_PER_REQUEST"`` (default) or ``"PROVISIONED"``.
            read_capacity: Provisioned read units (table and GSIs).
            write_capacity: Provisioned write units (table and GSIs).
            ttl: Enable TTL on the model's ``ttl()`` field (``False`` for servers without
                TTL support, such as dynalite).
            wait_seconds: Seconds to wait for ACTIVE before :class:`DeadlineExceeded`.

        Returns:
            DynamoDB's table description.

        Raises:
            TableExists: the table exists already.
        """
        meta = model_meta(model)
        name = self.table_name(model)
        params = create_table_params(
            meta,
            name,
            billing_mode=billing_mode,
            read_capacity=read_capacity,
            write_capacity=write_capacity,
        )
        response = await self._call("CreateTable", params)
        description: dict[str, Any] = response["TableDescription"]
        if wait:
            description = await self._wait_for_table(name, wait_seconds)
        ttl_request = ttl_params(meta, name) if ttl else None
        if ttl_request is not None:
            await self._call("UpdateTimeToLive", ttl_request)
        return description

    async def ensure_table(self, model: type, *, wait: bool = True, ttl: bool = True) -> bool:
        """Create the model's table unless it exists. Returns whether it was created."""
        try:
            await self.describe_table(model)
            return False
        except TableNotFound:
            pass
        try:
            await self.create_table(model, wait=wait, ttl=ttl)
        except TableExists:
            if wait:  # created concurrently by someone else
                await self._wait_for_table(self.table_name(model), TABLE_WAIT_TIMEOUT)
            return False
        return True

    async def describe_table(self, model: type) -> dict[str, Any]:
        """DynamoDB's description of the model's table.

        Raises:
            TableNotFound: the table does not exist.
        """
        response = await self._call("DescribeTable", {"TableName": self.table_name(model)})
        table: dict[str, Any] = response["Table"]
        return table

    async def delete_table(
        self,
        model: type,
        *,
        wait: bool = True,
        missing_ok: bool = False,
        wait_seconds: float = TABLE_WAIT_TIMEOUT,
    ) -> None:
        """Delete the model's table.

        Args:
            model: The model class.
            wait: Wait until the table is gone.
            missing_ok: Do not raise when the table does not exist.
            wait_seconds: Seconds to wait before :class:`DeadlineExceeded`.

        Raises:
            TableNotFound: the table does not exist (unless ``missing_ok``).
        """
        name = self.table_name(model)
        try:
            await self._call("DeleteTable", {"TableName": name})
        except TableNotFound:
            if missing_ok:
                return
            raise
        if wait:
            await self._poll_table(name, wait_seconds, want=None)

    async def _wait_for_table(self, name: str, seconds: float) -> dict[str, Any]:
        description = await self._poll_table(name, seconds, want="ACTIVE")
        assert description is not None
        return description

    async def _poll_table(
        self, name: str, seconds: float, *, want: str | None
    ) -> dict[str, Any] | None:
        # DynamoDB has no change notification for tables: polling with back-off is the only way.
        delay = 0.05
        with anyio.move_on_after(seconds):
            while True:
                try:
                    response = await self._call("DescribeTable", {"TableName": name})
                except TableNotFound:
                    if want is None:
                        return None
                else:
                    table: dict[str, Any] = response["Table"]
                    if want is not None and _is_active(table):
                        return table
                await anyio.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise DeadlineExceeded(
            f"table {name} did not become {want or 'deleted'} within {seconds} s",
            operation="DescribeTable",
            table=name,
        )


def _is_active(table: Mapping[str, Any]) -> bool:
    return table.get("TableStatus") == "ACTIVE" and all(
        index.get("IndexStatus", "ACTIVE") == "ACTIVE"
        for index in table.get("GlobalSecondaryIndexes", ())
    )
