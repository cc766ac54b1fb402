"""Multi-account partners: a DB per partner account, through STS ``AssumeRole``.

Each partner's tables live in the partner's own AWS account. A :class:`MultiAccountDB` holds
the base configuration (the account the code runs in, whose credentials may assume the
partners' roles) and one :class:`PartnerAccount` per partner id::

    partners = MultiAccountDB(
        base=Config(region="us-east-1"),
        partners={"acme": PartnerAccount(account_id="111111111111",
                                         role_arn="arn:aws:iam::111111111111:role/payments",
                                         external_id="acme-7f3e")},
    )
    db = await partners.partner("acme")     # a DB acting in acme's account

**Credentials.** The first :meth:`MultiAccountDB.partner` call for a partner calls STS
``AssumeRole`` with the base credentials (``RoleSessionName`` ``dynamorm-<partner>``,
``ExternalId`` only when set, ``DurationSeconds`` the account's ``session_duration``, the
partner's regional STS endpoint) and builds the partner's DB on an aiobotocore session of
its own whose only credential provider returns aiobotocore refreshable credentials. Every
transport that opens its client from ``Config.session`` (or asks
``session.get_credentials()``) therefore signs with the partner's credentials, and nothing
global is touched. The credentials refresh themselves when a request needs them: from
``refresh_ahead`` seconds (5 minutes) before they expire, the next request calls STS again;
if that fails while more than :data:`MANDATORY_REFRESH_AHEAD` seconds are left the request
goes ahead with the current credentials and the next one tries again, and in the last
:data:`MANDATORY_REFRESH_AHEAD` seconds the failure is the request's error
(:class:`~dynamorm_async.AssumeRoleFailed`). No timer or task runs between requests.

**Cache.** A partner's DB is kept for warm invocations, in a least-recently-used cache of
``cache_size`` DBs; the DB pushed out is closed. Concurrent first calls for one partner make
one ``AssumeRole`` call and all get its result (its DB, or its error); after an error
nothing is cached and the next call asks STS again.

**Isolation.** Partner DBs share no credentials, session, connection pool, codec or metrics;
their metrics carry a ``Partner`` dimension with the partner id (never the account id).

**Secrets.** The secret key, the session token and the ExternalId never appear in a repr,
a log line or an error message of this module; account ids are masked in its log lines and
error messages (``********1111``). Botocore's own DEBUG logging prints request and response
bodies, credentials included: keep the ``botocore`` logger above DEBUG in production.

**Environment.** :meth:`MultiAccountDB.from_environment` reads the partners from a JSON
object in ``DYNAMORM_PARTNERS`` (partner id -> the :class:`PartnerAccount` fields) and the
base config from :meth:`Config.from_environment <dynamorm_async.Config.from_environment>`.

This module is imported on first use of its names (``import dynamorm_async`` does not load
it, nor STS's machinery).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

import anyio
import attrs

from ._deadline import INVOCATION_DEADLINE
from ._schema import model_meta
from .config import Config
from .db import DB
from .engine import TransportFactory, check_endpoint
from .errors import (
    AssumeRoleFailed,
    ConfigError,
    DeadlineExceeded,
    InvalidPartnerId,
    UnknownPartner,
)

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "DEFAULT_REFRESH_AHEAD",
    "DEFAULT_SESSION_DURATION",
    "MANDATORY_REFRESH_AHEAD",
    "PARTNERS_ENV",
    "PARTNER_DIMENSION",
    "MultiAccountDB",
    "PartnerAccount",
    "check_partner_id",
    "mask_accounts",
    "partners_from_environment",
    "session_name_for",
]

PARTNERS_ENV = "DYNAMORM_PARTNERS"
"""The environment variable holding the partners as JSON (see :func:`partners_from_environment`)."""

DEFAULT_CACHE_SIZE = 32
"""Partner DBs kept at most by a :class:`MultiAccountDB` unless told otherwise."""

DEFAULT_REFRESH_AHEAD = 300
"""Seconds before expiry from which the next request refreshes a partner's credentials."""

MANDATORY_REFRESH_AHEAD = 60
"""Seconds before expiry from which a failed refresh fails the request (before, it goes ahead
with the current credentials). Never more than the ``refresh_ahead`` in use."""

DEFAULT_SESSION_DURATION = 3600
"""Seconds a partner's role credentials are asked for (STS allows 900-43200, subject to the
role's maximum session duration)."""

PARTNER_DIMENSION = "Partner"
"""The metrics dimension that carries the partner id on a partner's DB."""

_SESSION_PREFIX = "dynamorm-"
_PARTNER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ACCOUNT_ID = re.compile(r"\d{12}")
_ANY_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}", re.ASCII)
# STS: RoleSessionName [\w+=,.@-]{2,64}; ExternalId [\w+=,.@:/-]{2,1224}.
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_REGION = re.compile(r"[a-z0-9-]{1,32}")
_TABLE_PREFIX = re.compile(r"[A-Za-z0-9_.\-]*")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_DURATION = (900, 43200)

_log = logging.getLogger(__name__)


def check_partner_id(value: object) -> str:
    """``value`` if it is a valid partner id: 1-64 letters, digits, ``_`` or ``-``.

    Raises:
        InvalidPartnerId: It is not (the message gives its type or length, never its text).
    """
    if isinstance(value, str) and _PARTNER_ID.fullmatch(value):
        return value
    shape = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
    raise InvalidPartnerId(
        f"invalid partner id ({shape}): a partner id is 1-64 letters, digits, '_' or '-'"
    )


def session_name_for(partner_id: str) -> str:
    """The STS ``RoleSessionName`` of a partner: ``dynamorm-<partner>``, at most 64 characters.

    A partner id too long for that keeps its first 46 characters and gains ``-`` and 8 hex
    digits of its SHA-256, so two long ids never share a session name.

    Raises:
        InvalidPartnerId: ``partner_id`` is not a valid partner id.
    """
    name = _SESSION_PREFIX + check_partner_id(partner_id)
    if len(name) <= 64:
        return name
    digest = hashlib.sha256(partner_id.encode()).hexdigest()[:8]
    return f"{_SESSION_PREFIX}{partner_id[:46]}-{digest}"


def mask_accounts(text: str) -> str:
    """``text`` with every 12-digit AWS account id masked but its last 4 digits."""
    return _ANY_ACCOUNT_ID.sub(lambda match: "********" + match.group()[-4:], text)


def _fail(attribute: attrs.Attribute[Any], why: str, value: Any = None) -> ConfigError:
    shown = "" if value is None else f"={mask_accounts(repr(value))}"
    return ConfigError(f"PartnerAccount.{attribute.name}{shown}: {why}")


def _account_id(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        raise _fail(attribute, "must be a 12-digit AWS account id (a string)", value)


def _role_arn(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    match = _ROLE_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _fail(attribute, "must be an IAM role ARN, arn:aws:iam::<account>:role/<name>", value)
    if match.group(1) != instance.account_id:
        raise _fail(attribute, "names another account than account_id", value)


def _external_id(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _EXTERNAL_ID.fullmatch(value)):
        # The value is a secret: never shown.
        raise _fail(attribute, "must be 2-1224 characters of letters, digits and +=,.@:/-_")


def _optional(pattern: re.Pattern[str], why: str) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            raise _fail(attribute, why, value)

    return check


def _duration(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    low, high = _DURATION
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(attribute, f"must be a whole number of seconds from {low} to {high}", value)


def _masked(value: str) -> str:
    return repr(mask_accounts(value))


@attrs.frozen(kw_only=True)
class PartnerAccount:
    """Where a partner's tables live and how to reach them.

    The repr masks the account id and leaves the ExternalId out.

    Attributes:
        account_id: The partner's 12-digit AWS account id.
        role_arn: The IAM role to assume in that account (its account must be
            ``account_id``).
        external_id: The ``ExternalId`` the role's trust policy asks for; sent only when set.
        region: The partner's region (its tables and its regional STS endpoint); ``None``
            uses the base config's.
        table_prefix: The partner's table prefix; ``None`` uses the base config's.
        session_duration: Seconds the credentials are asked for (900-43200).
        session_name: The STS ``RoleSessionName`` (2-64 of letters, digits and ``+=,.@-_``);
            ``None`` means ``dynamorm-<partner id>`` (:func:`session_name_for`).

    Raises:
        ConfigError: A value is invalid (the message names the field, never the ExternalId).
    """

    account_id: str = attrs.field(validator=_account_id, repr=_masked)
    role_arn: str = attrs.field(validator=_role_arn, repr=_masked)
    external_id: str | None = attrs.field(default=None, validator=_external_id, repr=False)
    region: str | None = attrs.field(
        default=None, validator=_optional(_REGION, "must look like an AWS region, e.g. us-east-1")
    )
    table_prefix: str | None = attrs.field(
        default=None,
        validator=_optional(_TABLE_PREFIX, "may only hold letters, digits, '_', '-' and '.'"),
    )
    session_duration: int = attrs.field(default=DEFAULT_SESSION_DURATION, validator=_duration)
    session_name: str | None = attrs.field(
        default=None,
        validator=_optional(_SESSION_NAME, "must be 2-64 of letters, digits and +=,.@-_"),
    )


def partners_from_environment(
    environ: Mapping[str, str] | None = None,
) -> dict[str, PartnerAccount]:
    """The partners configured in ``DYNAMORM_PARTNERS``, a JSON object of partner id -> fields.

    ``{"acme": {"account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/p",
    "external_id": "...", "region": "eu-west-1"}}``; the fields are those of
    :class:`PartnerAccount`. Unset or empty: no partners.

    Args:
        environ: The variables to read; ``None`` reads :data:`os.environ`.

    Raises:
        ConfigError: The variable is not such an object, or an entry is invalid (the message
            names the variable and the partner id, never the ExternalId).
    """
    env = os.environ if environ is None else environ
    raw = env.get(PARTNERS_ENV, "")
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"environment variable {PARTNERS_ENV} is not valid JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None  # the exception's text would repeat the document, ExternalIds included
    if not isinstance(document, dict):
        raise ConfigError(
            f"environment variable {PARTNERS_ENV} must hold a JSON object of partner id -> "
            f"account, not a JSON {type(document).__name__}"
        )
    known = set(attrs.fields_dict(PartnerAccount))
    partners: dict[str, PartnerAccount] = {}
    for partner_id, fields in document.items():
        where = f"environment variable {PARTNERS_ENV}, partner {partner_id[:80]!r}"
        try:
            check_partner_id(partner_id)
        except InvalidPartnerId as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        if not isinstance(fields, dict):
            raise ConfigError(f"{where}: must be a JSON object of PartnerAccount fields")
        unknown = sorted(set(fields) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
        missing = [name for name in ("account_id", "role_arn") if name not in fields]
        if missing:
            raise ConfigError(f"{where}: missing field(s) {', '.join(map(repr, missing))}")
        try:
            partners[partner_id] = PartnerAccount(**fields)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc.message}") from exc
    return partners


class _Flight:
    """One ``AssumeRole`` in progress for a partner, awaited by every concurrent first call."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: Exception | None = None


class _PartnerCredentialProvider:
    """The only credential provider of a partner's session: its refreshable credentials."""

    METHOD = "dynamorm-partner"

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    async def load(self) -> Any:
        return self._credentials


def _check_options(cache_size: Any, refresh_ahead: Any, sts_endpoint_url: Any) -> None:
    if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
        raise ConfigError(f"MultiAccountDB cache_size={cache_size!r}: must be an integer >= 1")
    low = _DURATION[0]
    if isinstance(refresh_ahead, bool) or not isinstance(refresh_ahead, int):
        raise ConfigError(f"MultiAccountDB refresh_ahead={refresh_ahead!r}: must be whole seconds")
    if not 0 < refresh_ahead < low:
        raise ConfigError(
            f"MultiAccountDB refresh_ahead={refresh_ahead!r}: must be more than 0 and less "
            f"than {low} seconds (the shortest STS session)"
        )
    if sts_endpoint_url is not None and not (
        isinstance(sts_endpoint_url, str) and _URL.fullmatch(sts_endpoint_url)
    ):
        raise ConfigError(
            f"MultiAccountDB sts_endpoint_url={sts_endpoint_url!r}: must be an http(s):// URL"
        )


class MultiAccountDB:
    """One DB per partner account, made on first use with the partner's role and cached.

    Args:
        base: The configuration partner DBs start from (region, endpoint, timeouts,
            metrics...), and whose credentials (``credentials``, ``session`` or botocore's
            chain) call STS. Defaults to ``Config()``.
        partners: Partner id -> account; more can be added with :meth:`add`.
        cache_size: Partner DBs kept at most; the least recently used one is closed when
            another is needed.
        refresh_ahead: Seconds before expiry from which the next request refreshes a
            partner's credentials (less than 900).
        sts_endpoint_url: The STS endpoint; ``None`` is the partner's regional endpoint
            (``https://sts.<region>.amazonaws.com``). Local servers: moto serves STS on its
            DynamoDB port.
        transport_factory: Opens each partner DB's transport (as for :class:`DB`). It must
            take the credentials from ``config.session``.

    Raises:
        ConfigError: An option or a partner is invalid.
    """

    def __init__(
        self,
        base: Config | None = None,
        partners: Mapping[str, PartnerAccount] | None = None,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        refresh_ahead: int = DEFAULT_REFRESH_AHEAD,
        sts_endpoint_url: str | None = None,
        transport_factory: TransportFactory | None = None,
    ) -> None:
        _check_options(cache_size, refresh_ahead, sts_endpoint_url)
        self.base = base if base is not None else Config()
        self.cache_size = cache_size
        self.refresh_ahead = refresh_ahead
        self.sts_endpoint_url = sts_endpoint_url
        self._transport_factory = transport_factory
        self._accounts: dict[str, PartnerAccount] = {}
        self._cache: OrderedDict[str, DB] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._models: list[type] = []
        self._sts_session: Any = None
        for partner_id, account in (partners or {}).items():
            self.add(partner_id, account)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, *, base: Config | None = None, **options: Any
    ) -> MultiAccountDB:
        """Partners from ``DYNAMORM_PARTNERS``, the base from ``Config.from_environment()``.

        Args:
            environ: The variables to read; ``None`` reads :data:`os.environ`.
            base: The base config instead of the environment's.
            **options: The other :class:`MultiAccountDB` arguments (``cache_size``...).

        Raises:
            ConfigError: A variable is invalid (the message names it and the bad entry).
        """
        if base is None:
            base = Config.from_environment(environ)
        return cls(base, partners_from_environment(environ), **options)

    def __repr__(self) -> str:
        return (
            f"MultiAccountDB(partners={sorted(self._accounts)!r}, cached={list(self._cache)!r}, "
            f"cache_size={self.cache_size})"
        )

    # -- partners ----------------------------------------------------------------------------

    @property
    def partner_ids(self) -> tuple[str, ...]:
        """The configured partner ids, sorted."""
        return tuple(sorted(self._accounts))

    @property
    def cached(self) -> tuple[str, ...]:
        """The partners whose DB is cached, least recently used first."""
        return tuple(self._cache)

    def __contains__(self, partner_id: object) -> bool:
        return partner_id in self._accounts

    def account(self, partner_id: str) -> PartnerAccount:
        """The account configured for a partner.

        Raises:
            InvalidPartnerId: The id is malformed.
            UnknownPartner: No partner has that id.
        """
        account = self._accounts.get(check_partner_id(partner_id))
        if account is None:
            raise UnknownPartner(
                f"no partner account is configured for {partner_id!r}", partner=partner_id
            )
        return account

    def add(self, partner_id: str, account: PartnerAccount) -> None:
        """Configure a partner at run time.

        Raises:
            ConfigError: The id is malformed or configured already (:meth:`remove` it
                first), or ``account`` is not a :class:`PartnerAccount`.
        """
        try:
            check_partner_id(partner_id)
        except InvalidPartnerId as exc:
            raise ConfigError(exc.message) from exc
        if not isinstance(account, PartnerAccount):
            raise ConfigError(
                f"partner {partner_id!r}: needs a PartnerAccount, not {type(account).__name__}"
            )
        if partner_id in self._accounts:
            raise ConfigError(f"partner {partner_id!r} is configured already: remove it first")
        self._accounts[partner_id] = account

    async def remove(self, partner_id: str) -> None:
        """Forget a partner and close its cached DB, if any.

        A first call for it still in progress ends in :class:`UnknownPartner`.

        Raises:
            InvalidPartnerId: The id is malformed.
            UnknownPartner: No partner has that id.
        """
        self.account(partner_id)
        del self._accounts[partner_id]
        db = self._cache.pop(partner_id, None)
        if db is not None:
            await db.close()

    def register(self, *models: type) -> None:
        """Build these models' codecs in every partner DB, now and whenever one is made.

        Raises:
            SchemaError: A model's declaration is invalid.
        """
        for model in models:
            model_meta(model)  # a bad declaration fails here, before any partner DB exists
        for db in self._cache.values():
            db.register(*models)
        self._models.extend(models)

    # -- DBs ---------------------------------------------------------------------------------

    async def partner(self, partner_id: str) -> DB:
        """The DB of a partner's account: cached, else made with a fresh ``AssumeRole``.

        Concurrent first calls for one partner share one ``AssumeRole`` and its outcome.
        Inside a Lambda invocation (:func:`~dynamorm_async.aws_lambda.lambda_handler`) the
        STS call ends by the invocation's deadline.

        Raises:
            InvalidPartnerId: The id is malformed (checked before anything else).
            UnknownPartner: No partner has that id.
            AssumeRoleFailed: STS refused or did not answer; nothing is cached, the next
                call tries again.
            DeadlineExceeded: The invocation's deadline came first.
        """
        check_partner_id(partner_id)
        while True:
            db = self._cache.get(partner_id)
            if db is not None:
                self._cache.move_to_end(partner_id)
                return db
            account = self.account(partner_id)
            flight = self._flights.get(partner_id)
            if flight is None:
                break
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            # Cached now, or the first caller was cancelled: look again.
        return await self._first_call(partner_id, account)

    async def _first_call(self, partner_id: str, account: PartnerAccount) -> DB:
        flight = self._flights[partner_id] = _Flight()
        try:
            db = await self._open(partner_id, account)
            if self._accounts.get(partner_id) is not account:
                await db.close()
                raise UnknownPartner(
                    f"partner {partner_id!r} was removed while its role was being assumed",
                    partner=partner_id,
                )
            self._cache[partner_id] = db
        except Exception as exc:
            flight.error = exc
            raise
        finally:
            del self._flights[partner_id]
            flight.done.set()
        while len(self._cache) > self.cache_size:
            evicted, old = self._cache.popitem(last=False)
            _log.debug("partner %s: DB evicted from the cache and closed", evicted)
            await old.close()
        return db

    async def close(self) -> None:
        """Close every cached partner DB and empty the cache (the partners stay configured)."""
        while self._cache:
            _, db = self._cache.popitem(last=False)
            await db.close()

    async def __aenter__(self) -> MultiAccountDB:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _open(self, partner_id: str, account: PartnerAccount) -> DB:
        from aiobotocore.credentials import AioCredentialResolver, AioRefreshableCredentials
        from aiobotocore.session import AioSession

        async def refresh() -> dict[str, Any]:
            return await self._assume(partner_id, account)

        metadata = await refresh()
        mandatory = min(MANDATORY_REFRESH_AHEAD, self.refresh_ahead)
        credentials = AioRefreshableCredentials(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=metadata["expires"],
            refresh_using=refresh,
            method=_PartnerCredentialProvider.METHOD,
            advisory_timeout=self.refresh_ahead,
            mandatory_timeout=mandatory,
            account_id=account.account_id,
        )
        session = AioSession()
        # Service models are data, the same for every account: loaded once, not per partner.
        session.register_component("data_loader", self._template().get_component("data_loader"))
        session.register_component(
            "credential_provider",
            AioCredentialResolver(providers=[cast(Any, _PartnerCredentialProvider(credentials))]),
        )
        config = attrs.evolve(
            self.base,
            session=session,
            credentials=None,
            region=account.region or self.base.region,
            table_prefix=(
                account.table_prefix if account.table_prefix is not None else self.base.table_prefix
            ),
        )
        db = DB(config, transport_factory=self._transport_factory)
        db.metrics.dimensions[PARTNER_DIMENSION] = partner_id
        db.register(*self._models)
        return db

    async def _assume(self, partner_id: str, account: PartnerAccount) -> dict[str, Any]:
        """Call ``AssumeRole``; the credentials in the shape aiobotocore's refresh expects."""
        import aiohttp
        import botocore.exceptions as bce
        from aiobotocore.config import AioConfig

        params: dict[str, Any] = {
            "RoleArn": account.role_arn,
            "RoleSessionName": account.session_name or session_name_for(partner_id),
            "DurationSeconds": account.session_duration,
        }
        if account.external_id is not None:
            params["ExternalId"] = account.external_id
        base = self.base
        kwargs: dict[str, Any] = {
            "region_name": account.region or base.region,
            "endpoint_url": self.sts_endpoint_url,
            "config": AioConfig(
                connect_timeout=base.connect_timeout,
                read_timeout=base.timeout,
                retries={"max_attempts": base.max_retries, "mode": "standard"},
            ),
        }
        if base.credentials is not None:
            kwargs["aws_access_key_id"] = base.credentials.access_key_id
            kwargs["aws_secret_access_key"] = base.credentials.secret_access_key
            kwargs["aws_session_token"] = base.credentials.session_token
        where = f"partner {partner_id!r} ({mask_accounts(account.role_arn)})"
        check_endpoint("sts", self.sts_endpoint_url)
        try:
            with anyio.CancelScope(deadline=_deadline()) as scope:
                factory = self._sts_factory()
                async with factory("sts", **kwargs) as sts:
                    response = await sts.assume_role(**params)
        except bce.ClientError as exc:
            answer: dict[str, Any] = dict(exc.response)
            error = answer.get("Error") or {}
            code = str(error.get("Code") or "Unknown")
            message = _scrub(str(error.get("Message") or code), account)
            raise AssumeRoleFailed(
                f"STS refused to assume the role of {where}: {code}: {message}",
                partner=partner_id,
                operation="AssumeRole",
                code=code,
                request_id=(answer.get("ResponseMetadata") or {}).get("RequestId"),
            ) from None  # STS's text names accounts unmasked; code, text and id are kept here
        except bce.NoRegionError as exc:
            raise ConfigError(
                f"no region for the STS endpoint of {where}: set PartnerAccount.region or "
                "the base Config.region"
            ) from exc
        except (bce.BotoCoreError, aiohttp.ClientError, OSError) as exc:
            raise AssumeRoleFailed(
                f"cannot assume the role of {where}: {type(exc).__name__}: "
                f"{_scrub(str(exc), account)}",
                partner=partner_id,
                operation="AssumeRole",
            ) from exc
        if scope.cancelled_caught:
            raise DeadlineExceeded(
                f"the deadline came before STS assumed the role of {where}",
                operation="AssumeRole",
            )
        found = response["Credentials"]
        expires: datetime = found["Expiration"]
        _log.info(
            "partner %s: credentials for %s, valid until %s",
            partner_id,
            mask_accounts(account.role_arn),
            expires.isoformat(),
        )
        return {
            "access_key": found["AccessKeyId"],
            "secret_key": found["SecretAccessKey"],
            "token": found["SessionToken"],
            "expiry_time": expires.isoformat(),
            "expires": expires,
            "account_id": account.account_id,
        }

    def _template(self) -> Any:
        """The aiobotocore session STS is called on unless the base config names one."""
        if self._sts_session is None:
            from aiobotocore.session import get_session

            self._sts_session = get_session()
        return self._sts_session

    def _sts_factory(self) -> Callable[..., Any]:
        session = self.base.session if self.base.session is not None else self._template()
        # aiobotocore's AioSession.create_client or aioboto3's Session.client.
        factory: Callable[..., Any] = getattr(session, "create_client", None) or session.client
        return factory


def _deadline() -> float:
    deadline = INVOCATION_DEADLINE.get()
    return float("inf") if deadline is None else deadline


def _scrub(text: str, account: PartnerAccount) -> str:
    """Text from STS or botocore, safe to show: no ExternalId, account ids masked."""
    if account.external_id is not None:
        text = text.replace(account.external_id, "***")
    return mask_accounts(text)
