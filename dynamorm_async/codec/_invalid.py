"""The codec's internal failure signal and the path text it carries.

Encoders and decoders raise :class:`Invalid` without knowing where they sit; each container
catches it on the way up and appends its own segment (``.field``, ``[3]``, ``['key']``).
The public entry points turn it into :class:`~dynamorm_async.errors.EncodeError` or
:class:`~dynamorm_async.errors.DecodeError` with the joined path. Nothing is paid for this
on the success path: the ``try`` blocks are free in CPython 3.11+.
"""

from __future__ import annotations

from typing import Any

from ..errors import DynamORMError, shown

MAX_NESTING = 32
"""DynamoDB's nesting limit: a top-level attribute is level 1, and a scalar may sit at most
at level 32 (inside 31 lists or maps)."""

TOO_DEEP = f"the value nests deeper than DynamoDB's {MAX_NESTING} levels"


_PATH_ENDS = 8


class Invalid(Exception):
    """A value did not fit its annotation (internal; never reaches the user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.segments: list[str] = []

    def path(self, prefix: str = "") -> str:
        """The full path: ``prefix`` followed by the segments, outermost first (a path of a
        value nested hundreds of levels deep is cut short in the middle)."""
        segments = self.segments
        if len(segments) > 2 * _PATH_ENDS:
            segments = [*segments[:_PATH_ENDS], "...", *segments[-_PATH_ENDS:]]
        tail = "".join(reversed(segments))
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
        invalid = Invalid(TOO_DEEP + " (is it cyclic?)")
    elif isinstance(exc, KeyError | TypeError | AttributeError):
        invalid = Invalid(f"malformed value ({type(exc).__name__})")
    elif isinstance(exc, DynamORMError):  # our own message: it names no value
        invalid = Invalid(exc.message)
    else:
        invalid = Invalid(f"{type(exc).__name__}{shown(str(exc))}")
    invalid.__cause__ = exc
    return invalid


def key_segment(key: Any) -> str:
    """The path segment of a map key: ``[<key>]``, or ``['k']`` inside
    :func:`~dynamorm_async.errors.values_in_errors` (map keys are data, often personal)."""
    text = shown(key)
    return f"[{text.lstrip()}]" if text else "[<key>]"


def type_name(value: Any) -> str:
    """A short description of a value's type for error messages."""
    return type(value).__qualname__
