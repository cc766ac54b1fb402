"""Wiring shared by the whole suite: which server the integration tests talk to, and how.

The server comes from the package's own pytest plugin (``dynamorm_async.testing.plugin``),
the one users get: ``dynamodb_server`` honours ``DYNAMODB_ENDPOINT`` (use that server) and
``DYNAMORM_TEST_SERVER`` (``moto``, ``dynalite`` or ``other``; without an endpoint, which one
to start). Tests marked ``needs_transactions`` / ``needs_ttl`` / ``needs_sts`` /
``needs_streams`` are skipped on ``dynalite``.

The fixtures here are the suite's names for the plugin's values (all session-scoped, started
only when a test asks for them): ``server_kind`` (``"moto" | "dynalite" | "other"``),
``dynamodb_endpoint`` (a URL), ``config`` (the plugin's ``dynamodb_config``: a ``Config``
for the endpoint with a table prefix unique to the run) and ``table_prefix``. Every test
under ``tests/integration`` is marked ``integration``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dynamorm_async import Config
from dynamorm_async.testing import DynamoDBServer
from dynamorm_async.testing.plugin import server_kind_from_env

pytest_plugins = ["pytester"]

# The sample user suite runs in pytest processes of its own (test_testing_plugin.py); the
# Lambda layer tests download wheels, so only `nox -s lambda_layer` runs them.
collect_ignore = ["sample_user_suite"]
if not os.environ.get("DYNAMORM_LAYER_TESTS"):
    collect_ignore.append("layer")

# Server features that some implementations lack: marker -> reason, per server kind.
UNSUPPORTED: dict[str, dict[str, str]] = {
    "dynalite": {
        "needs_transactions": "dynalite has no TransactWriteItems",
        "needs_ttl": "dynalite has no UpdateTimeToLive",
        "needs_table_options": (
            "dynalite has no PITR, table classes, deletion protection, nor online index "
            "and stream changes"
        ),
        "needs_streams": "dynalite has no DynamoDB Streams API",
        "needs_sts": "dynalite has no STS (AssumeRole) and no per-account data",
    },
}

_INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unsupported = UNSUPPORTED.get(server_kind_from_env(), {})
    for item in items:
        if item.path.is_relative_to(_INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)
        for marker, reason in unsupported.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def server_kind(dynamodb_server: DynamoDBServer) -> str:
    """``"moto"``, ``"dynalite"`` or ``"other"``: what ``dynamodb_endpoint`` is."""
    return dynamodb_server.kind


@pytest.fixture(scope="session")
def dynamodb_endpoint(dynamodb_server: DynamoDBServer) -> str:
    """The URL of the DynamoDB-compatible server: ``$DYNAMODB_ENDPOINT`` or one started."""
    return dynamodb_server.endpoint_url


@pytest.fixture(scope="session")
def config(dynamodb_config: Config) -> Config:
    """A ``Config`` for ``dynamodb_endpoint`` with this run's ``table_prefix``.

    Loopback servers get region us-east-1 and dummy credentials; any other endpoint uses
    the ambient AWS credentials and region. Change it per test with ``attrs.evolve``.
    """
    return dynamodb_config


@pytest.fixture(scope="session")
def table_prefix(config: Config) -> str:
    """The table-name prefix unique to this run, so runs never collide on a shared server."""
    return config.table_prefix
