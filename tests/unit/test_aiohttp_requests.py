"""The direct transport's request class writes a body at once, and still whole when it is big.

A loopback server that reads nothing until told to makes the socket's buffers fill, so the
body writer has to wait for the reader halfway: the rest of the body is then written by
aiohttp's task, as it would be without the eager start.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from dynamorm_async.transport._aiohttp import REQUEST_CLASS

BIG = 32 * 1024 * 1024  # more than loopback's socket buffers hold


class _Server:
    """HTTP/1.1 on loopback: reads one request once ``read`` is set, answers its body's hash."""

    def __init__(self) -> None:
        self.accepted = asyncio.Event()
        self.read = asyncio.Event()
        self.finished = asyncio.Event()
        self.received = 0
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted.set()
        try:
            await self.read.wait()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            self.received = len(body)
            digest = hashlib.sha256(body).hexdigest().encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(digest), digest))
            await writer.drain()
        except asyncio.IncompleteReadError:
            pass  # the client gave up halfway through its request
        finally:
            writer.close()
            self.finished.set()


@pytest.fixture
async def server() -> AsyncIterator[_Server]:
    state = _Server()
    listening = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/"
    async with listening:
        yield state


# aiohttp warns of bodies over 1 MiB passed as bytes; DynamoDB's requests can be bigger.
pytestmark = pytest.mark.filterwarnings("ignore:Sending a large body directly")


async def test_a_body_bigger_than_the_socket_buffers_arrives_whole(server: _Server) -> None:
    body = bytes(range(256)) * (BIG // 256)
    async with aiohttp.ClientSession(request_class=REQUEST_CLASS) as session:

        async def post() -> bytes:
            async with session.post(server.url, data=body) as response:
                return await response.read()

        sending = asyncio.ensure_future(post())
        await asyncio.wait_for(server.accepted.wait(), 10)
        for _ in range(5):  # the client writes what the buffers take, then waits
            await asyncio.sleep(0)
        assert not sending.done()
        server.read.set()
        assert await sending == hashlib.sha256(body).hexdigest().encode()
    assert server.received == BIG


async def test_a_request_cancelled_while_its_body_waits_for_the_reader_ends(
    server: _Server,
) -> None:
    async with aiohttp.ClientSession(request_class=REQUEST_CLASS) as session:

        async def post() -> None:
            async with session.post(server.url, data=b"x" * BIG):
                pass

        sending = asyncio.ensure_future(post())
        await asyncio.wait_for(server.accepted.wait(), 10)
        for _ in range(5):
            await asyncio.sleep(0)
        sending.cancel()  # as a deadline would, while the body waits for the reader
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(sending, 10)  # ended at once, not after the write
        assert sending.cancelled()
    # What was handed to the socket still drains; the connection then closes.
    server.read.set()
    await asyncio.wait_for(server.finished.wait(), 10)
