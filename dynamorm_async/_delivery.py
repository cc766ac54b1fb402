"""Whether a request may have reached DynamoDB: what the transport tells the write layers.

A write's answer can be lost after the server applied it (a connection reset or a read
timeout after the request was sent, a 5xx, a damaged answer). The transport then retries,
and the retry meets the state the first attempt left: a version-checked write fails its
own check. Only the transport sees its attempts, so it records them in a :class:`Delivery`
that a write executor makes current around one request (``with delivery:`` sets
:data:`CURRENT_DELIVERY`, a context variable: concurrent requests never mix theirs):

* :attr:`Delivery.in_flight` is set when an attempt's request is handed to the
  connection, cleared when an answer says the attempt was not applied (an error answer
  below 500);
* :attr:`Delivery.earlier` is set when an attempt that may have been applied (no answer,
  a 5xx or a damaged one) is followed by another attempt.

With no Delivery current (reads, admin calls) the transport records nothing. A transport
that records nothing (one a user wrote) leaves :attr:`Delivery.trusted` false: a request it
was sending when a deadline cut it counts as possibly applied, and a condition failure
from it counts as its only attempt's (such a transport must record its own retries).
"""

from __future__ import annotations

from contextvars import ContextVar, Token

__all__ = ["CURRENT_DELIVERY", "Delivery"]


class Delivery:
    """What the attempts of one request may have done at the server.

    Attributes:
        handed: The engine handed the request to the transport with a deadline running.
        trusted: A transport that records attempts saw this request (built-in ones do).
        in_flight: The current (or last) attempt was sent and has no answer saying it was
            not applied.
        earlier: An attempt that may have been applied was followed by another one.
    """

    __slots__ = ("_token", "earlier", "handed", "in_flight", "trusted")

    def __init__(self) -> None:
        self.handed = False
        self.trusted = False
        self.in_flight = False
        self.earlier = False
        self._token: Token[Delivery | None] | None = None

    def __enter__(self) -> Delivery:
        self._token = CURRENT_DELIVERY.set(self)
        return self

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            CURRENT_DELIVERY.reset(self._token)
            self._token = None

    def sending(self) -> None:
        """An attempt's request is being handed to the connection."""
        self.trusted = True
        if self.in_flight:  # the attempt before this one may have been applied
            self.earlier = True
        self.in_flight = True

    def not_sent(self) -> None:
        """The attempt never reached the server (no connection) or was refused (4xx)."""
        self.in_flight = False

    @property
    def retried_after_landing(self) -> bool:
        """A later attempt followed one that may have been applied."""
        return self.earlier

    @property
    def may_have_landed(self) -> bool:
        """Some attempt may have been applied (or the transport recorded no attempts)."""
        return self.earlier or self.in_flight or (self.handed and not self.trusted)


CURRENT_DELIVERY: ContextVar[Delivery | None] = ContextVar("dynamorm_async_delivery", default=None)
"""The :class:`Delivery` of the write request being sent in this task, if any."""
