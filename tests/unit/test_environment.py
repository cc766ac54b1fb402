"""Config.from_environment: every variable, valid and invalid."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from dynamorm_async import DB, Config, ConfigError, pk, table
from dynamorm_async.aws_lambda import environment as env


@table("items")
@attrs.define
class Item:
    id: str = pk()


VALID: list[tuple[str, str, str, Any]] = [
    (env.REGION, "eu-west-1", "region", "eu-west-1"),
    (env.ENDPOINT, "http://127.0.0.1:8000", "endpoint_url", "http://127.0.0.1:8000"),
    (env.TABLE_PREFIX, "prod-", "table_prefix", "prod-"),
    (env.TIMEOUT, "2.5", "timeout", 2.5),
    (env.TIMEOUT, "3s", "timeout", 3.0),
    (env.TIMEOUT, "750ms", "timeout", 0.75),
    (env.CONNECT_TIMEOUT, " 1 ", "connect_timeout", 1.0),
    (env.MAX_RETRIES, "0", "max_retries", 0),
    (env.MAX_RETRIES, "7", "max_retries", 7),
    (env.RETRY_MODE, "Adaptive", "retry_mode", "adaptive"),
    (env.MAX_CONNECTIONS, "50", "max_pool_connections", 50),
    (env.POOL_TIMEOUT, "250ms", "pool_timeout", 0.25),
    (env.PAGE_SIZE, "10", "page_size", 10),
    (env.BATCH_CONCURRENCY, "2", "batch_concurrency", 2),
    (env.METRICS, "1", "metrics", True),
    (env.METRICS, "off", "metrics", False),
    (env.METRICS_NAMESPACE, "Payments", "metrics_namespace", "Payments"),
    (env.SERVICE_NAME, "payments-api", "metrics_service", "payments-api"),
]

INVALID: list[tuple[str, str]] = [
    (env.REGION, "Not A Region"),
    (env.ENDPOINT, "localhost:8000"),
    (env.TABLE_PREFIX, "bad prefix!"),
    (env.TIMEOUT, "soon"),
    (env.TIMEOUT, "0"),
    (env.TIMEOUT, "-1"),
    (env.TIMEOUT, "5m"),
    (env.CONNECT_TIMEOUT, "nan"),
    (env.POOL_TIMEOUT, "0"),
    (env.MAX_RETRIES, "-1"),
    (env.MAX_RETRIES, "2.5"),
    (env.RETRY_MODE, "fast"),
    (env.MAX_CONNECTIONS, "0"),
    (env.MAX_CONNECTIONS, "ten"),
    (env.PAGE_SIZE, "0"),
    (env.BATCH_CONCURRENCY, "x"),
    (env.METRICS, "maybe"),
    (env.METRICS_NAMESPACE, "AWS/DynamoDB"),
    (env.SERVICE_NAME, "x" * 1025),
    (env.MEMORY_SIZE, "lots"),
    (env.MEMORY_SIZE, "64"),
    (env.MEMORY_SIZE, "20000"),
]


@pytest.mark.parametrize(("variable", "raw", "field", "expected"), VALID)
def test_each_variable_sets_its_field(variable: str, raw: str, field: str, expected: Any) -> None:
    config = Config.from_environment({variable: raw})
    assert getattr(config, field) == expected
    # Only that field changed.
    others = {name: getattr(Config(), name) for name in ("region", "timeout", "page_size")}
    for name, default in others.items():
        if name != field:
            assert getattr(config, name) == default


@pytest.mark.parametrize(("variable", "raw"), INVALID)
def test_invalid_values_name_the_variable_and_value(variable: str, raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_environment({variable: raw})
    assert variable in str(info.value)
    assert repr(raw) in str(info.value)


def test_empty_or_unset_keeps_defaults() -> None:
    assert Config.from_environment({}) == Config()
    blank = {variable: "" for variable, *_ in VALID} | {env.MEMORY_SIZE: "  "}
    assert Config.from_environment(blank) == Config()


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env.TABLE_PREFIX, "from-env-")
    assert Config.from_environment().table_prefix == "from-env-"


@pytest.mark.parametrize(
    ("memory", "page_size", "concurrency"),
    [("128", 25, 4), ("511", 25, 4), ("512", 100, 8), ("1023", 100, 8), ("1024", 100, 16),
     ("10240", 100, 16)],
)  # fmt: skip
def test_memory_size_chooses_page_size_and_concurrency(
    memory: str, page_size: int, concurrency: int
) -> None:
    config = Config.from_environment({env.MEMORY_SIZE: memory})
    assert (config.page_size, config.batch_concurrency) == (page_size, concurrency)
    assert config.max_pool_connections == concurrency  # one connection per chunk in flight


def test_explicit_settings_win_over_memory() -> None:
    variables = {env.MEMORY_SIZE: "128", env.PAGE_SIZE: "60", env.BATCH_CONCURRENCY: "12"}
    config = Config.from_environment(variables)
    assert (config.page_size, config.batch_concurrency) == (60, 12)
    assert config.max_pool_connections == 12  # grown to fit the batches
    overridden = Config.from_environment({env.MEMORY_SIZE: "128"}, page_size=7)
    assert (overridden.page_size, overridden.batch_concurrency) == (7, 4)


@pytest.mark.parametrize(
    ("variables", "overrides", "pool", "chunks"),
    [
        ({}, {}, 16, 16),
        ({env.MAX_CONNECTIONS: "4"}, {}, 4, 4),
        ({env.BATCH_CONCURRENCY: "40"}, {}, 40, 40),
        ({env.BATCH_CONCURRENCY: "2"}, {}, 16, 2),
        ({env.MEMORY_SIZE: "2048", env.MAX_CONNECTIONS: "6"}, {}, 6, 6),
        ({env.MEMORY_SIZE: "600", env.MAX_CONNECTIONS: "32"}, {}, 32, 8),
        ({env.MEMORY_SIZE: "2048"}, {"max_pool_connections": 4}, 4, 4),
        ({env.MEMORY_SIZE: "128"}, {"batch_concurrency": 10}, 10, 10),
    ],
)
def test_pool_and_batch_concurrency_follow_each_other(
    variables: dict[str, str], overrides: dict[str, int], pool: int, chunks: int
) -> None:
    config = Config.from_environment(variables, **overrides)
    assert (config.max_pool_connections, config.batch_concurrency) == (pool, chunks)


def test_both_set_must_fit() -> None:
    with pytest.raises(ConfigError, match="batch_concurrency=8: exceeds max_pool_connections"):
        Config.from_environment({env.MAX_CONNECTIONS: "4", env.BATCH_CONCURRENCY: "8"})


def test_overrides_win_over_variables() -> None:
    config = Config.from_environment({env.TABLE_PREFIX: "env-"}, table_prefix="mine-")
    assert config.table_prefix == "mine-"


def test_db_from_environment() -> None:
    db = DB.from_environment({env.REGION: "us-west-2", env.METRICS: "yes"}, table_prefix="p-")
    assert (db.config.region, db.config.metrics, db.config.table_prefix) == (
        "us-west-2",
        True,
        "p-",
    )
    assert not db.engine.is_open  # reading the environment does no I/O


def test_db_from_os_environ_reads_it_at_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    # A module-level `db = DB.from_environment()` is imported before a test's fixtures set
    # the environment (docs/lambda.md's pattern with the plugin's lambda_env).
    monkeypatch.delenv(env.TABLE_PREFIX, raising=False)
    db = DB.from_environment(page_size=7)
    db.register(Item)  # builds the codec; not a use
    codec = db.codec
    monkeypatch.setenv(env.TABLE_PREFIX, "late-")
    monkeypatch.setenv(env.ENDPOINT, "http://127.0.0.1:8000")
    assert db.table_name(Item) == "late-items"
    assert (db.config.endpoint_url, db.config.page_size) == ("http://127.0.0.1:8000", 7)
    monkeypatch.setenv(env.TABLE_PREFIX, "later-")
    assert db.with_deadline(5).config.table_prefix == "late-"  # read once, views share it
    assert db.session.codec is codec  # what register() built is what requests use


def test_a_bad_variable_fails_the_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(env.TIMEOUT, "soon")
    db = DB.from_environment()
    for _ in range(2):  # and every use after it, until the variable is fixed
        with pytest.raises(ConfigError, match="DYNAMODB_TIMEOUT"):
            _ = db.config
    monkeypatch.setenv(env.TIMEOUT, "3s")
    assert db.config.timeout == 3.0


def test_a_bad_override_fails_at_once() -> None:
    with pytest.raises(ConfigError):
        DB.from_environment(page_size=-1)


def test_a_db_has_no_made_up_attributes() -> None:
    with pytest.raises(AttributeError, match="no attribute 'colour'"):
        _ = DB.from_environment().colour  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'colour'"):
        _ = DB(Config()).colour  # type: ignore[attr-defined]


async def _handler(event: Any, context: Any) -> None:
    return None


def test_in_the_lambda_runtime_the_init_phase_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dynamorm_async.aws_lambda import lambda_handler

    monkeypatch.setenv(env.TIMEOUT, "soon")
    monkeypatch.delenv("AWS_LAMBDA_RUNTIME_API", raising=False)
    lambda_handler(db=DB.from_environment())(_handler)  # a test or script: at first use
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    with pytest.raises(ConfigError, match="DYNAMODB_TIMEOUT"):  # a bad variable fails the init
        lambda_handler(db=DB.from_environment())(_handler)
