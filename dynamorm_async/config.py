"""Configuration values.

:class:`Config` is a frozen, keyword-only value. Change it with :func:`attrs.evolve`. Its
constructor never reads the environment; :meth:`Config.from_environment` does, explicitly
(its variables are listed in :mod:`dynamorm_async.environment`). Every value is
validated at construction and a bad one raises :class:`ConfigError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .environment import fit_pool_and_batches, memory_size, read_settings
from .errors import ConfigError

__all__ = [
    "DEFAULT_BACKOFF_BASE",
    "DEFAULT_BACKOFF_CAP",
    "DEFAULT_BATCH_CONCURRENCY",
    "DEFAULT_BATCH_MAX_ATTEMPTS",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_MAX_POOL_CONNECTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_METRICS_NAMESPACE",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_RETRY_MODE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TRANSACTION_MAX_ATTEMPTS",
    "DEFAULT_TRANSPORT",
    "Config",
    "Credentials",
    "RetryMode",
    "TransportKind",
]

RetryMode = Literal["adaptive", "standard", "legacy"]
TransportKind = Literal["direct", "botocore"]

DEFAULT_TIMEOUT = 5.0
DEFAULT_CONNECT_TIMEOUT = 2.0
# aiohttp's default: an idle pooled connection is closed after this many seconds.
DEFAULT_KEEPALIVE_TIMEOUT = 15.0
# The direct transport: DynamoDB's JSON protocol over aiohttp, about 3x less CPU per request
# than botocore's generic client (docs/performance.md).
DEFAULT_TRANSPORT: TransportKind = "direct"
# One connection per batch chunk in flight (DEFAULT_BATCH_CONCURRENCY); see docs/concurrency.md.
DEFAULT_MAX_POOL_CONNECTIONS = 16
# As long as a request may wait for its answer (DEFAULT_TIMEOUT): a longer wait for a free
# connection means the function has more requests in flight than its pool can serve.
DEFAULT_POOL_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 3
# "adaptive" as the foundation issue specifies. Measured here (docs/writes.md): after
# throttling it rate-limits the whole client and stretched a 10,000-item batch write about
# 3.6x against "standard"; batch-heavy services should choose "standard".
DEFAULT_RETRY_MODE: RetryMode = "adaptive"
DEFAULT_PAGE_SIZE = 100
DEFAULT_BATCH_CONCURRENCY = 16
DEFAULT_BATCH_MAX_ATTEMPTS = 8
DEFAULT_TRANSACTION_MAX_ATTEMPTS = 4
DEFAULT_BACKOFF_BASE = 0.05
DEFAULT_BACKOFF_CAP = 2.0
DEFAULT_METRICS_NAMESPACE = "DynamORM"

_RETRY_MODES = ("adaptive", "standard", "legacy")
_TRANSPORTS = ("direct", "botocore")
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_.\-]*")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+|local|[a-z0-9-]+")
# CloudWatch: a namespace is 1-255 characters of these, and "AWS/" is reserved for AWS.
_NAMESPACE = re.compile(r"(?!AWS/)[A-Za-z0-9 ._\-/#:]{1,255}")
# A CloudWatch dimension value: 1-1024 characters, at least one of them not whitespace.
_DIMENSION_VALUE = re.compile(r"(?=.*\S).{1,1024}", re.DOTALL)


def _fail(attribute: attrs.Attribute[Any], value: Any, why: str) -> ConfigError:
    return ConfigError(f"Config.{attribute.name}={value!r}: {why}")


def _positive_number(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise _fail(attribute, value, "must be a number greater than 0")
    if value != value or value == float("inf"):
        raise _fail(attribute, value, "must be finite")


def _int_at_least(minimum: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _fail(attribute, value, f"must be an integer >= {minimum}")

    return check


def _optional_str(pattern: re.Pattern[str] | None, why: str, *, allow_none: bool = True) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and allow_none:
            return
        if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
            raise _fail(attribute, value, why)

    return check


def _endpoint(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise _fail(attribute, value, "must be an http:// or https:// URL")


def _optional_positive_number(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _positive_number(instance, attribute, value)


def _batch_concurrency(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _int_at_least(1)(instance, attribute, value)
    # Each chunk in flight holds a connection: more chunks than connections only queue.
    # (The environment reader checks one value at a time, without an instance.)
    pool = getattr(instance, "max_pool_connections", None)
    if pool is not None and value > pool:
        raise _fail(
            attribute,
            value,
            f"exceeds max_pool_connections ({pool!r}): at most {pool} chunks could be in "
            "flight; lower batch_concurrency or raise max_pool_connections",
        )


def _backoff_cap(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _positive_number(instance, attribute, value)
    if value < instance.backoff_base:
        raise _fail(attribute, value, f"must be at least backoff_base ({instance.backoff_base!r})")


def _retry_mode(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in _RETRY_MODES:
        raise _fail(attribute, value, f"must be one of {', '.join(_RETRY_MODES)}")


def _transport(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in _TRANSPORTS:
        raise _fail(attribute, value, f"must be one of {', '.join(_TRANSPORTS)}")


def _bool(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(attribute, value, "must be True or False")


def _session(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    # An aiobotocore AioSession has create_client; an aioboto3 Session has client().
    if not (
        callable(getattr(value, "create_client", None)) or callable(getattr(value, "client", None))
    ):
        raise _fail(attribute, value, "must be an aiobotocore AioSession or an aioboto3 Session")


def _credential_text(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name == "session_token":
        return
    if not isinstance(value, str) or not value:
        raise ConfigError(f"Credentials.{attribute.name} must be a non-empty string")


@attrs.frozen(kw_only=True)
class Credentials:
    """Static AWS credentials. None of them is shown by ``repr`` (nor by a Config's)."""

    access_key_id: str = attrs.field(validator=_credential_text, repr=False)
    secret_access_key: str = attrs.field(validator=_credential_text, repr=False)
    session_token: str | None = attrs.field(default=None, validator=_credential_text, repr=False)

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"


def _credentials(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, Credentials):
        raise _fail(attribute, type(value).__name__, "must be a dynamorm_async.Credentials")


@attrs.frozen(kw_only=True)
class Config:
    """How a :class:`~dynamorm_async.DB` reaches DynamoDB.

    Attributes:
        region: AWS region; ``None`` lets botocore resolve it (``AWS_REGION``...) when the
            client opens.
        endpoint_url: A DynamoDB-compatible endpoint (DynamoDB Local, moto, dynalite).
        table_prefix: Prepended to every physical table name (``"dev-"`` + ``"payments"``).
        timeout: Read timeout of one HTTP request, in seconds.
        connect_timeout: TCP/TLS connect timeout, in seconds.
        max_pool_connections: Size of the one connection pool. Requests wait for a
            connection first come, first served.
        pool_timeout: Seconds a request may wait for a connection of the pool before it
            fails with :class:`~dynamorm_async.errors.PoolTimeout` (a ``TimeoutError``),
            unsent; ``None`` waits as long as the deadline allows.
        max_retries: botocore's retry attempts after the first request.
        retry_mode: botocore's retry mode: ``"adaptive"`` (default), ``"standard"`` or
            ``"legacy"``. ``"adaptive"`` adds client-wide rate limiting after throttling;
            batch-heavy services should read the writes documentation and may prefer
            ``"standard"``.
        transport: ``"direct"`` (default): DynamoDB's JSON protocol signed and sent by the
            ORM over aiohttp, with credentials from aiobotocore's provider chain and
            botocore's retry semantics; ``"botocore"``: an aiobotocore client, for code that
            relies on botocore event hooks or stubbers (docs/performance.md compares them).
        keepalive_timeout: Seconds an idle pooled connection is kept open.
        use_fips_endpoint: Send to DynamoDB's FIPS endpoint of the region.
        use_dualstack_endpoint: Send to DynamoDB's dual-stack (IPv6) endpoint of the region.
        credentials: Static credentials; ``None`` uses botocore's credential chain.
        session: An existing aiobotocore ``AioSession`` or aioboto3 ``Session`` to open the
            client from (its credentials and settings are used).
        page_size: Items per Query/Scan page when a query does not say (``Limit``).
        batch_concurrency: How many batch chunks are in flight at once; at most
            ``max_pool_connections`` (each chunk in flight holds a connection).
        batch_max_attempts: Requests per batch chunk at most (the first and the ORM's own
            retries of UnprocessedItems/UnprocessedKeys, throttling and server errors).
            Each may itself be retried by botocore (``max_retries``).
        transaction_max_attempts: Commits of one transaction at most (the first and the
            retries after a conflict, throttling or a lost answer).
        backoff_base: Seconds; the ORM's n-th retry waits a random time (full jitter) up to
            ``min(backoff_cap, backoff_base * 2 ** (n - 1))``, and never past a deadline.
        backoff_cap: Seconds; the longest single wait between the ORM's retries.
        metrics: Record per-operation metrics (latency, consumed capacity, retries,
            throttles, unprocessed items) and print them as CloudWatch Embedded Metric
            Format documents when :meth:`Metrics.flush <dynamorm_async.metrics.Metrics.flush>`
            runs (the Lambda handler adapter flushes after every invocation). Off by
            default: then no request asks for ``ReturnConsumedCapacity``.
        metrics_namespace: The CloudWatch namespace of those metrics.
        metrics_service: Added as the ``service`` dimension (Powertools' name for it).
        tracing: Record each request as an AWS X-Ray subsegment when the Lambda trace
            header (``_X_AMZN_TRACE_ID``) is present and sampled and ``aws-xray-sdk`` is
            installed (the ``xray`` extra). ``False`` never traces and never imports the SDK.
        log_keys: Add each request's key, masked like error messages (type and size of
            each value; the values themselves only inside
            :func:`~dynamorm_async.errors.values_in_errors`), to the DEBUG records of the
            ``dynamorm_async.request`` logger. Off by default: records name no key.
    """

    region: str | None = attrs.field(
        default=None,
        validator=_optional_str(_REGION, "must look like an AWS region, e.g. us-east-1"),
    )
    endpoint_url: str | None = attrs.field(default=None, validator=_endpoint)
    table_prefix: str = attrs.field(
        default="",
        validator=_optional_str(_TABLE_PREFIX, "may only hold letters, digits, '_', '-' and '.'"),
    )
    timeout: float = attrs.field(default=DEFAULT_TIMEOUT, validator=_positive_number)
    connect_timeout: float = attrs.field(
        default=DEFAULT_CONNECT_TIMEOUT, validator=_positive_number
    )
    max_pool_connections: int = attrs.field(
        default=DEFAULT_MAX_POOL_CONNECTIONS, validator=_int_at_least(1)
    )
    pool_timeout: float | None = attrs.field(
        default=DEFAULT_POOL_TIMEOUT, validator=_optional_positive_number
    )
    max_retries: int = attrs.field(default=DEFAULT_MAX_RETRIES, validator=_int_at_least(0))
    retry_mode: RetryMode = attrs.field(default=DEFAULT_RETRY_MODE, validator=_retry_mode)
    transport: TransportKind = attrs.field(default=DEFAULT_TRANSPORT, validator=_transport)
    keepalive_timeout: float = attrs.field(
        default=DEFAULT_KEEPALIVE_TIMEOUT, validator=_positive_number
    )
    use_fips_endpoint: bool = attrs.field(default=False, validator=_bool)
    use_dualstack_endpoint: bool = attrs.field(default=False, validator=_bool)
    credentials: Credentials | None = attrs.field(default=None, validator=_credentials)
    session: Any = attrs.field(default=None, validator=_session, eq=False, repr=False)
    page_size: int = attrs.field(default=DEFAULT_PAGE_SIZE, validator=_int_at_least(1))
    batch_concurrency: int = attrs.field(
        default=DEFAULT_BATCH_CONCURRENCY, validator=_batch_concurrency
    )
    batch_max_attempts: int = attrs.field(
        default=DEFAULT_BATCH_MAX_ATTEMPTS, validator=_int_at_least(1)
    )
    transaction_max_attempts: int = attrs.field(
        default=DEFAULT_TRANSACTION_MAX_ATTEMPTS, validator=_int_at_least(1)
    )
    backoff_base: float = attrs.field(default=DEFAULT_BACKOFF_BASE, validator=_positive_number)
    backoff_cap: float = attrs.field(default=DEFAULT_BACKOFF_CAP, validator=_backoff_cap)
    metrics: bool = attrs.field(default=False, validator=_bool)
    metrics_namespace: str = attrs.field(
        default=DEFAULT_METRICS_NAMESPACE,
        validator=_optional_str(
            _NAMESPACE,
            "must be 1-255 of A-Z a-z 0-9 . - _ / # : and space, not AWS/...",
            allow_none=False,
        ),
    )
    metrics_service: str | None = attrs.field(
        default=None,
        validator=_optional_str(_DIMENSION_VALUE, "must be 1-1024 characters, not all blank"),
    )
    tracing: bool = attrs.field(default=True, validator=_bool)
    log_keys: bool = attrs.field(default=False, validator=_bool)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """A config from the environment variables a Lambda function (or its deployer) sets.

        The variables and how each is read are listed in
        :mod:`dynamorm_async.environment`. Unset or empty variables keep the
        defaults; ``page_size``, ``max_pool_connections`` and ``batch_concurrency`` follow
        ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE`` unless set explicitly (and the one not set
        follows the other).

        Args:
            environ: The variables to read; ``None`` reads :data:`os.environ`.
            **overrides: Fields to set regardless of the environment (``session=``...).

        Raises:
            ConfigError: A variable holds an invalid value (the message names both).
        """
        attributes = attrs.fields_dict(cls)
        fields: dict[str, Any] = {}
        for setting in read_settings(environ):
            attribute = attributes[setting.field]
            if attribute.validator is not None:
                try:
                    attribute.validator(None, attribute, setting.value)
                except ConfigError as exc:
                    raise setting.invalid(exc.message) from exc
            fields[setting.field] = setting.value
        fields.update(overrides)
        fit_pool_and_batches(
            fields,
            memory_size(environ),
            default_pool=DEFAULT_MAX_POOL_CONNECTIONS,
            default_chunks=DEFAULT_BATCH_CONCURRENCY,
        )
        return cls(**fields)

    def table_name(self, name: str) -> str:
        """The physical table name for a model's logical table name."""
        return f"{self.table_prefix}{name}"
