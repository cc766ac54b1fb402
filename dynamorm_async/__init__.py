"""dynamorm_async: an async-first, Lambda-native ORM for Amazon DynamoDB."""

from .batch import BatchGetResult, BatchResult
from .conditions import Cond, cond
from .config import Config, Credentials
from .db import DB
from .errors import (
    AccessDenied,
    BatchDeadlineExceeded,
    BatchGetError,
    BatchWriteError,
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
from .model import GSI, LSI, attr, created_at, pk, sk, table, ttl, updated_at, version
from .pagination import Cursor, Page
from .query import Query
from .table_options import Provisioned, TableOptions
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
    "Page",
    "Provisioned",
    "Query",
    "QueryPlanError",
    "SchemaError",
    "TableExists",
    "TableNotFound",
    "TableOptions",
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
