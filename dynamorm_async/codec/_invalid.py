"""The codec's internal failure signal and the path text it carries.

Encoders and decoders raise :class:`Invalid` without knowing where they sit; each container
catches it on the way up and appends its own segment (``.field``, ``[3]``, ``['key']``).
The public entry points turn it into :class:`~dynamorm_async.errors.EncodeError` or
:class:`~dynamorm_async.errors.DecodeError` with the joined path. Nothing is paid for this
on the success path: the ``try`` blocks are free in CPython 3.11+.
"""

from __future__ import annotations

from typing import Any


class Invalid(Exception):
    """A value did not fit its annotation (internal; never reaches the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.segments: list[str] = []

    def path(self, prefix: str = "") -> str:
        """The full path: ``prefix`` followed by the segments, outermost first."""
        tail = "".join(reversed(self.segments))
        if prefix:
            return prefix + tail
        return tail[1:] if tail.startswith(".") else tail


def at(exc: BaseException, segment: str) -> Invalid:
    """``exc`` as an :class:`Invalid`, with ``segment`` added to its path.

    Anything that is not already an :class:`Invalid` (a ``TypeError`` from a malformed
    AttributeValue, a validator's ``ValueError``...) is wrapped so that it never escapes.
    """
    invalid = exc if isinstance(exc, Invalid) else wrap(exc)
    if segment:
        invalid.segments.append(segment)
    return invalid


def wrap(exc: BaseException) -> Invalid:
    """An :class:`Invalid` describing an unexpected exception (kept as its cause)."""
    if isinstance(exc, Invalid):
        return exc
    if isinstance(exc, RecursionError):
        invalid = Invalid("the value nests too deeply (is it cyclic?)")
    elif isinstance(exc, KeyError | TypeError | AttributeError):
        invalid = Invalid(f"malformed value ({type(exc).__name__}: {exc})")
    else:
        invalid = Invalid(f"{type(exc).__name__}: {exc}")
    invalid.__cause__ = exc
    return invalid


def key_segment(key: Any) -> str:
    """The path segment of a map key: ``['k']``."""
    return f"[{key!r}]"


def type_name(value: Any) -> str:
    """A short description of a value's type for error messages."""
    return type(value).__qualname__
