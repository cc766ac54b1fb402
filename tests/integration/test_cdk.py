"""The CDK construct synthesises the same resources and outputs as `dynamorm-async template`.

Needs the `cdk` extra (aws-cdk-lib, which runs node); synthesis works offline. Run it with
`nox -s cdk` (installs the extra first).
"""

from __future__ import annotations

from typing import Any

import pytest

from dynamorm_async.deploy.template import build_template
from examples.payments.models import Payment
from tests.deploy_models import Customer, Entry, Order, Quota

cdk = pytest.importorskip("aws_cdk", reason="the cdk extra (aws-cdk-lib) is not installed")

MODELS = [Payment, Entry, Quota, Customer, Order]


def outputs_of(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"Description": output["Description"], "Value": output["Value"]}
        for name, output in template["Outputs"].items()
    }


def test_synthesised_stack_matches_the_template() -> None:
    from dynamorm_async.deploy.cdk import DynamormTables

    app = cdk.App()
    stack = cdk.Stack(app, "Tables")
    construct = DynamormTables(stack, "Dynamorm", models=MODELS)
    synthesised = app.synth().get_stack_by_name("Tables").template
    expected = build_template(MODELS)
    resources = {
        lid: {k: v for k, v in r.items() if k != "Metadata"}
        for lid, r in synthesised["Resources"].items()
        if r["Type"] != "AWS::CDK::Metadata"
    }
    assert resources == expected["Resources"]
    assert outputs_of(synthesised) == outputs_of(expected)
    assert sorted(construct.tables) == ["LedgerTable", "PaymentsTable", "QuotasTable", "ShopTable"]
