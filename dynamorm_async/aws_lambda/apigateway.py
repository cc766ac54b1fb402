"""Reading the partner id from API Gateway events (REST API v1 and HTTP API v2 payloads).

Where :func:`partner_id_from_event` looks, in this order (what an authorizer verified comes
before what the client sent):

==========================================  ==============================================
Event                                       Place
==========================================  ==============================================
HTTP API (v2), JWT authorizer               ``requestContext.authorizer.jwt.claims[claim]``
REST API (v1), Cognito user pool authorizer ``requestContext.authorizer.claims[claim]``
HTTP API (v2), Lambda authorizer            ``requestContext.authorizer.lambda[context_key]``
REST API (v1), Lambda authorizer            ``requestContext.authorizer[context_key]``
either, no authorizer value                 ``headers[header]`` (any letter case)
==========================================  ==============================================

The header is whatever the client sent: rely on it only where something in front checks it
(an authorizer that rejects a mismatch, a private API), or pass ``header=None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import MissingPartner

__all__ = ["DEFAULT_CLAIM", "DEFAULT_CONTEXT_KEY", "DEFAULT_HEADER", "partner_id_from_event"]

DEFAULT_HEADER = "x-partner-id"
"""The request header :func:`partner_id_from_event` reads by default."""

DEFAULT_CLAIM = "custom:partner_id"
"""The JWT / Cognito claim read by default (a Cognito custom attribute)."""

DEFAULT_CONTEXT_KEY = "partner_id"
"""The Lambda authorizer context key read by default."""


def partner_id_from_event(
    event: Mapping[str, Any],
    header: str | None = DEFAULT_HEADER,
    claim: str | None = DEFAULT_CLAIM,
    context_key: str | None = DEFAULT_CONTEXT_KEY,
) -> str:
    """The partner id an API Gateway event carries (see the module for where it looks).

    Args:
        event: The Lambda event of an API Gateway REST (v1) or HTTP API (v2) integration.
        header: The request header to read, in any letter case; ``None`` reads no header.
        claim: The JWT or Cognito claim to read; ``None`` reads no claim.
        context_key: The key of a Lambda authorizer's context; ``None`` reads none.

    Returns:
        The partner id, checked to be 1-64 letters, digits, ``_`` or ``-``.

    Raises:
        MissingPartner: None of those places holds a value.
        InvalidPartnerId: The value found is not a valid partner id (a number is taken as
            its decimal text).
    """
    from ..partners import check_partner_id

    found = _from_authorizer(event, claim, context_key)
    if found is None and header is not None:
        found = _header(event, header)
    if found is None:
        places = [
            f"{label} {name!r}"
            for label, name in (
                ("claim", claim),
                ("Lambda authorizer context key", context_key),
                ("header", header),
            )
            if name is not None
        ]
        raise MissingPartner(f"the event names no partner (looked for {', '.join(places)})")
    return check_partner_id(found)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    found = value.get(key) if isinstance(value, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _value(raw: Any) -> Any:
    """A string as is, an integer as its text, anything else as found (the check rejects it)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return raw


def _from_authorizer(event: Mapping[str, Any], claim: str | None, context_key: str | None) -> Any:
    authorizer = _mapping(_mapping(event, "requestContext"), "authorizer")
    if not authorizer:
        return None
    places: list[tuple[Mapping[str, Any], str | None]] = [
        (_mapping(_mapping(authorizer, "jwt"), "claims"), claim),  # v2 JWT
        (_mapping(authorizer, "claims"), claim),  # v1 Cognito
        (_mapping(authorizer, "lambda"), context_key),  # v2 Lambda authorizer
        (authorizer, context_key),  # v1 Lambda authorizer: the context's keys, flat
    ]
    for where, key in places:
        if key is not None and where.get(key) not in (None, ""):
            return _value(where[key])
    return None


def _header(event: Mapping[str, Any], name: str) -> Any:
    headers = event.get("headers")
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and value not in (None, ""):
            return value
    return None
