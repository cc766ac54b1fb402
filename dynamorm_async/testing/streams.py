"""Lambda's DynamoDB Streams poller, locally: a table's stream records as Lambda events.

On AWS, Lambda reads a table's stream and calls the function with batches of records. On a
local server with a streams API (moto's server has one; dynalite has none), a
:class:`StreamPoller` does the reading (``DescribeTable`` for the stream ARN, then
``DescribeStream``, ``GetShardIterator`` and ``GetRecords``) and returns each batch as the
event Lambda would pass::

    poller = StreamPoller(db, Payment)
    event = await poller.poll()           # records since the last poll, Lambda-shaped
    response = await process_stream(event, on_payment, db=db, models=Payment)

The table needs a stream: declare it on the model,
``@table("payments", options=TableOptions(stream="NEW_AND_OLD_IMAGES"))``, and
``create_table`` (or ``update_table(Payment, stream=True)``) makes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..db import DB

__all__ = ["StreamPoller", "lambda_stream_event"]

DEFAULT_BATCH_SIZE = 100
"""Records per event at most: the batch size of a Lambda event source mapping's default."""


def _json_value(value: Any) -> Any:
    # What Lambda's JSON has where botocore gives Python objects.
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"{type(value).__name__} is not part of a stream record")


def lambda_stream_event(records: Sequence[Mapping[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The Lambda event of ``GetRecords`` records: what Lambda's poller sends the function.

    The poller adds ``eventSourceARN`` and sends JSON: botocore's datetimes become epoch
    seconds and binary values base64 text.
    """
    converted = []
    for record in records:
        raw: dict[str, Any] = json.loads(json.dumps(dict(record), default=_json_value))
        raw["eventSourceARN"] = stream_arn
        converted.append(raw)
    return {"Records": converted}


class StreamPoller:
    """Reads a model's table stream from its start and hands it out as Lambda events.

    Args:
        db: The DB whose server and credentials to use (its config's endpoint).
        model: The model whose table's stream to read.
        batch_size: Records per event at most.

    Attributes:
        positions: The last sequence number handed out, per shard id.
    """

    def __init__(self, db: DB, model: type, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, not {batch_size!r}")
        self.db = db
        self.model = model
        self.batch_size = batch_size
        self.positions: dict[str, str] = {}

    async def stream_arn(self) -> str:
        """The table's latest stream ARN.

        Raises:
            ValidationError: The table has no stream.
            TableNotFound: The table does not exist.
        """
        description = await self.db.describe_table(self.model)
        arn = description.raw.get("LatestStreamArn")
        enabled = (description.raw.get("StreamSpecification") or {}).get("StreamEnabled", True)
        if not isinstance(arn, str) or not enabled:
            raise ValidationError(
                f"table {description.name} has no stream: declare one on the model "
                "(TableOptions(stream='NEW_AND_OLD_IMAGES') or another view type) and "
                "create the table with it, or add it with update_table(Model, stream=True)",
                table=description.name,
            )
        return arn

    async def poll(self) -> dict[str, Any]:
        """The records written since the last poll (at most ``batch_size``), as a Lambda event.

        Raises:
            ValidationError: The table has no stream.
            DynamORMError: The server refused a streams request (translated as every request).
        """
        import aiohttp
        import botocore.exceptions as bce
        from aiobotocore.session import get_session

        from ..transport.aiobotocore import translate

        failures = (bce.BotoCoreError, bce.ClientError, aiohttp.ClientError, OSError)

        arn = await self.stream_arn()
        config = self.db.config
        kwargs: dict[str, Any] = {"region_name": config.region, "endpoint_url": config.endpoint_url}
        if config.credentials is not None:
            kwargs["aws_access_key_id"] = config.credentials.access_key_id
            kwargs["aws_secret_access_key"] = config.credentials.secret_access_key
            kwargs["aws_session_token"] = config.credentials.session_token
        records: list[Mapping[str, Any]] = []
        operation = "DescribeStream"
        try:
            async with get_session().create_client("dynamodbstreams", **kwargs) as client:
                stream = (await client.describe_stream(StreamArn=arn))["StreamDescription"]
                for shard in stream.get("Shards", ()):
                    operation = "GetShardIterator"
                    iterator = await self._iterator(client, arn, shard["ShardId"])
                    operation = "GetRecords"
                    while iterator and len(records) < self.batch_size:
                        page = await client.get_records(
                            ShardIterator=iterator, Limit=self.batch_size - len(records)
                        )
                        if not page["Records"]:
                            break
                        records.extend(page["Records"])
                        last = page["Records"][-1]["dynamodb"]["SequenceNumber"]
                        self.positions[shard["ShardId"]] = last
                        iterator = page.get("NextShardIterator")
        except failures as exc:
            raise translate(exc, operation, self.db.table_name(self.model)) from exc
        return lambda_stream_event(records, arn)

    async def _iterator(self, client: Any, arn: str, shard_id: str) -> str | None:
        last = self.positions.get(shard_id)
        where: dict[str, Any] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
            if last is not None
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        response = await client.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **where)
        iterator: str | None = response.get("ShardIterator")
        return iterator
