"""A loopback HTTP/1.1 proxy for fault injection: counts connections, delays and fakes answers.

It speaks just enough HTTP for botocore's requests (``Content-Length`` bodies, no pipelining)
and keeps its client connections alive even when the server behind it does not (moto
answers ``Connection: close``), so the client's connection reuse shows in :attr:`accepted`.
Each request is sent upstream on a fresh connection. It runs on its own event loop in a
thread, so the client under test may use any loop (or none, between Lambda invocations).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

Policy = Callable[[int, bytes], float]
"""``(request number from 1, request body) -> seconds``: how long to hold a response back."""

Fault = Callable[[int, bytes], bytes | None]
"""``(request number, body) -> a whole HTTP response to send instead, or None to forward``."""

_HEAD_END = b"\r\n\r\n"


def throttling_response(request_number: int, body: bytes) -> bytes:
    """A DynamoDB ThrottlingException answer (HTTP 400), as the real service sends it."""
    payload = (
        b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
        b'"message":"Rate of requests exceeds the allowed throughput."}'
    )
    return (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\n"
        b"x-amzn-RequestId: THROTTLED" + str(request_number).encode() + b"\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
    )


def _headers(head: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    first, *lines = head.split(b"\r\n")
    headers = []
    for line in lines:
        if line:
            name, _, value = line.partition(b":")
            headers.append((name.strip(), value.strip()))
    return first, headers


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            return int(value)
    return None


def _with_connection(first: bytes, headers: list[tuple[bytes, bytes]], value: bytes) -> bytes:
    kept = [(n, v) for n, v in headers if n.lower() not in (b"connection", b"keep-alive")]
    kept.append((b"Connection", value))
    return first + b"\r\n" + b"".join(n + b": " + v + b"\r\n" for n, v in kept) + b"\r\n"


class HttpProxy:
    """Forwards HTTP requests from ``127.0.0.1:<port>`` to ``upstream``.

    Args:
        upstream: The server's base URL.
        delay: Seconds to hold back every response, or a :data:`Policy`.
        fault: Answers some requests itself instead of forwarding them.

    Attributes:
        accepted: Client connections accepted so far.
        open: Client connections open now.
        requests: Requests received so far.
    """

    def __init__(
        self, upstream: str, *, delay: float | Policy = 0.0, fault: Fault | None = None
    ) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._delay: Policy = delay if callable(delay) else (lambda n, body, d=delay: d)
        self._fault = fault
        self.accepted = 0
        self.open = 0
        self.requests = 0
        self._port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def endpoint_url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="http-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by __enter__
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        served: set[asyncio.Task[None]] = set()
        writers: set[asyncio.StreamWriter] = set()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            served.add(task)
            writers.add(writer)
            try:
                await self._serve(reader, writer)
            finally:
                writers.discard(writer)
                served.discard(task)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            # Closing the sockets ends every connection's loop (no task is cancelled, which
            # asyncio's stream callback would log as an error).
            for writer in list(writers):
                writer.transport.abort()
            await asyncio.gather(*served, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(_HEAD_END)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                first, headers = _headers(head[: -len(_HEAD_END)])
                body = await reader.readexactly(_content_length(headers) or 0)
                self.requests += 1
                number = self.requests
                answer = self._fault(number, body) if self._fault is not None else None
                if answer is None:
                    answer = await self._forward(_with_connection(first, headers, b"close"), body)
                if not await self._hold(reader, self._delay(number, body)):
                    return  # the client went away while we held its answer back
                response_head, _, response_body = answer.partition(_HEAD_END)
                first, headers = _headers(response_head)
                writer.write(_with_connection(first, headers, b"keep-alive") + response_body)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self.open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _hold(self, reader: asyncio.StreamReader, seconds: float) -> bool:
        """Wait ``seconds``; False if the client closed its connection meanwhile."""
        if seconds <= 0:
            return True
        eof = asyncio.ensure_future(reader.read(1))
        try:
            done, _ = await asyncio.wait({eof}, timeout=seconds)
        finally:
            if not eof.done():
                eof.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await eof
        if not done:
            return True
        return eof.exception() is None and eof.result() != b""

    async def _forward(self, head: bytes, body: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(*self._upstream)
        try:
            writer.write(head + body)
            await writer.drain()
            response_head = await reader.readuntil(_HEAD_END)
            _, headers = _headers(response_head[: -len(_HEAD_END)])
            length = _content_length(headers)
            response_body = (
                await reader.read() if length is None else await reader.readexactly(length)
            )
            return response_head + response_body
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
