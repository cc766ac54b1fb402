"""The environment variables that ``Config.from_environment()`` reads.

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
because each costs botocore about half a millisecond of CPU plus its encoded body, and more
requests than the CPU can sign and parse only wait in the event loop holding memory.
Without the variable (outside Lambda) the :class:`~dynamorm_async.Config` defaults apply.

**Pool and batches fit together.** ``batch_concurrency`` may not exceed
``max_pool_connections`` (each chunk in flight holds a connection). When only one of them is
set (by its variable or an override), the other follows it: the pool grows to the batch
concurrency, the batch concurrency shrinks to the pool.

Credentials are not read here: botocore's credential chain finds the ones Lambda provides.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..errors import ConfigError

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
    "batch_concurrency_for_memory",
    "config_fields",
    "memory_size",
    "page_size_for_memory",
]

REGION = "AWS_REGION"
ENDPOINT = "DYNAMODB_ENDPOINT"
TABLE_PREFIX = "DYNAMODB_TABLE_PREFIX"
TIMEOUT = "DYNAMODB_TIMEOUT"
CONNECT_TIMEOUT = "DYNAMODB_CONNECT_TIMEOUT"
MAX_RETRIES = "DYNAMODB_MAX_RETRIES"
RETRY_MODE = "DYNAMODB_RETRY_MODE"
MAX_CONNECTIONS = "DYNAMODB_MAX_CONNECTIONS"
POOL_TIMEOUT = "DYNAMODB_POOL_TIMEOUT"
PAGE_SIZE = "DYNAMODB_PAGE_SIZE"
BATCH_CONCURRENCY = "DYNAMODB_BATCH_CONCURRENCY"
MEMORY_SIZE = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
METRICS = "DYNAMORM_METRICS"
METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"

SMALL_FUNCTION_MB = 512
"""Functions with less memory than this (in MB) read pages of :data:`SMALL_PAGE_SIZE` items."""

SMALL_PAGE_SIZE = 25
"""The page size of a function smaller than :data:`SMALL_FUNCTION_MB`."""

LARGE_PAGE_SIZE = 100
"""The page size of a function of :data:`SMALL_FUNCTION_MB` or more."""

BATCH_CONCURRENCY_BY_MEMORY: tuple[tuple[int, int], ...] = ((512, 4), (1024, 8))
"""``(below_mb, chunks)``: a function with less than ``below_mb`` MB keeps ``chunks`` batch
chunks in flight and as many pooled connections; larger functions keep 16 (the
:class:`~dynamorm_async.Config` defaults)."""

LARGE_BATCH_CONCURRENCY = 16
"""Batch chunks in flight (and pooled connections) for a function of 1024 MB or more."""

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


def _invalid(variable: str, raw: str, why: str) -> ConfigError:
    return ConfigError(f"environment variable {variable}={raw!r} is invalid: {why}")


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


def config_fields(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The :class:`~dynamorm_async.Config` fields the environment sets, parsed and validated.

    Args:
        environ: The variables to read; ``None`` reads :data:`os.environ`.
        overrides: Fields set regardless of the environment; they are in the result, and
            the pool size and batch concurrency are fitted to them.

    Returns:
        Field name -> value, only for the fields the environment (or ``overrides``) decides.

    Raises:
        ConfigError: A variable's value is invalid; the message names the variable and value.
    """
    from ..config import Config  # config imports this module lazily: no import cycle

    env = os.environ if environ is None else environ
    fields: dict[str, Any] = {}
    attributes = attrs.fields_dict(Config)
    for variable, (name, parse) in _VARIABLES.items():
        raw = env.get(variable, "")
        if not raw.strip():
            continue
        try:
            value = parse(raw)
        except _Invalid as exc:
            raise _invalid(variable, raw, str(exc)) from None
        attribute = attributes[name]
        if attribute.validator is not None:
            try:
                attribute.validator(None, attribute, value)
            except ConfigError as exc:
                raise _invalid(variable, raw, exc.message) from exc
        fields[name] = value
    fields.update(overrides or {})
    memory = memory_size(env)
    if memory is not None:
        fields.setdefault("page_size", page_size_for_memory(memory))
    _fit_pool_and_batches(fields, memory)
    return fields


def _fit_pool_and_batches(fields: dict[str, Any], memory: int | None) -> None:
    """Fill in the pool size or batch concurrency so that the pair is valid."""
    from ..config import DEFAULT_BATCH_CONCURRENCY, DEFAULT_MAX_POOL_CONNECTIONS

    pool: object = fields.get("max_pool_connections")
    chunks: object = fields.get("batch_concurrency")
    by_memory = batch_concurrency_for_memory(memory) if memory is not None else None
    if pool is None and chunks is None:
        if by_memory is not None:
            fields["max_pool_connections"] = fields["batch_concurrency"] = by_memory
    elif pool is None and type(chunks) is int:
        fields["max_pool_connections"] = max(chunks, by_memory or DEFAULT_MAX_POOL_CONNECTIONS)
    elif chunks is None and type(pool) is int:
        fields["batch_concurrency"] = min(pool, by_memory or DEFAULT_BATCH_CONCURRENCY)
    # Otherwise both are set, or one is not an integer: Config's validators judge them.
