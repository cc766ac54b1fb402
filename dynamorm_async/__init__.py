"""dynamorm_async: an async-first, Lambda-native ORM for Amazon DynamoDB.

``__all__`` is the public surface: every name a user needs, and every type the library hands
back (tests/unit/test_public_api.py pins it). Modules and names starting with ``_`` are
internal.
"""

import importlib
from typing import TYPE_CHECKING, Any

from .config import Config, Credentials
from .db import DB
from .errors import (
    AccessDenied,
    AssumeRoleFailed,
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
    CancellationReason,
    ConditionFailed,
    ConfigError,
    DeadlineExceeded,
    DecodeError,
    DynamORMError,
    EncodeError,
    IdempotencyError,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    InvalidPartnerId,
    ItemNotFound,
    MissingPartner,
    PoolTimeout,
    QueryPlanError,
    RequestTimeout,
    SchemaError,
    StreamImageMissing,
    TableExists,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    TransactionConflict,
    TransportError,
    UnknownEntity,
    UnknownPartner,
    UnroutableRecord,
    ValidationError,
    WriteDeadlineExceeded,
    WriteOutcomeUnknown,
)
from .key_templates import KeyTemplate, template
from .model import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version
from .session import Session
from .table_options import Provisioned, TableOptions

if TYPE_CHECKING:
    from ._table_drift import Drift
    from ._tables import IndexDescription, TableCheck, TableDescription
    from .batch import BatchGetResult, BatchResult
    from .capacity import Capacity, CapacityMeter, measure_capacity
    from .collection import Collection
    from .conditions import Cond, cond
    from .expr import Path
    from .metrics import Metrics
    from .pagination import Cursor, Page, Stream
    from .partners import MultiAccountDB, PartnerAccount
    from .planning.reads import Plan
    from .planning.writes import Write
    from .progress import BatchProgress
    from .query import ProjectedQuery, Query
    from .transaction import Transaction
    from .update_builder import UpdateBuilder

# Imported on first use (PEP 562), so `import dynamorm_async` stays small for cold starts: a
# function that only reads items never loads writes and conditions, queries, batches,
# transactions, table management, metrics or partners.
_LAZY = {
    "BatchGetResult": "batch",
    "BatchProgress": "progress",
    "BatchResult": "batch",
    "Capacity": "capacity",
    "CapacityMeter": "capacity",
    "Collection": "collection",
    "Cond": "conditions",
    "Cursor": "pagination",
    "Drift": "_table_drift",
    "IndexDescription": "_tables",
    "Metrics": "metrics",
    "MultiAccountDB": "partners",
    "Page": "pagination",
    "PartnerAccount": "partners",
    "Path": "expr",
    "Plan": "planning.reads",
    "ProjectedQuery": "query",
    "Query": "query",
    "Stream": "pagination",
    "TableCheck": "_tables",
    "TableDescription": "_tables",
    "Transaction": "transaction",
    "UpdateBuilder": "update_builder",
    "Write": "planning.writes",
    "cond": "conditions",
    "measure_capacity": "capacity",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DB",
    "GSI",
    "LSI",
    "AccessDenied",
    "AssumeRoleFailed",
    "BatchDeadlineExceeded",
    "BatchGetError",
    "BatchGetResult",
    "BatchProgress",
    "BatchResult",
    "BatchWriteError",
    "CancellationReason",
    "Capacity",
    "CapacityMeter",
    "Collection",
    "Cond",
    "ConditionFailed",
    "Config",
    "ConfigError",
    "Credentials",
    "Cursor",
    "DeadlineExceeded",
    "DecodeError",
    "Drift",
    "DynamORMError",
    "EncodeError",
    "IdempotencyError",
    "IdempotencyInProgress",
    "IdempotencyKeyMismatch",
    "IndexDescription",
    "InvalidPartnerId",
    "ItemNotFound",
    "KeyTemplate",
    "Metrics",
    "MissingPartner",
    "MultiAccountDB",
    "Page",
    "PartnerAccount",
    "Path",
    "Plan",
    "PoolTimeout",
    "ProjectedQuery",
    "Provisioned",
    "Query",
    "QueryPlanError",
    "RequestTimeout",
    "SchemaError",
    "Session",
    "Stream",
    "StreamImageMissing",
    "TableCheck",
    "TableDescription",
    "TableExists",
    "TableNotFound",
    "TableOptions",
    "Throttled",
    "Transaction",
    "TransactionCanceled",
    "TransactionConflict",
    "TransportError",
    "UnknownEntity",
    "UnknownPartner",
    "UnroutableRecord",
    "UpdateBuilder",
    "ValidationError",
    "Write",
    "WriteDeadlineExceeded",
    "WriteOutcomeUnknown",
    "attr",
    "cond",
    "created_at",
    "measure_capacity",
    "pk",
    "sk",
    "table",
    "template",
    "ttl",
    "updated_at",
    "version",
]
