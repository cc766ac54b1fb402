"""The Session: what every operation runs on, and nothing more.

A :class:`Session` is a small frozen value: the codec, the configuration (table naming
included), the deadline and :meth:`Session.send`, which sends one request through the
:class:`~dynamorm_async.engine.Engine`. Queries, the update builder, transactions, batch
executors and pagers take a Session, never a :class:`~dynamorm_async.DB`; the DB is the
facade users hold, and its deadline views (``with_deadline``, ``with_lambda_context``)
are DBs on an evolved Session that shares the engine, codec and configuration.

Building a Session does no I/O (the engine opens its transport on the first request), so
planning code and its tests can build one from a :class:`~dynamorm_async.Config` alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import attrs

from ._deadline import INVOCATION_DEADLINE, LambdaContext, deadline_from_context, earliest
from ._schema import model_meta
from .codec import Codec
from .config import Config
from .engine import Engine

__all__ = ["Session"]


def _engine_for(session: Session) -> Engine:
    return Engine(session.config)


@attrs.frozen(eq=False)
class Session:
    """The codec, configuration, deadline and engine one operation runs on.

    Attributes:
        config: Connection settings and table naming.
        codec: Encodes and decodes the models' items.
        engine: Sends every request (its transport is opened on first use).
        own_deadline: The absolute :func:`time.monotonic` time this Session's requests
            must end by, ``None`` for none (see :attr:`deadline`).
    """

    config: Config
    codec: Codec = attrs.field(factory=Codec)
    engine: Engine = attrs.field(default=attrs.Factory(_engine_for, takes_self=True), repr=False)
    own_deadline: float | None = None

    @property
    def deadline(self) -> float | None:
        """The earlier of :attr:`own_deadline` and the running Lambda invocation's deadline."""
        return earliest(self.own_deadline, INVOCATION_DEADLINE.get())

    def table_name(self, model: type) -> str:
        """The physical table name of ``model`` (with the config's ``table_prefix``)."""
        return self.config.table_name(model_meta(model).table)

    async def send(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one request through the engine, bounded by :attr:`deadline`.

        Raises:
            DeadlineExceeded: The deadline passed (with no time left nothing is sent).
            DynamORMError: The transport's translated error.
        """
        return await self.engine.call(operation, params, deadline=self.deadline)

    def with_deadline(self, seconds: float) -> Session:
        """A copy of this Session with every request due within ``seconds`` from now.

        The earlier deadline wins when the Session has one already.
        """
        return attrs.evolve(
            self, own_deadline=earliest(time.monotonic() + seconds, self.own_deadline)
        )

    def with_lambda_context(self, context: LambdaContext, buffer: float) -> Session:
        """A copy of this Session with requests due ``buffer`` seconds before the invocation ends.

        Raises:
            ValueError: ``buffer`` is negative or not a number.
        """
        deadline = deadline_from_context(context, buffer)
        return attrs.evolve(self, own_deadline=earliest(deadline, self.own_deadline))
