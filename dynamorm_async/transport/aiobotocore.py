"""The botocore transport (``Config(transport="botocore")``): one pooled aiobotocore client.

This module is the one place where botocore's and aiohttp's exceptions are translated
into :mod:`dynamorm_async.errors`.

Every HTTP attempt (botocore's retries included) passes a :class:`~._pool.PoolGate` sized
like the connector's pool before it asks for a connection, and leaves it once the answer's
body is read and the connection is back in the pool: requests get connections first come,
first served, and a retry waiting out its back-off holds no slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import aiohttp
import botocore.exceptions as bce
from aiobotocore.config import AioConfig
from aiobotocore.httpsession import AIOHTTPSession
from aiobotocore.session import get_session
from botocore import xform_name

from .._delivery import CURRENT_DELIVERY
from .._instrument import CURRENT_CALL, is_throttling
from .._logging import gave_up, retrying
from ..config import Config
from ..errors import (
    AccessDenied,
    ConfigError,
    DynamORMError,
    PoolTimeout,
    ValidationError,
    from_client_error,
    scrub,
    transport_failure,
)
from . import table_of
from ._aiohttp import request_body
from ._pool import PoolGate
from ._retry import RetryPolicy

__all__ = ["AiobotocoreTransport"]


class AiobotocoreTransport:
    """A :class:`~dynamorm_async.transport.Transport` over one aiobotocore DynamoDB client."""

    def __init__(self, client_context: Any, client: Any) -> None:
        self._context = client_context
        self._client = client
        self._methods: dict[str, Any] = {}
        self._closed = False

    @classmethod
    async def open(cls, config: Config) -> AiobotocoreTransport:
        """Open the client described by ``config`` (no request is sent)."""
        session: Any = config.session if config.session is not None else get_session()
        kwargs: dict[str, Any] = {
            "region_name": config.region,
            "endpoint_url": config.endpoint_url,
            "config": AioConfig(
                connect_timeout=config.connect_timeout,
                read_timeout=config.timeout,
                max_pool_connections=config.max_pool_connections,
                retries={"max_attempts": config.max_retries, "mode": config.retry_mode},
                use_fips_endpoint=config.use_fips_endpoint,
                use_dualstack_endpoint=config.use_dualstack_endpoint,
                connector_args={"keepalive_timeout": config.keepalive_timeout},
                http_session_cls=_gated_session(
                    PoolGate(config.max_pool_connections, timeout=config.pool_timeout)
                ),
            ),
        }
        if config.credentials is not None:
            kwargs["aws_access_key_id"] = config.credentials.access_key_id
            kwargs["aws_secret_access_key"] = config.credentials.secret_access_key
            kwargs["aws_session_token"] = config.credentials.session_token
        # aiobotocore's AioSession.create_client and aioboto3's Session.client both return
        # an async context manager around the client.
        factory = getattr(session, "create_client", None) or session.client
        try:
            context = factory("dynamodb", **kwargs)
            client = await context.__aenter__()
        except bce.NoRegionError as exc:
            raise ConfigError(
                "no AWS region: set Config.region (or AWS_REGION for Config.from_environment())"
            ) from exc
        except bce.BotoCoreError as exc:
            raise ConfigError(f"cannot open the DynamoDB client: {exc}") from exc
        # botocore asks this event after every HTTP attempt, retried or not: the one place
        # where retries and throttled attempts inside a call are visible. Registered after
        # botocore's own retry handler, it runs after it has decided.
        client.meta.events.register("needs-retry.dynamodb", _AttemptWatcher(config.max_retries + 1))
        return cls(context, client)

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation through the client; see :class:`Transport`."""
        method = self._methods.get(operation)
        if method is None:
            method = self._methods[operation] = getattr(self._client, xform_name(operation))
        token = _SENDING.set((operation, params))
        try:
            response: dict[str, Any] = await method(**params)
        except PoolTimeout as exc:  # a TimeoutError, hence an OSError: before _TRANSLATED
            exc.operation, exc.table = operation, table_of(params)
            raise
        except _TRANSLATED as exc:
            raise translate(exc, operation, table_of(params)) from exc
        finally:
            _SENDING.reset(token)
        return response

    async def aclose(self) -> None:
        """Close the client and its connection pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._context.__aexit__(None, None, None)


_TRANSLATED = (bce.BotoCoreError, bce.ClientError, aiohttp.ClientError, OSError)


def _never_sent(exc: Exception) -> bool:
    """Whether an attempt's failure leaves no doubt its request never reached the server.

    aiobotocore raises ``EndpointConnectionError`` for a failed connect and for a connection
    reset mid-answer alike: only its aiohttp cause tells them apart.
    """
    if isinstance(exc, bce.ConnectTimeoutError):
        return True
    cause = getattr(exc, "kwargs", {}).get("error")
    return isinstance(exc, bce.EndpointConnectionError) and isinstance(
        cause, aiohttp.ClientConnectorError
    )


def _gated_session(gate: PoolGate) -> type[Any]:
    """The aiobotocore HTTP session class whose every ``send`` (one attempt) passes ``gate``.

    ``send`` returns once the whole body is read (botocore never streams a DynamoDB answer),
    so the connection is back in the pool when the slot is given back. It is also where
    botocore's attempts are recorded in the write's :class:`~dynamorm_async._delivery.Delivery`
    (botocore retries inside one call; only here is each attempt visible).
    """

    class GatedSession(AIOHTTPSession):
        async def send(self, request: Any) -> Any:
            body = request.body
            payload = request_body(body) if isinstance(body, bytes) else body
            if payload is body:
                return await self._gated_send(request)
            # Signed already: only how aiohttp is handed the body changes, for this attempt
            # (botocore rewinds the request's body before a retry: bytes need no rewinding).
            request.body = payload
            try:
                return await self._gated_send(request)
            finally:
                request.body = body

        async def _gated_send(self, request: Any) -> Any:
            async with gate:
                delivery = CURRENT_DELIVERY.get()
                if delivery is None:
                    return await super().send(request)
                delivery.sending()
                try:
                    response = await super().send(request)
                except Exception as exc:
                    if _never_sent(exc):
                        delivery.not_sent()
                    raise
                if 400 <= response.status_code < 500:
                    delivery.not_sent()  # refused: this attempt was not applied
                return response

    return GatedSession


_SENDING: ContextVar[tuple[str, Mapping[str, Any]] | None] = ContextVar(
    "dynamorm_async_botocore_sending", default=None
)
"""The operation and parameters the running task sends, for the retry log."""

# What botocore's standard and adaptive modes retry besides error codes and 5xx answers.
_RETRIED_EXCEPTIONS = (bce.ConnectionError, bce.HTTPClientError)


class _AttemptWatcher:
    """botocore's ``needs-retry`` handler: counts attempts and logs retries and give-ups.

    It returns ``None``: botocore takes the first non-``None`` answer as the retry decision,
    which its own handler (registered first) has made. That decision is read back from what
    it leaves: ``MaxAttemptsReached`` / ``RetryQuotaReached`` in the answer's metadata.
    """

    __slots__ = ("max_attempts",)

    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts

    def __call__(
        self, attempts: int, response: Any = None, caught_exception: Any = None, **_: Any
    ) -> None:
        code: Any = None
        metadata: Mapping[str, Any] = {}
        if response is not None:
            parsed = response[1] or {}
            code = (parsed.get("Error") or {}).get("Code")
            metadata = parsed.get("ResponseMetadata") or {}
        throttled = is_throttling(code)
        call = CURRENT_CALL.get()
        if call is not None:
            call.attempts = attempts
            if throttled:
                call.throttles += 1
        if caught_exception is not None:
            retryable = isinstance(caught_exception, _RETRIED_EXCEPTIONS)
        elif code is not None:
            status = metadata.get("HTTPStatusCode")
            retryable = RetryPolicy.retryable(str(code), status if isinstance(status, int) else 0)
        else:
            return  # an answer, not an error
        sending = _SENDING.get()
        if not retryable or sending is None:
            return
        operation, params = sending
        error = (
            translate(caught_exception, operation, table_of(params))
            if caught_exception is not None
            else from_client_error(response[1], operation=operation, table=table_of(params))
        )
        if metadata.get("RetryQuotaReached"):
            gave_up(operation, params, attempts, error, "the retry quota is spent")
        elif metadata.get("MaxAttemptsReached") or attempts >= self.max_attempts:
            gave_up(operation, params, attempts, error, "no attempts left")
        else:
            retrying(operation, params, attempts, error, throttled=throttled, delay=None)


def translate(exc: Exception, operation: str, table: str | None) -> DynamORMError:
    """Map a botocore/aiohttp exception to the dynamorm_async error for its cause."""
    context: dict[str, Any] = {"operation": operation, "table": table}
    if isinstance(exc, DynamORMError):
        return exc
    # The original stays the cause (a ClientError's response has the details), but its text
    # loses account ids and access key ids: tracebacks print it.
    exc.args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in exc.args)
    if isinstance(exc, bce.ClientError):
        return from_client_error(exc.response, operation=operation, table=table)
    if isinstance(exc, bce.ParamValidationError):
        return ValidationError(f"invalid request parameters: {exc}", **context)
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AccessDenied(f"no usable AWS credentials: {exc}", **context)
    if isinstance(exc, bce.NoRegionError):
        return ConfigError(f"no AWS region: {exc}", **context)
    # Connection failures, read/connect timeouts, closed connections, other botocore errors.
    return transport_failure(exc, operation=operation, table=table)
