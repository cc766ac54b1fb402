"""dynamorm_async: an async-first, Lambda-native ORM for Amazon DynamoDB.

``__all__`` is the public surface: every name a user needs, and every type the library hands
back (tests/unit/test_public_api.py pins it). Modules and names starting with ``_`` are
internal.
"""

from .batch import BatchGetResult, BatchResult
from .conditions import Cond, cond
from .config import Config, Credentials
from .db import DB
from .errors import (
    AccessDenied,
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
    ItemNotFound,
    QueryPlanError,
    SchemaError,
    TableExists,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    TransactionConflict,
    TransportError,
    ValidationError,
)
from .metrics import Metrics
from .model import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version
from .pagination import Cursor, Page, Stream
from .plan import Plan
from .query import Query
from .transaction import Transaction
from .update_builder import UpdateBuilder
from .updates import Changes

__all__ = [
    "DB",
    "GSI",
    "LSI",
    "AccessDenied",
    "BatchDeadlineExceeded",
    "BatchGetError",
    "BatchGetResult",
    "BatchResult",
    "BatchWriteError",
    "CancellationReason",
    "Changes",
    "Cond",
    "ConditionFailed",
    "Config",
    "ConfigError",
    "Credentials",
    "Cursor",
    "DeadlineExceeded",
    "DecodeError",
    "DynamORMError",
    "EncodeError",
    "ItemNotFound",
    "Metrics",
    "Page",
    "Plan",
    "Query",
    "QueryPlanError",
    "SchemaError",
    "Stream",
    "TableExists",
    "TableNotFound",
    "Throttled",
    "Transaction",
    "TransactionCanceled",
    "TransactionConflict",
    "TransportError",
    "UpdateBuilder",
    "ValidationError",
    "attr",
    "cond",
    "created_at",
    "pk",
    "sk",
    "table",
    "ttl",
    "updated_at",
    "version",
]
