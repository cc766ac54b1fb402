"""CloudFormation and SAM templates for models' tables, from ``DB.create_table``'s parameters.

::

    from dynamorm_async.deploy.template import build_template, render

    document = build_template([Payment, Refund], format="sam")
    print(render(document))          # YAML; render(document, json=True) for JSON

Each table becomes an ``AWS::DynamoDB::Table`` whose properties are
:func:`~dynamorm_async._table_definition.create_table_params` translated to CloudFormation's names,
with TTL and point-in-time recovery added; an ``AWS::IAM::ManagedPolicy`` grants exactly the
data-plane actions the library sends for those tables; Outputs give each table's name and
ARN (and stream ARN) and the policy's ARN.

Models that share a table (single-table design) become one resource, merged as
``create_table`` merges them (:func:`~dynamorm_async._table_definition.table_definition`):
one key schema, the union of the indexes and options; a conflict is a ``SchemaError``.
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from .._schema import model_meta
from .._table_definition import (
    TableDefinition,
    backup_params,
    create_table_params,
    table_definition,
    ttl_params,
)
from ..errors import SchemaError

__all__ = [
    "DATA_ACTIONS",
    "POLICY_ID",
    "TemplateFormat",
    "build_template",
    "logical_id",
    "policy_document",
    "render",
    "table_properties",
]

TemplateFormat = Literal["cloudformation", "sam"]
"""The template flavours :func:`build_template` writes."""

POLICY_ID = "DynamormAsyncAccessPolicy"
"""The logical id of the IAM managed policy in the template."""

DATA_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
"""Every action the library sends at run time, on tables (transactions are authorised
per item: TransactWriteItems needs Put/Update/Delete/ConditionCheckItem, TransactGetItems
needs GetItem). Table management (create/describe/delete) is left to the stack."""

INDEX_ACTIONS = ("dynamodb:Query", "dynamodb:Scan")
"""The actions the library sends on a table's indexes."""

_TEMPLATE_VERSION = "2010-09-09"
_SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def logical_id(table_name: str) -> str:
    """The resource's logical id: ``"payment-events"`` → ``"PaymentEventsTable"``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", table_name) if w]
    return "".join(w[:1].upper() + w[1:] for w in words) + "Table"


def table_properties(definition: TableDefinition, table_name: str) -> dict[str, Any]:
    """The ``AWS::DynamoDB::Table`` properties of one table, from the model(s) stored in it."""
    params = create_table_params(definition, table_name)
    properties: dict[str, Any] = {
        "TableName": params["TableName"],
        "BillingMode": params["BillingMode"],
        "KeySchema": params["KeySchema"],
        "AttributeDefinitions": params["AttributeDefinitions"],
    }
    for key in (
        "ProvisionedThroughput",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
        "TableClass",
        "DeletionProtectionEnabled",
        "Tags",
    ):
        if key in params:
            properties[key] = params[key]
    if "StreamSpecification" in params:
        view = params["StreamSpecification"]["StreamViewType"]
        properties["StreamSpecification"] = {"StreamViewType": view}
    if "SSESpecification" in params:
        sse = params["SSESpecification"]
        properties["SSESpecification"] = {
            "SSEEnabled": True,
            "SSEType": sse["SSEType"],
            "KMSMasterKeyId": sse["KMSMasterKeyId"],
        }
    ttl = ttl_params(definition, table_name)
    if ttl is not None:
        properties["TimeToLiveSpecification"] = ttl["TimeToLiveSpecification"]
    backups = backup_params(definition, table_name)
    if backups is not None:
        properties["PointInTimeRecoverySpecification"] = backups["PointInTimeRecoverySpecification"]
    return properties


def policy_document(logical_ids: Iterable[str], *, with_indexes: Iterable[str]) -> dict[str, Any]:
    """An IAM policy granting :data:`DATA_ACTIONS` on the tables (and indexes) named.

    Args:
        logical_ids: The tables' logical ids in the template.
        with_indexes: Those of them that have secondary indexes.
    """
    tables = [{"Fn::GetAtt": [lid, "Arn"]} for lid in logical_ids]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DynamormAsyncTables",
            "Effect": "Allow",
            "Action": list(DATA_ACTIONS),
            "Resource": tables,
        }
    ]
    indexes = [{"Fn::Sub": f"${{{lid}.Arn}}/index/*"} for lid in with_indexes]
    if indexes:
        statements.append(
            {
                "Sid": "DynamormAsyncIndexes",
                "Effect": "Allow",
                "Action": list(INDEX_ACTIONS),
                "Resource": indexes,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def build_template(
    models: Sequence[type],
    *,
    format: TemplateFormat = "cloudformation",
    table_prefix: str = "",
    description: str | None = None,
) -> dict[str, Any]:
    """A CloudFormation (or SAM) template declaring the models' tables and an access policy.

    Args:
        models: ``@table`` classes; models sharing a table make one resource.
        format: ``"cloudformation"`` or ``"sam"`` (adds the Serverless transform, so the
            document can be extended with SAM functions).
        table_prefix: Prepended to every table name, like ``Config.table_prefix``.
        description: The template's Description.

    Returns:
        The template as a dict (see :func:`render`).

    Raises:
        SchemaError: No models, an object that is not a model, or models that share a
            table but disagree on it (keys, an index, the TTL attribute, an option).
    """
    if format not in ("cloudformation", "sam"):
        raise SchemaError(f"format must be 'cloudformation' or 'sam', not {format!r}")
    if not models:
        raise SchemaError("no models: give at least one @table class")
    by_table: dict[str, list[type]] = {}
    for model in models:
        by_table.setdefault(model_meta(model).table, []).append(model)
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    with_indexes: list[str] = []
    for table, group in by_table.items():
        name = table_prefix + table
        lid = logical_id(name)
        if lid in resources:
            raise SchemaError(f"tables {name!r} and another both map to logical id {lid!r}")
        properties = table_properties(table_definition(group), name)
        resources[lid] = {
            "Type": "AWS::DynamoDB::Table",
            # A stack update that replaces the table, or deleting the stack, keeps the data.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }
        if "GlobalSecondaryIndexes" in properties or "LocalSecondaryIndexes" in properties:
            with_indexes.append(lid)
        outputs[f"{lid}Name"] = _output(f"Name of table {name}", {"Ref": lid}, lid, "Name")
        arn = {"Fn::GetAtt": [lid, "Arn"]}
        outputs[f"{lid}Arn"] = _output(f"ARN of table {name}", arn, lid, "Arn")
        if "StreamSpecification" in properties:
            stream = {"Fn::GetAtt": [lid, "StreamArn"]}
            outputs[f"{lid}StreamArn"] = _output(
                f"Stream ARN of table {name}", stream, lid, "StreamArn"
            )
    resources[POLICY_ID] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": "The DynamoDB actions dynamorm_async sends for these tables",
            "PolicyDocument": policy_document(resources, with_indexes=with_indexes),
        },
    }
    outputs[f"{POLICY_ID}Arn"] = _output(
        "Attach to the functions that use these tables", {"Ref": POLICY_ID}, POLICY_ID, "Arn"
    )
    document: dict[str, Any] = {"AWSTemplateFormatVersion": _TEMPLATE_VERSION}
    if format == "sam":
        document["Transform"] = _SAM_TRANSFORM
    document["Description"] = description or "DynamoDB tables of " + ", ".join(
        sorted({m.__qualname__ for m in models})
    )
    document["Resources"] = resources
    document["Outputs"] = outputs
    return document


def _output(description: str, value: Any, lid: str, what: str) -> dict[str, Any]:
    return {
        "Description": description,
        "Value": value,
        "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{lid}{what}"}},
    }


def render(document: dict[str, Any], *, json: bool = False) -> str:
    """The template as YAML (default) or indented JSON text."""
    if json:
        return _json.dumps(document, indent=2) + "\n"
    from ._yaml import dump

    return dump(document)
