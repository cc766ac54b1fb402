"""The local servers start, answer DynamoDB over HTTP, and go away when stopped."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from dynamorm_async import Config
from dynamorm_async.testing.local import (
    _PROBE_BODY,
    _PROBE_HEADERS,
    Dynalite,
    LocalExtraMissing,
    LocalServer,
    ServerStartError,
)

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="dynalite needs node and npm on PATH",
)
SERVERS = [
    pytest.param(LocalServer, id="moto"),
    pytest.param(Dynalite, id="dynalite", marks=needs_node),
]


async def table_names(client: Any, prefix: str) -> list[str]:
    names: list[str] = []
    async for page in client.get_paginator("list_tables").paginate():
        names.extend(name for name in page["TableNames"] if name.startswith(prefix))
    return names


def accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def can_bind(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


# -- against whatever dynamodb_endpoint is ---------------------------------------------------


@contextlib.asynccontextmanager
async def id_table(client: Any, name: str) -> AsyncIterator[str]:
    """A table keyed by ``id`` (a string), ACTIVE, deleted afterwards."""
    await client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        with anyio.fail_after(120):  # real DynamoDB can take a while; moto is instant
            while True:
                table = (await client.describe_table(TableName=name))["Table"]
                if table["TableStatus"] == "ACTIVE":
                    break
                await anyio.sleep(0.05)
        yield name
    finally:
        await client.delete_table(TableName=name)


async def test_list_tables_answers(dynamodb_client: Any) -> None:
    response = await dynamodb_client.list_tables()
    assert isinstance(response["TableNames"], list)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_table_and_item_round_trip(dynamodb_client: Any, config: Config) -> None:
    name = config.table_name("local-server-smoke")
    async with id_table(dynamodb_client, name):
        assert name in await table_names(dynamodb_client, config.table_prefix)

        item = {"id": {"S": "a"}, "n": {"N": "1.50"}, "tags": {"SS": ["x", "y"]}}
        await dynamodb_client.put_item(TableName=name, Item=item)
        got = await dynamodb_client.get_item(TableName=name, Key={"id": {"S": "a"}})
        assert got["Item"]["id"] == {"S": "a"}
        assert Decimal(got["Item"]["n"]["N"]) == Decimal("1.5")  # moto keeps "1.50"
        assert sorted(got["Item"]["tags"]["SS"]) == ["x", "y"]
        missing = await dynamodb_client.get_item(TableName=name, Key={"id": {"S": "nope"}})
        assert "Item" not in missing

        with pytest.raises(ClientError) as info:
            await dynamodb_client.put_item(
                TableName=name, Item=item, ConditionExpression="attribute_not_exists(id)"
            )
        assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


async def test_concurrent_conditional_writes_of_one_key_are_atomic(
    dynamodb_client: Any, config: Config
) -> None:
    # DynamoDB applies a conditional write atomically; moto checks and writes without a lock,
    # so the bundled server applies conditional writes one at a time (idempotency relies on it).
    name = config.table_name("local-server-atomic")
    async with id_table(dynamodb_client, name):
        won: list[int] = []
        refused: list[str] = []

        async def claim(n: int) -> None:
            try:
                await dynamodb_client.put_item(
                    TableName=name,
                    Item={"id": {"S": "k"}, "n": {"N": str(n)}},
                    ConditionExpression="attribute_not_exists(id)",
                )
                won.append(n)
            except ClientError as exc:
                refused.append(exc.response["Error"]["Code"])

        for _ in range(3):
            await dynamodb_client.delete_item(TableName=name, Key={"id": {"S": "k"}})
            won.clear()
            refused.clear()
            async with anyio.create_task_group() as group:
                for n in range(50):
                    group.start_soon(claim, n)
            assert len(won) == 1
            assert refused == ["ConditionalCheckFailedException"] * 49


async def test_moto_serves_sts_on_the_same_port(config: Config, server_kind: str) -> None:
    if server_kind != "moto":
        pytest.skip("STS is served by moto only")
    assert config.credentials is not None
    async with get_session().create_client(
        "sts",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        aws_access_key_id=config.credentials.access_key_id,
        aws_secret_access_key=config.credentials.secret_access_key,
    ) as sts:
        identity = await sts.get_caller_identity()
        assert identity["Account"].isdigit()
        role = await sts.assume_role(
            RoleArn="arn:aws:iam::111122223333:role/partner", RoleSessionName="test"
        )
        assert role["Credentials"]["AccessKeyId"]
        assert role["AssumedRoleUser"]["Arn"].startswith("arn:aws:sts::111122223333:")


# -- servers started here ---------------------------------------------------------------------


@pytest.mark.parametrize("server_class", SERVERS)
def test_stop_frees_the_port_and_is_idempotent(server_class: type[LocalServer | Dynalite]) -> None:
    server = server_class()
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.endpoint_url
    server.start()
    server.start()  # already running: nothing happens
    host, port, pid = server.host, server.port, server.pid
    assert server.running
    assert server.endpoint_url == f"http://127.0.0.1:{port}"
    assert accepts_connections(host, port)

    server.stop()
    assert not server.running
    assert server.pid is None
    assert not accepts_connections(host, port)
    assert can_bind(host, port)
    server.stop()  # stopping twice is fine
    assert pid is not None


def test_a_server_that_died_is_started_again() -> None:
    with LocalServer() as server:
        first = server.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while server.running and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not server.running
        server.start()
        assert server.running
        assert server.pid != first
        assert accepts_connections(server.host, server.port)


@pytest.mark.parametrize("server_class", SERVERS)
async def test_async_context_manager(server_class: type[LocalServer | Dynalite]) -> None:
    async with server_class() as server:
        port = server.port
        assert accepts_connections("127.0.0.1", port)
    assert not server.running
    assert not accepts_connections("127.0.0.1", port)


def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = LocalServer(port=port, startup_timeout=30)
        with pytest.raises(ServerStartError, match="address in use"):
            server.start()
        assert not server.running


# Installed in the server's interpreter as sitecustomize: werkzeug (moto[server]'s) is gone,
# as in an environment installed without the `local` extra.
NO_WERKZEUG = """
import sys

class NoWerkzeug:
    def find_spec(self, name, path=None, target=None):
        if name == "werkzeug" or name.startswith("werkzeug."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoWerkzeug())
"""


def test_without_the_local_extra_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_WERKZEUG)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = LocalServer(startup_timeout=60)
    with pytest.raises(LocalExtraMissing) as caught:
        server.start()
    assert not server.running
    message = str(caught.value)
    assert "pip install 'dynamorm_async[local]'" in message
    assert "No module named 'werkzeug'" in message
    assert isinstance(caught.value, ServerStartError)  # what callers caught before


def test_server_dies_with_its_parent() -> None:
    # A parent killed without a chance to call stop() must not leave the server behind.
    script = textwrap.dedent(
        """
        import os, sys
        from dynamorm_async.testing.local import LocalServer
        server = LocalServer()
        server.start()
        print(server.port, flush=True)
        os._exit(0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    port = int(result.stdout.strip())
    deadline = time.monotonic() + 30
    while accepts_connections("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not accepts_connections("127.0.0.1", port)


def test_moto_answers_with_one_server_header_and_works_in_asyncio_debug_mode() -> None:
    # moto adds its own Server header to werkzeug's; aiohttp's strict parser (python -X dev,
    # PYTHONASYNCIODEBUG=1) rejects the pair: "Duplicate 'Server' header found".
    script = textwrap.dedent(
        """
        import asyncio, sys
        from dynamorm_async import DB
        from dynamorm_async.testing.local import local_config

        async def main():
            async with DB(local_config(sys.argv[1])) as db:
                answer = await db.engine.call("ListTables", {})
            print(sorted(answer))

        asyncio.run(main())
        """
    )
    with LocalServer() as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        try:
            connection.request("POST", "/", body=_PROBE_BODY, headers=_PROBE_HEADERS)
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 200
        assert [name for name, _ in response.getheaders() if name.lower() == "server"] == ["Server"]
        result = subprocess.run(
            [sys.executable, "-X", "dev", "-c", script, server.endpoint_url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['ResponseMetadata', 'TableNames']"
