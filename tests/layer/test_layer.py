"""The Lambda layer `dynamorm-async layer` builds: reproducible, and working on its own.

Slow (pip downloads the runtime's wheels), so it runs in `nox -s lambda_layer`, which builds
the layer with the CLI first and passes it in DYNAMORM_LAYER_ZIP (with DYNAMORM_LAYER_TESTS=1);
`nox -s tests` leaves this folder out (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dynamorm_async.deploy.layer import LayerBuild, LayerSpec, build_layer
from dynamorm_async.testing.local import LocalServer

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

# Runs with -I -S: no site-packages, so only the layer's copies can be imported.
LAYER_SCRIPT = r"""
import asyncio, json, sys
layer, endpoint = sys.argv[1], sys.argv[2]
sys.path.insert(0, layer)
import attrs, aiobotocore, aiohttp, botocore, dynamorm_async
from aiobotocore.session import get_session
from dynamorm_async import DB, Credentials, attr, pk, table
from dynamorm_async.testing.local import local_config

origins = {m.__name__: m.__file__ for m in (dynamorm_async, botocore, aiobotocore, aiohttp)}
assert all(f.startswith(layer) for f in origins.values()), origins

@table("layer_check")
@attrs.define
class Note:
    id: str = pk()
    text: str = attr()

async def main():
    async with get_session().create_client(
        "sts", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    ) as sts:
        role = await sts.assume_role(
            RoleArn="arn:aws:iam::210987654321:role/layer", RoleSessionName="layer-test"
        )
    c = role["Credentials"]
    credentials = Credentials(
        access_key_id=c["AccessKeyId"], secret_access_key=c["SecretAccessKey"],
        session_token=c["SessionToken"],
    )
    async with DB(local_config(endpoint, credentials=credentials)) as db:
        await db.create_table(Note)
        await db.create(Note(id="n1", text="hello"))
        got = await db.get(Note, {"id": "n1"})
        await db.put(Note(id="n1", text="changed"))
        changed = await db.get(Note, {"id": "n1"})
        await db.delete(Note, {"id": "n1"})
        gone = await db.find(Note, {"id": "n1"})
    print(json.dumps({
        "account": role["AssumedRoleUser"]["Arn"].split(":")[4],
        "got": got.text, "changed": changed.text, "gone": gone is None,
    }))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def cli_zip() -> Path:
    """The layer `nox -s lambda_layer` built with the CLI, in another process, before."""
    return Path(os.environ["DYNAMORM_LAYER_ZIP"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> LayerBuild:
    folder = tmp_path_factory.mktemp("layer")
    spec = LayerSpec(python=PYTHON, arch="x86_64")  # type: ignore[arg-type]
    return build_layer(spec, folder / "layer.zip", untrimmed_output=folder / "full.zip")


def test_same_input_gives_the_same_zip_bytes(built: LayerBuild, cli_zip: Path) -> None:
    # Built twice, by two processes, into different temporary directories.
    assert built.trimmed.path.read_bytes() == cli_zip.read_bytes()


def test_trimmed_layer_keeps_only_what_the_library_loads(built: LayerBuild) -> None:
    first = built
    assert first.untrimmed is not None
    assert first.trimmed.size < first.untrimmed.size
    print(f"layer sizes: trimmed {first.trimmed.size:,} B, untrimmed {first.untrimmed.size:,} B")
    with zipfile.ZipFile(first.trimmed.path) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == sorted(names)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    services = {n.split("/")[3] for n in names if n.startswith("python/botocore/data/")}
    assert services == {
        "dynamodb", "sts", "endpoints.json", "partitions.json", "_retry.json",
        "sdk-default-configuration.json",
    }  # fmt: skip
    assert not [n for n in names if n.endswith(".pyi") or "/tests/" in n]
    # Byte-compiled for the target, as unchecked-hash pycs (flags field = 0b01).
    tag = f"cpython-{PYTHON.replace('.', '')}"
    pycs = [n for n in names if n.endswith(f".{tag}.pyc")]
    assert f"python/dynamorm_async/__pycache__/db.{tag}.pyc" in pycs
    with zipfile.ZipFile(first.trimmed.path) as archive:
        header = archive.read(pycs[0])[4:8]
    assert int.from_bytes(header, "little") == 0b01


def test_layer_runs_crud_and_assume_role_from_a_fresh_directory(
    built: LayerBuild, tmp_path: Path
) -> None:
    with zipfile.ZipFile(built.trimmed.path) as archive:
        archive.extractall(tmp_path)
    with LocalServer() as server:
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", LAYER_SCRIPT, str(tmp_path / "python"),
             server.endpoint_url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    expected = {"account": "210987654321", "got": "hello", "changed": "changed", "gone": True}
    assert outcome == expected
