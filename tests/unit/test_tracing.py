"""X-Ray: subsegments under concurrent fan-out, recorded by the SDK itself; lazy import."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import anyio
import pytest
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.lambda_launcher import LambdaContext

from dynamorm_async import DB, Throttled
from dynamorm_async.testing import fake_db
from dynamorm_async.tracing import SUBSEGMENT_NAME, TRACE_HEADER
from tests.models import Payment

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"
CHUNKS = 16


class CapturingEmitter(UDPEmitter):
    """The X-Ray SDK's emitter, keeping what it would send (as the SDK's own tests do)."""

    def __init__(self) -> None:  # no super().__init__(): it would open a UDP socket
        self.entities: list[Any] = []

    def send_entity(self, entity: Any) -> None:
        self.entities.append(entity)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[CapturingEmitter]:
    """The global recorder as in Lambda (its context, streaming at once), with the trace header."""
    saved = (xray_recorder.context, xray_recorder.emitter, xray_recorder.streaming_threshold)
    emitter = CapturingEmitter()
    xray_recorder.configure(context=LambdaContext(), emitter=emitter, streaming_threshold=0)
    monkeypatch.setenv(TRACE_HEADER, f"Root={ROOT};Parent={PARENT};Sampled=1")
    yield emitter
    context, saved_emitter, threshold = saved
    xray_recorder.configure(context=context, emitter=saved_emitter, streaming_threshold=threshold)


def overlapping_db(*, fail: bool = False, **config: Any) -> tuple[DB, list[int]]:
    """Answers after a short sleep, so that all the fan-out's requests are in flight at once.

    Returns the DB and how many requests were in flight each time one was answered.
    """
    in_flight: list[int] = []

    async def answer(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        in_flight.append(len(transport.requests) - transport.answered)
        if fail:
            raise Throttled("slow down", operation=operation, request_id="REQ-1")
        return {"ResponseMetadata": {"RequestId": "REQ-OK", "HTTPStatusCode": 200}}

    db, transport = fake_db(answer, delay=0.05, **config)
    return db, in_flight


async def test_concurrent_requests_each_get_their_own_subsegment(
    recorder: CapturingEmitter, caplog: pytest.LogCaptureFixture
) -> None:
    db, in_flight = overlapping_db()
    caplog.set_level(logging.WARNING)
    async with anyio.create_task_group() as tg:
        for n in range(CHUNKS):
            tg.start_soon(lambda n=n: db.find(Payment, {"id": f"p-{n}"}))
    assert max(in_flight) == CHUNKS
    assert not caplog.records  # no "already ended segment", no discarded subsegment
    entities = [json.loads(entity.serialize()) for entity in recorder.entities]
    assert len(entities) == CHUNKS
    assert len({entity["id"] for entity in entities}) == CHUNKS
    for entity in entities:
        assert entity["name"] == SUBSEGMENT_NAME and entity["namespace"] == "aws"
        assert entity["type"] == "subsegment"
        assert (entity["trace_id"], entity["parent_id"]) == (ROOT, PARENT)  # all siblings
        assert entity["annotations"] == {"operation": "GetItem", "table": "payments"}
        assert entity["aws"]["request_id"] == "REQ-OK"
        assert entity["http"]["response"]["status"] == 200
        assert entity["end_time"] >= entity["start_time"]
        assert entity.get("in_progress") is not True  # closed before it was sent


async def test_a_failed_request_is_marked(recorder: CapturingEmitter) -> None:
    db, _ = overlapping_db(fail=True)
    with pytest.raises(Throttled):
        await db.find(Payment, {"id": "p-1"})
    [entity] = [json.loads(entity.serialize()) for entity in recorder.entities]
    assert entity["throttle"] is True
    assert entity["aws"]["request_id"] == "REQ-1"
    assert entity["cause"]["exceptions"][0]["type"] == "Throttled"


async def test_unsampled_or_disabled_tracing_records_nothing(
    recorder: CapturingEmitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    await overlapping_db(tracing=False)[0].find(Payment, {"id": "p-1"})
    monkeypatch.setenv(TRACE_HEADER, f"Root={ROOT};Parent={PARENT};Sampled=0")
    await overlapping_db()[0].find(Payment, {"id": "p-1"})
    assert recorder.entities == []


_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from dynamorm_async.testing import fake_db

    async def main():
        db, _ = fake_db(metrics=True, tracing=sys.argv[1] == "on")
        db.metrics.emit = lambda line: None
        before = "aws_xray_sdk" in sys.modules
        await db.engine.call("ListTables", {})
        return before, "aws_xray_sdk" in sys.modules

    print(json.dumps(asyncio.run(main())))
    """
)


@pytest.mark.parametrize(
    ("header", "tracing", "imported_after_a_call"),
    [
        (None, "on", False),
        (f"Root={ROOT};Parent={PARENT};Sampled=0", "on", False),
        (f"Root={ROOT};Parent={PARENT};Sampled=1", "off", False),
        (f"Root={ROOT};Parent={PARENT};Sampled=1", "on", True),
    ],
)
def test_the_sdk_is_imported_only_when_a_request_is_traced(
    header: str | None, tracing: str, imported_after_a_call: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if k != TRACE_HEADER}
    if header is not None:
        env[TRACE_HEADER] = header
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, tracing],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    before, after = json.loads(result.stdout.splitlines()[-1])
    assert before is False  # importing dynamorm_async never imports the SDK
    assert after is imported_after_a_call


async def test_why_not_the_sdks_own_stack(recorder: CapturingEmitter) -> None:
    # The same fan-out through the SDK's begin/end_subsegment, as its aiobotocore patch does:
    # under Lambda's per-thread context, concurrent requests nest in one another and each
    # end_subsegment closes whichever subsegment is on top, not its own. This is what the
    # tracer avoids (the test above checks that all subsegments are siblings).
    async def request() -> None:
        xray_recorder.begin_subsegment(SUBSEGMENT_NAME, "aws")
        await anyio.sleep(0.05)
        xray_recorder.end_subsegment()

    async with anyio.create_task_group() as tg:
        for _ in range(CHUNKS):
            tg.start_soon(request)
    parents = {json.loads(entity.serialize()).get("parent_id") for entity in recorder.entities}
    assert parents != {PARENT}  # nested: most are children of another request's subsegment
