"""The pytest plugin refuses requests to real AWS during tests, on both transports.

The plugin is active in this very suite (its ``pytest11`` entry point), so these tests see
the refusal a user's suite sees; the ``--dynamorm-allow-aws`` option is tested in a pytest
process of its own (tests/integration/test_testing_plugin.py).
"""

from __future__ import annotations

import attrs
import pytest

from dynamorm_async import DB, Config, Credentials, attr, pk, table
from dynamorm_async.engine import check_endpoint
from dynamorm_async.testing import RealAWSRefused
from dynamorm_async.testing.real_aws import is_aws_endpoint


@table("guarded")
@attrs.define
class Thing:
    id: str = pk()
    n: int = attr(default=0)


FAKE = Credentials(access_key_id="AKIDEXAMPLE", secret_access_key="secret")


@pytest.mark.parametrize("transport", ["direct", "botocore"])
@pytest.mark.parametrize(
    "endpoint_url", [None, "https://dynamodb.eu-west-1.amazonaws.com", "https://x.api.aws"]
)
async def test_a_db_bound_for_aws_sends_nothing(transport: str, endpoint_url: str | None) -> None:
    config = Config(
        region="eu-west-1", credentials=FAKE, endpoint_url=endpoint_url, transport=transport
    )
    async with DB(config) as db:
        with pytest.raises(RealAWSRefused) as caught:
            await db.find(Thing, {"id": "t-1"})
        assert db.engine.opened == 0  # refused before a transport (or client) existed
    assert (caught.value.service, caught.value.endpoint_url) == ("dynamodb", endpoint_url)
    message = str(caught.value)
    assert "@pytest.mark.allow_aws" in message and "--dynamorm-allow-aws" in message
    assert "lambda_env" in message  # how to point DB.from_environment() at the test server


def test_the_sts_endpoint_is_checked_too() -> None:
    with pytest.raises(RealAWSRefused, match="sts at AWS's sts endpoint"):
        check_endpoint("sts", None)
    check_endpoint("sts", "http://127.0.0.1:5000")


@pytest.mark.allow_aws
def test_the_marker_opts_one_test_in() -> None:
    check_endpoint("dynamodb", None)
    check_endpoint("dynamodb", "https://dynamodb.eu-west-1.amazonaws.com")


@pytest.mark.parametrize(
    ("endpoint_url", "aws"),
    [
        (None, True),
        ("https://dynamodb.us-east-1.amazonaws.com", True),
        ("https://DynamoDB.US-EAST-1.AMAZONAWS.COM.", True),
        ("https://dynamodb.cn-north-1.amazonaws.com.cn", True),
        ("https://dynamodb.us-east-1.api.aws", True),
        ("https://sts.amazonaws.com", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://dynamodb-local:8000", False),
        ("http://amazonaws.com.example.org", False),
        ("http://notamazonaws.com", False),
    ],
)
def test_which_endpoints_are_aws(endpoint_url: str | None, aws: bool) -> None:
    assert is_aws_endpoint(endpoint_url) is aws
