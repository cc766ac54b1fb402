"""DynamoDB's endpoint for a region, computed once per DB without botocore's rule engine.

The outcomes of DynamoDB's endpoint ruleset for a region and the FIPS / dual-stack flags:
``https://dynamodb[-fips].{region}.{dns suffix}``, where the suffix is the region's
partition's (dual-stack partitions have their own), FIPS in AWS GovCloud keeps the plain
host name, and the pseudo-region ``local`` is DynamoDB Local on ``localhost:8000``. The
partitions below are botocore's ``partitions.json`` (facts, checked against botocore's own
resolution by the unit tests). Account-id based endpoints are not used (DynamoDB serves
every account on the regional endpoint).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import attrs

from ..errors import ConfigError

# (partition, region pattern, DNS suffix, dual-stack DNS suffix); the first match wins.
_PARTITIONS: tuple[tuple[str, re.Pattern[str], str, str], ...] = tuple(
    (name, re.compile(pattern), suffix, dual)
    for name, pattern, suffix, dual in (
        ("aws", r"(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+", "amazonaws.com", "api.aws"),
        ("aws-cn", r"cn-\w+-\d+", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
        ("aws-eusc", r"eusc-(de)-\w+-\d+", "amazonaws.eu", "api.amazonwebservices.eu"),
        ("aws-iso", r"us-iso-\w+-\d+", "c2s.ic.gov", "api.aws.ic.gov"),
        ("aws-iso-b", r"us-isob-\w+-\d+", "sc2s.sgov.gov", "api.aws.scloud"),
        ("aws-iso-e", r"eu-isoe-\w+-\d+", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
        ("aws-iso-f", r"us-isof-\w+-\d+", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
        ("aws-us-gov", r"us-gov-\w+-\d+", "amazonaws.com", "api.aws"),
    )
)


@attrs.frozen
class Endpoint:
    """Where requests go: the URL, and the parts the signer needs."""

    url: str
    host: str
    """The ``Host`` header: host name, and the port when it is not the scheme's default."""
    path: str


def endpoint_for(
    region: str, endpoint_url: str | None, *, fips: bool = False, dualstack: bool = False
) -> Endpoint:
    """The endpoint of ``region`` (or ``endpoint_url`` when given, used as it is).

    Raises:
        ConfigError: FIPS or dual-stack asked together with an ``endpoint_url`` (as botocore).
    """
    if endpoint_url is not None:
        if fips or dualstack:
            raise ConfigError(
                "Config.endpoint_url cannot be combined with FIPS or dual-stack endpoints"
            )
        return _parse(endpoint_url)
    if region == "local":
        return _parse("http://localhost:8000")
    name, suffix, dual = "aws", "amazonaws.com", "api.aws"
    for partition, pattern, dns, dual_dns in _PARTITIONS:
        if pattern.fullmatch(region):
            name, suffix, dual = partition, dns, dual_dns
            break
    if fips and not dualstack and name == "aws-us-gov":
        return _parse(f"https://dynamodb.{region}.amazonaws.com")
    service = "dynamodb-fips" if fips else "dynamodb"
    return _parse(f"https://{service}.{region}.{dual if dualstack else suffix}")


def _parse(url: str) -> Endpoint:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if parts.port is not None and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return Endpoint(url=url, host=host, path=parts.path or "/")
