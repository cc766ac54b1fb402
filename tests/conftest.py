"""Wiring shared by the whole suite: which server the integration tests talk to, and how.

Environment (read here, nowhere else in the tests):

``DYNAMODB_ENDPOINT``
    Use this server instead of starting one (DynamoDB Local, dynalite, AWS itself). A
    loopback endpoint gets the dummy local credentials; any other uses the ambient AWS
    credentials and region, as botocore finds them.
``DYNAMORM_TEST_SERVER``
    What that server is: ``moto``, ``dynalite`` or ``other``. Tests marked
    ``needs_transactions`` / ``needs_ttl`` are skipped on ``dynalite``. Without
    ``DYNAMODB_ENDPOINT``, ``dynalite`` makes the suite start a dynalite itself; otherwise
    one moto server is started for the session.

Fixtures (all session-scoped, started only when a test asks for them):
``server_kind`` (``"moto" | "dynalite" | "other"``), ``dynamodb_endpoint`` (a URL),
``table_prefix`` (``t<8 hex>-``, unique per run) and ``config`` (a ``Config`` for the
endpoint with that prefix). Every test under ``tests/integration`` is marked
``integration``.
"""

from __future__ import annotations

import ipaddress
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dynamorm_async import Config
from dynamorm_async.local import Dynalite, LocalServer, local_config

ENDPOINT_ENV = "DYNAMODB_ENDPOINT"
SERVER_KIND_ENV = "DYNAMORM_TEST_SERVER"
SERVER_KINDS = ("moto", "dynalite", "other")

# How long dynalite keeps a table CREATING/DELETING/UPDATING when the suite starts it (its
# own default is 500 ms): short, so per-test tables stay cheap, but not zero, so the
# wait-for-ACTIVE paths still run. noxfile.py's dynalite session uses the same value.
DYNALITE_TABLE_MS = 50

# Server features that some implementations lack: marker -> reason, per server kind.
UNSUPPORTED: dict[str, dict[str, str]] = {
    "dynalite": {
        "needs_transactions": "dynalite has no TransactWriteItems",
        "needs_ttl": "dynalite has no UpdateTimeToLive",
    },
}

_INTEGRATION_DIR = Path(__file__).parent / "integration"


def server_kind_from_env() -> str:
    """The kind of server the integration tests run against, from the environment."""
    kind = os.environ.get(SERVER_KIND_ENV, "").strip()
    if kind:
        if kind not in SERVER_KINDS:
            raise pytest.UsageError(f"{SERVER_KIND_ENV}={kind!r}: must be one of {SERVER_KINDS}")
        if kind == "other" and not os.environ.get(ENDPOINT_ENV):
            raise pytest.UsageError(f"{SERVER_KIND_ENV}=other needs {ENDPOINT_ENV}")
        return kind
    return "other" if os.environ.get(ENDPOINT_ENV) else "moto"


def is_loopback(endpoint_url: str) -> bool:
    """Whether the endpoint is on this machine (so it takes the dummy local credentials)."""
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unsupported = UNSUPPORTED.get(server_kind_from_env(), {})
    for item in items:
        if item.path.is_relative_to(_INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)
        for marker, reason in unsupported.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def server_kind() -> str:
    """``"moto"``, ``"dynalite"`` or ``"other"``: what ``dynamodb_endpoint`` is."""
    return server_kind_from_env()


@pytest.fixture(scope="session")
def dynamodb_endpoint(server_kind: str) -> Iterator[str]:
    """The URL of the DynamoDB-compatible server: ``$DYNAMODB_ENDPOINT`` or one we start."""
    external = os.environ.get(ENDPOINT_ENV, "").strip()
    if external:
        yield external
        return
    server: LocalServer | Dynalite
    if server_kind == "dynalite":
        server = Dynalite(
            create_table_ms=DYNALITE_TABLE_MS,
            delete_table_ms=DYNALITE_TABLE_MS,
            update_table_ms=DYNALITE_TABLE_MS,
        )
    else:
        server = LocalServer()
    with server:
        yield server.endpoint_url


@pytest.fixture(scope="session")
def table_prefix() -> str:
    """A table-name prefix unique to this run, so runs never collide on a shared server."""
    return f"t{uuid.uuid4().hex[:8]}-"


@pytest.fixture(scope="session")
def config(dynamodb_endpoint: str, table_prefix: str) -> Config:
    """A ``Config`` for ``dynamodb_endpoint`` with this run's ``table_prefix``.

    Loopback servers get region us-east-1 and dummy credentials; any other endpoint uses
    the ambient AWS credentials and region. Change it per test with ``attrs.evolve``.
    """
    if is_loopback(dynamodb_endpoint):
        return local_config(dynamodb_endpoint, table_prefix=table_prefix)
    return Config(endpoint_url=dynamodb_endpoint, table_prefix=table_prefix)
