"""Partner accounts without the network: ids, session names, masking, configuration."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import attrs
import pytest

from dynamorm_async import (
    Config,
    ConfigError,
    InvalidPartnerId,
    MultiAccountDB,
    PartnerAccount,
    SchemaError,
    UnknownPartner,
)
from dynamorm_async.aws_lambda import lambda_handler
from dynamorm_async.metrics import Metrics
from dynamorm_async.partners import (
    PARTNERS_ENV,
    check_partner_id,
    mask_accounts,
    partners_from_environment,
    session_name_for,
)

SECRET = "ext-Secret/42"
ACME: dict[str, Any] = {
    "account_id": "111111111111",
    "role_arn": "arn:aws:iam::111111111111:role/payments",
    "external_id": SECRET,
}
STS_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


def test_partner_ids_are_letters_digits_underscore_and_dash() -> None:
    for good in ("a", "acme", "ACME_2-eu", "x" * 64):
        assert check_partner_id(good) == good
    for bad in ("", "x" * 65, "acme/..", "a b", "acmé", "acme\n", None, 7):
        with pytest.raises(InvalidPartnerId):
            check_partner_id(bad)


@pytest.mark.parametrize("partner_id", ["a", "acme", "x" * 55, "x" * 56, "y" * 64])
def test_session_names_are_valid_for_sts(partner_id: str) -> None:
    name = session_name_for(partner_id)
    assert STS_SESSION_NAME.fullmatch(name) and name.startswith("dynamorm-")
    if len(partner_id) <= 55:
        assert name == f"dynamorm-{partner_id}"


def test_long_ids_keep_distinct_session_names() -> None:
    first, second = "p" * 60 + "-one", "p" * 60 + "-two"
    assert session_name_for(first) != session_name_for(second)
    assert len(session_name_for(first)) == 64


def test_account_ids_are_masked_but_the_last_four_digits() -> None:
    assert mask_accounts("arn:aws:iam::111122223333:role/x") == "arn:aws:iam::********3333:role/x"
    assert mask_accounts("id 1234567890123 is 13 digits") == "id 1234567890123 is 13 digits"


def test_the_repr_masks_the_account_and_hides_the_external_id() -> None:
    shown = repr(PartnerAccount(**ACME))
    assert "111111111111" not in shown and "********1111" in shown
    assert SECRET not in shown and "external_id" not in shown


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account_id": "1111"}, "account_id"),
        ({"account_id": 111111111111}, "account_id"),
        ({"role_arn": "arn:aws:iam::222222222222:role/payments"}, "role_arn"),
        ({"role_arn": "payments"}, "role_arn"),
        ({"external_id": "Q"}, "external_id"),
        ({"external_id": "Zz9 with space"}, "external_id"),
        ({"session_duration": 899}, "session_duration"),
        ({"session_duration": 43201}, "session_duration"),
        ({"session_duration": "3600"}, "session_duration"),
        ({"session_name": "a"}, "session_name"),
        ({"session_name": "with space"}, "session_name"),
        ({"region": "Mars 1"}, "region"),
        ({"table_prefix": "a/b"}, "table_prefix"),
    ],
)
def test_invalid_accounts_name_the_field_and_never_the_external_id(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigError, match=f"PartnerAccount.{field}") as caught:
        PartnerAccount(**{**ACME, **change})
    assert change.get("external_id", SECRET) not in str(caught.value)


def environment(document: Any) -> dict[str, str]:
    return {PARTNERS_ENV: document if isinstance(document, str) else json.dumps(document)}


def test_partners_come_from_the_environment() -> None:
    env = environment({"acme": {**ACME, "region": "eu-west-1", "session_duration": 900}})
    assert partners_from_environment(env) == {
        "acme": PartnerAccount(**ACME, region="eu-west-1", session_duration=900)
    }
    assert partners_from_environment({}) == {}
    assert partners_from_environment({PARTNERS_ENV: "  "}) == {}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"acme": {', "is not valid JSON"),
        ([ACME], "must hold a JSON object"),
        ({"acme": "111111111111"}, "partner 'acme': must be a JSON object"),
        ({"acme/1": ACME}, "partner 'acme/1': invalid partner id"),
        ({"acme": {**ACME, "externalId": "x"}}, "partner 'acme': unknown field(s) 'externalId'"),
        ({"acme": {"account_id": "111111111111"}}, "partner 'acme': missing field(s) 'role_arn'"),
        ({"acme": {**ACME, "external_id": "x"}}, "partner 'acme': PartnerAccount.external_id"),
    ],
)
def test_environment_errors_name_the_variable_and_the_entry(document: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        partners_from_environment(environment(document))
    text = str(caught.value)
    assert text.startswith(f"environment variable {PARTNERS_ENV}") and message in text
    assert SECRET not in text


def test_multi_account_db_from_the_environment() -> None:
    env = {**environment({"acme": ACME}), "AWS_REGION": "eu-west-1"}
    partners = MultiAccountDB.from_environment(env, cache_size=2)
    assert partners.partner_ids == ("acme",) and partners.base.region == "eu-west-1"
    assert partners.cache_size == 2


def test_partners_are_added_and_removed_at_run_time() -> None:
    partners = MultiAccountDB(Config(region="us-east-1"))
    partners.add("acme", PartnerAccount(**ACME))
    assert "acme" in partners and partners.account("acme").account_id == "111111111111"
    with pytest.raises(ConfigError, match="configured already"):
        partners.add("acme", PartnerAccount(**ACME))
    with pytest.raises(ConfigError, match="invalid partner id"):
        partners.add("a b", PartnerAccount(**ACME))
    with pytest.raises(ConfigError, match="needs a PartnerAccount"):
        partners.add("globex", ACME)  # type: ignore[arg-type]
    with pytest.raises(UnknownPartner):
        partners.account("globex")
    with pytest.raises(InvalidPartnerId):
        partners.account("../acme")


async def test_removing_a_partner_forgets_it() -> None:
    partners = MultiAccountDB(Config(region="us-east-1"), {"acme": PartnerAccount(**ACME)})
    await partners.remove("acme")
    assert "acme" not in partners and partners.partner_ids == ()
    with pytest.raises(UnknownPartner):
        await partners.partner("acme")
    with pytest.raises(UnknownPartner):
        await partners.remove("acme")


@pytest.mark.parametrize(
    "options",
    [
        {"cache_size": 0},
        {"cache_size": True},
        {"refresh_ahead": 0},
        {"refresh_ahead": 900},
        {"refresh_ahead": 1.5},
        {"sts_endpoint_url": "sts.local"},
    ],
)
def test_invalid_options_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=next(iter(options))):
        MultiAccountDB(Config(region="us-east-1"), **options)


def test_register_checks_models_at_once() -> None:
    @attrs.define
    class NotATable:
        id: str

    with pytest.raises(SchemaError):
        MultiAccountDB().register(NotATable)


def test_the_repr_lists_ids_only() -> None:
    partners = MultiAccountDB(Config(region="us-east-1"), {"acme": PartnerAccount(**ACME)})
    assert repr(partners) == "MultiAccountDB(partners=['acme'], cached=[], cache_size=32)"


async def test_a_partner_dimension_is_added_to_every_document() -> None:
    metrics = Metrics(namespace="N", service="payments", emit=lambda line: None)
    metrics.dimensions["Partner"] = "acme"
    metrics.add("Created", 1)
    (document,) = await metrics.flush()
    assert document["Partner"] == "acme" and document["service"] == "payments"
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Partner", "service"]]


def test_partner_options_need_partners() -> None:
    with pytest.raises(TypeError, match="need partners="):
        lambda_handler(resolve_partner=lambda event, context: "acme")


def test_import_dynamorm_async_does_not_load_partners() -> None:
    code = (
        "import sys, dynamorm_async, dynamorm_async.aws_lambda\n"
        "print(sorted(m for m in sys.modules if m in ("
        "'dynamorm_async.partners', 'aiobotocore.credentials', 'aiobotocore.session')))\n"
        "dynamorm_async.MultiAccountDB\n"
        "print('dynamorm_async.partners' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split("\n")[:2] == ["[]", "True"]
