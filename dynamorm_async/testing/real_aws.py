"""Refusing requests to real AWS while tests run (the pytest plugin turns this on).

A test suite that forgets to point a DB at the test server would otherwise send its
requests to AWS: with the ``lambda_env`` fixture's dummy credentials that fails slowly and
obscurely, with a developer's real credentials it writes to real tables. The pytest plugin
adds a :class:`RealAWSGuard` to :data:`dynamorm_async.engine.ENDPOINT_CHECKS`, which every
transport (``"direct"`` and ``"botocore"``) and the STS client of
:class:`~dynamorm_async.MultiAccountDB` pass before they are opened, so such a request
raises :class:`RealAWSRefused` before anything is sent.

Opting in: mark the test ``@pytest.mark.allow_aws``, or run
``pytest --dynamorm-allow-aws`` (a whole suite against AWS, ``DYNAMODB_ENDPOINT`` at it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = [
    "ALLOW_MARKER",
    "ALLOW_OPTION",
    "AWS_DOMAINS",
    "RealAWSGuard",
    "RealAWSRefused",
    "is_aws_endpoint",
]

ALLOW_MARKER = "allow_aws"
"""The marker of tests allowed to send requests to real AWS."""

ALLOW_OPTION = "--dynamorm-allow-aws"
"""The pytest option that allows every test to send requests to real AWS."""

AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "api.aws", "c2s.ic.gov", "sc2s.sgov.gov")
"""The DNS suffixes of AWS's service endpoints (its partitions: aws, aws-cn, aws-iso...)."""


class RealAWSRefused(RuntimeError):
    """A DB (or a partner's STS call) was about to send a request to real AWS during tests.

    Not a :class:`~dynamorm_async.DynamORMError`, so code that handles the library's errors
    does not take it for an AWS answer: the test fails with this message.

    Attributes:
        service: ``"dynamodb"`` or ``"sts"``.
        endpoint_url: The endpoint it would have used; ``None`` for AWS's own one
            (no ``Config.endpoint_url``).
    """

    def __init__(self, service: str, endpoint_url: str | None) -> None:
        where = endpoint_url or f"AWS's {service} endpoint (no endpoint_url is set)"
        super().__init__(
            f"refused a request to real AWS during tests: {service} at {where}. Point the "
            "code at the test server (the `db` or `dynamodb_config` fixture; for "
            "DB.from_environment() and get_db(), the `lambda_env` fixture), or opt in: "
            f"mark the test @pytest.mark.{ALLOW_MARKER}, or run pytest {ALLOW_OPTION}"
        )
        self.service = service
        self.endpoint_url = endpoint_url


def is_aws_endpoint(endpoint_url: str | None) -> bool:
    """Whether requests to ``endpoint_url`` reach AWS (``None``: the service's AWS endpoint).

    Every other host counts as a test server: loopback, a DynamoDB Local container by name.
    """
    if endpoint_url is None:
        return True
    host = (urlsplit(endpoint_url).hostname or "").rstrip(".").lower()
    return any(host == domain or host.endswith("." + domain) for domain in AWS_DOMAINS)


class RealAWSGuard:
    """An endpoint check that raises :class:`RealAWSRefused` for AWS, unless allowed.

    Attributes:
        allowed: Let requests to AWS through (set by the plugin for opted-in tests).
    """

    def __init__(self, *, allowed: bool = False) -> None:
        self.allowed = allowed

    def __call__(self, service: str, endpoint_url: str | None) -> None:
        """Check a client about to be opened for ``service`` at ``endpoint_url``.

        Raises:
            RealAWSRefused: It would reach AWS and :attr:`allowed` is false.
        """
        if not self.allowed and is_aws_endpoint(endpoint_url):
            raise RealAWSRefused(service, endpoint_url)
