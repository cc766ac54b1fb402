"""A null DynamoDB server: instant, fixed, valid answers to JSON-1.0 requests.

It exists to measure clients: whatever a client spends per request beyond this server's
near-zero cost is the client's own. It answers by the ``X-Amz-Target`` header alone and never
reads the request body:

=================  ==============================================================
PutItem            ``{}``
GetItem            ``{"Item": ITEM}`` (the benchmark order, see :data:`ITEM`)
UpdateItem         ``{}``
DeleteItem         ``{}``
Query              one page of ``--query-items`` orders (ids ``order-0000``...)
BatchWriteItem     ``{"UnprocessedItems": {}}``
anything else      HTTP 400 ``UnknownOperationException``
=================  ==============================================================

With ``query_pages`` > 1 a Query is answered with page after page: the body's
``ExclusiveStartKey`` (``{"id": {"S": "page-K"}}``, the ``LastEvaluatedKey`` of page K-1) says
which; the last page has no ``LastEvaluatedKey``. ``latency`` delays every answer (a network
round trip), without the server spending CPU on the wait.

Every answer carries ``x-amz-crc32`` (botocore checks it when present, as DynamoDB sends it),
``x-amzn-RequestId`` and keep-alive. Responses are built once, at start-up.

Run it as a child process (:class:`NullServer`), so that its CPU time is never counted
against the client's and never competes with the client for the GIL::

    with NullServer() as server:
        client = ...(endpoint_url=server.endpoint_url)

``python benchmarks/null_server.py`` checks the server with one request of each kind through
aiobotocore and exits (what ``nox -s bench`` runs); ``--serve`` keeps it serving instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import zlib
from types import TracebackType
from typing import Any, Self

__all__ = ["DEFAULT_QUERY_ITEMS", "ITEM", "TABLE", "NullServer", "query_item"]

TABLE = "bench-orders"
"""The table name the benchmarks use (the server ignores it)."""

ITEM: dict[str, dict[str, Any]] = {
    "id": {"S": "order-0001"},
    "customerId": {"S": "customer-0042"},
    "amount": {"N": "1234.56"},
    "currency": {"S": "EUR"},
    "status": {"S": "paid"},
    "description": {"S": "Two flat whites and a croissant, table 7"},
    "quantity": {"N": "3"},
    "gift": {"BOOL": False},
    "tags": {"SS": ["card", "in-store", "loyalty"]},
    "placedAt": {"S": "2024-05-17T09:30:15.123456Z"},
}
"""The benchmark order as DynamoDB stores it (camelCase names, RFC 3339 UTC timestamp)."""

DEFAULT_QUERY_ITEMS = 100
"""Items in the one page a Query gets."""

_STARTUP_TIMEOUT = 20.0
_TARGET_PREFIX = "dynamodb_20120810."


def query_item(index: int) -> dict[str, dict[str, Any]]:
    """The ``index``-th item of a Query page: :data:`ITEM` with id ``order-NNNN``."""
    return {**ITEM, "id": {"S": f"order-{index:04d}"}}


def _response(status: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "x-amzn-RequestId: NULLSERVER00000000000000000000000000000000000000000000\r\n"
        f"x-amz-crc32: {zlib.crc32(payload) & 0xFFFFFFFF}\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
    )
    return head.encode() + payload


_QUERY = (_TARGET_PREFIX + "Query").lower().encode()
_PAGE = re.compile(rb'"page-(\d+)"')


def _query_pages(query_items: int, pages: int) -> list[bytes]:
    items = [query_item(i) for i in range(query_items)]
    answers = []
    for page in range(pages):
        body: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if page + 1 < pages:
            body["LastEvaluatedKey"] = {"id": {"S": f"page-{page + 1}"}}
        answers.append(_response("200 OK", body))
    return answers


def _responses(query_items: int) -> dict[bytes, bytes]:
    items = [query_item(i) for i in range(query_items)]
    bodies: dict[str, dict[str, Any]] = {
        "PutItem": {},
        "GetItem": {"Item": ITEM},
        "UpdateItem": {},
        "DeleteItem": {},
        "Query": {"Items": items, "Count": len(items), "ScannedCount": len(items)},
        "BatchWriteItem": {"UnprocessedItems": {}},
    }
    # Keyed by the lower-cased header value: header values are matched case-insensitively.
    return {
        (_TARGET_PREFIX + name).lower().encode(): _response("200 OK", body)
        for name, body in bodies.items()
    }


_UNKNOWN = _response(
    "400 Bad Request",
    {
        "__type": "com.amazon.coral.service#UnknownOperationException",
        "message": "the null server answers PutItem, GetItem, UpdateItem, DeleteItem, "
        "Query and BatchWriteItem only",
    },
)


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough for DynamoDB clients (Content-Length bodies)."""

    def __init__(
        self,
        responses: dict[bytes, bytes],
        pages: list[bytes],
        latency: float,
        awake: _Awake | None = None,
    ) -> None:
        self._awake = awake
        self._responses = responses
        self._pages = pages
        self._latency = latency
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if self._awake is not None:
            self._awake.connected()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._awake is not None:
            self._awake.disconnected()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            target = b""
            close = False
            for line in bytes(buffer[:end]).lower().split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip()
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-amz-target":
                    target = value.strip()
                elif name == b"connection":
                    close = value.strip() == b"close"
            total = end + 4 + length
            if len(buffer) < total:
                return  # the body is still on its way
            body = bytes(buffer[end + 4 : total])
            del buffer[:total]
            transport = self._transport
            assert transport is not None
            if target == _QUERY and len(self._pages) > 1:
                found = _PAGE.search(body)
                answer = self._pages[int(found.group(1)) if found else 0]
            else:
                answer = self._responses.get(target, _UNKNOWN)
            if self._latency:
                loop = asyncio.get_running_loop()
                loop.call_later(self._latency, _write, transport, answer, close)
                continue
            transport.write(answer)
            if close:
                transport.close()
                return


class _Awake:
    """Keeps the server's event loop polling, never sleeping, while a client is connected.

    A process asleep in ``epoll_wait`` is woken by the kernel when a request arrives, and on
    loopback that wake-up (an inter-processor interrupt, dear in a virtual machine) runs
    inside the *client's* ``send`` and is counted as the client's CPU time: about 20 µs a
    request here. A client that writes each request as soon as it is made pays it per
    request, one that writes requests in bursts once per burst; a remote DynamoDB is never
    woken by its client at all. Polling while connected takes that cost out of the
    client's figures. The server runs at the lowest priority (``nice 19``) meanwhile, so
    that it yields its CPU to any client thread that wants it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._clients = 0
        self._polling = False

    def connected(self) -> None:
        self._clients += 1
        if not self._polling:
            self._polling = True
            self._loop.call_soon(self._poll)

    def disconnected(self) -> None:
        self._clients -= 1

    def _poll(self) -> None:
        # A ready callback makes the loop poll epoll with a zero timeout instead of blocking.
        if self._clients > 0:
            self._loop.call_soon(self._poll)
        else:
            self._polling = False


def _write(transport: asyncio.Transport, answer: bytes, close: bool) -> None:
    if transport.is_closing():
        return
    transport.write(answer)
    if close:
        transport.close()


async def _serve(
    port: int,
    query_items: int,
    announce: bool,
    *,
    pages: int = 1,
    latency: float = 0.0,
    awake: bool = False,
) -> None:
    responses = _responses(query_items)
    query_pages = _query_pages(query_items, pages) if pages > 1 else []
    loop = asyncio.get_running_loop()
    keeper = None
    if awake:
        os.nice(19)
        keeper = _Awake(loop)
    server = await loop.create_server(
        lambda: _Protocol(responses, query_pages, latency, keeper),
        "127.0.0.1",
        port,
        backlog=1024,
        reuse_address=True,
    )
    bound = server.sockets[0].getsockname()[1]
    if announce:
        print(f"PORT {bound}", flush=True)
    else:
        print(f"null DynamoDB server on http://127.0.0.1:{bound} (Ctrl-C stops it)", flush=True)
    async with server:
        await server.serve_forever()


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


class NullServer:
    """The null server in a child process on 127.0.0.1; a context manager.

    Args:
        query_items: Items in the page a Query gets.
        query_pages: Pages a Query walks through (see the module doc).
        latency: Seconds every answer is delayed by.
        awake: Poll instead of sleeping while a client is connected (see :class:`_Awake`);
            ``False`` measures clients against a server that sleeps between requests.
    """

    def __init__(
        self,
        query_items: int = DEFAULT_QUERY_ITEMS,
        query_pages: int = 1,
        latency: float = 0.0,
        *,
        awake: bool = True,
    ) -> None:
        self.query_items = query_items
        self.query_pages = query_pages
        self.latency = latency
        self.awake = awake
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """The server's URL (the server must be running)."""
        if self.port is None:
            raise RuntimeError("the null server is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch the child and wait until it listens."""
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--serve",
            "--child",
            "--query-items",
            str(self.query_items),
            "--query-pages",
            str(self.query_pages),
            "--latency-ms",
            str(self.latency * 1000),
            *(["--awake"] if self.awake else []),
        ]
        # The child exits when its stdin closes, so it never outlives a killed parent.
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._process = process
        assert process.stdout is not None
        line = _read_line(process.stdout, _STARTUP_TIMEOUT)
        if not line.startswith(b"PORT "):
            self.stop()
            raise RuntimeError(f"the null server did not start (it printed {line!r})")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        """Stop the child; harmless when it is not running."""
        process, self._process = self._process, None
        self.port = None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _read_line(stream: Any, timeout: float) -> bytes:
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else b""


async def _check(endpoint_url: str, query_items: int) -> None:
    """Send one request of each kind through aiobotocore and check the answers."""
    from aiobotocore.session import get_session

    session = get_session()
    async with session.create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        key = {"id": ITEM["id"]}
        started = time.perf_counter()
        assert (await client.put_item(TableName=TABLE, Item=ITEM))["ResponseMetadata"]
        assert (await client.get_item(TableName=TABLE, Key=key))["Item"] == ITEM
        await client.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET #q = :q",
            ExpressionAttributeNames={"#q": "quantity"},
            ExpressionAttributeValues={":q": {"N": "4"}},
        )
        await client.delete_item(TableName=TABLE, Key=key)
        page = await client.query(
            TableName=TABLE,
            KeyConditionExpression="#c = :c",
            ExpressionAttributeNames={"#c": "customerId"},
            ExpressionAttributeValues={":c": ITEM["customerId"]},
        )
        assert page["Count"] == query_items == len(page["Items"])
        assert page["Items"][-1] == query_item(query_items - 1)
        written = await client.batch_write_item(
            RequestItems={TABLE: [{"PutRequest": {"Item": ITEM}}]}
        )
        assert written["UnprocessedItems"] == {}
        elapsed = time.perf_counter() - started
    print(f"null server OK: 6 operations answered through aiobotocore in {elapsed * 1e3:.1f} ms")


def main(argv: list[str] | None = None) -> None:
    """Check the server (default) or serve until stopped (``--serve``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve until stopped")
    parser.add_argument("--port", type=int, default=0, help="port to serve on (default: any)")
    parser.add_argument("--query-items", type=int, default=DEFAULT_QUERY_ITEMS)
    parser.add_argument("--query-pages", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every answer")
    parser.add_argument(
        "--awake", action="store_true", help="poll, never sleep, while a client is connected"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        if args.child:
            threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                _serve(
                    args.port,
                    args.query_items,
                    announce=args.child,
                    pages=args.query_pages,
                    latency=args.latency_ms / 1000,
                    awake=args.awake,
                )
            )
        return
    with NullServer(query_items=args.query_items) as server:
        asyncio.run(_check(server.endpoint_url, args.query_items))


if __name__ == "__main__":
    main()
