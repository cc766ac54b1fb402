"""AWS X-Ray: each DynamoDB request as a subsegment of the invocation's trace.

Tracing is on when all of these hold, checked per request:

* ``Config.tracing`` is true (the default);
* the Lambda trace header ``_X_AMZN_TRACE_ID`` is in the environment and does not say
  ``Sampled=0`` (the Lambda runtime sets it anew for every invocation, which is why it is
  read per request rather than once in the config);
* ``aws-xray-sdk`` is installed (``pip install 'dynamorm_async[xray]'``).

Until the first traced request, ``aws_xray_sdk`` is not imported at all: a function without
the header never pays for it.

**Concurrency.** The SDK's ``begin_subsegment``/``end_subsegment`` keep a stack of open
entities per thread (per task only with its ``AsyncContext``); under Lambda's thread-based
context, concurrent requests of one event loop would nest inside one another and end each
other's subsegments ("already ended segment"). So each request's subsegment is made here
explicitly: its parent is the entity current when the request starts, it is added to that
parent and closed directly, and never pushed on the SDK's stack. Closed subsegments are then
streamed to the daemon as the recorder does (in Lambda, at once).

Each subsegment is named ``DynamoDB`` in the ``aws`` namespace, is annotated with
``operation`` and ``table`` (searchable in X-Ray), and carries the AWS metadata X-Ray shows
for AWS calls (operation, table name, region, request id, retries), the HTTP status, and the
error if the request failed (throttling sets the throttle flag).
"""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from typing import Any

from ._instrument import Call
from .errors import DynamORMError, Throttled
from .transport import table_of

__all__ = ["SUBSEGMENT_NAME", "TRACE_HEADER", "XRayTracer", "active_tracer"]

TRACE_HEADER = "_X_AMZN_TRACE_ID"
"""The environment variable in which Lambda passes the invocation's trace header."""

SUBSEGMENT_NAME = "DynamoDB"
"""The name of every request's subsegment."""

_log = logging.getLogger(__name__)

_tracer: XRayTracer | None = None
_sdk_missing = False


def active_tracer() -> XRayTracer | None:
    """The tracer for the current request, or ``None`` when tracing does not apply."""
    global _tracer, _sdk_missing
    header = os.environ.get(TRACE_HEADER)
    if not header or "Sampled=0" in header or _sdk_missing:
        return None
    if _tracer is None:
        try:
            core = importlib.import_module("aws_xray_sdk.core")
        except ImportError:
            _sdk_missing = True
            return None
        _tracer = XRayTracer(core.xray_recorder)
    return _tracer


class XRayTracer:
    """Records requests as X-Ray subsegments through an ``AWSXRayRecorder``.

    Args:
        recorder: The recorder whose current entity is each subsegment's parent and whose
            emitter sends it (``aws_xray_sdk.core.xray_recorder`` by default).
    """

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self._subsegment_class: Any = importlib.import_module(
            "aws_xray_sdk.core.models.subsegment"
        ).Subsegment

    def begin(self, call: Call) -> object:
        """Open the request's subsegment under the current entity (``None`` if unsampled)."""
        try:
            parent = self.recorder.get_trace_entity()
            if parent is None or not parent.sampled or getattr(parent, "initializing", False):
                return None
            segment = getattr(parent, "parent_segment", parent)
            subsegment = self._subsegment_class(SUBSEGMENT_NAME, "aws", segment)
            parent.add_subsegment(subsegment)
            subsegment.put_annotation("operation", call.operation)
            table = table_of(call.params)
            if table is not None:
                subsegment.put_annotation("table", table)
            return subsegment
        except Exception:  # tracing must never break a request
            _log.warning("cannot open an X-Ray subsegment for %s", call.operation, exc_info=True)
            return None

    def end(self, call: Call, state: object) -> None:
        """Describe the request's outcome on its subsegment, close it and stream it."""
        if state is None:
            return
        subsegment: Any = state
        try:
            aws: dict[str, Any] = {"operation": call.operation, "retries": call.retries}
            table = table_of(call.params)
            if table is not None:
                aws["table_name"] = table
            metadata = (call.response or {}).get("ResponseMetadata") or {}
            if metadata.get("RequestId"):
                aws["request_id"] = metadata["RequestId"]
            if metadata.get("HTTPStatusCode"):
                subsegment.put_http_meta("status", metadata["HTTPStatusCode"])
            error = call.error
            if isinstance(error, Exception):
                if isinstance(error, DynamORMError) and error.request_id:
                    aws["request_id"] = error.request_id
                if isinstance(error, Throttled):
                    subsegment.add_throttle_flag()
                stack = traceback.extract_tb(
                    error.__traceback__, limit=self.recorder.max_trace_back
                )
                subsegment.add_exception(error, stack, remote=isinstance(error, DynamORMError))
            subsegment.set_aws(aws)
            subsegment.close()
            self._send(subsegment.parent_segment)
        except Exception:
            _log.warning("cannot close the X-Ray subsegment of %s", call.operation, exc_info=True)

    def _send(self, segment: Any) -> None:
        # What the recorder's end_subsegment does, for this subsegment's own segment rather
        # than the context's current one.
        if segment.ready_to_send():
            if segment.sampled:
                self.recorder.emitter.send_entity(segment)
        elif self.recorder.streaming.is_eligible(segment):
            self.recorder.streaming.stream(segment, self.recorder.emitter.send_entity)
