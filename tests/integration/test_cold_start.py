"""Cold start on the direct transport: no botocore client machinery, no service JSON read.

Each check runs a fresh interpreter (a Lambda cold start is one) and reports what it
imported and which files it opened (an audit hook on ``open``).
"""

from __future__ import annotations

import json
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


def test_a_first_get_item_loads_no_client_machinery_and_no_service_json(config: Config) -> None:
    report = run_fresh(
        f"""
        import asyncio
        import dynamorm_async
        from dynamorm_async import DB, Config, Credentials, TableNotFound

        async def main():
            config = Config(
                region="us-east-1",
                endpoint_url={config.endpoint_url!r},
                credentials=Credentials(access_key_id="testing", secret_access_key="testing"),
            )
            async with DB(config) as db:
                try:
                    await db.engine.call(
                        "GetItem", {{"TableName": "cold-start-none", "Key": {{"id": {{"S": "x"}}}}}}
                    )
                except TableNotFound:
                    return "TableNotFound"
                return "found"

        result = asyncio.run(main())
        """
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
