"""A checker for CloudWatch Embedded Metric Format documents, after the EMF specification.

The JSON schema covers the structure (the ``_aws`` metadata object, metric directives,
dimension sets, metric definitions, units and the 100-metric / 30-dimension limits); the
checks after it cover what a schema cannot say: every referenced dimension and metric is a
member of the root with a value of the right type, value arrays hold at most 100 numbers,
and the timestamp is within what CloudWatch accepts (14 days back, 2 hours ahead).
"""

from __future__ import annotations

import math
import time
from typing import Any

import jsonschema

UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]  # fmt: skip

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/MetricDirective"},
                },
                "LogGroupName": {"type": "string", "minLength": 1},
            },
        }
    },
    "$defs": {
        "MetricDirective": {
            "type": "object",
            "required": ["Namespace", "Dimensions", "Metrics"],
            "additionalProperties": False,
            "properties": {
                "Namespace": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 255,
                    "pattern": "^[^:]",
                },
                "Dimensions": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "maxItems": 30,
                        "uniqueItems": True,
                        "items": {"type": "string", "minLength": 1, "maxLength": 250},
                    },
                },
                "Metrics": {
                    "type": "array",
                    "maxItems": 100,
                    "items": {"$ref": "#/$defs/MetricDefinition"},
                },
            },
        },
        "MetricDefinition": {
            "type": "object",
            "required": ["Name"],
            "additionalProperties": False,
            "properties": {
                "Name": {"type": "string", "minLength": 1, "maxLength": 255},
                "Unit": {"enum": UNITS},
                "StorageResolution": {"enum": [1, 60]},
            },
        },
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_emf(document: dict[str, Any]) -> None:
    """Raise AssertionError (or jsonschema's ValidationError) unless ``document`` is valid EMF."""
    _VALIDATOR.validate(document)
    metadata = document["_aws"]
    now_ms = time.time() * 1000
    assert now_ms - 14 * 86_400_000 <= metadata["Timestamp"] <= now_ms + 2 * 3_600_000
    for directive in metadata["CloudWatchMetrics"]:
        names = [metric["Name"] for metric in directive["Metrics"]]
        assert len(names) == len(set(names)), f"a metric is named twice: {names}"
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                value = document.get(key)
                assert isinstance(value, str), f"dimension {key!r} is not a string member"
                assert 1 <= len(value) <= 1024 and value.strip(), f"bad value of {key!r}"
        for name in names:
            value = document.get(name)
            if isinstance(value, list):
                assert 1 <= len(value) <= 100, f"{name}: {len(value)} values (1-100 allowed)"
                assert all(_is_number(v) for v in value), f"{name}: not all numbers"
            else:
                assert _is_number(value), f"metric {name!r} has no numeric member: {value!r}"
