"""Pages, cursors and streams: reading Query and Scan results a page at a time.

A :class:`Pager` sends one Query or Scan request after another, following
``LastEvaluatedKey``, with ``Limit`` set to the page size (or to what is left of a
query's limit). A :class:`Stream` yields decoded items from it while holding at most one
page. Every stream is used the same way, inside ``async with``; a parallel scan's stream
runs one producer task per segment there, feeding a bounded memory object stream, and
those tasks end when the block does::

    async with db.model(Payment).where("customer_id", "=", "c-1").stream() as payments:
        async for payment in payments:
            ...

    async with db.model(Payment).scan(segments=4).stream() as payments:
        async for payment in payments:
            ...

Cursors are DynamORM's: URL-safe base64 (with ``=`` padding) of the compact JSON
``{"lastKey": {...}, "index": "...", "sort": "ASC"}``, where ``lastKey`` is the
``LastEvaluatedKey`` in DynamoDB's JSON form with attribute names in sorted order, binary
values in standard base64, and ``index`` / ``sort`` left out when empty. A Go or TypeScript
DynamORM service accepts ours, and we accept theirs.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, Self, TypeVar

import attrs

from .errors import ValidationError

if TYPE_CHECKING:  # anyio is imported by a parallel scan's stream, its only user here
    import anyio
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = [
    "MAX_CURSOR_DEPTH",
    "MAX_CURSOR_LENGTH",
    "Cursor",
    "Page",
    "PageSource",
    "Pager",
    "Send",
    "SortOrder",
    "Stream",
]

T = TypeVar("T")

SortOrder = Literal["ASC", "DESC"]
"""The order of a Query's sort key, as a cursor records it."""

Send = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Sends one operation (``"Query"``, ``"Scan"``) with its parameters; returns the response."""

_SORTS = ("ASC", "DESC")

MAX_CURSOR_LENGTH = 64 * 1024
"""The longest token :meth:`Cursor.decode` reads: a ``LastEvaluatedKey`` holds at most a
table key and an index key (2 KB partition and 1 KB sort key values each), which even with
every character JSON-escaped stays well below this. Longer tokens are refused unread."""

MAX_CURSOR_DEPTH = 8
"""The deepest JSON nesting :meth:`Cursor.decode` reads: key attributes are scalars, so a
cursor is 3 levels deep (document, ``lastKey``, AttributeValue). Checked before parsing."""

# Strings (with their escapes) removed, only brackets count towards the nesting depth.
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
# Go's encoding/json escapes these even inside strings; so must we to produce the same text.
_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


# -- cursors ---------------------------------------------------------------------------------


@attrs.frozen
class Cursor:
    """Where a Query or Scan stopped: DynamoDB's ``LastEvaluatedKey`` and what it belongs to.

    Attributes:
        last_key: The ``LastEvaluatedKey`` (stored names to AttributeValues, binary as
            ``bytes`` or, as the direct transport receives it, base64 text), to be sent back
            as ``ExclusiveStartKey``.
        index: The index the query read, ``None`` for the table.
        sort: ``"ASC"`` or ``"DESC"`` for a Query, ``None`` when not recorded (a Scan).
    """

    last_key: Mapping[str, Any]
    index: str | None = None
    sort: SortOrder | None = None

    def encode(self) -> str:
        """The opaque token, byte for byte what DynamORM (Go) writes for the same key."""
        document: dict[str, Any] = {
            "lastKey": {name: _to_json(self.last_key[name]) for name in sorted(self.last_key)}
        }
        if self.index:
            document["index"] = self.index
        if self.sort:
            document["sort"] = self.sort
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        return base64.urlsafe_b64encode(text.translate(_GO_ESCAPES).encode()).decode("ascii")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """Read a token written by :meth:`encode` or by a DynamORM service.

        Padding may be left out (some encoders drop it). Tokens come from API callers, so
        they are bounded before they are parsed: at most :data:`MAX_CURSOR_LENGTH`
        characters and :data:`MAX_CURSOR_DEPTH` levels of JSON.

        Raises:
            ValidationError: The token is not a cursor (bad base64, JSON or shape), or is
                too long or too deeply nested.
        """
        if not isinstance(token, str) or not token:
            raise _bad_cursor("expected a non-empty string")
        if len(token) > MAX_CURSOR_LENGTH:
            raise _bad_cursor(f"longer than {MAX_CURSOR_LENGTH} characters")
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
            text = raw.decode("utf-8")
        except (binascii.Error, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            raise _bad_cursor("it is not URL-safe base64 of JSON") from exc
        if _nesting(text) > MAX_CURSOR_DEPTH:
            raise _bad_cursor(f"nested deeper than {MAX_CURSOR_DEPTH} levels")
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise _bad_cursor("it is not URL-safe base64 of JSON") from exc
        if not isinstance(document, dict):
            raise _bad_cursor("expected a JSON object")
        last_key = document.get("lastKey")
        if not isinstance(last_key, dict) or not last_key:
            raise _bad_cursor("'lastKey' must be a non-empty object")
        index = document.get("index") or None
        if index is not None and not isinstance(index, str):
            raise _bad_cursor("'index' must be a string")
        sort = document.get("sort") or None
        if sort is not None and sort not in _SORTS:
            raise _bad_cursor("'sort' must be 'ASC' or 'DESC'")
        key = {str(name): _from_json(value, str(name)) for name, value in last_key.items()}
        return cls(last_key=key, index=index, sort=sort)


def _nesting(text: str) -> int:
    """How deep the JSON ``text`` nests (brackets outside strings), without parsing it."""
    bare = _JSON_STRINGS.sub("", text)
    steps = [1 if c in "[{" else -1 for c in bare if c in "[]{}"]
    return max(itertools.accumulate(steps), default=0)


def _bad_cursor(why: str) -> ValidationError:
    return ValidationError(f"invalid cursor: {why}")


def _b64(value: Any) -> str:
    # The direct transport hands binary keys over as DynamoDB sent them: base64 text.
    if isinstance(value, str):
        return value
    return base64.b64encode(bytes(value)).decode("ascii")


def _to_json(av: Mapping[str, Any]) -> Any:
    ((tag, value),) = av.items()
    if tag in ("S", "N", "BOOL"):
        return {tag: value}
    if tag == "NULL":
        return {"NULL": True}
    if tag == "B":
        return {"B": _b64(value)}
    if tag in ("SS", "NS"):
        return {tag: list(value)}
    if tag == "BS":
        return {"BS": [_b64(v) for v in value]}
    if tag == "L":
        return {"L": [_to_json(v) for v in value]}
    if tag == "M":
        return {"M": {k: _to_json(value[k]) for k in sorted(value)}}
    raise ValidationError(f"cannot put a {tag!r} value in a cursor")


def _unb64(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise _bad_cursor(f"{where}: binary values are base64 strings")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise _bad_cursor(f"{where}: bad base64 in a binary value") from exc


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_cursor(f"{where}: expected a list of strings")
    return value


def _from_json(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise _bad_cursor(f"{where}: expected an AttributeValue such as {{'S': 'x'}}")
    ((tag, inner),) = value.items()
    if tag in ("S", "N"):
        if not isinstance(inner, str):
            raise _bad_cursor(f"{where}: {tag} values are strings")
        return {tag: inner}
    if tag == "B":
        return {"B": _unb64(inner, where)}
    if tag == "BOOL" and isinstance(inner, bool):
        return {"BOOL": inner}
    if tag == "NULL" and inner is True:
        return {"NULL": True}
    if tag in ("SS", "NS"):
        return {tag: _strings(inner, where)}
    if tag == "BS":
        return {"BS": [_unb64(v, where) for v in _strings(inner, where)]}
    if tag == "L" and isinstance(inner, list):
        return {"L": [_from_json(v, f"{where}[{i}]") for i, v in enumerate(inner)]}
    if tag == "M" and isinstance(inner, dict):
        return {"M": {str(k): _from_json(v, f"{where}.{k}") for k, v in inner.items()}}
    raise _bad_cursor(f"{where}: unknown or malformed AttributeValue {tag!r}")


# -- pages -----------------------------------------------------------------------------------


@attrs.frozen
class Page(Generic[T]):
    """One page of results.

    Attributes:
        items: The decoded items, in the order DynamoDB returned them.
        cursor: Pass it to ``page(cursor=...)`` for the next page; ``None`` at the end.
        has_more: Whether DynamoDB said more may follow (``cursor`` is not ``None``).
    """

    items: list[T]
    cursor: str | None
    has_more: bool


class PageSource(Protocol):
    """What a :class:`Stream` reads pages from: a :class:`Pager`, or one GetItem's result."""

    @property
    def done(self) -> bool:
        """Whether there is nothing more to fetch."""
        ...

    async def fetch(self) -> dict[str, Any]:
        """The next response; its ``Items`` are the page."""
        ...


class Pager:
    """Sends one Query or Scan request after another, following ``LastEvaluatedKey``.

    ``Limit`` is the page size, or what is left of ``limit`` when that is smaller; paging
    stops once ``limit`` items came back or ``LastEvaluatedKey`` is absent or empty.

    Args:
        send: Sends a request (the DB's, honouring its deadline).
        operation: ``"Query"`` or ``"Scan"``.
        request: The parameters of every request (without ``Limit``/``ExclusiveStartKey``).
        page_size: ``Limit`` per request; ``None`` lets DynamoDB fill 1 MB pages.
        limit: Stop after this many items (after filtering), ``None`` for all.
        start_key: The ``ExclusiveStartKey`` of the first request (from a cursor).
    """

    __slots__ = ("_done", "_operation", "_remaining", "_request", "_send", "_start", "page_size")

    def __init__(
        self,
        send: Send,
        operation: str,
        request: Mapping[str, Any],
        *,
        page_size: int | None,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> None:
        self._send = send
        self._operation = operation
        self._request = dict(request)
        self.page_size = page_size
        self._remaining = limit
        self._start: Mapping[str, Any] | None = start_key or None
        self._done = limit is not None and limit <= 0

    @property
    def done(self) -> bool:
        """Whether there is nothing more to fetch."""
        return self._done

    @property
    def last_key(self) -> Mapping[str, Any] | None:
        """The ``LastEvaluatedKey`` of the last response, ``None`` once the end was reached."""
        return self._start

    async def fetch(self) -> dict[str, Any]:
        """Send the next request and return its response.

        Raises:
            RuntimeError: Called after :attr:`done`.
        """
        if self._done:
            raise RuntimeError("the pager is exhausted")
        params = dict(self._request)
        limits = [n for n in (self.page_size, self._remaining) if n is not None]
        if limits:
            params["Limit"] = min(limits)
        if self._start is not None:
            params["ExclusiveStartKey"] = self._start
        response = await self._send(self._operation, params)
        if self._remaining is not None:
            self._remaining -= int(response.get("Count", len(response.get("Items", ()))))
        self._start = response.get("LastEvaluatedKey") or None
        self._done = self._start is None or (self._remaining is not None and self._remaining <= 0)
        return response


# -- streams ---------------------------------------------------------------------------------


@attrs.frozen
class _Failed:
    error: Exception


class Stream(Generic[T]):
    """An async iterator of decoded items, fetched a page at a time.

    Every stream is used as ``async with stream as items: async for item in items:``;
    iterating one that was not entered raises :class:`TypeError`, before anything is sent.

    With one pager (a Query or an ordinary Scan) it fetches a page only when the previous
    one is used up, holds only that page, and decodes each item as it is yielded. When the
    consumer stops early, nothing more is fetched.

    With several pagers (a parallel scan's segments) entering starts one producer task
    per segment, each handing its pages to the consumer through a memory object stream
    without a buffer, so at most one page per segment waits while the consumer works
    through its own (backpressure), and leaving the block (for any reason) cancels the
    producers and waits for them to end.

    Args:
        pagers: One pager, or one per scan segment.
        decode: Turns one raw item into the object yielded.
        limit: Stop after this many items (the pagers of a parallel scan do not know it).
    """

    def __init__(
        self,
        pagers: Sequence[PageSource],
        decode: Callable[[Mapping[str, Any]], T],
        *,
        limit: int | None = None,
    ) -> None:
        if not pagers:
            raise ValueError("a stream needs at least one pager")
        self._pagers = tuple(pagers)
        self._decode = decode
        self._limit = limit
        self._yielded = 0
        self._items: deque[Mapping[str, Any]] = deque()
        self._closed = False
        self._entered = False
        self._task_group: TaskGroup | None = None
        self._producers: anyio.CancelScope | None = None
        self._receive: MemoryObjectReceiveStream[list[Any] | _Failed] | None = None

    @property
    def parallel(self) -> bool:
        """Whether this stream merges several scan segments (and needs ``async with``)."""
        return len(self._pagers) > 1

    @property
    def buffered(self) -> int:
        """How many raw items of the current page are held, not yielded yet."""
        return len(self._items)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if not self._entered:
            raise TypeError(
                "a stream is read inside `async with query.stream() as items:` "
                "(`async for item in items:`), so that it ends with the block"
            )
        if self._limit is not None and self._yielded >= self._limit:
            self._finish()
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            page = await self._next_page()
            if page is None:
                self._finish()
            else:
                self._items.extend(page)
        self._yielded += 1
        return self._decode(self._items.popleft())

    async def _next_page(self) -> list[Any] | None:
        if not self.parallel:
            pager = self._pagers[0]
            if pager.done:
                return None
            response = await pager.fetch()
            return list(response.get("Items") or ())
        assert self._receive is not None
        from anyio import EndOfStream

        try:
            received = await self._receive.receive()
        except EndOfStream:
            return None
        if isinstance(received, _Failed):
            raise received.error
        return received

    def _finish(self) -> None:
        self._closed = True
        self._items.clear()
        if self._producers is not None:
            self._producers.cancel()

    async def aclose(self) -> None:
        """Stop: drop the held page and cancel any producer (``async with`` does this)."""
        self._finish()

    # -- parallel producers ------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._entered = True
        if not self.parallel or self._task_group is not None:
            return self
        import anyio

        send, receive = anyio.create_memory_object_stream[list[Any] | _Failed](0)
        self._receive = receive
        self._producers = anyio.CancelScope()
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        task_group.start_soon(self._produce_all, send)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
        task_group, self._task_group = self._task_group, None
        if task_group is None:
            return
        # The producers were cancelled above and never raise (they hand errors to the
        # consumer), so the group ends cleanly, waiting for them even if this task is being
        # cancelled; the block's own exception, cancellation included, then propagates
        # unchanged instead of wrapped in an ExceptionGroup.
        try:
            await task_group.__aexit__(None, None, None)
        finally:
            if self._receive is not None:
                self._receive.close()

    async def _produce_all(self, send: MemoryObjectSendStream[list[Any] | _Failed]) -> None:
        assert self._producers is not None
        import anyio

        async with send:
            with self._producers:
                async with anyio.create_task_group() as segments:
                    for pager in self._pagers:
                        segments.start_soon(self._produce, pager, send.clone())

    async def _produce(
        self, pager: PageSource, send: MemoryObjectSendStream[list[Any] | _Failed]
    ) -> None:
        async with send:
            try:
                while not pager.done:
                    items = list((await pager.fetch()).get("Items") or ())
                    if items:
                        await send.send(items)
            except Exception as exc:
                # Handed over rather than raised, so the consumer sees this error itself,
                # not an ExceptionGroup from the task group.
                await send.send(_Failed(exc))
