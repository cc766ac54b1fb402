"""`dynamorm-async local`: serves the example's tables, prints what to export, stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from dynamorm_async import DB
from dynamorm_async.testing.local import local_config
from examples.payments.models import Payment

ROOT = Path(__file__).parents[2]


def _exports(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    exports: dict[str, str] = {}
    for line in process.stdout:
        if line.strip().startswith("export "):
            name, _, value = line.strip().removeprefix("export ").partition("=")
            exports[name] = value
            if name == "AWS_SECRET_ACCESS_KEY":  # the last line printed
                return exports
    raise AssertionError(f"the command ended without printing its exports: {process.wait()}")


async def use_the_example(endpoint: str) -> None:
    # The table exists already (--create), so the example's model works right away.
    async with DB(local_config(endpoint)) as db:
        await db.create(Payment(id="p1", amount=Decimal("12.30"), customer_id="c1"))
        assert (await db.get(Payment, {"id": "p1"})).amount == Decimal("12.30")


def _as_from_a_terminal() -> None:
    # A job started in the background of a script (as CI runs two suites at once) inherits
    # SIGINT ignored, and Python then keeps it ignored; a command typed at a terminal, which
    # is what Ctrl-C is sent to, gets the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dynamorm_async", "local", *options],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_as_from_a_terminal,
    )


def stop(process: subprocess.Popen[str]) -> str:
    """Ctrl-C the command; its stderr once it has exited."""
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    return stderr


def test_local_serves_the_example_and_stops_on_sigint() -> None:
    # tests.deploy_models holds two models of one table ("shop"): made together.
    process = start("--create", "examples.payments.models", "tests.deploy_models")
    try:
        exports = _exports(process)
        endpoint = exports["DYNAMODB_ENDPOINT"]
        assert exports["AWS_ENDPOINT_URL_DYNAMODB"] == endpoint
        assert exports["AWS_REGION"] == "us-east-1"
        asyncio.run(use_the_example(endpoint))
        stderr = stop(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "table payments: created" in stderr
    assert "table shop: created" in stderr and "drift" not in stderr
    assert "local server stopped" in stderr
    assert "Traceback" not in stderr
    host, port = endpoint.removeprefix("http://").split(":")
    with socket.socket() as probe:  # the server went with the command
        assert probe.connect_ex((host, int(port))) != 0


async def read_back(endpoint: str) -> Decimal:
    async with DB(local_config(endpoint)) as db:
        return (await db.get(Payment, {"id": "p1"})).amount


@pytest.mark.skipif(shutil.which("node") is None, reason="--persist runs dynalite: needs node")
def test_persist_keeps_the_data_across_runs(tmp_path: Path) -> None:
    for run in ("first", "second"):
        process = start("--persist", str(tmp_path / "data"), "--create", "examples.payments.models")
        try:
            endpoint = _exports(process)["DYNAMODB_ENDPOINT"]
            if run == "first":
                asyncio.run(use_the_example(endpoint))
            else:
                assert asyncio.run(read_back(endpoint)) == Decimal("12.30")
            stderr = stop(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, stderr
        state = "created" if run == "first" else "exists"
        assert f"table payments: {state}" in stderr
