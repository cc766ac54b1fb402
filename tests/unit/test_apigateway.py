"""Reading the partner id from real-shaped API Gateway events (REST v1 and HTTP API v2)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from dynamorm_async import InvalidPartnerId, MissingPartner, UnknownPartner
from dynamorm_async.aws_lambda import partner_id_from_event

EVENTS = Path(__file__).parent / "apigateway_events"


def sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


@pytest.mark.parametrize(
    ("name", "partner"),
    [
        ("rest-cognito", "acme"),
        ("http-jwt", "globex"),
        ("rest-lambda-authorizer", "initech"),
        ("http-lambda-authorizer", "hooli"),
        ("rest-header-only", "umbrella"),
        ("http-header-only", "umbrella"),
    ],
)
def test_each_event_shape_names_its_partner(name: str, partner: str) -> None:
    assert partner_id_from_event(sample(name)) == partner


def test_an_event_without_a_partner_raises_missing_partner() -> None:
    with pytest.raises(MissingPartner) as missing:
        partner_id_from_event(sample("absent"))
    assert "'custom:partner_id'" in str(missing.value) and "'x-partner-id'" in str(missing.value)
    with pytest.raises(MissingPartner):
        partner_id_from_event({})
    with pytest.raises(MissingPartner):  # API Gateway sends null headers and authorizer
        partner_id_from_event({"headers": None, "requestContext": {"authorizer": None}})


def test_the_authorizer_wins_over_the_header_the_client_sent() -> None:
    event = sample("rest-cognito")
    event["headers"]["X-Partner-Id"] = "globex"
    assert partner_id_from_event(event) == "acme"


def test_names_are_configurable_and_sources_can_be_turned_off() -> None:
    event = sample("rest-header-only")
    event["headers"]["X-Tenant"] = event["headers"].pop("X-Partner-ID")
    assert partner_id_from_event(event, header="x-tenant") == "umbrella"
    with pytest.raises(MissingPartner):
        partner_id_from_event(sample("rest-header-only"), header=None)
    jwt = sample("http-jwt")
    claims = jwt["requestContext"]["authorizer"]["jwt"]["claims"]
    claims["tenant"] = claims.pop("custom:partner_id")
    assert partner_id_from_event(jwt, claim="tenant") == "globex"
    assert partner_id_from_event(sample("http-lambda-authorizer"), context_key="plan") == "gold"


def test_a_malformed_value_is_rejected_without_echoing_it() -> None:
    event = sample("http-header-only")
    event["headers"]["x-partner-id"] = "acme,globex"  # v2 joins repeated headers with commas
    with pytest.raises(InvalidPartnerId) as invalid:
        partner_id_from_event(event)
    assert "acme" not in str(invalid.value)
    assert isinstance(invalid.value, UnknownPartner)
    event["headers"]["x-partner-id"] = "x" * 65
    with pytest.raises(InvalidPartnerId, match="65 characters"):
        partner_id_from_event(event)


def test_an_authorizer_context_number_is_read_as_its_text() -> None:
    event = sample("rest-lambda-authorizer")
    event["requestContext"]["authorizer"]["partner_id"] = 4711
    assert partner_id_from_event(event) == "4711"
    event["requestContext"]["authorizer"]["partner_id"] = True
    with pytest.raises(InvalidPartnerId, match="bool"):
        partner_id_from_event(copy.deepcopy(event))
