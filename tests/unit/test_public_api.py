"""The public surface: ``dynamorm_async.__all__``, pinned, and every type it hands back exported."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from typing import Any

import cattrs

import dynamorm_async
from dynamorm_async import codec, engine, expr, transport
from dynamorm_async.planning import lifecycle
from dynamorm_async.progress import ProgressCallback

PUBLIC = [
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

# Public modules whose own __all__ exports types the top-level names hand back
# (Plan.key_condition is an expr.KeyCondition, Session.codec a codec.Codec, Write.stamp a
# planning.lifecycle.Stamp...).
EXPORTED_ELSEWHERE = {
    getattr(module, name)
    for module in (expr, codec, engine, transport, lifecycle)
    for name in module.__all__
    if isinstance(getattr(module, name), type)
}


def test_all_is_pinned() -> None:
    # A change here is a change of the public API: update the CHANGELOG with it.
    assert dynamorm_async.__all__ == PUBLIC


def test_every_public_name_exists_and_is_documented() -> None:
    for name in dynamorm_async.__all__:
        value = getattr(dynamorm_async, name)
        assert not name.startswith("_")
        assert inspect.getdoc(value), f"{name} has no docstring"


def _classes_in(annotation: Any) -> Iterator[type]:
    if isinstance(annotation, type):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _classes_in(arg)
    origin = typing.get_origin(annotation)
    if isinstance(origin, type):
        yield origin


def _handed_back(cls: type) -> Iterator[tuple[str, type]]:
    """(where, class) for each public method's return type and each public attribute's type."""
    # For names a module imports only under TYPE_CHECKING (Codec.converter's cattrs, too).
    names = {**vars(dynamorm_async), "cattrs": cattrs, "ProgressCallback": ProgressCallback}
    hints = {} if issubclass(cls, BaseException) else typing.get_type_hints(cls, localns=names)
    for name, annotation in hints.items():
        if not name.startswith("_"):
            for found in _classes_in(annotation):
                yield f"{cls.__name__}.{name}", found
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in ("__aenter__", "__aiter__", "__anext__"):
            continue
        function = member.fget if isinstance(member, property) else member
        function = getattr(function, "__func__", function)
        if inspect.isfunction(function):
            returned = typing.get_type_hints(function, localns=names).get("return")
            for found in _classes_in(returned):
                yield f"{cls.__name__}.{name}()", found


def test_every_type_a_user_receives_is_exported() -> None:
    exported = {getattr(dynamorm_async, name) for name in dynamorm_async.__all__}
    exported |= EXPORTED_ELSEWHERE
    todo = [value for value in exported if inspect.isclass(value)]
    seen: set[type] = set()
    missing: dict[str, str] = {}
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for where, found in _handed_back(cls):
            if not found.__module__.startswith("dynamorm_async"):
                continue
            if found not in exported:
                missing[f"{found.__module__}.{found.__qualname__}"] = where
            todo.append(found)
    assert not missing, f"handed to users but not exported: {missing}"


def test_transaction_canceled_reasons_are_exported() -> None:
    # Exceptions are skipped by the walk above (their attributes are set in __init__).
    reasons = typing.get_type_hints(dynamorm_async.TransactionCanceled.__init__)["reasons"]
    ours = {c for c in _classes_in(reasons) if c.__module__.startswith("dynamorm_async")}
    assert ours == {dynamorm_async.CancellationReason}
