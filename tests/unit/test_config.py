from __future__ import annotations

from typing import Any

import attrs
import pytest

from dynamorm_async import Config, ConfigError, Credentials


def test_defaults() -> None:
    config = Config()
    assert (config.timeout, config.max_pool_connections, config.max_retries) == (5.0, 16, 3)
    assert (config.batch_concurrency, config.pool_timeout) == (16, 5.0)
    assert config.retry_mode == "adaptive"
    assert config.table_name("payments") == "payments"
    assert attrs.evolve(config, table_prefix="dev-").table_name("payments") == "dev-payments"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout", 0),
        ("timeout", -1),
        ("timeout", "5"),
        ("timeout", float("nan")),
        ("connect_timeout", True),
        ("max_pool_connections", 0),
        ("max_pool_connections", 2.5),
        ("pool_timeout", 0),
        ("pool_timeout", "5"),
        ("pool_timeout", float("inf")),
        ("batch_concurrency", 0),
        ("max_retries", -1),
        ("retry_mode", "fast"),
        ("endpoint_url", "localhost:8000"),
        ("table_prefix", "bad prefix!"),
        ("region", "Not A Region"),
        ("credentials", ("a", "b")),
        ("session", object()),
        ("metrics", 1),
        ("metrics_namespace", "AWS/DynamoDB"),
        ("metrics_namespace", ""),
        ("metrics_namespace", None),
        ("metrics_service", "   "),
        ("tracing", "yes"),
    ],
)
def test_invalid_values_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"Config.{field}"):
        Config(**{field: value})


def test_keyword_only_and_frozen() -> None:
    with pytest.raises(TypeError):
        Config("us-east-1")  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        Config().timeout = 1  # type: ignore[misc]


def test_credentials_hide_secrets() -> None:
    creds = Credentials(access_key_id="AKIA", secret_access_key="s3cret", session_token="tok")
    assert "s3cret" not in repr(creds) and "tok" not in repr(creds)
    with pytest.raises(ConfigError, match="secret_access_key"):
        Credentials(access_key_id="AKIA", secret_access_key="")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("batch_max_attempts", 0),
        ("transaction_max_attempts", 1.5),
        ("backoff_base", 0),
        ("backoff_cap", -1),
    ],
)
def test_invalid_retry_settings_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"Config.{field}"):
        Config(**{field: value})


def test_backoff_cap_is_at_least_the_base() -> None:
    with pytest.raises(
        ConfigError, match=r"Config\.backoff_cap=0\.1: must be at least backoff_base"
    ):
        Config(backoff_base=0.5, backoff_cap=0.1)
    assert Config(backoff_base=0.5, backoff_cap=0.5).backoff_cap == 0.5


def test_batch_concurrency_fits_the_pool() -> None:
    # Each chunk in flight holds a connection: the defaults agree, and a pair that cannot
    # is refused with both names in the message.
    default = Config()
    assert default.batch_concurrency <= default.max_pool_connections
    with pytest.raises(
        ConfigError,
        match=r"Config\.batch_concurrency=16: exceeds max_pool_connections \(4\)",
    ):
        Config(max_pool_connections=4)
    with pytest.raises(ConfigError, match=r"batch_concurrency=17: exceeds max_pool_connections"):
        attrs.evolve(default, batch_concurrency=17)
    small = Config(max_pool_connections=4, batch_concurrency=4)
    assert (small.max_pool_connections, small.batch_concurrency) == (4, 4)


def test_pool_timeout_may_be_switched_off() -> None:
    assert Config(pool_timeout=None).pool_timeout is None
    assert Config(pool_timeout=0.25).pool_timeout == 0.25
