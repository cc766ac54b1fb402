"""The direct transport's SigV4 signer and endpoints, byte for byte against botocore's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore import auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from dynamorm_async.errors import ConfigError
from dynamorm_async.transport._endpoint import endpoint_for
from dynamorm_async.transport._sigv4 import Signer, canonical_path

# (url, region, date, body, token, extra headers)
CASES: list[tuple[str, str, dt.datetime, bytes, str | None, dict[str, str]]] = [
    (
        "https://dynamodb.us-east-1.amazonaws.com/",
        "us-east-1",
        dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=dt.UTC),
        b'{"TableName":"t","Key":{"id":{"S":"a"}}}',
        None,
        {},
    ),
    (
        "https://dynamodb.eu-west-3.amazonaws.com/",
        "eu-west-3",
        dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        b"",
        "FQoGZXIvYXdzE//////////session+token/==",
        {},
    ),
    (
        "http://127.0.0.1:8000/",
        "ap-southeast-2",
        dt.datetime(2025, 2, 28, 12, 30, 1, tzinfo=dt.UTC),
        '{"S":"caf\u00e9 \u2603 \U0001f600 \u65e5\u672c"}'.encode(),
        "token",
        {"X-Amz-Client-Context": "  spaced    out   value "},
    ),
    (
        "https://dynamodb.cn-north-1.amazonaws.com.cn",
        "cn-north-1",
        dt.datetime(2000, 2, 29, 8, 0, 0, tzinfo=dt.UTC),
        b"x" * 70_000,
        None,
        {"User-Agent": "not signed", "X-Amzn-Trace-Id": "Root=1-abc"},
    ),
    (
        "http://localhost:4567/some/path~x",
        "local",
        dt.datetime(2024, 6, 11, 1, 2, 3, tzinfo=dt.UTC),
        b"{}",
        None,
        {},
    ),
]


Case = tuple[str, str, dt.datetime, bytes, str | None, dict[str, str]]
KEY, SECRET = "AKIDEXAMPLE", "wJalr/K7MDENG+bPxRfiCY"


@pytest.mark.parametrize("case", CASES)
def test_signature_matches_botocore(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    url, region, when, body, token, extra = case
    base = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
        **extra,
    }
    # botocore's SigV4Auth, at a fixed time, is the reference.
    monkeypatch.setattr(auth, "get_current_datetime", lambda: when)
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(base))
    auth.SigV4Auth(Credentials(KEY, SECRET, token), "dynamodb", region).add_auth(request)

    endpoint = endpoint_for(region, url)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    headers = {**base, "Host": endpoint.host, "X-Amz-Date": amz_date}
    assert request.headers["X-Amz-Date"] == amz_date
    if token:
        headers["X-Amz-Security-Token"] = token
    got = Signer(region).authorization(
        path=canonical_path(endpoint.path),
        headers=headers,
        body=body,
        amz_date=amz_date,
        access_key=KEY,
        secret_key=SECRET,
    )
    assert got == request.headers["Authorization"]


def test_signing_key_is_derived_once_per_day_and_secret() -> None:
    signer = Signer("us-east-1")
    first = signer.signing_key("secret", "20240101")
    assert signer.signing_key("secret", "20240101") is first
    assert signer.signing_key("secret", "20240102") != first
    assert signer.signing_key("other", "20240102") != signer.signing_key("secret", "20240102")


REGIONS = [
    "us-east-1",
    "eu-central-2",
    "ap-northeast-3",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-isob-east-1",
    "eu-isoe-west-1",
    "eusc-de-east-1",
    "local",
]


@pytest.fixture(scope="module")
def botocore_session() -> Any:
    from botocore.session import get_session

    return get_session()  # one session: its loader reads the service model once


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize(
    ("fips", "dualstack"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_endpoint_matches_botocore(
    region: str, fips: bool, dualstack: bool, botocore_session: Any
) -> None:
    from botocore.config import Config as BotoConfig

    if region == "local" and (fips or dualstack):
        pytest.skip("DynamoDB Local has no FIPS or dual-stack endpoint")
    from botocore.exceptions import EndpointVariantError

    try:
        client = botocore_session.create_client(
            "dynamodb",
            region_name=region,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            config=BotoConfig(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack),
        )
    except EndpointVariantError:
        pytest.skip("botocore's legacy endpoint table has no such variant for this region")
    captured: list[str] = []

    def capture(request: Any, **_: Any) -> Any:
        captured.append(request.url)
        raise RuntimeError("stop")  # nothing is sent

    client.meta.events.register("before-send", capture)
    with pytest.raises(RuntimeError):
        client.describe_limits()
    expected = captured[0].rstrip("/")
    assert endpoint_for(region, None, fips=fips, dualstack=dualstack).url.rstrip("/") == expected


def test_endpoint_url_is_used_as_given_and_refuses_fips() -> None:
    endpoint = endpoint_for("us-east-1", "http://[::1]:8000/prefix")
    assert (endpoint.host, endpoint.path) == ("[::1]:8000", "/prefix")
    assert endpoint_for("us-east-1", "https://example.com:443").host == "example.com"
    with pytest.raises(ConfigError, match="FIPS"):
        endpoint_for("us-east-1", "http://localhost:8000", fips=True)
