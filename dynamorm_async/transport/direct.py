"""The default transport: DynamoDB's JSON protocol spoken directly over one aiohttp pool.

A request is the operation's parameters (the codec's AttributeValues, as they are) serialised
with orjson (binary values base64-encoded), the ``X-Amz-Target`` and content-type headers and
a SigV4 signature (:mod:`._sigv4`, key cached per day). The answer is parsed with orjson, its
``x-amz-crc32`` checked, and returned as DynamoDB sent it: binary values stay base64 text,
which the codec's decoders read directly (no second walk over the response). Errors go
through the one error map, :func:`~dynamorm_async.errors.from_client_error`, in the same
``{"Error": ..., "ResponseMetadata": ...}`` shape botocore gives it, so a code maps to the same
typed error on both transports.

Credentials and region come from aiobotocore's provider chain (:mod:`._credentials`); no
botocore client is created and neither DynamoDB's service model nor its endpoint ruleset is
loaded (:mod:`._endpoint` computes the endpoint once). Retries follow botocore's modes
(:mod:`._retry`).

This module is the one place where aiohttp's exceptions are translated for this transport.
"""

from __future__ import annotations

import asyncio
import base64
import http
import time
import zlib
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from .._deadline import time_left
from .._delivery import CURRENT_DELIVERY, Delivery
from .._instrument import CURRENT_CALL
from .._logging import gave_up, retrying
from ..config import Config
from ..errors import (
    AccessDenied,
    DeadlineExceeded,
    DynamORMError,
    PoolTimeout,
    TransportError,
    from_client_error,
    transport_failure,
)
from . import table_of
from ._aiohttp import REQUEST_CLASS, request_body
from ._credentials import CredentialSource, resolve_region
from ._endpoint import endpoint_for
from ._pool import PoolGate
from ._retry import THROTTLING_CODES, RetryPolicy
from ._sigv4 import Signer, canonical_path

__all__ = ["DirectTransport"]

_TARGET_PREFIX = "DynamoDB_20120810."
_CONTENT_TYPE = "application/x-amz-json-1.0"
_USER_AGENT = "dynamorm_async (direct transport)"
# Connection resets, refused connects, read/connect timeouts, truncated answers: botocore's
# ConnectionError/HTTPClientError family, retried in every mode.
_TRANSIENT: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)
# Of those, the failures that leave no doubt the request never reached the server.
_NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)


def _json_default(value: Any) -> Any:
    # The codec's B/BS values are bytes; sets appear only in hand-written parameters.
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} value to DynamoDB")


def encode_body(params: Mapping[str, Any]) -> bytes:
    """The JSON body of a request with ``params`` (binary values as base64).

    Raises:
        TypeError: a value that has no DynamoDB JSON form.
    """
    return orjson.dumps(params, default=_json_default)


class _Clock:
    """The ``X-Amz-Date`` of now, formatted once per second."""

    __slots__ = ("_second", "_text")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def amz_date(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._text = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            self._second = second
        return self._text


class DirectTransport:
    """A :class:`~dynamorm_async.transport.Transport` that signs and sends JSON itself."""

    def __init__(self, config: Config, session: aiohttp.ClientSession) -> None:
        region = resolve_region(config)
        endpoint = endpoint_for(
            region,
            config.endpoint_url,
            fips=config.use_fips_endpoint,
            dualstack=config.use_dualstack_endpoint,
        )
        self._url = endpoint.url
        self._host = endpoint.host
        self._path = canonical_path(endpoint.path)
        self._signer = Signer(region)
        self._credentials = CredentialSource(config)
        self._retry = RetryPolicy(config.retry_mode, config.max_retries + 1)
        self._clock = _Clock()
        # First come, first served for the pool's connections (aiohttp's own pool is not fair).
        self._gate = PoolGate(config.max_pool_connections, timeout=config.pool_timeout)
        self._session = session
        self._closed = False

    @classmethod
    async def open(cls, config: Config) -> DirectTransport:
        """Open the connection pool described by ``config`` (no request is sent).

        Raises:
            ConfigError: no region can be found, or the endpoint settings contradict.
        """
        connector = aiohttp.TCPConnector(
            limit=config.max_pool_connections,
            keepalive_timeout=config.keepalive_timeout,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=config.connect_timeout, sock_read=config.timeout
            ),
            auto_decompress=False,
            skip_auto_headers=("Accept-Encoding",),
            cookie_jar=aiohttp.DummyCookieJar(),  # DynamoDB sets none: no per-request lookups
            request_class=REQUEST_CLASS,  # on the wire when sent, on Python 3.11 too
        )
        try:
            return cls(config, session)
        except BaseException:
            await session.close()
            raise

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Send one operation, retried as the retry mode says; see :class:`Transport`."""
        try:
            body = encode_body(params)
        except TypeError as exc:
            raise TransportError(
                f"cannot serialise the request: {exc}", operation=operation, table=table_of(params)
            ) from exc
        target = _TARGET_PREFIX + operation
        retry = self._retry
        attempt = 0
        cost: int | None = None
        throttles = 0
        delivery = CURRENT_DELIVERY.get()
        while True:
            attempt += 1
            if retry.limiter is not None and not await retry.limiter.acquire():
                _observe(attempt - 1, throttles)
                late = DeadlineExceeded(
                    "the client-side rate limit (adaptive retry mode) would wait past the "
                    "deadline; request not sent",
                    operation=operation,
                    table=table_of(params),
                )
                gave_up(operation, params, attempt - 1, late, "the rate limit waits too long")
                raise late
            timeout = throttled = False
            try:
                status, headers, data = await self._send(target, body, delivery)
            except PoolTimeout as exc:  # no pool slot in time: not retried, named for the call
                exc.operation, exc.table = operation, table_of(params)
                raise
            except DynamORMError:
                raise  # credentials that cannot be resolved: not retried
            except _TRANSIENT as exc:
                cause: BaseException = exc
                # The rule both transports share: a timeout is a RequestTimeout (TimeoutError).
                error: DynamORMError = transport_failure(
                    exc, operation=operation, table=table_of(params)
                )
                retryable = True
                timeout = isinstance(exc, TimeoutError)
                if delivery is not None and isinstance(exc, _NOT_SENT):
                    delivery.not_sent()
            else:
                checksum = headers.get("x-amz-crc32")
                if status == 200 and (checksum is None or _crc32_matches(data, checksum)):
                    if retry.limiter is not None:
                        retry.limiter.record(False)
                    retry.succeeded(cost)
                    _observe(attempt, throttles)
                    return self._parsed(data, headers, attempt, operation, params)
                if status == 200:
                    error = TransportError(
                        f"the answer's CRC32 checksum {checksum} does not match its body",
                        operation=operation,
                        table=table_of(params),
                        request_id=headers.get("x-amzn-RequestId"),
                    )
                    retryable = True
                else:
                    if delivery is not None and status < 500:
                        delivery.not_sent()  # refused: this attempt was not applied
                    response = _error_response(status, headers, data, attempt)
                    code = response["Error"]["Code"]
                    error = from_client_error(response, operation=operation, table=table_of(params))
                    throttled = code in THROTTLING_CODES
                    retryable = retry.retryable(code, status)
                cause = error
            if throttled:
                throttles += 1
            if retry.limiter is not None:
                retry.limiter.record(throttled)
            why = "no attempts left"
            if retryable and attempt < retry.max_attempts:
                cost = retry.take_quota(timeout=timeout)
                why = "the retry quota is spent"
                if cost is not None:
                    delay = retry.delay(attempt)
                    if delay < time_left():
                        retrying(
                            operation, params, attempt, error, throttled=throttled, delay=delay
                        )
                        await asyncio.sleep(delay)
                        continue
                    _observe(attempt, throttles)
                    gave_up(operation, params, attempt, error, "the deadline comes first")
                    # The retry would start after the deadline: end now, as the deadline
                    # would, instead of sleeping until it.
                    raise DeadlineExceeded(
                        f"the deadline comes before the next retry (the last attempt: {error})",
                        operation=operation,
                        table=table_of(params),
                    ) from cause
            _observe(attempt, throttles)
            if retryable:
                gave_up(operation, params, attempt, error, why)
            if cause is error:
                raise error
            raise error from cause

    async def _send(
        self, target: str, body: bytes, delivery: Delivery | None = None
    ) -> tuple[int, Any, bytes]:
        try:
            access_key, secret_key, token = await self._credentials.get()
        except DynamORMError:
            raise
        except Exception as exc:
            raise AccessDenied(f"cannot resolve AWS credentials: {exc}") from exc
        amz_date = self._clock.amz_date()
        headers = {
            "Content-Type": _CONTENT_TYPE,
            "Host": self._host,
            "X-Amz-Date": amz_date,
            "X-Amz-Target": target,
        }
        if token:
            headers["X-Amz-Security-Token"] = token
        headers["Authorization"] = self._signer.authorization(
            path=self._path,
            headers=headers,
            body=body,
            amz_date=amz_date,
            access_key=access_key,
            secret_key=secret_key,
        )
        headers["User-Agent"] = _USER_AGENT
        async with self._gate:
            if delivery is not None:
                delivery.sending()
            payload = request_body(body)
            async with self._session.post(self._url, data=payload, headers=headers) as response:
                data = await response.read()
                return response.status, response.headers, data

    @staticmethod
    def _parsed(
        data: bytes, headers: Any, attempt: int, operation: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            parsed = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError as exc:
            raise TransportError(
                f"the answer is not JSON: {exc}", operation=operation, table=table_of(params)
            ) from exc
        if not isinstance(parsed, dict):
            raise TransportError(
                "the answer is not a JSON object", operation=operation, table=table_of(params)
            )
        parsed["ResponseMetadata"] = {
            "RequestId": headers.get("x-amzn-RequestId"),
            "HTTPStatusCode": 200,
            "RetryAttempts": attempt - 1,
        }
        return parsed

    async def aclose(self) -> None:
        """Close the connection pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._session.close()


def _crc32_matches(data: bytes, checksum: str) -> bool:
    # A header that is not a number is as damaged as a wrong one.
    return checksum.isdigit() and zlib.crc32(data) == int(checksum)


def _observe(attempts: int, throttles: int) -> None:
    call = CURRENT_CALL.get()
    if call is not None:
        call.attempts = attempts
        call.throttles = throttles


def _error_response(status: int, headers: Any, data: bytes, attempt: int) -> dict[str, Any]:
    """An error answer in the shape botocore's JSON parser gives ``ClientError.response``."""
    try:
        document = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    code = document.pop("__type", None) or document.pop("code", None)
    if not code:
        code = (headers.get("x-amzn-ErrorType") or "").split(":", 1)[0] or str(status)
    code = str(code).rsplit("#", 1)[-1]
    message = document.pop("message", None) or document.pop("Message", None)
    if message is None:
        try:
            message = http.HTTPStatus(status).phrase
        except ValueError:
            message = ""
    return {
        **document,
        "Error": {"Code": code, "Message": str(message)},
        "ResponseMetadata": {
            "RequestId": headers.get("x-amzn-RequestId"),
            "HTTPStatusCode": status,
            "RetryAttempts": attempt - 1,
        },
    }
