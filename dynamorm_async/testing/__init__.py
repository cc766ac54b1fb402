"""Test utilities for applications built on dynamorm_async.

The pytest plugin (:mod:`dynamorm_async.testing.plugin`, registered through the ``pytest11``
entry point, so installing the package enables it) provides these fixtures:

``dynamodb_server`` (session)
    A :class:`DynamoDBServer`: ``$DYNAMODB_ENDPOINT`` when set, else a moto server (or, with
    ``DYNAMORM_TEST_SERVER=dynalite``, a dynalite) started on 127.0.0.1 for the session.
``dynamodb_config`` (session)
    A :class:`~dynamorm_async.Config` for that server with a table prefix unique to the run.
``dynamorm_models``
    The models whose tables ``db`` creates: empty unless your ``conftest.py`` overrides it.
``db``
    A :class:`~dynamorm_async.DB` on the server with those models registered and their
    tables created for the test and deleted after it (needs pytest-asyncio; works in its
    ``auto`` and ``strict`` modes).
``lambda_context``
    A factory of :class:`FakeLambdaContext`: ``lambda_context(timeout=3, memory_mb=128,
    function_name="test-function")``.
``lambda_env``
    Sets the variables Lambda sets (:func:`lambda_environment`), pointed at the test server
    and its table prefix, so ``DB.from_environment()`` and
    :func:`~dynamorm_async.aws_lambda.get_db` reach the tables ``db`` created (a
    module-level ``DB.from_environment()`` reads the environment at its first use, so it
    works too).
``fault_proxy``
    A :class:`FaultProxy` in front of the test server, injecting no faults until the test
    sets some; point a config at it with :func:`through` (``seed`` is
    :data:`~dynamorm_async.testing.plugin.FAULT_PROXY_SEED`).

While tests run, a request to real AWS (a config without ``endpoint_url``, or one at an AWS
host) raises :class:`RealAWSRefused` before anything is sent, on either transport; opt in
with ``@pytest.mark.allow_aws`` or ``pytest --dynamorm-allow-aws``
(:mod:`dynamorm_async.testing.real_aws`).

For unit tests without a server, :func:`fake_db` builds a DB on a :class:`ScriptedTransport`
(:mod:`dynamorm_async.testing.transport`), which records every request and answers it
through an async callable you write.

This module itself imports neither pytest nor botocore: :class:`FakeLambdaContext` also
serves scripts (``python -m examples.payments``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import attrs

from ..config import Config
from .faultproxy import FaultProxy, Faults, ProxyEntry, through
from .real_aws import RealAWSRefused
from .transport import Answer, ScriptedTransport, fake_db

__all__ = [
    "Answer",
    "DynamoDBServer",
    "FakeLambdaContext",
    "FaultProxy",
    "Faults",
    "ProxyEntry",
    "RealAWSRefused",
    "ScriptedTransport",
    "fake_db",
    "lambda_environment",
    "through",
]

_ACCOUNT = "123456789012"


@attrs.frozen
class DynamoDBServer:
    """The DynamoDB-compatible server a test session talks to.

    Attributes:
        endpoint_url: Its base URL.
        kind: ``"moto"``, ``"dynalite"`` or ``"other"`` (an endpoint given from outside).
    """

    endpoint_url: str
    kind: str


class FakeLambdaContext:
    """A stand-in for the Lambda context object, with a clock that really runs down.

    Carries the attributes of the Python runtime's context (``memory_limit_in_mb`` is a
    string there too). :meth:`get_remaining_time_in_millis` counts down from ``timeout``
    seconds after construction.

    Args:
        timeout: Seconds the invocation has, from now.
        memory_mb: The function's memory size.
        function_name: The function's name (also in the ARN and log names).
        region: The region in the ARN.
        clock: Monotonic seconds (for tests that control time).
    """

    def __init__(
        self,
        *,
        timeout: float = 3.0,
        memory_mb: int = 128,
        function_name: str = "test-function",
        region: str = "us-east-1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._deadline = clock() + timeout
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{_ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"2024/01/01/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left, never below 0 (as Lambda's own context)."""
        return max(0, int((self._deadline - self._clock()) * 1000))

    def __repr__(self) -> str:
        return (
            f"FakeLambdaContext(function_name={self.function_name!r}, "
            f"remaining_ms={self.get_remaining_time_in_millis()})"
        )


def lambda_environment(
    *,
    function_name: str = "test-function",
    memory_mb: int = 128,
    region: str = "us-east-1",
    config: Config | None = None,
) -> dict[str, str]:
    """The environment variables Lambda sets for a Python function, for tests.

    Left out on purpose: ``_X_AMZN_TRACE_ID`` (it turns X-Ray tracing on),
    ``AWS_LAMBDA_RUNTIME_API`` and ``LAMBDA_TASK_ROOT`` (they make code believe it runs
    inside the real runtime).

    Args:
        function_name: ``AWS_LAMBDA_FUNCTION_NAME``.
        memory_mb: ``AWS_LAMBDA_FUNCTION_MEMORY_SIZE``.
        region: ``AWS_REGION`` and ``AWS_DEFAULT_REGION`` (the config's region wins).
        config: Adds ``DYNAMODB_ENDPOINT``, ``DYNAMODB_TABLE_PREFIX`` and its static
            credentials (as Lambda's ``AWS_ACCESS_KEY_ID``...) so ``from_environment``
            reaches the same server and tables.
    """
    if config is not None and config.region is not None:
        region = config.region
    env = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2024/01/01/[$LATEST]{uuid.uuid4().hex}",
        "_HANDLER": "app.handler",
    }
    if config is not None:
        if config.endpoint_url is not None:
            env["DYNAMODB_ENDPOINT"] = config.endpoint_url
        if config.table_prefix:
            env["DYNAMODB_TABLE_PREFIX"] = config.table_prefix
        if config.credentials is not None:
            env["AWS_ACCESS_KEY_ID"] = config.credentials.access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = config.credentials.secret_access_key
            if config.credentials.session_token is not None:
                env["AWS_SESSION_TOKEN"] = config.credentials.session_token
    return env
