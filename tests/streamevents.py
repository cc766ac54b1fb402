"""Lambda DynamoDB Streams events, shaped exactly as Lambda delivers them, for the tests.

Lambda's event is JSON: binary values (``B``, ``BS``) are base64 text, numbers in images are
strings (``{"N": "1.5"}``), ``ApproximateCreationDateTime`` is epoch seconds and a TTL
deletion carries ``userIdentity``. :func:`record` builds one record from AttributeValue
images as botocore gives them (bytes for binaries) and round-trips it through JSON, so the
tests see what the Lambda runtime's ``json.loads`` gives a handler.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
STREAM_LABEL = "2024-06-11T09:00:00.000"
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def stream_arn(table: str) -> str:
    """The stream ARN of a physical table, as in ``eventSourceARN``."""
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/{STREAM_LABEL}"


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(type(value).__name__)


def record(
    table: str,
    event_name: str,
    keys: Mapping[str, Any],
    *,
    sequence_number: str,
    new: Mapping[str, Any] | None = None,
    old: Mapping[str, Any] | None = None,
    view_type: str = "NEW_AND_OLD_IMAGES",
    created: float = 1718096400,
    ttl: bool = False,
) -> dict[str, Any]:
    """One Lambda stream record; images are left out as the view type leaves them out."""
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": created,
        "Keys": dict(keys),
        "SequenceNumber": sequence_number,
        "SizeBytes": 0,
        "StreamViewType": view_type,
    }
    if new is not None and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["NewImage"] = dict(new)
    if old is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        change["OldImage"] = dict(old)
    raw: dict[str, Any] = {
        "eventID": f"event-{sequence_number}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": change,
        "eventSourceARN": stream_arn(table),
    }
    if ttl:
        raw["userIdentity"] = dict(TTL_IDENTITY)
    text = json.dumps(raw, default=_json_default)
    change_size = len(json.dumps(change, default=_json_default))
    loaded: dict[str, Any] = json.loads(text)
    loaded["dynamodb"]["SizeBytes"] = change_size
    return loaded


def event(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The event Lambda passes to the handler."""
    return {"Records": [dict(r) for r in records]}
