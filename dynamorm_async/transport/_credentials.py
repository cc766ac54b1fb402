"""Where the direct transport's credentials and region come from.

``Config.credentials`` first; else the session in ``Config.session`` (an aiobotocore
``AioSession`` or an aioboto3 ``Session``), whose provider chain resolves them; else the
provider chain of a default aiobotocore session. Its first provider reads
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``: when those are set (as
in every Lambda execution environment) they are read here directly, the same answer without
importing botocore's session and client machinery. Refreshable credentials (assume-role,
container, IMDS, SSO...) are asked before each request; aiobotocore refreshes them ahead of
their expiry, once, however many requests wait.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..config import Config
from ..errors import AccessDenied, ConfigError

__all__ = ["CredentialSource", "Frozen", "resolve_region"]

Frozen = tuple[str, str, str | None]
"""``(access key id, secret access key, session token or None)``."""


def _aio_session(session: Any) -> Any:
    # An aioboto3 Session keeps its aiobotocore session in ``_session``.
    inner = getattr(session, "_session", None)
    return inner if inner is not None and hasattr(inner, "get_credentials") else session


def _default_session() -> Any:
    from aiobotocore.session import get_session

    return get_session()


def resolve_region(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """The region requests are signed for: the config's, the session's or the environment's.

    Raises:
        ConfigError: No region anywhere (as botocore's ``NoRegionError``).
    """
    if config.region:
        return config.region
    if config.session is not None:
        region = getattr(config.session, "region_name", None) or _aio_session(
            config.session
        ).get_config_variable("region")
    else:
        env = os.environ if environ is None else environ
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region and config.endpoint_url is None:
            # Shared config files (~/.aws/config, a profile's region).
            region = _default_session().get_config_variable("region")
    if not region:
        if config.endpoint_url is not None:
            # A local server does not care which region a request is signed for.
            return "us-east-1"
        raise ConfigError(
            "no AWS region: set Config.region (or AWS_REGION for Config.from_environment())"
        )
    return str(region)


class CredentialSource:
    """Gives the credentials for the next request, refreshed when they are about to expire."""

    __slots__ = ("_frozen", "_provider", "_session")

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None) -> None:
        self._frozen: Frozen | None = None
        self._provider: Any = None
        self._session: Any = None
        env = os.environ if environ is None else environ
        if config.credentials is not None:
            c = config.credentials
            self._frozen = (c.access_key_id, c.secret_access_key, c.session_token)
        elif config.session is not None:
            self._session = _aio_session(config.session)
        elif (
            env.get("AWS_ACCESS_KEY_ID")
            and env.get("AWS_SECRET_ACCESS_KEY")
            and (not env.get("AWS_CREDENTIAL_EXPIRATION"))
        ):
            # botocore's EnvProvider, the chain's first: same keys, same precedence.
            self._frozen = (
                env["AWS_ACCESS_KEY_ID"],
                env["AWS_SECRET_ACCESS_KEY"],
                env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None,
            )
        else:
            self._session = None

    async def get(self) -> Frozen:
        """The credentials to sign the next request with.

        Raises:
            AccessDenied: The chain found no credentials.
        """
        frozen = self._frozen
        if frozen is not None:
            return frozen
        provider = self._provider
        if provider is None:
            session = self._session if self._session is not None else _default_session()
            provider = await session.get_credentials()
            if provider is None:
                raise AccessDenied("no usable AWS credentials: Unable to locate credentials")
            self._provider = provider
        credentials = await provider.get_frozen_credentials()
        result: Frozen = (credentials.access_key, credentials.secret_key, credentials.token)
        if not hasattr(provider, "refresh_needed"):
            # Static credentials from a file or the session: nothing will ever refresh them.
            self._frozen = result
        return result
