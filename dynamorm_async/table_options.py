"""Table settings declared on a model once, read by ``create_table`` and the deploy tooling.

::

    @table("payments", options=TableOptions(
        point_in_time_recovery=True,
        stream="NEW_AND_OLD_IMAGES",
        deletion_protection=True,
        tags={"team": "payments"},
    ))
    @attrs.define
    class Payment: ...

``DB.create_table``, ``dynamorm-async template`` (SAM/CloudFormation) and the CDK construct
all build the table from these values, so a table made in a test and one deployed from the
template have the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

from .errors import SchemaError

__all__ = ["TABLE_WAIT_TIMEOUT", "Provisioned", "StreamView", "TableClass", "TableOptions"]

TABLE_WAIT_TIMEOUT = 300.0
"""How long ``create_table``/``delete_table`` wait for the table by default, in seconds."""

StreamView = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
"""What a DynamoDB stream record carries."""

TableClass = Literal["STANDARD", "STANDARD_INFREQUENT_ACCESS"]
"""DynamoDB's storage classes."""

_STREAM_VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
_TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SchemaError(f"{attribute.name} capacity must be an int of at least 1, not {value!r}")


@attrs.frozen
class Provisioned:
    """Provisioned capacity (instead of on-demand billing), for the table and each GSI.

    Attributes:
        read: Read capacity units.
        write: Write capacity units.
    """

    read: int = attrs.field(validator=_positive)
    write: int = attrs.field(validator=_positive)


def _tags(value: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"tags is a mapping of tag names to values, not {value!r}")
    for key, tag in value.items():
        if not isinstance(key, str) or not key or not isinstance(tag, str):
            raise SchemaError(
                f"a tag is a non-empty str name with a str value, not {key!r}: {tag!r}"
            )
    return tuple(sorted(value.items()))


def _one_of(choices: tuple[str, ...]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value not in choices:
            raise SchemaError(f"{attribute.name} must be one of {choices} or None, not {value!r}")

    return check


@attrs.frozen
class TableOptions:
    """A table's settings beyond keys and indexes. The defaults are DynamoDB's own.

    Attributes:
        provisioned: Provisioned capacity; ``None`` (default) bills per request.
        point_in_time_recovery: Enable continuous backups (point-in-time recovery).
        stream: Enable a DynamoDB stream with this view type; ``None`` for no stream.
        kms_key: Encrypt with AWS KMS: ``"aws/dynamodb"`` for the AWS managed key, or a
            customer managed key's id, ARN or alias. ``None`` (default) uses the AWS owned key.
        table_class: ``"STANDARD"`` (default) or ``"STANDARD_INFREQUENT_ACCESS"``.
        deletion_protection: Refuse ``DeleteTable`` until this is turned off.
        tags: Tags put on the table, a mapping of name to value (kept sorted by name).
    """

    provisioned: Provisioned | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Provisioned))
    )
    point_in_time_recovery: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    stream: StreamView | None = attrs.field(default=None, validator=_one_of(_STREAM_VIEWS))
    kms_key: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.min_len(1))
    )
    table_class: TableClass = attrs.field(default="STANDARD", validator=_one_of(_TABLE_CLASSES))
    deletion_protection: bool = attrs.field(
        default=False, validator=attrs.validators.instance_of(bool)
    )
    tags: tuple[tuple[str, str], ...] = attrs.field(factory=dict, converter=_tags)

    @property
    def billing_mode(self) -> Literal["PAY_PER_REQUEST", "PROVISIONED"]:
        """``"PROVISIONED"`` when capacity is declared, else ``"PAY_PER_REQUEST"``."""
        return "PAY_PER_REQUEST" if self.provisioned is None else "PROVISIONED"


DEFAULT_TABLE_OPTIONS = TableOptions()
"""The options of a model that declares none."""
