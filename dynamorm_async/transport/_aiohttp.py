"""How the transports hand requests to aiohttp: on the wire when sent, big bodies unwarned.

**At once.** aiohttp buffers a request's headers and writes them, with the body, from a
task it creates for the body (``ClientRequest.write_bytes``). On Python 3.12 and newer it
starts that task eagerly: a small request is in the socket before the sending coroutine
waits for its answer. On 3.11 the task waits its turn in the event loop's ready queue,
behind every task already ready to run. On a busy loop that is late: in a 5,000-item batch
write, the workers whose answers arrived together each encoded their next chunk before any
of their requests left, and on a local server answering after 10 ms every request took
about 22 ms from being sent to being answered. :class:`EagerRequest` does on 3.11 what
aiohttp does on 3.12: it runs the body writer up to its first wait at once (for a body
below aiohttp's 64 KiB write buffer limit, to its end), and hands aiohttp's task what is
left, if anything. The direct transport's session uses it
(``ClientSession(request_class=...)``); on 3.12 and newer it is aiohttp's own
``ClientRequest``.

**Big bodies.** aiohttp warns (a ``ResourceWarning``) of every bytes body over 1 MiB, and
a suite that turns warnings into errors then fails a BatchWriteItem or TransactWriteItems
that DynamoDB would take (up to 16 MB). Both transports pass such a body as the payload
:func:`request_body` builds, without the warning: handing the whole body to the socket at
once is what they mean to do.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Coroutine, Generator
from typing import Any

import aiohttp

__all__ = ["RAW_BODY_LIMIT", "REQUEST_CLASS", "EagerRequest", "request_body"]

_NOTHING: Any = object()


class _Continued(Coroutine[Any, Any, None]):
    """The rest of a coroutine that already ran its first step, for a task to finish.

    The first ``send`` gives the task what that step yielded (the future it waits on); from
    then on every call goes to the coroutine itself.
    """

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, None], yielded: Any) -> None:
        self._coro = coro
        self._pending = yielded

    def send(self, value: Any) -> Any:
        pending = self._pending
        if pending is not _NOTHING:
            self._pending = _NOTHING
            return pending
        return self._coro.send(value)

    def throw(self, *error: Any) -> Any:
        self._pending = _NOTHING
        return self._coro.throw(*error)

    def close(self) -> None:
        self._coro.close()

    def __next__(self) -> Any:
        return self.send(None)

    def __iter__(self) -> _Continued:
        return self

    def __await__(self) -> Generator[Any, None, None]:
        return self  # an iterator with send and throw, as a generator is


async def _finished() -> None:
    return None


async def _failed(error: Exception) -> None:
    raise error


class EagerRequest(aiohttp.ClientRequest):
    """An aiohttp request whose body is written as soon as aiohttp asks for it (3.11)."""

    def write_bytes(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:
        """Run aiohttp's body writer now, up to its first wait; what is left, for its task."""
        coro = super().write_bytes(*args, **kwargs)
        try:
            yielded = coro.send(None)
        except StopIteration:
            return _finished()
        except Exception as exc:  # raised by the task, as it would have been
            return _failed(exc)
        return _Continued(coro, yielded)


REQUEST_CLASS: type[aiohttp.ClientRequest] = (
    EagerRequest if sys.version_info < (3, 12) else aiohttp.ClientRequest
)
"""The request class of the direct transport's sessions."""


RAW_BODY_LIMIT: int = getattr(aiohttp.payload, "TOO_LARGE_BYTES_BODY", 2**20)
"""The size above which aiohttp warns of a bytes body (1 MiB)."""


def request_body(body: bytes) -> bytes | aiohttp.payload.BytesPayload:
    """What to pass aiohttp as ``data=``: ``body`` itself, or over 1 MiB aiohttp's payload of
    it, built without aiohttp's warning of such bodies."""
    if len(body) <= RAW_BODY_LIMIT:
        return body
    with warnings.catch_warnings():  # no await inside: no other task runs meanwhile
        warnings.filterwarnings(
            "ignore", "Sending a large body directly with raw bytes", ResourceWarning
        )
        return aiohttp.payload.BytesPayload(body)
