"""Cold start on the direct transport: no botocore client machinery, no service JSON read.

Each check runs a fresh interpreter (a Lambda cold start is one) and reports what it
imported and which files it opened (an audit hook on ``open``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from dynamorm_async import Config

# botocore's client, loader, service-model and endpoint-ruleset machinery, and the session
# that builds them: the direct transport needs none of it.
CLIENT_MACHINERY = (
    "botocore.client",
    "botocore.loaders",
    "botocore.session",
    "botocore.model",
    "botocore.regions",
    "botocore.endpoint_provider",
    "botocore.parsers",
    "botocore.serialize",
    "botocore.validate",
    "aiobotocore.client",
    "aiobotocore.session",
    "aiobotocore.endpoint",
)

_SCRIPT = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
{body}
print(json.dumps({{"modules": sorted(sys.modules), "opened": opened, "result": result}}))
"""


def run_fresh(body: str, env: dict[str, str] | None = None) -> dict[str, object]:
    script = _SCRIPT.format(body=textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


_GET_ONCE = """
import asyncio
import attrs
from dynamorm_async import DB, Config, Credentials, TableNotFound, pk, table

@table("cold-start-none")
@attrs.define
class Thing:
    id: str = pk()
    name: str = ""

async def main():
    config = Config(
        region="us-east-1",
        endpoint_url={endpoint!r},
        {credentials}
    )
    async with DB(config) as db:
        try:
            {get}
        except TableNotFound:
            return "TableNotFound"
        return "found"

result = asyncio.run(main())
"""


STATIC_KEYS = 'credentials=Credentials(access_key_id="testing", secret_access_key="testing"),'


def get_once(
    config: Config,
    get: str,
    *,
    credentials: str = STATIC_KEYS,
    env: dict[str, str] | None = None,
) -> dict[str, object]:
    """What a fresh process imported and opened for one GetItem (``get``) and its DB."""
    body = _GET_ONCE.format(endpoint=config.endpoint_url, get=get, credentials=credentials)
    return run_fresh(body, env=env)


def test_a_first_get_item_loads_no_client_machinery_and_no_service_json(config: Config) -> None:
    report = get_once(
        config,
        'await db.engine.call("GetItem", {"TableName": "cold-start-none", '
        '"Key": {"id": {"S": "x"}}})',
    )
    assert report["result"] == "TableNotFound"  # the request went out and was answered
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert "dynamorm_async.transport.direct" in modules
    assert not modules & set(CLIENT_MACHINERY)
    service_files = [
        path
        for path in report["opened"]  # type: ignore[union-attr]
        if "botocore" in path and "data" in path and (".json" in path)
    ]
    assert service_files == []


def test_importing_the_package_imports_no_transport_library() -> None:
    report = run_fresh(
        """
        import dynamorm_async
        result = None
        """
    )
    modules = set(report["modules"])  # type: ignore[arg-type]
    heavy = {
        m for m in modules if m.split(".")[0] in ("botocore", "aiobotocore", "aiohttp", "orjson")
    }
    assert heavy == set()


# What a function that only reads items by key never needs: the query planner and the
# expression compiler, and everything of writes.
NOT_FOR_A_READ_BY_KEY = (
    "dynamorm_async.expr",
    "dynamorm_async.planning.reads",
    "dynamorm_async.planning.key_ranges",
    "dynamorm_async.planning.writes",
    "dynamorm_async.query",
    "dynamorm_async.conditions",
)


def test_a_first_db_get_loads_neither_the_query_planner_nor_the_expression_compiler(
    config: Config,
) -> None:
    report = get_once(config, 'await db.get(Thing, {"id": "x"})')
    assert report["result"] == "TableNotFound"  # the GetItem went out and was answered
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert "dynamorm_async.planning.gets" in modules
    assert {m for m in modules if m.startswith(NOT_FOR_A_READ_BY_KEY)} == set()


def test_calls_under_a_deadline_load_no_anyio(config: Config) -> None:
    # A Lambda invocation's calls all run under its deadline. anyio's first cancel scope
    # would import its asyncio backend (milliseconds and a megabyte of a cold start); the
    # engine bounds a call with asyncio's own timeout instead.
    for call in (
        'await db.with_deadline(30).put(Thing(id="x"))',
        'await db.with_deadline(30).model(Thing).where("id", "=", "x").all()',
    ):
        report = get_once(config, call)
        assert report["result"] == "TableNotFound"  # the request went out and was answered
        modules = set(report["modules"])  # type: ignore[arg-type]
        assert {"dynamorm_async.planning.writes", "dynamorm_async.pagination"} & modules
        assert sorted(m for m in modules if m.split(".")[0] in ("anyio", "sniffio")) == []


def test_a_lambda_cold_start_imports_no_botocore_at_all(config: Config) -> None:
    # Lambda puts the function's credentials in its environment; the direct transport reads
    # them there, and botocore's retry quota is made at the first retry, not before.
    lambda_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "token",
    }
    # No Config.credentials: the direct transport reads the environment's.
    report = get_once(config, 'await db.get(Thing, {"id": "x"})', credentials="", env=lambda_env)
    assert report["result"] == "TableNotFound"  # signed with the environment's keys: answered
    modules = set(report["modules"])  # type: ignore[arg-type]
    assert sorted(m for m in modules if m.split(".")[0] in ("botocore", "aiobotocore")) == []
