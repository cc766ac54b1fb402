"""An AWS CDK construct declaring the models' tables (the ``cdk`` extra: aws-cdk-lib).

::

    from aws_cdk import App, Stack
    from dynamorm_async.deploy.cdk import DynamormTables

    stack = Stack(App(), "Payments")
    tables = DynamormTables(stack, "Tables", models=[Payment])
    tables.policy  # the IAM managed policy to attach to your functions' roles

The resources are exactly those of :func:`~dynamorm_async.deploy.template.build_template`
(same logical ids, properties and retention), so ``cdk synth`` and ``dynamorm-async
template`` never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from .template import POLICY_ID, build_template

__all__ = ["DynamormTables"]


class DynamormTables(Construct):  # type: ignore[misc]  # aws-cdk-lib is untyped for mypy here
    """The tables of ``models`` and an IAM managed policy granting the library's actions.

    Args:
        scope: The parent construct (usually a Stack).
        construct_id: This construct's id.
        models: ``@table`` classes.
        table_prefix: Prepended to every table name, like ``Config.table_prefix``.

    Attributes:
        tables: The ``AWS::DynamoDB::Table`` resources by logical id.
        policy: The ``AWS::IAM::ManagedPolicy`` resource.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        models: Sequence[type],
        table_prefix: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        document = build_template(models, table_prefix=table_prefix)
        self.tables: dict[str, Any] = {}
        self.policy: Any = None
        for logical_id, resource in document["Resources"].items():
            made = cdk.CfnResource(
                self, logical_id, type=resource["Type"], properties=resource["Properties"]
            )
            made.override_logical_id(logical_id)
            if "DeletionPolicy" in resource:
                made.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            if logical_id == POLICY_ID:
                self.policy = made
            else:
                self.tables[logical_id] = made
        for name, output in document["Outputs"].items():
            cdk.CfnOutput(
                self, name, value=_token(output["Value"]), description=output["Description"]
            ).override_logical_id(name)


def _token(value: Any) -> str:
    """A template value (``{"Ref": ...}`` or ``{"Fn::GetAtt": [...]}``) as a CDK token."""
    if "Ref" in value:
        return str(cdk.Fn.ref(value["Ref"]))
    logical_id, attribute = value["Fn::GetAtt"]
    return str(cdk.Fn.get_att(logical_id, attribute).to_string())
