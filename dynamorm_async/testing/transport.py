"""A fake transport for unit tests: no server, every request recorded.

:class:`ScriptedTransport` implements :class:`~dynamorm_async.transport.Transport`: it keeps
each ``(operation, params)`` it receives and answers through an async callable you write.
:func:`fake_db` builds a :class:`~dynamorm_async.DB` on one. Botocore is never imported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from ..config import Config
from ..db import DB
from ..transport import Transport

__all__ = ["Answer", "ScriptedTransport", "fake_db"]

Answer = Callable[[str, Mapping[str, Any]], Awaitable[dict[str, Any]]]
"""Answers one request: ``async (operation, params) -> response``; raise to fail it."""


async def _answer_empty(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {}


class ScriptedTransport:
    """A transport that records every request and answers it through ``answer``.

    Args:
        answer: Gives the response to each request, or raises a
            :class:`~dynamorm_async.errors.DynamORMError` subclass (``Throttled``...) as a
            real transport would. ``None`` answers ``{}`` to everything.
        delay: Seconds each request takes before it is answered (an :func:`anyio.sleep`, so
            deadlines and cancel scopes cut it as they cut a real request).

    Attributes:
        requests: Every ``(operation, params)`` received, in order, including requests
            cancelled before their answer; ``params`` is a shallow copy.
        answered: How many requests got a response (not counting those whose answer
            raised or was cancelled).
    """

    def __init__(self, answer: Answer | None = None, *, delay: float = 0.0) -> None:
        self.answer = answer if answer is not None else _answer_empty
        self.delay = delay
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.answered = 0
        self._close: Callable[[], Awaitable[None]] | None = None

    @classmethod
    def wrapping(cls, inner: Transport) -> ScriptedTransport:
        """A transport that records every request and sends it on through ``inner``.

        For integration tests that check what was sent; closing it closes ``inner``.
        """
        recorder = cls(inner.call)
        recorder._close = inner.aclose
        return recorder

    async def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Record the request, wait ``delay`` seconds, then return ``answer``'s response."""
        self.requests.append((operation, dict(params)))
        if self.delay:
            await anyio.sleep(self.delay)
        response = await self.answer(operation, params)
        self.answered += 1
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport, if any; otherwise nothing to release."""
        if self._close is not None:
            await self._close()


def fake_db(
    answer: Answer | None = None, *, delay: float = 0.0, **config: Any
) -> tuple[DB, ScriptedTransport]:
    """A :class:`~dynamorm_async.DB` on a new :class:`ScriptedTransport`, and that transport.

    Args:
        answer: As for :class:`ScriptedTransport`.
        delay: As for :class:`ScriptedTransport`.
        **config: :class:`~dynamorm_async.Config` fields; ``region`` defaults to
            ``"us-east-1"``.
    """
    transport = ScriptedTransport(answer, delay=delay)

    async def factory(_: Config) -> Transport:
        return transport

    return DB(Config(**{"region": "us-east-1", **config}), transport_factory=factory), transport
