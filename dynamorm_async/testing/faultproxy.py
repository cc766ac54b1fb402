"""A fault-injecting HTTP proxy between the code under test and a DynamoDB-compatible server.

Not a mock: the code under test keeps its real DB and transport (either one); only its
endpoint is the proxy's URL (:func:`through`). The proxy is an HTTP/1.1 server on 127.0.0.1
(raw asyncio, so that it can drop a connection exactly when it wants) forwarding to the real
server with aiohttp. It runs on its own event loop in a thread, so the code under test may
use any loop (or none, between Lambda invocations), and it keeps its client connections
alive even when the server does not (moto answers ``Connection: close``), so the client's
connection reuse shows in :attr:`FaultProxy.accepted`. For each request it draws from a
seeded RNG and, per operation, may:

* answer a ``BatchWriteItem`` / ``BatchGetItem`` *partially*: it holds back some of the
  request's items (keys), forwards only the rest, and adds the held-back ones to the
  answer's ``UnprocessedItems`` (``UnprocessedKeys``), as DynamoDB does under load;
* answer with a throttling error (400 ``ProvisionedThroughputExceededException``), a
  500 ``InternalServerError`` or a refusal (``AccessDenied``: 403 in STS's XML for
  query-protocol services, 400 ``AccessDeniedException`` for DynamoDB) without forwarding;
* reset the connection, either before forwarding (nothing written) or after (written, but
  the client never hears so);
* answer the first ``conflicts`` ``TransactWriteItems`` with a ``TransactionConflict``
  cancellation, without forwarding;
* lose the answers of the next requests of an operation (:meth:`FaultProxy.lose_answers`):
  forward each to the server, then reset the client's connection instead of answering (the
  write lands, the client never hears so, and retries);
* wait ``delay`` seconds before forwarding (a slow server, for deadline tests), or as long
  as a function of the request's number says.

While a request waits (``gate`` or ``delay``), a client that hangs up gets its connection
closed and nothing is forwarded, as a server would notice a cancelled request.

The RNG draws exactly one number per request to pick its fault, and a second RNG picks the
details (which items are held back, when a connection is reset). So a seed fixes the faults
of the n-th request to arrive, whatever the client does; with concurrent clients only which
chunk meets which fault varies.

Every request is logged (:class:`ProxyEntry`: operation, times, item counts, the fault), so tests
can observe chunk sizes, ordering and overlap. ``gate`` holds requests of one operation
until that many are in the proxy at once (or ``gate_timeout`` passes), which makes
concurrency observable without depending on timing.

The pytest plugin's ``fault_proxy`` fixture starts one in front of the test server for each
test (docs/testing.md shows a handler tested under throttling).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import io
import json
import random
import re
import threading
import time
import urllib.parse
import uuid
import zlib
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs

from ..config import Config

if TYPE_CHECKING:
    import aiohttp

__all__ = ["FaultProxy", "Faults", "ProxyEntry", "through"]

_JSON = "application/x-amz-json-1.0"
_PREFIX = "com.amazonaws.dynamodb.v20120810#"
_HOP_BY_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding"}


@attrs.frozen(kw_only=True)
class Faults:
    """What to do to one operation's requests; rates are shares of its requests.

    Attributes:
        partial: Answer partially (batch operations only).
        held_back: Share of a partial request's items held back; ``None`` draws 1..n.
        throttle: Answer ``ProvisionedThroughputExceededException`` (400).
        server_error: Answer ``InternalServerError`` (500).
        deny: Answer ``AccessDenied`` (STS ``AssumeRole`` and other query-protocol
            operations, whose name is the form's ``Action``) or ``AccessDeniedException``.
        expires_in: Rewrite the ``Expiration`` of forwarded STS answers to this many
            seconds from now (credentials about to expire, without waiting).
        reset: Drop the connection (half before forwarding, half after).
        bad_crc: Forward, then answer with an ``x-amz-crc32`` that does not match the body
            (a response damaged on the way: botocore retries it).
        conflicts: Answer the first this many requests with a TransactionConflict
            cancellation (``TransactWriteItems``).

        gate: Hold requests until this many are in the proxy at once (0: no gate).
        gate_timeout: Seconds after which a gated request goes ahead anyway.
        delay: Seconds every request waits before it is forwarded (a slow server), or a
            function of the request's number (from 1, counting every request the proxy
            received) returning those seconds.
    """

    partial: float = 0.0
    held_back: float | None = None
    throttle: float = 0.0
    server_error: float = 0.0
    deny: float = 0.0
    expires_in: float | None = None
    reset: float = 0.0
    bad_crc: float = 0.0
    conflicts: int = 0
    gate: int = 0
    gate_timeout: float = 10.0
    delay: float | Callable[[int], float] = 0.0


@attrs.frozen(kw_only=True)
class ProxyEntry:
    """One request the proxy saw.

    Attributes:
        operation: The DynamoDB operation (``"BatchWriteItem"``...).
        started: ``time.monotonic()`` when the whole request had arrived.
        ended: When the answer was written (or the connection dropped).
        sent: Items (writes, keys, actions) in the client's request.
        forwarded: How many of them reached the server (0 when nothing was forwarded).
        fault: ``None``, ``"partial"``, ``"throttle"``, ``"500"``, ``"deny"``, ``"reset-before"``,
            ``"reset-after"``, ``"bad-crc"`` or ``"conflict"``.
        status: The HTTP status answered (``None`` after a reset, or when the client hung
            up while its request waited).
        token: The ``ClientRequestToken`` of a transaction, if any.
    """

    operation: str
    started: float
    ended: float
    sent: int
    forwarded: int
    fault: str | None
    status: int | None
    token: str | None = None


def through(config: Config, proxy: FaultProxy, **changes: Any) -> Config:
    """``config`` sending to the proxy instead of the server (and any other changes).

    Args:
        config: The configuration of the code under test (e.g. the ``dynamodb_config``
            fixture); its credentials, region and table prefix are kept.
        proxy: A started proxy.
        **changes: Other :class:`~dynamorm_async.Config` fields to change
            (``retry_mode="standard"``, ``max_retries=2``...).
    """
    return attrs.evolve(config, endpoint_url=proxy.url, **changes)


class _Reset(Exception):
    """Drop the client's connection now."""


class FaultProxy:
    """A loopback HTTP proxy that injects DynamoDB's failures into the requests it forwards.

    Run it with ``with FaultProxy(upstream, seed=1, faults={...}) as proxy`` (or take the
    pytest plugin's ``fault_proxy`` fixture) and point the code under test at it with
    :func:`through`. Starting and stopping block for a moment (a thread starts or is
    joined), so synchronous tests and async fixtures alike use the plain ``with``.

    Args:
        upstream: The real server's URL (``http://127.0.0.1:port``).
        seed: Seeds the RNGs: ``rng`` (one draw per request: its fault) and ``details``
            (held-back items, reset timing).
        faults: :class:`Faults` per operation name; other operations pass through. Tests may
            change it (and ``rng``) between requests.

    Attributes:
        url: The proxy's base URL.
        log: Every request answered or dropped, in the order they ended.
        accepted: Client connections accepted so far.
        open: Client connections open now.
        requests: Requests received so far (including those still in the proxy).
    """

    def __init__(
        self, upstream: str, *, seed: int = 0, faults: Mapping[str, Faults] | None = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: dict[str, Faults] = dict(faults or {})
        self.rng = random.Random(seed)
        self.details = random.Random(seed + 1)
        self.log: list[ProxyEntry] = []
        self.accepted = 0
        self.open = 0
        self.requests = 0
        self.url = ""
        self._session: aiohttp.ClientSession | None = None
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._gates: dict[str, asyncio.Event] = {}
        self._conflicts_sent: dict[str, int] = {}
        self._answers_to_lose: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
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
                await self._connection(reader, writer)
            finally:
                writers.discard(writer)
                served.discard(task)

        import aiohttp  # here, so that importing dynamorm_async.testing stays light

        async with aiohttp.ClientSession(auto_decompress=False) as self._session:
            server = await asyncio.start_server(serve, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            self._ready.set()
            async with server:
                await self._stop.wait()
                # Closing the sockets ends every connection's loop, waiting requests included
                # (no task is cancelled, which asyncio's stream callback would log as an error).
                for writer in list(writers):
                    writer.transport.abort()
                await asyncio.gather(*served, return_exceptions=True)

    def lose_answers(self, operation: str, count: int = 1) -> None:
        """Forward the next ``count`` requests of ``operation``, then reset the connection.

        The server applies each request; the client never hears so (logged as
        ``"reset-after"``). Other faults apply to the requests after them.
        """
        self._answers_to_lose[operation] = self._answers_to_lose.get(operation, 0) + count

    # -- what tests read -----------------------------------------------------------------------

    def entries(self, operation: str) -> list[ProxyEntry]:
        """The log entries of one operation, in the order they ended."""
        return [entry for entry in self.log if entry.operation == operation]

    def peak(self, operation: str) -> int:
        """The most requests of ``operation`` that were in the proxy at the same time."""
        return self._peak.get(operation, 0)

    # -- serving -------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open += 1
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests += 1
                try:
                    status, headers, body = await self._handle(reader, self.requests, *request)
                except _Reset:
                    writer.transport.abort()
                    return
                writer.write(_response_bytes(status, headers, body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def _handle(
        self,
        reader: asyncio.StreamReader,
        number: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        amz_target = _header(headers, "x-amz-target") or ""
        operation = amz_target.rpartition(".")[2]
        action = _query_action(headers, body)  # STS speaks the query protocol: a form
        if action is not None:
            operation = action
        faults = self.faults.get(operation, Faults())
        payload: dict[str, Any] = json.loads(body) if body and action is None else {}
        started = time.monotonic()
        sent = _count(operation, payload)
        token = payload.get("ClientRequestToken")
        self._enter(operation)
        fault: str | None = None
        forwarded = 0
        status: int | None = None
        try:
            delay = faults.delay(number) if callable(faults.delay) else faults.delay
            passed = await self._pass_gate(reader, operation, faults)
            if not (passed and await _hold(reader, delay)):
                raise _Reset  # the client hung up: nothing to forward, nobody to answer
            fault = self._draw(operation, faults)
            if fault == "throttle":
                status, out_headers, out = _error(400, "ProvisionedThroughputExceededException")
                return status, out_headers, out
            if fault == "500":
                status, out_headers, out = _error(500, "InternalServerError")
                return status, out_headers, out
            if fault == "deny":
                if action is not None:
                    status, out_headers, out = _query_error(403, "AccessDenied")
                else:
                    status, out_headers, out = _error(400, "AccessDeniedException")
                return status, out_headers, out
            if fault == "conflict":
                status, out_headers, out = _conflict(payload)
                return status, out_headers, out
            if fault == "reset-before":
                raise _Reset
            held: dict[str, Any] = {}
            if fault == "partial":
                payload, held = self._hold_back(operation, payload, faults)
                body = json.dumps(payload).encode()
            forwarded = _count(operation, payload)
            if forwarded or not held:
                status, out_headers, out = await self._forward(method, target, headers, body)
            else:
                status, out_headers, out = 200, {"Content-Type": _JSON}, b"{}"
            if fault == "reset-after":
                status = None
                raise _Reset
            if held and status == 200:
                out = _merge_unprocessed(operation, out, held)
            if faults.expires_in is not None and status == 200:
                out = _expiring(out, faults.expires_in)
            if fault == "bad-crc":
                out_headers = {k: v for k, v in out_headers.items() if k.lower() != "x-amz-crc32"}
                out_headers["x-amz-crc32"] = str((zlib.crc32(out) + 1) & 0xFFFFFFFF)
            return status, out_headers, out
        finally:
            self._leave(operation)
            self.log.append(
                ProxyEntry(
                    operation=operation,
                    started=started,
                    ended=time.monotonic(),
                    sent=sent,
                    forwarded=forwarded,
                    fault=fault,
                    status=status,
                    token=token,
                )
            )

    def _draw(self, operation: str, faults: Faults) -> str | None:
        if faults.conflicts and operation == "TransactWriteItems":
            done = self._conflicts_sent.get(operation, 0)
            if done < faults.conflicts:
                self._conflicts_sent[operation] = done + 1
                return "conflict"
        if self._answers_to_lose.get(operation):
            self._answers_to_lose[operation] -= 1
            return "reset-after"
        roll = self.rng.random()
        for name, rate in (
            ("reset", faults.reset),
            ("throttle", faults.throttle),
            ("500", faults.server_error),
            ("deny", faults.deny),
            ("bad-crc", faults.bad_crc),
            ("partial", faults.partial if operation in _BATCH else 0.0),
        ):
            if roll < rate:
                if name == "reset":
                    return "reset-before" if self.details.random() < 0.5 else "reset-after"
                return name
            roll -= rate
        return None

    def _hold_back(
        self, operation: str, payload: dict[str, Any], faults: Faults
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split the request: (what is forwarded, what is held back), both per table."""
        entries = [
            (table, index)
            for table, requests in _units(operation, payload).items()
            for index in range(len(requests))
        ]
        if not entries:
            return payload, {}
        if faults.held_back is None:
            count = self.details.randint(1, len(entries))
        else:
            count = max(1, round(len(entries) * faults.held_back))
        chosen = set(self.details.sample(entries, count))
        forwarded_payload = json.loads(json.dumps(payload))
        held: dict[str, list[Any]] = {}
        kept: dict[str, list[Any]] = {}
        for table, requests in _units(operation, payload).items():
            for index, unit in enumerate(requests):
                (held if (table, index) in chosen else kept).setdefault(table, []).append(unit)
        items = forwarded_payload["RequestItems"]
        if operation == "BatchWriteItem":
            forwarded_payload["RequestItems"] = kept
            return forwarded_payload, held
        held_keys: dict[str, Any] = {}
        for table in list(items):
            extra = {k: v for k, v in items[table].items() if k != "Keys"}
            if table in held:
                held_keys[table] = {"Keys": held[table], **extra}
            if table in kept:
                items[table] = {"Keys": kept[table], **extra}
            else:
                del items[table]
        return forwarded_payload, held_keys

    async def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self._session is not None
        forward_headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        # Over 1 MiB aiohttp warns of a bytes body (an error where warnings are): a file
        # object it reads in chunks instead (this thread must not change warning filters).
        from ..transport._aiohttp import RAW_BODY_LIMIT  # aiohttp's; imported with it

        data: bytes | io.BytesIO = body if len(body) <= RAW_BODY_LIMIT else io.BytesIO(body)
        async with self._session.request(
            method, self.upstream + target, headers=forward_headers, data=data
        ) as response:
            out = await response.read()
            keep = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "x-amz-crc32"
            }
            return response.status, keep, out

    # -- in-flight accounting ------------------------------------------------------------------

    def _enter(self, operation: str) -> None:
        now = self._in_flight.get(operation, 0) + 1
        self._in_flight[operation] = now
        self._peak[operation] = max(self._peak.get(operation, 0), now)
        gate = self.faults.get(operation, Faults()).gate
        if gate and now >= gate:
            self._gates.setdefault(operation, asyncio.Event()).set()

    def _leave(self, operation: str) -> None:
        self._in_flight[operation] -= 1

    async def _pass_gate(
        self, reader: asyncio.StreamReader, operation: str, faults: Faults
    ) -> bool:
        """Wait at the operation's gate, if any; False if the client hung up meanwhile."""
        if not faults.gate:
            return True
        event = self._gates.setdefault(operation, asyncio.Event())
        return await _hold(reader, faults.gate_timeout, until=event)


_BATCH = {"BatchWriteItem", "BatchGetItem"}


async def _hold(
    reader: asyncio.StreamReader, seconds: float, until: asyncio.Event | None = None
) -> bool:
    """Wait ``seconds`` or until ``until`` is set; False if the client hung up meanwhile."""
    if seconds <= 0 or (until is not None and until.is_set()):
        return True
    # botocore never pipelines: while its request waits, anything but silence is a hang-up.
    hang_up = asyncio.ensure_future(reader.read(1))
    waiting: set[asyncio.Future[Any]] = {hang_up}
    if until is not None:
        waiting.add(asyncio.ensure_future(until.wait()))
    try:
        done, _ = await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in waiting:
            if not future.done():
                future.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await future
    return hang_up not in done


def _units(operation: str, payload: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The request's items (writes) or keys (reads), per table."""
    items = payload.get("RequestItems") or {}
    if operation == "BatchWriteItem":
        return {table: list(requests) for table, requests in items.items()}
    if operation == "BatchGetItem":
        return {table: list(spec.get("Keys", ())) for table, spec in items.items()}
    return {}


def _count(operation: str, payload: Mapping[str, Any]) -> int:
    if operation in _BATCH:
        return sum(len(units) for units in _units(operation, payload).values())
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return len(payload.get("TransactItems") or ())
    return 1


def _merge_unprocessed(operation: str, body: bytes, held: dict[str, Any]) -> bytes:
    answer = json.loads(body) if body else {}
    if operation == "BatchWriteItem":
        unprocessed = answer.setdefault("UnprocessedItems", {})
        for table, requests in held.items():
            unprocessed.setdefault(table, []).extend(requests)
    else:
        unprocessed = answer.setdefault("UnprocessedKeys", {})
        for table, spec in held.items():
            if table in unprocessed:
                unprocessed[table]["Keys"].extend(spec["Keys"])
            else:
                unprocessed[table] = spec
    return json.dumps(answer).encode()


def _error(status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": _PREFIX + code, "message": f"injected by the fault proxy: {code}"})
    return status, {"Content-Type": _JSON}, body.encode()


def _conflict(payload: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    actions = payload.get("TransactItems") or ()
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    reasons += [{"Code": "None"} for _ in actions[1:]]
    codes = ", ".join(reason["Code"] for reason in reasons)
    body = {
        "__type": _PREFIX + "TransactionCanceledException",
        "Message": f"Transaction cancelled, please refer cancellation reasons for specific "
        f"reasons [{codes}]",
        "CancellationReasons": reasons,
    }
    return 400, {"Content-Type": _JSON}, json.dumps(body).encode()


def _query_action(headers: list[tuple[str, str]], body: bytes) -> str | None:
    """The ``Action`` of a query-protocol request (STS), else ``None``."""
    if not (_header(headers, "content-type") or "").startswith("application/x-www-form-urlencoded"):
        return None
    actions = urllib.parse.parse_qs(body.decode()).get("Action")
    return actions[0] if actions else None


def _expiring(body: bytes, seconds: float) -> bytes:
    """An STS answer whose credentials expire ``seconds`` from now."""
    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return re.sub(
        rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>".encode(), body
    )


def _query_error(status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code>"
        f"<Message>injected by the fault proxy: {code}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml"}, body.encode()


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    length = int(_header(headers, "content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


def _response_bytes(status: int, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
    # botocore checks DynamoDB's CRC32 of the body: a changed body needs a new one (unless
    # the answer carries a deliberately wrong one, the bad_crc fault).
    crc = next((v for k, v in headers.items() if k.lower() == "x-amz-crc32"), zlib.crc32(body))
    headers = {
        k: v for k, v in headers.items() if k.lower() not in ("x-amzn-requestid", "x-amz-crc32")
    }
    headers.setdefault("Content-Type", _JSON)
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [
        f"x-amzn-RequestId: {uuid.uuid4().hex}",
        f"x-amz-crc32: {crc}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
