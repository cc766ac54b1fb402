"""Partner accounts over the wire: moto's STS, its per-account data, the loopback proxy.

moto's server mode makes a partner's assumed-role credentials act in the account of the role
ARN they came from, so three DBs (two partners, the base) see three separate sets of tables
under the same physical names. ``AssumeRole`` requests are counted (and refused, or answered
with credentials about to expire) on the wire, in the fault proxy, which also forwards
DynamoDB and, like moto, serves STS on the same port.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import attrs
import pytest

from dynamorm_async import (
    DB,
    AssumeRoleFailed,
    Config,
    InvalidPartnerId,
    MultiAccountDB,
    PartnerAccount,
    UnknownPartner,
    attr,
    pk,
    table,
)
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.testing import FakeLambdaContext, FaultProxy, Faults, through

pytestmark = pytest.mark.needs_sts

ACME = PartnerAccount(
    account_id="111111111111",
    role_arn="arn:aws:iam::111111111111:role/payments",
    external_id="acme-external-7f3e",
    session_duration=900,
)
GLOBEX = PartnerAccount(
    account_id="222222222222", role_arn="arn:aws:iam::222222222222:role/payments"
)


@table("partner-notes")
@attrs.define
class Note:
    id: str = pk()
    text: str = attr()


def multi(config: Config, proxy: FaultProxy, **options: Any) -> MultiAccountDB:
    """Partners acme and globex, DynamoDB and STS both through the proxy."""
    return MultiAccountDB(
        through(config, proxy),
        {"acme": ACME, "globex": GLOBEX},
        sts_endpoint_url=proxy.url,
        **options,
    )


def assumed(proxy: FaultProxy) -> int:
    """AssumeRole requests the proxy saw."""
    return len(proxy.entries("AssumeRole"))


def granted(proxy: FaultProxy) -> int:
    """AssumeRole requests STS answered with credentials."""
    return sum(entry.status == 200 for entry in proxy.entries("AssumeRole"))


@pytest.fixture
async def partners(config: Config, fault_proxy: FaultProxy) -> AsyncIterator[MultiAccountDB]:
    async with multi(config, fault_proxy) as partners:
        yield partners


@pytest.fixture
async def notes(config: Config, partners: MultiAccountDB) -> AsyncIterator[list[DB]]:
    """The Note table in acme's, globex's and the base account (in that order)."""
    dbs = [await partners.partner("acme"), await partners.partner("globex"), DB(config)]
    for db in dbs:
        await db.create_table(Note, ttl=False)
    try:
        yield dbs
    finally:
        for db in dbs:
            await db.delete_table(Note, missing_ok=True)
        await dbs[2].close()


async def test_each_partner_reads_and_writes_only_its_own_account(notes: list[DB]) -> None:
    acme, globex, base = notes
    assert acme.table_name(Note) == globex.table_name(Note) == base.table_name(Note)
    assert acme.config.session is not globex.config.session
    assert acme.engine is not globex.engine and acme.codec is not globex.codec
    assert acme.metrics.dimensions == {"Partner": "acme"}
    assert globex.metrics.dimensions == {"Partner": "globex"}

    await acme.put(Note(id="n-1", text="acme's"))
    assert await globex.find(Note, {"id": "n-1"}) is None
    assert await base.find(Note, {"id": "n-1"}) is None

    await globex.put(Note(id="n-1", text="globex's"))
    await base.put(Note(id="n-1", text="base's"))
    assert (await acme.get(Note, {"id": "n-1"})).text == "acme's"
    assert (await globex.get(Note, {"id": "n-1"})).text == "globex's"
    assert (await base.get(Note, {"id": "n-1"})).text == "base's"

    await acme.delete(Note, {"id": "n-1"})
    assert await acme.find(Note, {"id": "n-1"}) is None
    assert (await globex.get(Note, {"id": "n-1"})).text == "globex's"
    assert [n.text for n in await base.model(Note).allow_scan().all()] == ["base's"]


async def test_a_custom_transport_gets_the_partners_credentials_from_the_session(
    config: Config, fault_proxy: FaultProxy
) -> None:
    from dynamorm_async.transport.aiobotocore import AiobotocoreTransport

    keys: dict[str | None, str] = {}

    async def open_transport(partner_config: Config) -> Any:
        # What a transport that signs requests itself does: ask the session, every request.
        found = await partner_config.session.get_credentials()
        keys[partner_config.table_prefix] = (await found.get_frozen_credentials()).access_key
        return await AiobotocoreTransport.open(partner_config)

    base = through(config, fault_proxy)
    accounts = {
        "acme": attrs.evolve(ACME, table_prefix="acme-"),
        "globex": attrs.evolve(GLOBEX, table_prefix="globex-"),
    }
    async with MultiAccountDB(
        base, accounts, sts_endpoint_url=fault_proxy.url, transport_factory=open_transport
    ) as partners:
        for partner_id in accounts:
            await (await partners.partner(partner_id)).open()
    assert set(keys) == {"acme-", "globex-"}
    assert base.credentials is not None
    assert base.credentials.access_key_id not in keys.values()
    assert keys["acme-"] != keys["globex-"]


async def test_fifty_concurrent_first_calls_assume_the_role_once(
    partners: MultiAccountDB, fault_proxy: FaultProxy
) -> None:
    got: list[DB] = []

    async def first_call() -> None:
        got.append(await partners.partner("acme"))

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(first_call)

    assert assumed(fault_proxy) == 1
    assert len(got) == 50 and all(db is got[0] for db in got)
    assert await partners.partner("acme") is got[0]  # warm: from the cache
    assert assumed(fault_proxy) == 1


async def test_a_refused_assume_role_fails_every_waiter_and_the_next_call_retries(
    partners: MultiAccountDB, fault_proxy: FaultProxy
) -> None:
    fault_proxy.faults = {"AssumeRole": Faults(deny=1.0)}
    errors: list[BaseException] = []

    async def first_call() -> None:
        try:
            await partners.partner("acme")
        except AssumeRoleFailed as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(first_call)

    assert assumed(fault_proxy) == 1
    assert len(errors) == 50
    error = errors[0]
    assert isinstance(error, AssumeRoleFailed)
    assert (error.partner, error.code, error.operation) == ("acme", "AccessDenied", "AssumeRole")
    assert partners.cached == ()

    fault_proxy.faults = {}
    db = await partners.partner("acme")
    assert assumed(fault_proxy) == 2
    assert partners.cached == ("acme",)
    assert await partners.partner("acme") is db


@contextlib.asynccontextmanager
async def acme_expiring_in(config: Config, proxy: FaultProxy, seconds: float) -> AsyncIterator[DB]:
    """acme's DB, whose first credentials expire ``seconds`` from now; its table dropped after."""
    proxy.faults = {"AssumeRole": Faults(expires_in=seconds)}
    async with multi(config, proxy) as partners:
        acme = await partners.partner("acme")
        proxy.faults = {}
        try:
            yield acme
        finally:
            await acme.delete_table(Note, missing_ok=True)


async def test_credentials_near_expiry_are_refreshed_by_the_next_request(
    config: Config, fault_proxy: FaultProxy
) -> None:
    async with acme_expiring_in(config, fault_proxy, 200) as acme:  # < 5 minutes left
        assert assumed(fault_proxy) == 1
        await acme.create_table(Note, ttl=False)  # refreshes first: 2nd AssumeRole
        assert assumed(fault_proxy) == 2
        await acme.put(Note(id="n-1", text="fresh"))
        assert (await acme.get(Note, {"id": "n-1"})).text == "fresh"
        assert assumed(fault_proxy) == 2  # valid for 15 minutes now


async def test_a_failed_refresh_in_the_advisory_window_keeps_the_current_credentials(
    config: Config, fault_proxy: FaultProxy
) -> None:
    async with acme_expiring_in(config, fault_proxy, 200) as acme:
        fault_proxy.faults = {"AssumeRole": Faults(deny=1.0)}
        await acme.create_table(Note, ttl=False)  # refreshes refused; still 200 s valid
        refused = [e for e in fault_proxy.entries("AssumeRole") if e.fault == "deny"]
        assert refused and granted(fault_proxy) == 1
        fault_proxy.faults = {}
        await acme.put(Note(id="n-1", text="ok"))  # the next request tries again
        assert granted(fault_proxy) == 2
        assert (await acme.get(Note, {"id": "n-1"})).text == "ok"
        assert granted(fault_proxy) == 2 and assumed(fault_proxy) == len(refused) + 2


async def test_a_failed_refresh_in_the_last_minute_fails_that_request_only(
    config: Config, fault_proxy: FaultProxy
) -> None:
    async with acme_expiring_in(config, fault_proxy, 30) as acme:
        fault_proxy.faults = {"AssumeRole": Faults(deny=1.0)}
        with pytest.raises(AssumeRoleFailed) as caught:
            await acme.create_table(Note, ttl=False)
        assert caught.value.partner == "acme"
        assert not fault_proxy.entries("CreateTable")  # nothing was sent unsigned
        fault_proxy.faults = {}
        await acme.create_table(Note, ttl=False)  # the next request tries again
        assert assumed(fault_proxy) == 3


async def test_the_least_recently_used_db_is_evicted_and_closed(
    config: Config, fault_proxy: FaultProxy
) -> None:
    async with multi(config, fault_proxy, cache_size=1) as partners:
        acme = await partners.partner("acme")
        await acme.open()
        assert acme.engine.is_open
        globex = await partners.partner("globex")
        assert partners.cached == ("globex",)
        assert not acme.engine.is_open
        again = await partners.partner("acme")
        assert again is not acme and partners.cached == ("acme",)
        assert not globex.engine.is_open
        assert assumed(fault_proxy) == 3


async def test_bad_and_unknown_partner_ids_fail_before_any_request(
    partners: MultiAccountDB, fault_proxy: FaultProxy
) -> None:
    with pytest.raises(InvalidPartnerId):
        await partners.partner("acme/../globex")
    with pytest.raises(UnknownPartner) as unknown:
        await partners.partner("initech")
    assert unknown.value.partner == "initech"
    await partners.remove("globex")
    with pytest.raises(UnknownPartner):
        await partners.partner("globex")
    assert fault_proxy.requests == 0


async def test_no_secret_in_logs_reprs_or_errors(
    config: Config, fault_proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dynamorm_async")
    caplog.set_level(logging.INFO)  # botocore's DEBUG lines print bodies: see the docs
    fault_proxy.faults = {"AssumeRole": Faults(expires_in=30)}
    async with multi(config, fault_proxy) as partners:
        acme = await partners.partner("acme")
        credentials = await (await acme.config.session.get_credentials()).get_frozen_credentials()
        fault_proxy.faults = {"AssumeRole": Faults(deny=1.0)}
        with pytest.raises(AssumeRoleFailed) as refused:
            await acme.find(Note, {"id": "n-1"})
        shown = "\n".join(
            [
                caplog.text,
                repr(partners),
                repr(acme.config),
                repr(ACME),
                str(refused.value),
                repr(refused.value),
            ]
        )
    secrets = [credentials.secret_key, credentials.token, ACME.external_id]
    assert all(secret and secret not in shown for secret in secrets)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("dynamorm_async")]
    assert ours and all(ACME.account_id not in line for line in ours)
    assert ACME.account_id not in str(refused.value)
    assert "********1111" in str(refused.value)


async def test_the_lambda_handler_gives_each_invocation_its_partners_db(
    config: Config, fault_proxy: FaultProxy, capsys: pytest.CaptureFixture[str]
) -> None:
    partners = multi(attrs.evolve(config, metrics=True), fault_proxy)

    @lambda_handler(partners=partners, partner_error=lambda error, event: {"statusCode": 403})
    async def handler(event: dict[str, Any], context: Any, db: DB) -> dict[str, Any]:
        if event["httpMethod"] == "PUT":
            await db.put(Note(id="n-1", text=event["body"]))
        found = await db.find(Note, {"id": "n-1"})
        return {"statusCode": 200, "body": found.text if found else None}

    def event(partner: str, method: str = "GET", body: str = "") -> dict[str, Any]:
        # A REST API event behind a Lambda authorizer that put the partner in its context.
        return {
            "httpMethod": method,
            "headers": {"Accept": "application/json"},
            "body": body,
            "requestContext": {"authorizer": {"principalId": "user-1", "partner_id": partner}},
        }

    context = FakeLambdaContext(timeout=10)
    async with partners:
        for partner_id in ("acme", "globex"):
            db = await partners.partner(partner_id)
            await db.create_table(Note, ttl=False)
            await db.metrics.flush()
        try:
            capsys.readouterr()
            put = await handler.invoke(event("acme", "PUT", "for acme"), context)
            assert put == {"statusCode": 200, "body": "for acme"}
            emf = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
            assert {doc["Operation"] for doc in emf} == {"PutItem", "GetItem"}
            assert all(doc["Partner"] == "acme" for doc in emf)
            assert ACME.account_id not in json.dumps(emf)
            assert await handler.invoke(event("globex"), context) == {
                "statusCode": 200,
                "body": None,
            }
            assert await handler.invoke(event("acme"), context) == {
                "statusCode": 200,
                "body": "for acme",
            }
            assert await handler.invoke(event("initech"), context) == {"statusCode": 403}
            assert await handler.invoke({"headers": {}}, context) == {"statusCode": 403}
            assert assumed(fault_proxy) == 2
        finally:
            for partner_id in ("acme", "globex"):
                await (await partners.partner(partner_id)).delete_table(Note)
