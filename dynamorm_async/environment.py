"""The environment variables that ``Config.from_environment()`` reads: Config's own table.

==================================  ========================  ==============================
Variable                            Config field              Accepted values
==================================  ========================  ==============================
``AWS_REGION``                      ``region``                a region (Lambda sets it)
``DYNAMODB_ENDPOINT``               ``endpoint_url``          an ``http(s)://`` URL
``DYNAMODB_TABLE_PREFIX``           ``table_prefix``          letters, digits, ``_ - .``
``DYNAMODB_TIMEOUT``                ``timeout``               seconds: ``5``, ``2.5s``, ``500ms``
``DYNAMODB_CONNECT_TIMEOUT``        ``connect_timeout``       seconds, as above
``DYNAMODB_MAX_RETRIES``            ``max_retries``           an integer >= 0
``DYNAMODB_RETRY_MODE``             ``retry_mode``            adaptive, standard, legacy
``DYNAMODB_MAX_CONNECTIONS``        ``max_pool_connections``  an integer >= 1
``DYNAMODB_POOL_TIMEOUT``           ``pool_timeout``          seconds, as above
``DYNAMODB_PAGE_SIZE``              ``page_size``             an integer >= 1
``DYNAMODB_BATCH_CONCURRENCY``      ``batch_concurrency``     an integer >= 1
``AWS_LAMBDA_FUNCTION_MEMORY_SIZE`` (see below)               MB, 128-10240 (Lambda sets it)
``DYNAMORM_METRICS``                ``metrics``               1/0, true/false, yes/no, on/off
``POWERTOOLS_METRICS_NAMESPACE``    ``metrics_namespace``     a CloudWatch namespace
``POWERTOOLS_SERVICE_NAME``         ``metrics_service``       any non-blank text
==================================  ========================  ==============================

An unset or empty variable keeps the field's default. A value that cannot be parsed, or that
:class:`~dynamorm_async.Config` rejects, raises :class:`~dynamorm_async.ConfigError` whose
message names the variable and the value.

**Memory.** Unless ``DYNAMODB_PAGE_SIZE`` / ``DYNAMODB_MAX_CONNECTIONS`` /
``DYNAMODB_BATCH_CONCURRENCY`` are set, the function's memory size chooses them
(:func:`page_size_for_memory`, :func:`batch_concurrency_for_memory`: the pool gets one
connection per batch chunk in flight). Lambda gives a function CPU in proportion to its
memory (one full vCPU at 1,769 MB): a small function pays for every item it decodes with
little CPU and little room, so it reads smaller pages, and it keeps fewer requests in flight,
because each costs about half a millisecond of CPU plus its encoded body, and more requests
than the CPU can sign and parse only wait in the event loop holding memory.
Without the variable (outside Lambda) the :class:`~dynamorm_async.Config` defaults apply.

**Pool and batches fit together.** ``batch_concurrency`` may not exceed
``max_pool_connections`` (each chunk in flight holds a connection). When only one of them is
set (by its variable or an override), the other follows it: the pool grows to the batch
concurrency, the batch concurrency shrinks to the pool (:func:`fit_pool_and_batches`).

Credentials are not read here: botocore's credential chain finds the ones Lambda provides.
This module parses the variables; :meth:`Config.from_environment
<dynamorm_async.Config.from_environment>` validates each value with the field's own validator.
:mod:`dynamorm_async.aws_lambda.environment` re-exports it for Lambda users.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .errors import ConfigError

__all__ = [
    "BATCH_CONCURRENCY",
    "BATCH_CONCURRENCY_BY_MEMORY",
    "CONNECT_TIMEOUT",
    "ENDPOINT",
    "LARGE_BATCH_CONCURRENCY",
    "LARGE_PAGE_SIZE",
    "MAX_CONNECTIONS",
    "MAX_RETRIES",
    "MEMORY_SIZE",
    "METRICS",
    "METRICS_NAMESPACE",
    "PAGE_SIZE",
    "POOL_TIMEOUT",
    "REGION",
    "RETRY_MODE",
    "SERVICE_NAME",
    "SMALL_FUNCTION_MB",
    "SMALL_PAGE_SIZE",
    "TABLE_PREFIX",
    "TIMEOUT",
    "Setting",
    "batch_concurrency_for_memory",
    "fit_pool_and_batches",
    "memory_size",
    "page_size_for_memory",
    "read_settings",
]

REGION = "AWS_REGION"
"""The variable for ``Config.region``."""
ENDPOINT = "DYNAMODB_ENDPOINT"
"""The variable for ``Config.endpoint_url``."""
TABLE_PREFIX = "DYNAMODB_TABLE_PREFIX"
"""The variable for ``Config.table_prefix``."""
TIMEOUT = "DYNAMODB_TIMEOUT"
"""The variable for ``Config.timeout`` (seconds: ``5``, ``2.5s``, ``500ms``)."""
CONNECT_TIMEOUT = "DYNAMODB_CONNECT_TIMEOUT"
"""The variable for ``Config.connect_timeout`` (seconds)."""
MAX_RETRIES = "DYNAMODB_MAX_RETRIES"
"""The variable for ``Config.max_retries``."""
RETRY_MODE = "DYNAMODB_RETRY_MODE"
"""The variable for ``Config.retry_mode``."""
MAX_CONNECTIONS = "DYNAMODB_MAX_CONNECTIONS"
"""The variable for ``Config.max_pool_connections``."""
POOL_TIMEOUT = "DYNAMODB_POOL_TIMEOUT"
"""The variable for ``Config.pool_timeout`` (seconds)."""
PAGE_SIZE = "DYNAMODB_PAGE_SIZE"
"""The variable for ``Config.page_size``."""
BATCH_CONCURRENCY = "DYNAMODB_BATCH_CONCURRENCY"
"""The variable for ``Config.batch_concurrency``."""
MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
"""The function's memory in MB (Lambda sets it): chooses page size, pool and batch concurrency."""
METRICS = "DYNAMORM_METRICS"
"""The variable for ``Config.metrics`` (``1``/``0``, ``true``/``false``, ``on``/``off``...)."""
METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
"""The variable for ``Config.metrics_namespace`` (Powertools' variable)."""
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
"""The variable for ``Config.metrics_service`` (Powertools' variable)."""

SMALL_FUNCTION_MB = 512
"""Functions with less memory than this (in MB) read pages of :data:`SMALL_PAGE_SIZE` items."""

SMALL_PAGE_SIZE = 25
"""The page size of a function smaller than :data:`SMALL_FUNCTION_MB`."""

LARGE_PAGE_SIZE = 100
"""The page size of a function of :data:`SMALL_FUNCTION_MB` or more."""

BATCH_CONCURRENCY_BY_MEMORY: tuple[tuple[int, int], ...] = ((512, 4), (1024, 8))
"""``(below_mb, chunks)``: a function with less than ``below_mb`` MB keeps ``chunks`` batch
chunks in flight; larger functions keep 16 (the :class:`~dynamorm_async.Config` default)."""

LARGE_BATCH_CONCURRENCY = 16
"""Batch chunks in flight for a function of 1024 MB or more."""

_MEMORY_RANGE = (128, 10240)
_SECONDS = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*", re.IGNORECASE)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class _Invalid(ValueError):
    """A variable's text cannot be parsed; the message says what is accepted."""


def _text(raw: str) -> str:
    return raw.strip()


def _seconds(raw: str) -> float:
    match = _SECONDS.fullmatch(raw)
    if match is None:
        raise _Invalid("must be a number of seconds, e.g. 5, 2.5, 2.5s or 500ms")
    value = float(match.group(1))
    if (match.group(2) or "s").lower() == "ms":
        value /= 1000
    if not math.isfinite(value) or value <= 0:
        raise _Invalid("must be greater than 0 seconds")
    return value


def _integer(raw: str) -> int:
    try:
        return int(raw.strip(), 10)
    except ValueError:
        raise _Invalid("must be a whole number") from None


def _flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid("must be one of 1, 0, true, false, yes, no, on, off")


# variable -> (Config field, parser). Config's own validators then check the parsed value.
_VARIABLES: dict[str, tuple[str, Callable[[str], Any]]] = {
    REGION: ("region", _text),
    ENDPOINT: ("endpoint_url", _text),
    TABLE_PREFIX: ("table_prefix", _text),
    TIMEOUT: ("timeout", _seconds),
    CONNECT_TIMEOUT: ("connect_timeout", _seconds),
    MAX_RETRIES: ("max_retries", _integer),
    RETRY_MODE: ("retry_mode", lambda raw: raw.strip().lower()),
    MAX_CONNECTIONS: ("max_pool_connections", _integer),
    POOL_TIMEOUT: ("pool_timeout", _seconds),
    PAGE_SIZE: ("page_size", _integer),
    BATCH_CONCURRENCY: ("batch_concurrency", _integer),
    METRICS: ("metrics", _flag),
    METRICS_NAMESPACE: ("metrics_namespace", _text),
    SERVICE_NAME: ("metrics_service", _text),
}


def page_size_for_memory(memory_mb: int) -> int:
    """Items per Query/Scan page for a function with ``memory_mb`` MB: 25 below 512, else 100."""
    return SMALL_PAGE_SIZE if memory_mb < SMALL_FUNCTION_MB else LARGE_PAGE_SIZE


def batch_concurrency_for_memory(memory_mb: int) -> int:
    """Batch chunks in flight, and pooled connections, for ``memory_mb`` MB.

    4 below 512 MB, 8 below 1024 MB, else 16.
    """
    for below, chunks in BATCH_CONCURRENCY_BY_MEMORY:
        if memory_mb < below:
            return chunks
    return LARGE_BATCH_CONCURRENCY


def memory_size(environ: Mapping[str, str] | None = None) -> int | None:
    """The function's memory in MB from ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``, or ``None`` if unset.

    Raises:
        ConfigError: The variable is not a whole number of MB between 128 and 10240.
    """
    env = os.environ if environ is None else environ
    raw = env.get(MEMORY_SIZE, "")
    if not raw.strip():
        return None
    low, high = _MEMORY_RANGE
    try:
        value = _integer(raw)
    except _Invalid as exc:
        raise _invalid(MEMORY_SIZE, raw, f"{exc} of MB") from None
    if not low <= value <= high:
        raise _invalid(MEMORY_SIZE, raw, f"must be between {low} and {high} MB")
    return value


class Setting(NamedTuple):
    """One variable the environment sets: its name and text, the field and the parsed value."""

    variable: str
    raw: str
    field: str
    value: Any

    def invalid(self, why: str) -> ConfigError:
        """The error for this variable's value: it names the variable and the value."""
        return _invalid(self.variable, self.raw, why)


def _invalid(variable: str, raw: str, why: str) -> ConfigError:
    return ConfigError(f"environment variable {variable}={raw!r} is invalid: {why}")


def read_settings(environ: Mapping[str, str] | None = None) -> list[Setting]:
    """The Config fields the environment sets, parsed (each still to be validated by Config).

    ``page_size`` follows ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE`` when its own variable is unset
    (the pool and batch concurrency are fitted afterwards: :func:`fit_pool_and_batches`).

    Args:
        environ: The variables to read; ``None`` reads :data:`os.environ`.

    Raises:
        ConfigError: A variable cannot be parsed; the message names the variable and value.
    """
    env = os.environ if environ is None else environ
    settings: list[Setting] = []
    for variable, (name, parse) in _VARIABLES.items():
        raw = env.get(variable, "")
        if not raw.strip():
            continue
        try:
            value = parse(raw)
        except _Invalid as exc:
            raise _invalid(variable, raw, str(exc)) from None
        settings.append(Setting(variable, raw, name, value))
    memory = memory_size(env)
    if memory is not None:
        chosen = {setting.field for setting in settings}
        raw = env[MEMORY_SIZE]
        if "page_size" not in chosen:
            settings.append(Setting(MEMORY_SIZE, raw, "page_size", page_size_for_memory(memory)))
    return settings


def fit_pool_and_batches(
    fields: dict[str, Any], memory: int | None, *, default_pool: int, default_chunks: int
) -> None:
    """Fill in the pool size or the batch concurrency so that the pair is valid.

    Neither set: the function's memory chooses both (one connection per chunk in flight).
    One set: the other follows it (the pool grows to the chunks, the chunks shrink to the
    pool). Both set, or a value that is not an integer: Config's validators judge them.

    Args:
        fields: Config field name -> value, changed in place.
        memory: The function's memory in MB (:func:`memory_size`), or ``None`` outside Lambda.
        default_pool: Config's default ``max_pool_connections``.
        default_chunks: Config's default ``batch_concurrency``.
    """
    pool: object = fields.get("max_pool_connections")
    chunks: object = fields.get("batch_concurrency")
    by_memory = batch_concurrency_for_memory(memory) if memory is not None else None
    if pool is None and chunks is None:
        if by_memory is not None:
            fields["max_pool_connections"] = fields["batch_concurrency"] = by_memory
    elif pool is None and type(chunks) is int:
        fields["max_pool_connections"] = max(chunks, by_memory or default_pool)
    elif chunks is None and type(pool) is int:
        fields["batch_concurrency"] = min(pool, by_memory or default_chunks)
