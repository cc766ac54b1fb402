"""TableOptions: validated on declaration, turned into CreateTable parameters, and the YAML."""

from __future__ import annotations

import attrs
import pytest
import yaml

from dynamorm_async import Provisioned, SchemaError, TableOptions, pk, table
from dynamorm_async._table_definition import backup_params, create_table_params, table_definition
from dynamorm_async.deploy.template import build_template, render
from examples.payments.models import Notification, Payment
from tests.deploy_models import Customer, Entry, Order, Quota


def test_a_model_without_options_sends_only_what_dynamodb_defaults_to() -> None:
    params = create_table_params(table_definition([Notification]), "notifications")
    assert params["BillingMode"] == "PAY_PER_REQUEST"
    assert not {
        "ProvisionedThroughput", "StreamSpecification", "SSESpecification", "TableClass",
        "DeletionProtectionEnabled", "Tags",
    } & set(params)  # fmt: skip
    assert backup_params(table_definition([Notification]), "notifications") is None


def test_every_option_reaches_create_table() -> None:
    params = create_table_params(table_definition([Entry]), "ledger")
    assert params["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert params["SSESpecification"] == {
        "Enabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": "alias/aws/dynamodb",
    }
    assert params["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert params["DeletionProtectionEnabled"] is True
    assert params["Tags"] == [
        {"Key": "cost-centre", "Value": "42"},
        {"Key": "team", "Value": "payments"},
    ]
    assert backup_params(table_definition([Entry]), "ledger") == {
        "TableName": "ledger",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    quota = create_table_params(table_definition([Quota]), "quotas")
    assert quota["BillingMode"] == "PROVISIONED"
    assert quota["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stream": "NEW"}, "stream must be one of"),
        ({"table_class": "GLACIER"}, "table_class must be one of"),
        ({"point_in_time_recovery": "yes"}, "point_in_time_recovery"),
        ({"kms_key": ""}, "kms_key"),
        ({"tags": {"": "x"}}, "a tag is a non-empty str name"),
        ({"tags": ["team"]}, "tags is a mapping"),
        ({"provisioned": (5, 5)}, "provisioned"),
    ],
)
def test_bad_options_are_refused_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((SchemaError, TypeError, ValueError), match=message):
        TableOptions(**kwargs)  # type: ignore[arg-type]


def test_capacity_is_a_positive_int() -> None:
    with pytest.raises(SchemaError, match="read capacity must be an int of at least 1"):
        Provisioned(read=0, write=1)
    with pytest.raises(SchemaError, match="write capacity"):
        Provisioned(read=1, write=True)


def test_table_refuses_options_of_the_wrong_type() -> None:
    with pytest.raises(SchemaError, match="options must be a TableOptions"):

        @table("t", options={"stream": "KEYS_ONLY"})  # type: ignore[arg-type]
        @attrs.define
        class M:
            id: str = pk()


@pytest.mark.parametrize("fmt", ["cloudformation", "sam"])
def test_yaml_reads_back_as_the_json_document(fmt: str) -> None:
    document = build_template([Payment, Entry, Quota, Customer, Order], format=fmt)  # type: ignore[arg-type]
    assert yaml.safe_load(render(document)) == document
