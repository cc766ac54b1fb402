"""The dynamorm_async pytest plugin (enabled by the ``pytest11`` entry point).

The fixtures are described in :mod:`dynamorm_async.testing`. Your ``conftest.py`` names the
models whose tables the ``db`` fixture creates::

    import pytest
    from myapp.models import Customer, Payment

    @pytest.fixture
    def dynamorm_models():
        return [Payment, Customer]

Environment:

``DYNAMODB_ENDPOINT``
    Use this server instead of starting one (DynamoDB Local, dynalite, AWS itself). A
    loopback endpoint gets dummy credentials and region us-east-1; any other uses the
    ambient AWS credentials and region.
``DYNAMORM_TEST_SERVER``
    ``moto`` (default), ``dynalite`` or ``other``: what the server is, or which one to
    start when ``DYNAMODB_ENDPOINT`` is not set. On dynalite, tables get no TTL setting.
``DYNAMORM_TEST_TRANSPORT``
    ``direct`` or ``botocore``: the ``Config.transport`` of ``dynamodb_config`` (default:
    the config's default, ``direct``), to run a suite on both transports.

Real AWS is refused: while the tests run, a DB (either transport) or a partner's STS call
about to send to AWS raises :class:`~dynamorm_async.testing.RealAWSRefused` before anything
is sent. Opt in per test with ``@pytest.mark.allow_aws``, or for the run with
``pytest --dynamorm-allow-aws`` (:mod:`dynamorm_async.testing.real_aws`).

pytest-asyncio's loop scopes: the ``db`` fixture is function-scoped and runs on the loop of
``asyncio_default_fixture_loop_scope``; tests run on ``asyncio_default_test_loop_scope``'s.
Set both, to the same value (``function``: a loop per test; ``session``: one loop, faster)::

    [tool.pytest.ini_options]
    asyncio_mode = "auto"          # or "strict" with @pytest.mark.asyncio
    asyncio_default_fixture_loop_scope = "function"
    asyncio_default_test_loop_scope = "function"

Unset, pytest-asyncio warns (``asyncio_default_fixture_loop_scope is unset``).

Everything heavy (botocore, moto) is imported when a fixture first runs, so the plugin
costs a pytest run that does not use it nothing.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from ..engine import ENDPOINT_CHECKS
from . import DynamoDBServer, FakeLambdaContext, FaultProxy, lambda_environment
from .real_aws import ALLOW_MARKER, ALLOW_OPTION, RealAWSGuard

if TYPE_CHECKING:
    from ..config import Config
    from ..db import DB

try:
    import pytest_asyncio
except ImportError:  # the async fixtures need it; the others do not
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = [
    "DYNALITE_TABLE_MS",
    "ENDPOINT_ENV",
    "FAULT_PROXY_SEED",
    "SERVER_KINDS",
    "SERVER_KIND_ENV",
    "TRANSPORT_ENV",
    "is_loopback",
    "server_kind_from_env",
    "transport_from_env",
]

ENDPOINT_ENV = "DYNAMODB_ENDPOINT"
"""A server to use instead of starting one (DynamoDB Local, a shared moto, AWS)."""
SERVER_KIND_ENV = "DYNAMORM_TEST_SERVER"
"""Which server the plugin starts, or what ``DYNAMODB_ENDPOINT`` is: one of :data:`SERVER_KINDS`."""
SERVER_KINDS = ("moto", "dynalite", "other")
"""The values of ``DYNAMORM_TEST_SERVER`` (``moto`` by default)."""
TRANSPORT_ENV = "DYNAMORM_TEST_TRANSPORT"
"""The transport of the plugin's ``config``: ``direct`` (default) or ``botocore``."""
TRANSPORTS = ("direct", "botocore")

DYNALITE_TABLE_MS = 50
"""How long a dynalite the plugin starts keeps tables CREATING/DELETING/UPDATING (ms): short,
so per-test tables stay cheap, but not zero, so waits for ACTIVE still happen."""

FAULT_PROXY_SEED = 20240611
"""The seed of the ``fault_proxy`` fixture: the same faults every run (reseed its ``rng``
with ``random.Random(n)`` for others)."""

_GUARD = pytest.StashKey[RealAWSGuard]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The option that lets every test of the run send requests to real AWS."""
    parser.addoption(
        ALLOW_OPTION,
        action="store_true",
        default=False,
        help="dynamorm_async: allow requests to real AWS (refused during tests otherwise)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the opt-in marker and refuse real AWS from now on (collection included)."""
    config.addinivalue_line(
        "markers", f"{ALLOW_MARKER}: dynamorm_async may send this test's requests to real AWS"
    )
    guard = RealAWSGuard(allowed=config.getoption(ALLOW_OPTION))
    config.stash[_GUARD] = guard
    ENDPOINT_CHECKS.append(guard)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop refusing (pytester runs a session inside another)."""
    guard = config.stash.get(_GUARD, None)
    if guard is not None and guard in ENDPOINT_CHECKS:
        ENDPOINT_CHECKS.remove(guard)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Allow real AWS during a test marked ``allow_aws`` (setup and teardown included)."""
    guard = item.config.stash[_GUARD]
    everywhere = item.config.getoption(ALLOW_OPTION)
    guard.allowed = everywhere or item.get_closest_marker(ALLOW_MARKER) is not None
    try:
        return (yield)
    finally:
        guard.allowed = everywhere


def server_kind_from_env() -> str:
    """The kind of server the tests run against, from the environment.

    Raises:
        pytest.UsageError: ``DYNAMORM_TEST_SERVER`` is unknown, or ``other`` without an endpoint.
    """
    kind = os.environ.get(SERVER_KIND_ENV, "").strip()
    if kind:
        if kind not in SERVER_KINDS:
            raise pytest.UsageError(f"{SERVER_KIND_ENV}={kind!r}: must be one of {SERVER_KINDS}")
        if kind == "other" and not os.environ.get(ENDPOINT_ENV, "").strip():
            raise pytest.UsageError(f"{SERVER_KIND_ENV}=other needs {ENDPOINT_ENV}")
        return kind
    return "other" if os.environ.get(ENDPOINT_ENV, "").strip() else "moto"


def transport_from_env() -> dict[str, Any]:
    """``{"transport": ...}`` from ``DYNAMORM_TEST_TRANSPORT``, or ``{}`` when it is unset.

    Raises:
        pytest.UsageError: The variable names no transport.
    """
    kind = os.environ.get(TRANSPORT_ENV, "").strip()
    if not kind:
        return {}
    if kind not in TRANSPORTS:
        raise pytest.UsageError(f"{TRANSPORT_ENV}={kind!r}: must be one of {TRANSPORTS}")
    return {"transport": kind}


def is_loopback(endpoint_url: str) -> bool:
    """Whether the endpoint is on this machine (so it takes dummy local credentials)."""
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[DynamoDBServer]:
    """The DynamoDB-compatible server of the session: ``$DYNAMODB_ENDPOINT`` or one started."""
    kind = server_kind_from_env()
    external = os.environ.get(ENDPOINT_ENV, "").strip()
    if external:
        yield DynamoDBServer(external, kind)
        return
    from .local import Dynalite, LocalServer

    server: LocalServer | Dynalite
    if kind == "dynalite":
        server = Dynalite(
            create_table_ms=DYNALITE_TABLE_MS,
            delete_table_ms=DYNALITE_TABLE_MS,
            update_table_ms=DYNALITE_TABLE_MS,
        )
    else:
        server = LocalServer()
    with server:
        yield DynamoDBServer(server.endpoint_url, kind)


@pytest.fixture(scope="session")
def dynamodb_config(dynamodb_server: DynamoDBServer) -> Config:
    """A ``Config`` for ``dynamodb_server`` with a table prefix unique to this run."""
    from ..config import Config
    from .local import local_config

    prefix = f"t{uuid.uuid4().hex[:8]}-"
    transport = transport_from_env()
    if is_loopback(dynamodb_server.endpoint_url):
        return local_config(dynamodb_server.endpoint_url, table_prefix=prefix, **transport)
    return Config(endpoint_url=dynamodb_server.endpoint_url, table_prefix=prefix, **transport)


@pytest.fixture
def dynamorm_models() -> Sequence[type]:
    """The models whose tables ``db`` creates; override it in your ``conftest.py``."""
    return ()


async def _db(config: Config, models: Sequence[type], server: DynamoDBServer) -> AsyncIterator[DB]:
    from ..db import DB

    ttl = server.kind != "dynalite"
    async with DB(config) as db:
        db.register(*models)
        by_table: dict[str, list[type]] = {}
        for model in models:  # models sharing a table (single-table design) make it together
            by_table.setdefault(db.table_name(model), []).append(model)
        created: list[type] = []
        try:
            for first, *others in by_table.values():
                await db.create_table(first, *others, ttl=ttl)
                created.append(first)
            yield db
        finally:
            for model in reversed(created):
                await db.delete_table(model, missing_ok=True)


if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def db(
        dynamodb_config: Config, dynamorm_models: Sequence[type], dynamodb_server: DynamoDBServer
    ) -> AsyncIterator[DB]:
        """A DB on the test server; the tables of ``dynamorm_models`` exist during the test."""
        async for value in _db(dynamodb_config, dynamorm_models, dynamodb_server):
            yield value

else:

    @pytest.fixture
    def db() -> Any:
        """Needs pytest-asyncio, which is not installed."""
        pytest.fail("the dynamorm_async `db` fixture needs pytest-asyncio (pip install it)")


@pytest.fixture
def lambda_context() -> Callable[..., FakeLambdaContext]:
    """A factory of Lambda contexts whose remaining time counts down from ``timeout``."""

    def make(
        *, timeout: float = 3.0, memory_mb: int = 128, function_name: str = "test-function"
    ) -> FakeLambdaContext:
        return FakeLambdaContext(timeout=timeout, memory_mb=memory_mb, function_name=function_name)

    return make


@pytest.fixture
def lambda_env(
    monkeypatch: pytest.MonkeyPatch, dynamodb_config: Config
) -> Iterator[dict[str, str]]:
    """Sets the variables Lambda sets, pointed at the test server; returns them.

    The DB :func:`~dynamorm_async.aws_lambda.get_db` holds is forgotten before and after the
    test, so each test's ``get_db()`` reads this environment. Change a variable with
    ``monkeypatch.setenv`` (before the first ``get_db()`` of the test). A module-level
    ``DB.from_environment()`` reads the environment at its first use, so the first test
    that uses it decides its configuration.
    """
    from ..aws_lambda import set_db

    env = lambda_environment(config=dynamodb_config)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "_X_AMZN_TRACE_ID"):
        if name not in env:
            monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    set_db(None)
    yield env
    set_db(None)


@pytest.fixture
def fault_proxy(dynamodb_server: DynamoDBServer) -> Iterator[FaultProxy]:
    """A :class:`~dynamorm_async.testing.FaultProxy` in front of the test server, for one test.

    It injects nothing until the test sets ``fault_proxy.faults[operation]``; point a config
    at it with :func:`~dynamorm_async.testing.through`. It runs on its own thread, so
    synchronous tests (a Lambda entry point) can use it as well as async ones.
    """
    with FaultProxy(dynamodb_server.endpoint_url, seed=FAULT_PROXY_SEED) as proxy:
        yield proxy


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the Lambda adapter's event loop if the session's tests started it."""
    handler = sys.modules.get("dynamorm_async.aws_lambda._handler")
    if handler is not None:
        handler.shutdown()
