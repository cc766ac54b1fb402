"""The handler adapter: async handlers on one event loop kept for the execution environment."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import metrics
from .._deadline import DEFAULT_BUFFER, INVOCATION_DEADLINE, deadline_from_context, earliest
from ..db import DB
from ..errors import SchemaError

if TYPE_CHECKING:
    from ..partners import MultiAccountDB
    from ._partner_handler import PartnerErrorHandler, PartnerHandler, PartnerResolver

__all__ = ["LambdaHandler", "get_db", "lambda_handler", "set_db", "shutdown"]

T = TypeVar("T")

AsyncHandler = Callable[[Any, Any], Awaitable[T]]
"""``async def handler(event, context) -> result``."""

RUNTIME_API = "AWS_LAMBDA_RUNTIME_API"
"""Set by the Lambda runtime (and its emulator); ``preopen`` only acts where it is set."""

_log = logging.getLogger(__name__)

_runner: asyncio.Runner | None = None
_default_db: DB | None = None


def _loop() -> asyncio.Runner:
    global _runner
    if _runner is None:
        _runner = asyncio.Runner()
    return _runner


def get_db() -> DB:
    """The execution environment's DB, made by :meth:`DB.from_environment` on first use.

    Module-level code (Lambda's init phase) or the first invocation creates it; every later
    call returns the same DB, so its connection pool lives as long as the environment.

    Raises:
        ConfigError: An environment variable holds an invalid value.
    """
    global _default_db
    if _default_db is None:
        _default_db = DB.from_environment()
    return _default_db


def set_db(db: DB | None) -> None:
    """Make ``db`` what :func:`get_db` returns; ``None`` forgets it (the next call makes one).

    For tests that change the environment between cases. The DB that is replaced is not
    closed: its connections close with the event loop they were opened on.
    """
    global _default_db
    _default_db = db


def shutdown() -> None:
    """Close the adapter's event loop, and with it the connections opened on it.

    Lambda never needs this (the environment is frozen, then discarded). A test suite or a
    script calls it at its end; the next invocation starts a new loop.

    Raises:
        RuntimeError: Called from inside that event loop.
    """
    global _runner
    runner, _runner = _runner, None
    if runner is not None:
        runner.close()


class LambdaHandler(Generic[T]):
    """A synchronous Lambda entry point around ``async def handler(event, context)``.

    Made by :func:`lambda_handler`. Calling it (what the Lambda runtime does) runs
    :meth:`invoke` on the adapter's event loop, which is created once and kept: the DB's
    connections opened in one invocation are reused by the next.

    Attributes:
        handler: The wrapped coroutine function.
        db: The DB to pre-open; its metrics are flushed after each invocation, as are those
            of every other DB that recorded any (a module-level ``DB.from_environment()``
            included).
        buffer: Seconds kept back from the invocation's remaining time.
    """

    def __init__(self, handler: AsyncHandler[T], *, db: DB | None, buffer: float) -> None:
        self.handler = handler
        self.db = db
        self.buffer = buffer
        functools.update_wrapper(self, handler)

    def __call__(self, event: Any, context: Any) -> T:
        """Run one invocation to its end on the adapter's event loop.

        Raises:
            RuntimeError: Called while an event loop is running in this thread (in an async
                test): ``await handler.invoke(event, context)`` there instead.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return _loop().run(self.invoke(event, context))
        raise RuntimeError(
            f"{self.handler.__qualname__} is the synchronous Lambda entry point and an event "
            "loop is running: use `await handler.invoke(event, context)` in async code"
        )

    async def invoke(self, event: Any, context: Any) -> T:
        """Run one invocation on the running event loop.

        Every DB operation inside must end ``buffer`` seconds before the invocation runs out
        (when ``context`` has ``get_remaining_time_in_millis``), else it raises
        :class:`~dynamorm_async.DeadlineExceeded`. At the end, also when the handler raises,
        the metrics of every DB that recorded any are flushed (found through weak
        references, so a DB nobody holds any more is not kept alive for it); the handler's
        exception propagates unchanged.
        """
        token = None
        if callable(getattr(context, "get_remaining_time_in_millis", None)):
            deadline = deadline_from_context(context, self.buffer)
            token = INVOCATION_DEADLINE.set(earliest(deadline, INVOCATION_DEADLINE.get()))
        try:
            result = await self.handler(event, context)
        except BaseException:
            await self._flush(quietly=True)
            raise
        finally:
            if token is not None:
                INVOCATION_DEADLINE.reset(token)
        await self._flush(quietly=False)
        return result

    async def _flush(self, *, quietly: bool) -> None:
        targets = metrics.with_records()
        for db in (self.db, _default_db):
            if db is not None and db.metrics not in targets:
                targets.append(db.metrics)
        failure: Exception | None = None
        for recorder in targets:
            try:
                await recorder.flush()
            except Exception as exc:
                if quietly:  # the handler's own error is the one to report
                    _log.exception("flushing dynamorm_async metrics failed")
                else:
                    failure = failure or exc
        if failure is not None:
            raise failure


@overload
def lambda_handler(handler: AsyncHandler[T], /) -> LambdaHandler[T]: ...


@overload
def lambda_handler(
    *, db: DB | None = None, buffer: float = DEFAULT_BUFFER, preopen: bool = False
) -> Callable[[AsyncHandler[T]], LambdaHandler[T]]: ...


@overload
def lambda_handler(
    *,
    partners: MultiAccountDB,
    resolve_partner: PartnerResolver | None = None,
    partner_error: PartnerErrorHandler[T] | None = None,
    buffer: float = DEFAULT_BUFFER,
) -> Callable[[PartnerHandler[T]], LambdaHandler[T]]: ...


def lambda_handler(
    handler: AsyncHandler[T] | None = None,
    /,
    *,
    db: DB | None = None,
    buffer: float = DEFAULT_BUFFER,
    preopen: bool = False,
    partners: MultiAccountDB | None = None,
    resolve_partner: PartnerResolver | None = None,
    partner_error: PartnerErrorHandler[T] | None = None,
) -> Any:
    """Turn ``async def handler(event, context)`` into the entry point Lambda calls.

    Use bare (``@lambda_handler``) or with options (``@lambda_handler(buffer=0.5)``).
    See :class:`LambdaHandler` for what each invocation does.

    Args:
        handler: The coroutine function.
        db: The DB to pre-open, default :func:`get_db`'s. Metrics are flushed for every DB
            that recorded any, this one or not.
        buffer: Seconds kept back from each invocation's remaining time for the handler to
            answer and log (the DB operations' deadline is the remaining time less this).
        preopen: Open the DB's client and one pooled connection (TCP + TLS) while the
            module is imported, i.e. in Lambda's init phase, which runs at full CPU before
            the first invocation is timed: the first request then neither loads botocore's
            service model nor waits for a handshake (see :meth:`DB.open`). Only where the Lambda
            runtime runs (``AWS_LAMBDA_RUNTIME_API`` is set); importing the module in a test
            or a script does no I/O. Not with ``partners``: a partner's DB is made on its
            first use.
        partners: Serve many partner accounts: the handler is
            ``async def handler(event, context, db)`` and ``db`` is the invocation's
            partner DB (:meth:`MultiAccountDB.partner
            <dynamorm_async.partners.MultiAccountDB.partner>`), whose metrics are flushed
            after the invocation. See docs/partners.md.
        resolve_partner: ``resolve(event, context) -> partner id``; the default reads an API
            Gateway event with :func:`~dynamorm_async.aws_lambda.partner_id_from_event`.
        partner_error: ``on_error(error, event) -> result``: the invocation's answer when the
            event names no partner or an unknown one (:class:`MissingPartner`,
            :class:`UnknownPartner`); without it that error propagates.

    Raises:
        SchemaError: ``handler`` is not a coroutine function (a plain ``def``), raised when
            decorating, not at the first invocation.
    """
    if partners is None and (resolve_partner is not None or partner_error is not None):
        raise TypeError("resolve_partner and partner_error need partners=")

    def wrap(function: Any) -> LambdaHandler[T]:
        if not _is_async(function):
            name = getattr(function, "__qualname__", None) or type(function).__name__
            raise SchemaError(
                f"@lambda_handler wraps an `async def handler(event, context)`; {name} is not "
                "a coroutine function (declare it with `async def`)"
            )
        if partners is not None:
            from ._partner_handler import with_partner_db

            function = with_partner_db(function, partners, resolve_partner, partner_error)
        if db is not None and os.environ.get(RUNTIME_API):
            # Lambda's init phase: a DB.from_environment() reads its variables now (a bad
            # one fails the init), not at the first invocation. Outside the runtime, at the
            # first use: a test's fixtures set the environment after the module is imported.
            _ = db.config
        if preopen and partners is None and os.environ.get(RUNTIME_API):
            _loop().run((db if db is not None else get_db()).open(connect=True))
        return LambdaHandler(function, db=db, buffer=buffer)

    return wrap if handler is None else wrap(handler)


def _is_async(function: Any) -> bool:
    """Whether calling ``function`` returns a coroutine.

    True for an ``async def`` (or a partial of one), or an object whose ``__call__`` is one.
    """
    if inspect.iscoroutinefunction(function):
        return True
    return callable(function) and inspect.iscoroutinefunction(type(function).__call__)
