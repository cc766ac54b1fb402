"""dynamorm_async: an async-first, Lambda-native ORM for Amazon DynamoDB.

``__all__`` is the public surface: every name a user needs, and every type the library hands
back (tests/unit/test_public_api.py pins it). Modules and names starting with ``_`` are
internal.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._table_drift import Drift
from ._tables import IndexDescription, TableCheck, TableDescription
from .batch import BatchGetResult, BatchResult
from .capacity import Capacity, CapacityMeter, measure_capacity
from .conditions import Cond, cond
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
    UnknownPartner,
    UnroutableRecord,
    ValidationError,
    WriteDeadlineExceeded,
    WriteOutcomeUnknown,
)
from .expr import Path
from .model import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version
from .pagination import Cursor, Page, Stream
from .planning.reads import Plan
from .planning.writes import Write
from .progress import BatchProgress
from .query import Query
from .session import Session
from .table_options import Provisioned, TableOptions
from .transaction import Transaction
from .update_builder import UpdateBuilder

if TYPE_CHECKING:
    from .metrics import Metrics
    from .partners import MultiAccountDB, PartnerAccount

# Imported on first use (PEP 562), so `import dynamorm_async` stays small for cold starts.
_LAZY = {"Metrics": "metrics", "MultiAccountDB": "partners", "PartnerAccount": "partners"}


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
    "Metrics",
    "MissingPartner",
    "MultiAccountDB",
    "Page",
    "PartnerAccount",
    "Path",
    "Plan",
    "PoolTimeout",
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
    "ttl",
    "updated_at",
    "version",
]
