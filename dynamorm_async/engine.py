"""The engine: one transport per event loop, opened on first use, kept for the DB's life.

Loop affinity: an aiohttp connector belongs to the loop that created it. When the engine is
used from another loop (a handler calling ``asyncio.run`` on every invocation), the
transport bound to the old loop is abandoned, never awaited on, and a new one is opened.
To release the old transport's sockets cleanly, the engine parks an async generator on the
loop it opened the transport on: ``asyncio.run`` (and any runner that calls
``loop.shutdown_asyncgens()``) closes it while the loop still runs, which closes the
transport.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from logging import DEBUG
from typing import TYPE_CHECKING, Any

from . import tracing
from ._deadline import CALL_DEADLINE
from ._delivery import CURRENT_DELIVERY
from ._instrument import CURRENT_CALL, Call, Observer
from ._logging import REQUESTS, RequestLog
from .capacity import METER, asking_for_capacity
from .config import Config
from .errors import DeadlineExceeded
from .transport import Transport, table_of

if TYPE_CHECKING:
    from .metrics import Metrics

__all__ = ["ENDPOINT_CHECKS", "Engine", "TransportFactory", "check_endpoint", "open_transport"]

TransportFactory = Callable[[Config], Awaitable[Transport]]
"""Opens a transport for a config (the default opens the one ``Config.transport`` names)."""

ENDPOINT_CHECKS: list[Callable[[str, str | None], None]] = []
"""``check(service, endpoint_url)`` before a client of AWS is opened; raising refuses it.

``endpoint_url`` is ``None`` for the service's own AWS endpoint. Empty unless the pytest
plugin (:mod:`dynamorm_async.testing.plugin`) added its refusal of real AWS during tests."""


def check_endpoint(service: str, endpoint_url: str | None) -> None:
    """Run :data:`ENDPOINT_CHECKS` for a client about to be opened.

    Args:
        service: ``"dynamodb"`` or ``"sts"``.
        endpoint_url: The endpoint it will send to; ``None``: the AWS one.
    """
    for check in ENDPOINT_CHECKS:
        check(service, endpoint_url)


async def open_transport(config: Config) -> Transport:
    """Open the transport ``Config.transport`` names (imported only when chosen).

    Raises:
        Exception: What a check of :data:`ENDPOINT_CHECKS` raised (nothing is opened).
    """
    check_endpoint("dynamodb", config.endpoint_url)
    if config.transport == "botocore":
        from .transport.aiobotocore import AiobotocoreTransport

        return await AiobotocoreTransport.open(config)
    from .transport.direct import DirectTransport

    return await DirectTransport.open(config)


# The parked generators of each loop, held until they run: a DB dropped without close() must
# not let the garbage collector finalize its transport's aiohttp session (which then warns
# "Unclosed client session", in whatever order the cycle is collected) before the loop's
# shutdown closes it. Held per loop, they go with it.
_PARKED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[AsyncGenerator[None, None]]] = (
    weakref.WeakKeyDictionary()
)


async def _close_at_loop_shutdown(transport: Transport) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await transport.aclose()


class _Binding:
    """The transport opened on one event loop, and what closes it with that loop."""

    __slots__ = ("closer", "loop", "transport")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: Transport,
        closer: AsyncGenerator[None, None],
    ) -> None:
        self.loop = loop
        self.transport = transport
        self.closer = closer


class Engine:
    """Owns the transport and sends every request.

    Every request passes through :meth:`call`: the deadline is enforced there, and the
    observers (metrics, X-Ray tracing, an open capacity meter, the DEBUG request log) see
    each request there. With none active a request takes the short path, which builds no
    record.

    Args:
        config: Where and how to connect.
        transport_factory: Opens the transport; defaults to :func:`open_transport`.
        metrics: Records every request when enabled.
    """

    def __init__(
        self,
        config: Config,
        transport_factory: TransportFactory | None = None,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self._factory = transport_factory or open_transport
        self._metrics = metrics if metrics is not None and metrics.enabled else None
        self._tracing = config.tracing
        self._request_log = RequestLog(keys=config.log_keys)
        self._binding: _Binding | None = None
        self._lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self.opened = 0
        """How many transports this engine has opened (one per event loop it served)."""

    @property
    def is_open(self) -> bool:
        """Whether a transport is open on the running (or last) loop."""
        return self._binding is not None

    async def transport(self) -> Transport:
        """The transport for the running loop, opening it on first use."""
        binding = self._binding
        loop = asyncio.get_running_loop()
        if binding is not None and binding.loop is loop:
            return binding.transport
        lock = self._loop_lock(loop)
        async with lock:
            binding = self._binding
            if binding is not None and binding.loop is loop:
                return binding.transport
            # A transport bound to another (dead or foreign) loop is dropped, not awaited:
            # awaiting it here would touch a closed loop.
            self._binding = None
            transport = await self._factory(self.config)
            closer = _close_at_loop_shutdown(transport)
            await closer.__anext__()
            _PARKED.setdefault(loop, set()).add(closer)
            self._binding = _Binding(loop, transport, closer)
            self.opened += 1
            return transport

    def _loop_lock(self, loop: asyncio.AbstractEventLoop) -> asyncio.Lock:
        if self._lock is None or self._lock[0] is not loop:
            self._lock = (loop, asyncio.Lock())
        return self._lock[1]

    async def call(
        self, operation: str, params: Mapping[str, Any], *, deadline: float | None = None
    ) -> dict[str, Any]:
        """Send one operation.

        Args:
            operation: The DynamoDB API name, e.g. ``"GetItem"``.
            params: The request parameters in botocore's shape.
            deadline: An absolute :func:`time.monotonic` time (asyncio's loop clock) after
                which the call is cancelled; ``None`` for no deadline beyond the caller's
                own scopes.

        Raises:
            DeadlineExceeded: the deadline passed (a call with no time left sends nothing).
            DynamORMError: the transport's translated error.
        """
        if (
            self._metrics is not None
            or METER.get() is not None
            or REQUESTS.isEnabledFor(DEBUG)
            or (self._tracing and tracing.TRACE_HEADER in os.environ)
        ):
            return await self._observed(operation, params, deadline)
        return await self._send(operation, params, deadline)

    async def _observed(
        self, operation: str, params: Mapping[str, Any], deadline: float | None
    ) -> dict[str, Any]:
        observers: list[Observer] = []
        if self._metrics is not None:
            observers.append(self._metrics)
            params = self._metrics.prepare(operation, params)
        meter = METER.get()
        if meter is not None:
            observers.append(meter)
            params = asking_for_capacity(operation, params)
        if REQUESTS.isEnabledFor(DEBUG):
            observers.append(self._request_log)
        tracer = tracing.active_tracer() if self._tracing else None
        if tracer is not None:
            observers.append(tracer)
        if not observers:
            return await self._send(operation, params, deadline)
        call = Call(operation, params)
        states = [observer.begin(call) for observer in observers]
        token = CURRENT_CALL.set(call)
        started = time.perf_counter()
        try:
            call.response = await self._send(operation, params, deadline)
            return call.response
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            call.seconds = time.perf_counter() - started
            CURRENT_CALL.reset(token)
            for observer, state in zip(observers, states, strict=True):
                observer.end(call, state)

    async def _send(
        self, operation: str, params: Mapping[str, Any], deadline: float | None
    ) -> dict[str, Any]:
        if deadline is None:
            transport = await self.transport()
            return await transport.call(operation, params)
        if deadline - time.monotonic() <= 0:
            raise DeadlineExceeded(
                "no time left before the deadline; request not sent",
                operation=operation,
                table=table_of(params),
            )
        delivery = CURRENT_DELIVERY.get()
        if delivery is not None:
            delivery.handed = True  # a transport that records nothing may have sent it
        token = CALL_DEADLINE.set(deadline)
        try:
            async with asyncio.timeout_at(deadline) as scope:
                transport = await self.transport()
                return await transport.call(operation, params)
        except TimeoutError as exc:
            if not scope.expired():  # a timeout of the transport's own, not the deadline
                raise
            raise DeadlineExceeded(
                "deadline reached; the request was cancelled",
                operation=operation,
                table=table_of(params),
            ) from exc
        finally:
            CALL_DEADLINE.reset(token)

    async def aclose(self) -> None:
        """Close the transport of the running loop; closing twice is harmless.

        The engine stays usable: the next call opens a new transport.
        """
        binding, self._binding = self._binding, None
        if binding is None:
            return
        if binding.loop is asyncio.get_running_loop():
            _PARKED.get(binding.loop, set()).discard(binding.closer)
            await binding.closer.aclose()
        # A transport of another loop is abandoned: that loop closes it at its shutdown.
