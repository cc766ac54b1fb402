"""The DB facade users hold: CRUD on models, table management, lifecycle fields.

A :class:`DB` holds a :class:`~dynamorm_async.session.Session` (the codec, config,
deadline and engine every operation runs on) and the metrics; each method plans its
requests (:mod:`dynamorm_async.planning`) and sends them on that Session. It does no I/O
when constructed; the first request opens the one pooled client. Nothing below this
module imports it.
"""

from __future__ import annotations

import contextlib
import copy
from collections import abc
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload

from ._deadline import DEFAULT_BUFFER, LambdaContext
from ._items import get_item, send_write
from ._schema import model_meta
from .codec import Codec
from .config import Config
from .engine import Engine, TransportFactory
from .errors import AccessDenied, ItemNotFound, masked_key
from .planning import _keys
from .planning.gets import get_request
from .session import Session
from .table_options import TABLE_WAIT_TIMEOUT

# Writes, batches, queries, transactions and table management are imported on first use, so
# a cold start that only reads items does not load them (tests/unit/test_import_budget.py).
if TYPE_CHECKING:
    from ._tables import TableCheck, TableDescription
    from .batch import BatchGetResult, BatchResult
    from .collection import Collection
    from .conditions import Cond
    from .metrics import Metrics
    from .planning.writes import WritePlanner
    from .progress import ProgressCallback
    from .query import Query
    from .transaction import Transaction

__all__ = ["DB", "TABLE_WAIT_TIMEOUT"]

T = TypeVar("T")
V = TypeVar("V")
A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")


class DB:
    """The entry point: holds the configuration, the codec and the connection.

    Use it as ``async with DB(config) as db:`` or call :meth:`close` when done. One DB
    is meant to live as long as the process (a Lambda execution environment).

    Args:
        config: Connection settings; defaults to ``Config()``.
        transport_factory: Opens the transport; defaults to the one ``Config.transport`` names.
    """

    _from_environment: tuple[TransportFactory | None, dict[str, Any]] | None = None
    """Set while a :meth:`from_environment` DB has not read the environment yet."""

    def __init__(
        self, config: Config | None = None, *, transport_factory: TransportFactory | None = None
    ) -> None:
        self._codec = Codec()
        self._configure(config if config is not None else Config(), transport_factory)

    def _configure(self, config: Config, transport_factory: TransportFactory | None) -> None:
        # The metrics module is imported only when metrics are on (or first looked at). The
        # box is shared by this DB's views (copies), so they all see the one Metrics.
        self._metrics: list[Metrics] = [_metrics_of(config)] if config.metrics else []
        engine = Engine(
            config, transport_factory, metrics=self._metrics[0] if self._metrics else None
        )
        self._session = Session(config, self._codec, engine)
        self._planner: list[WritePlanner] = []  # built on the first write, shared by views

    @property
    def _writes(self) -> WritePlanner:
        if not self._planner:
            from .planning.writes import WritePlanner

            self._planner.append(WritePlanner(self._codec, self.config))
        return self._planner[0]

    if not TYPE_CHECKING:  # type checkers keep reporting unknown attributes of a DB

        def __getattr__(self, name: str) -> Any:
            # Only a from_environment() DB that has not been used yet lacks these.
            pending = self._from_environment
            if pending is None or name not in ("_metrics", "_session", "_planner"):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            transport_factory, overrides = pending
            self._configure(Config.from_environment(**overrides), transport_factory)
            self._from_environment = None
            return getattr(self, name)

    @property
    def metrics(self) -> Metrics:
        """The DB's metrics (shared by its views); see :mod:`dynamorm_async.metrics`."""
        if not self._metrics:
            self._metrics.append(_metrics_of(self.config))
        return self._metrics[0]

    @property
    def session(self) -> Session:
        """The Session every operation of this DB (view) runs on."""
        return self._session

    @property
    def config(self) -> Config:
        """The configuration this DB was built with."""
        return self._session.config

    @property
    def codec(self) -> Codec:
        """The codec of this DB's models (shared by its views)."""
        return self._codec

    @property
    def engine(self) -> Engine:
        """The engine that sends every request (shared by its views)."""
        return self._session.engine

    def _view(self, session: Session) -> Self:
        view = copy.copy(self)
        view._session = session
        return view

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        transport_factory: TransportFactory | None = None,
        **overrides: Any,
    ) -> Self:
        """A DB configured by :meth:`Config.from_environment` (no I/O happens here).

        With ``environ=None``, :data:`os.environ` is read at the DB's first use (its first
        request, or :attr:`config`), not here: a module-level ``db = DB.from_environment()``
        then sees the variables a test fixture (``lambda_env``) set after the module was
        imported. :meth:`register` is not a use. In the Lambda runtime,
        ``@lambda_handler(db=db)`` reads the environment in the init phase, so a bad
        variable fails the init, as it would here.

        Args:
            environ: The variables to read now; ``None`` reads :data:`os.environ` at first use.
            transport_factory: As for :class:`DB`.
            **overrides: Config fields that win over the environment.

        Raises:
            ConfigError: A variable holds an invalid value (the message names both); with
                ``environ=None``, raised by the first use instead.
        """
        if environ is not None:
            return cls(
                Config.from_environment(environ, **overrides), transport_factory=transport_factory
            )
        Config.from_environment({}, **overrides)  # a bad override fails here, not later
        db = cls.__new__(cls)
        db._codec = Codec()
        db._from_environment = (transport_factory, overrides)
        return db

    @property
    def deadline(self) -> float | None:
        """Absolute :func:`time.monotonic` time every request of this DB (view) must end by.

        The earlier of the view's own deadline (:meth:`with_deadline`,
        :meth:`with_lambda_context`) and the one the Lambda handler adapter binds for the
        running invocation; ``None`` when neither is set.
        """
        return self._session.deadline

    def with_deadline(self, seconds: float) -> Self:
        """A view of this DB whose every operation must finish within ``seconds`` from now.

        The view shares the connection, codec, metrics and registered models; it only adds
        the deadline (the earlier one wins if this DB has one already). Requests still in
        flight at the deadline are cancelled and raise :class:`DeadlineExceeded`; an
        operation started with no time left fails at once without sending anything.
        """
        return self._view(self._session.with_deadline(seconds))

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
        return self._view(self._session.with_lambda_context(context, buffer))

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

    async def open(self, *, connect: bool = False) -> None:
        """Open the client now instead of on the first request.

        Args:
            connect: Also open a connection (TCP and TLS handshakes) and leave it in the
                pool, by sending one ``ListTables`` with ``Limit=1``: the next request reuses
                it. A role without ``dynamodb:ListTables`` gets :class:`AccessDenied`, which
                is expected and ignored here (the connection was made all the same); any
                other failure is raised.
        """
        await self.engine.transport()
        if connect:
            # An AccessDenied answer came back over a pooled connection: that was the point.
            with contextlib.suppress(AccessDenied):
                await self._session.send("ListTables", {"Limit": 1})

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
        return self._session.table_name(model)

    # -- reads -------------------------------------------------------------------------------

    def model(self, model: type[T], /) -> Query[T]:
        """A query of ``model``'s items: ``db.model(Payment).where(...).all()``.

        Every option is a builder method (``.allow_scan()``, ``.consistent()``...).
        """
        from .query import Query

        return Query(self._session, model)

    @overload
    def collection(self, a: type[A], /, *, skip_unknown: bool = False) -> Collection[A]: ...
    @overload
    def collection(
        self, a: type[A], b: type[B], /, *, skip_unknown: bool = False
    ) -> Collection[A | B]: ...
    @overload
    def collection(
        self, a: type[A], b: type[B], c: type[C], /, *, skip_unknown: bool = False
    ) -> Collection[A | B | C]: ...
    @overload
    def collection(
        self, a: type[A], b: type[B], c: type[C], d: type[D], /, *, skip_unknown: bool = False
    ) -> Collection[A | B | C | D]: ...
    @overload
    def collection(self, *models: type[Any], skip_unknown: bool = False) -> Collection[Any]: ...
    def collection(self, *models: type[Any], skip_unknown: bool = False) -> Collection[Any]:
        """One Query over several models of one table: a partition and all it holds.

        ``db.collection(Customer, Order, Payment).where("id", "=", "c-1")`` reads customer
        ``c-1``'s partition and decodes each item as the model its discriminator names;
        conditions use the first model's fields. See :mod:`dynamorm_async.collection`.

        Args:
            *models: The models (sharing a table, partition key and discriminator).
            skip_unknown: Leave out items of entities not among ``models`` (a filter on the
                discriminator) instead of raising :class:`~dynamorm_async.UnknownEntity`.

        Raises:
            SchemaError: The models do not share a table, partition key or discriminator.
        """
        from .collection import Collection

        return Collection(self._session, models, skip_unknown=skip_unknown)

    async def find(
        self, model: type[T], key: Mapping[str, Any], /, *, consistent: bool = False
    ) -> T | None:
        """Fetch one item by its full primary key, or ``None`` if it does not exist.

        Args:
            model: The model class.
            key: The key fields by Python name: ``{"id": "p-1"}``.
            consistent: Use a strongly consistent read.

        Raises:
            TypeError: ``key`` is not a mapping.
            ValidationError: a key field is missing, unknown or of the wrong type.
        """
        session = self._session
        encoded = session.codec.encode_key(model, _keys.key_mapping(model, key))
        raw = await get_item(
            session, get_request(session.table_name(model), encoded, consistent=consistent)
        )
        return None if raw is None else session.codec.decode(model, raw)

    async def get(
        self, model: type[T], key: Mapping[str, Any], /, *, consistent: bool = False
    ) -> T:
        """Fetch one item by its full primary key: ``await db.get(Payment, {"id": "p-1"})``.

        Raises:
            ItemNotFound: no item has that key.
            TypeError: ``key`` is not a mapping.
            ValidationError: a key field is missing, unknown or of the wrong type.
        """
        item = await self.find(model, key, consistent=consistent)
        if item is None:
            raise ItemNotFound(
                f"no {model.__name__} with key {masked_key(key)}",
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
            The instance as written: the same one, carrying its lifecycle values, or for a
            frozen model (``@attrs.frozen``, never changed) a new one carrying them.
        """
        write = self._writes.create(item, if_not_exists=if_not_exists, condition=condition)
        _, written = await send_write(self._session, write)
        return cast(T, written)

    async def put(self, item: T, *, condition: Cond | None = None) -> T:
        """Write an item, replacing any with the same key (an upsert).

        A versioned item is written only if the stored version equals the in-memory one
        and gets version + 1. An instance at version 0 of an item that does not exist is
        written as a new item, with version 0 (as :meth:`create` writes it; DynamORM's data
        model); if the item exists at version 0 a second, version-checked request writes
        version 1. ``updated_at`` is set; ``created_at`` is set only if it is still ``None``.

        Args:
            item: A model instance.
            condition: A condition the stored item must meet, ANDed with the version check.

        Returns:
            The instance as written: the same one, carrying its lifecycle values, or for a
            frozen model (``@attrs.frozen``, never changed) a new one carrying them.

        Raises:
            ConditionFailed: the stored version differs or ``condition`` does not hold
                (nothing was written).
        """
        write = self._writes.put(item, condition=condition, new_first=True)
        _, written = await send_write(self._session, write)
        return cast(T, written)

    async def update(
        self, item: T, *, fields: Iterable[str] | None = None, condition: Cond | None = None
    ) -> T:
        """Write only some fields of an existing item (keys are never rewritten).

        For update actions (``ADD``, ``REMOVE``, ...) on an item by key use the update
        builder: ``db.model(Payment).key({"id": "p-1"}).update()``.

        Args:
            item: A model instance holding the new values.
            fields: Python names of the fields to write; ``None`` writes every field but
                the keys and the lifecycle fields (``created_at`` is never removed or
                rewritten by an update, whatever the instance holds).
            condition: A condition the stored item must meet, ANDed with the existence and
                version checks.

        Returns:
            The instance as written: the same one, carrying its new version and
            ``updated_at``, or for a frozen model a new one carrying them.

        Raises:
            ConditionFailed: the item does not exist, its stored version differs, or
                ``condition`` does not hold (nothing was written, the instance is unchanged).
            ValidationError: ``fields`` names a key or lifecycle field, or none.
            SchemaError: ``fields`` names an unknown field.
        """
        write = self._writes.update(item, fields=fields, condition=condition)
        _, written = await send_write(self._session, write)
        return cast(T, written)

    @overload
    async def delete(self, item: object, /, *, condition: Cond | None = None) -> None: ...

    @overload
    async def delete(
        self, item: type, key: Mapping[str, Any], /, *, condition: Cond | None = None
    ) -> None: ...

    async def delete(
        self, item: Any, key: Mapping[str, Any] | None = None, /, *, condition: Cond | None = None
    ) -> None:
        """Delete an item, given as an instance or as a model class and its key.

        ``await db.delete(payment)`` or ``await db.delete(Payment, {"id": "p-1"})``.
        Deleting an instance of a versioned model succeeds only if the stored version
        equals its own. Deleting a missing item is not an error (unless ``condition``
        needs it to exist).

        Args:
            item: A model instance, or a model class followed by its key.
            key: The key fields by Python name, with a model class.
            condition: A condition the stored item must meet.

        Raises:
            ConditionFailed: the stored version differs or ``condition`` does not hold.
            TypeError: a model class without a key, or an instance with one.
            ValidationError: the key is missing a field, or has an unknown or bad one.
        """
        await send_write(self._session, self._writes.delete(item, key, condition=condition))

    # -- batches -----------------------------------------------------------------------------

    async def batch_create(
        self,
        items: Iterable[Any],
        *,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
    ) -> BatchResult:
        """Create many items with ``BatchWriteItem``: version 0, both timestamps set.

        Unconditional, like :meth:`create` without ``if_not_exists``: an existing item with
        the same key is replaced. See :mod:`dynamorm_async.batch` for chunking and retries.

        Args:
            items: Model instances, of one or several tables.
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return what is left after the retries in the result
                instead of raising :class:`BatchWriteError`.
            progress: Called with a :class:`~dynamorm_async.progress.BatchProgress` after
                each answer (docs: observability).

        Raises:
            ValidationError: Two items with the same key (nothing is sent).
            BatchWriteError: Some items were not written; ``unprocessed`` holds them.
            BatchDeadlineExceeded: The view's deadline came first.
        """
        from .batch import write_items

        return await write_items(
            self._session,
            puts=items,
            mode="create",
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
            progress=progress,
        )

    async def batch_put(
        self,
        items: Iterable[Any],
        *,
        unconditional: bool = False,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
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
            progress=progress,
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
        progress: ProgressCallback | None = ...,
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
        progress: ProgressCallback | None = ...,
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
        progress: ProgressCallback | None = None,
    ) -> BatchResult:
        """Delete many items with ``BatchWriteItem``.

        ``await db.batch_delete(payments)`` (instances, or ``(Model, key)`` pairs) or
        ``await db.batch_delete(Payment, [{"id": "p-1"}, ...])``. Deleting instances of a
        versioned model needs ``unconditional=True`` (a batch cannot check the version).

        Raises:
            TypeError: ``keys`` after something that is not a model class.
            ValidationError: A bad key, a repeated item, or a versioned instance without
                ``unconditional`` (nothing is sent).
            BatchWriteError: Some deletes were not confirmed; ``unprocessed`` holds them.
            BatchDeadlineExceeded: The view's deadline came first.
        """
        if keys is not None:
            if not isinstance(targets, type):
                raise TypeError("batch_delete(Model, keys): the first argument is a model class")
            model = targets
            targets = [(model, key) for key in keys]
        return await self.batch_write(
            deletes=targets,
            unconditional=unconditional,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
            progress=progress,
        )

    async def batch_write(
        self,
        *,
        puts: Iterable[Any] = (),
        deletes: Iterable[Any] = (),
        unconditional: bool = False,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
    ) -> BatchResult:
        """Put and delete in one batch (any tables): :meth:`batch_put` and :meth:`batch_delete`.

        Args:
            puts: Model instances to put.
            deletes: Instances or ``(Model, key)`` pairs to delete.
            unconditional: Allow versioned models, written without their version check.
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return what is left after the retries instead of raising.
            progress: Called with a :class:`~dynamorm_async.progress.BatchProgress` after
                each answer.
        """
        from .batch import write_items

        return await write_items(
            self._session,
            puts=puts,
            deletes=deletes,
            unconditional=unconditional,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
            progress=progress,
        )

    @overload
    async def batch_get(
        self,
        model: type[T],
        keys: Iterable[Mapping[str, Any]],
        *,
        consistent: bool = False,
        select: None = None,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
    ) -> BatchGetResult[T]: ...

    @overload
    async def batch_get(
        self,
        model: type[Any],
        keys: Iterable[Mapping[str, Any]],
        *,
        consistent: bool = False,
        select: type[V],
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
    ) -> BatchGetResult[V]: ...

    async def batch_get(
        self,
        model: type[Any],
        keys: Iterable[Mapping[str, Any]],
        *,
        consistent: bool = False,
        select: type[Any] | None = None,
        concurrency: int | None = None,
        raise_on_unprocessed: bool = True,
        progress: ProgressCallback | None = None,
    ) -> BatchGetResult[Any]:
        """Fetch many items by key with ``BatchGetItem`` (100-key chunks, concurrent).

        Args:
            model: The model class.
            keys: Key fields by Python name, e.g. ``[{"id": "p-1"}, {"id": "p-2"}]``;
                a repeated key is read once.
            consistent: Strongly consistent reads.
            select: A view of the model (an attrs class with some of its fields, see
                :meth:`Query.select <dynamorm_async.Query.select>`): only its fields are
                read and the items are view instances (the key attributes are always
                requested, to match items to keys).
            concurrency: Requests in flight at most (``Config.batch_concurrency``).
            raise_on_unprocessed: Return keys left unread after the retries in
                ``result.unprocessed`` instead of raising :class:`BatchGetError`.
            progress: Called with a :class:`~dynamorm_async.progress.BatchProgress` after
                each answer (``done`` counts keys read, found or missing).

        Returns:
            The items found in the order of their keys, and the ``missing`` keys.

        Raises:
            ValidationError: A key is missing a part, has an unknown field or a bad value.
            BatchGetError: Keys still unprocessed after the retries.
            DeadlineExceeded: The view's deadline came first.
        """
        from .batch import get_items

        return await get_items(
            self._session,
            model,
            keys,
            consistent=consistent,
            select=select,
            concurrency=concurrency,
            raise_on_unprocessed=raise_on_unprocessed,
            progress=progress,
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
        from .transaction import Transaction

        return Transaction(self._session, token=token)

    @overload
    async def transact_get(
        self, targets: Sequence[tuple[type[T], Mapping[str, Any]]], /
    ) -> list[T | None]: ...

    @overload
    async def transact_get(self, targets: Sequence[T], /) -> list[T | None]: ...

    async def transact_get(self, targets: Sequence[Any], /) -> list[Any]:
        """Read up to 100 items as one consistent snapshot (``TransactGetItems``).

        ``await db.transact_get([payment, (Account, {"id": "a-1"})])`` returns one entry per
        target, in order: the item, or ``None`` if it does not exist. The result is typed
        when every target is of one model.

        Raises:
            TypeError: A target that is neither an instance nor a ``(Model, key)`` pair.
            ValidationError: More than 100 targets, or a bad key (nothing is sent).
            TransactionCanceled: DynamoDB cancelled the read.
        """
        from .transaction import transact_get

        return await transact_get(self._session, targets)

    # -- tables ------------------------------------------------------------------------------

    async def create_table(
        self,
        model: type,
        *models: type,
        wait: bool = True,
        ttl: bool = True,
        wait_seconds: float = TABLE_WAIT_TIMEOUT,
    ) -> TableDescription:
        """Create the model's table: keys, indexes, TTL and the model's :class:`TableOptions`.

        Billing, stream, encryption, table class, deletion protection and tags go into
        ``CreateTable``; TTL and point-in-time recovery are switched on after it. Models
        that share a table (single-table design) are given together: one key schema, the
        union of their indexes and options (see ``docs/tables.md``).

        Args:
            model: The model class.
            *models: Other models stored in the same table.
            wait: Wait until the table and its indexes are ACTIVE. With ``wait=False``
                nothing waits: TTL, which DynamoDB enables only on an ACTIVE table, is not
                enabled; the result's ``ttl_pending`` names it, and :meth:`enable_ttl`
                finishes.
            ttl: Enable TTL on the model's ``ttl()`` field (``False`` for servers without
                TTL support, such as dynalite).
            wait_seconds: Seconds to wait for ACTIVE before :class:`DeadlineExceeded`.

        Returns:
            DynamoDB's description of the table (ACTIVE when ``wait``; with ``wait=False``
            CREATING, and ``ttl_pending`` set if TTL is still to be enabled).

        Raises:
            TableExists: the table exists already.
            ValidationError: Models of different tables.
            SchemaError: The models disagree on the table (keys, an index, TTL, an option).
        """
        from . import _tables as tables

        return await tables.create_table(
            self._session, (model, *models), wait=wait, ttl=ttl, wait_seconds=wait_seconds
        )

    async def ensure_table(
        self,
        model: type,
        *models: type,
        wait: bool = True,
        ttl: bool = True,
        fix: bool = False,
        wait_seconds: float = TABLE_WAIT_TIMEOUT,
    ) -> TableCheck:
        """Create the model's table unless it exists; report how an existing one drifted.

        An existing table is compared with the models (keys, indexes and projections, TTL,
        billing and capacity, stream): the result's ``drift`` lists each difference with
        its remedy. With ``fix=True`` the safe ones are applied (missing GSIs are created
        and waited for until ACTIVE, TTL is enabled), unless the table's key schema
        differs (then nothing is); nothing is ever dropped or changed: that is
        :meth:`update_table`.

        Args:
            model: The model class.
            *models: Other models stored in the same table.
            wait: Wait until the table is ACTIVE.
            ttl: Enable (and check) TTL on the ``ttl()`` field (``False`` for servers
                without TTL support, such as dynalite).
            fix: Apply the drift whose remedy is ``"ensure_table"``.
            wait_seconds: Seconds to wait for each change before :class:`DeadlineExceeded`.

        Returns:
            A :class:`TableCheck`: ``created``, what was ``applied``, the ``drift`` left.

        Raises:
            ValidationError: ``wait=False`` with ``fix=True``, or on a model with a
                ``ttl()`` field with ``ttl=True`` (TTL needs an ACTIVE table; nothing is
                sent); models of different tables.
            SchemaError: The models disagree on the table.
        """
        from . import _tables as tables

        return await tables.ensure_table(
            self._session,
            (model, *models),
            wait=wait,
            ttl=ttl,
            fix=fix,
            wait_seconds=wait_seconds,
        )

    async def update_table(
        self,
        model: type,
        *models: type,
        billing: bool = False,
        stream: bool = False,
        ttl: bool = False,
        drop_indexes: abc.Collection[str] = (),
        wait_seconds: float = TABLE_WAIT_TIMEOUT,
    ) -> TableCheck:
        """Change an existing table where it drifted from the models, as far as told.

        Each change waits until the table (and its indexes) are ACTIVE again.

        Args:
            model: The model class.
            *models: Other models stored in the same table.
            billing: Give the table and its GSIs the declared billing mode and capacity.
            stream: Give the table the declared stream (a stream of another view type is
                disabled and a new one enabled: it gets a new ARN); no declared stream
                disables the table's.
            ttl: Disable TTL set on an attribute the models do not declare (DynamoDB then
                takes up to an hour before it accepts enabling the declared one:
                ``ensure_table(fix=True)`` does it). Also compares TTL.
            drop_indexes: Names of GSIs to delete; one the models declare (one that
                drifted) is created again as declared.
            wait_seconds: Seconds to wait for each change before :class:`DeadlineExceeded`.

        Returns:
            A :class:`TableCheck` with what was ``applied`` and the ``drift`` left.

        Raises:
            TableNotFound: The table does not exist.
            ValidationError: ``drop_indexes`` names an index the table does not have, or
                a local secondary index (DynamoDB cannot drop one); models of different
                tables.
            SchemaError: The models disagree on the table.
        """
        from . import _tables as tables

        return await tables.update_table(
            self._session,
            (model, *models),
            billing=billing,
            stream=stream,
            ttl=ttl,
            drop_indexes=drop_indexes,
            wait_seconds=wait_seconds,
        )

    async def enable_ttl(self, model: type, *, wait_seconds: float = TABLE_WAIT_TIMEOUT) -> None:
        """Enable TTL on the model's ``ttl()`` field, waiting for its table to be ACTIVE.

        ``create_table`` does it itself unless called with ``wait=False`` (its result's
        ``ttl_pending`` then says so).

        Raises:
            ValidationError: The model has no ``ttl()`` field.
            DeadlineExceeded: The table was not ACTIVE within ``wait_seconds``.
            TableNotFound: The table does not exist.
        """
        from . import _tables as tables

        await tables.enable_ttl(self._session, model, wait_seconds=wait_seconds)

    async def describe_table(self, model: type) -> TableDescription:
        """DynamoDB's description of the model's table.

        Raises:
            TableNotFound: the table does not exist.
        """
        from . import _tables as tables

        return await tables.describe_table(self._session, model)

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
        from . import _tables as tables

        await tables.delete_table(
            self._session, model, wait=wait, missing_ok=missing_ok, wait_seconds=wait_seconds
        )


def _metrics_of(config: Config) -> Metrics:
    from .metrics import Metrics

    return Metrics.from_config(config)
