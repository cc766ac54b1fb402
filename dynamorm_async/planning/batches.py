"""Batch planning: checking a batch call's items up front, cutting it into requests.

A batch write is checked whole before anything is sent — every key encoded, two writes of
one item anywhere in the call rejected, versioned models refused without
``unconditional`` — but only the *keys* are encoded then. The items themselves are planned
(encoded, stamped) chunk by chunk, just before their chunk is sent
(:meth:`BatchWritePlan.plan`), so the CPU and memory a batch costs per item do not grow with
its size. Batch reads encode their keys (small) up front, drop repeats and keep the input
order for the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, Literal

import attrs

from .._schema import ModelMeta, model_meta
from ..codec import Item
from ..errors import ValidationError, masked
from ..expr import Path
from . import _keys
from .gets import projection_params
from .writes import Write, WritePlanner

__all__ = [
    "GET_CHUNK",
    "WRITE_CHUNK",
    "BatchGetPlan",
    "BatchWritePlan",
    "Entry",
    "WriteMode",
    "chunked",
    "read_options",
]

WRITE_CHUNK: Final = 25
"""Puts and deletes per ``BatchWriteItem`` request (DynamoDB's limit)."""

GET_CHUNK: Final = 100
"""Keys per ``BatchGetItem`` request (DynamoDB's limit)."""

WriteMode = Literal["create", "put"]


@attrs.define(eq=False, slots=True)
class Entry:
    """One write of a batch: what the caller passed, and its write once planned.

    Attributes:
        source: The instance to put, or the instance / ``(Model, key)`` to delete.
        is_put: Whether it is a put.
        fingerprint: The item's identity.
        write: The planned write (a delete's at once, a put's when its chunk is planned).
    """

    source: Any
    is_put: bool
    fingerprint: _keys.Fingerprint
    write: Write | None = None


def chunked(entries: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """``entries`` in consecutive lists of at most ``size``, in order."""
    for start in range(0, len(entries), size):
        yield list(entries[start : start + size])


class BatchWritePlan:
    """The checked writes of one batch call; each chunk is planned just before it is sent.

    Args:
        planner: Plans each write (one ``now`` for the whole call).
        mode: ``"create"`` or ``"put"`` for the puts.
        unconditional: Allow versioned models, written without their version check.
    """

    def __init__(self, planner: WritePlanner, *, mode: WriteMode, unconditional: bool) -> None:
        self.planner = planner
        self.mode: WriteMode = mode
        self.unconditional = unconditional
        self.entries: list[Entry] = []
        self.key_names: dict[str, tuple[str, ...]] = {}
        self._claims = _keys.Claims()
        # The checked table and key names of each class put so far (the checks are per class).
        self._put_classes: dict[type, tuple[str, tuple[str, ...]]] = {}

    def _table(self, meta: ModelMeta) -> str:
        table = self.planner.config.table_name(meta.table)
        names = _keys.key_names(meta)
        known = self.key_names.setdefault(table, names)
        if known != names:
            raise ValidationError(
                f"models of table {table} disagree on its key attributes: {known} and {names}"
            )
        return table

    def _versioned(self, meta: ModelMeta, what: str) -> None:
        if meta.version is not None and not self.unconditional:
            raise ValidationError(
                f"{meta.cls.__name__} has a version() field and BatchWriteItem cannot check "
                f"it: {what} such items one by one with {what}() or in a transaction, or pass "
                "unconditional=True to write them without the version check"
            )

    def _add(self, entry: Entry) -> None:
        first = self._claims.claim(entry.fingerprint, len(self.entries))
        if first is not None:
            raise ValidationError(
                f"one batch cannot write the same item twice: writes {first} and "
                f"{len(self.entries)} both target the key ({_masked(entry.fingerprint)}) in table "
                f"{entry.fingerprint[0]}"
            )
        self.entries.append(entry)

    def add_put(self, item: Any) -> None:
        """Check a put: a model instance, not a versioned one without ``unconditional``."""
        cls = type(item)
        checked = self._put_classes.get(cls)
        if checked is None:
            if isinstance(item, _keys.NOT_INSTANCES):
                raise TypeError(f"batch puts take model instances, not {cls.__name__}")
            meta = model_meta(cls)
            if self.mode == "put":
                self._versioned(meta, "put")
            table = self._table(meta)
            checked = self._put_classes[cls] = (table, self.key_names[table])
        table, names = checked
        key = self.planner.codec.key_of(item)
        self._add(Entry(item, True, _keys.fingerprint(table, names, key)))

    def add_delete(self, target: Any) -> None:
        """Check and plan a delete: an instance or a ``(Model, key)`` pair."""
        if isinstance(target, tuple):
            if len(target) != 2 or not isinstance(target[0], type):
                raise TypeError(
                    "a delete by key is a (Model, {field: value}) pair, not "
                    f"{type(target).__name__}"
                )
            write = self.planner.delete(target[0], target[1], check_version=False)
        elif isinstance(target, _keys.NOT_INSTANCES):
            raise TypeError(
                f"deletes take instances or (Model, key) pairs, not {type(target).__name__}"
            )
        else:
            self._versioned(model_meta(type(target)), "delete")
            write = self.planner.delete(target, check_version=False)
        self._table(model_meta(write.model))
        self._add(Entry(target, False, write.fingerprint, write))

    def plan(self, entries: list[Entry]) -> list[Entry]:
        """Plan the puts of one chunk (encode and stamp them); the entries, planned."""
        if self.mode == "create":
            create = self.planner.create
            for entry in entries:
                if entry.write is None:
                    entry.write = create(entry.source)
        else:
            put = self.planner.put
            for entry in entries:
                if entry.write is None:
                    entry.write = put(entry.source, check_version=False)
        return entries

    def request(self, entries: Iterable[Entry]) -> dict[str, Any]:
        """The ``BatchWriteItem`` parameters of planned entries, grouped by table."""
        request_items: dict[str, list[dict[str, Any]]] = {}
        table = ""
        requests: list[dict[str, Any]] = []
        for entry in entries:
            write = entry.write
            assert write is not None
            if write.table != table:
                table = write.table
                requests = request_items.setdefault(table, [])
            requests.append(write.batch_request())
        return {"RequestItems": request_items, "ReturnConsumedCapacity": "TOTAL"}


@attrs.define(eq=False, slots=True)
class KeyEntry:
    """One distinct key of a batch read: encoded, and its identity."""

    key: Item
    fingerprint: _keys.Fingerprint


class BatchGetPlan:
    """The keys of one batch read: encoded, repeats dropped, input positions kept.

    Args:
        table: The physical table name.
        meta: The model's metadata.
    """

    def __init__(self, table: str, meta: ModelMeta) -> None:
        self.table = table
        self.names = _keys.key_names(meta)
        self.positions: list[_keys.Fingerprint] = []
        self.unique: dict[_keys.Fingerprint, KeyEntry] = {}

    def add(self, key: Item) -> None:
        """Add an encoded key (a repeat is read once)."""
        fingerprint = _keys.fingerprint(self.table, self.names, key)
        self.positions.append(fingerprint)
        self.unique.setdefault(fingerprint, KeyEntry(key, fingerprint))


def read_options(
    meta: ModelMeta, select: Sequence[Path] | None, *, consistent: bool
) -> dict[str, Any]:
    """A ``BatchGetItem`` table entry's options besides ``Keys``.

    The key attributes are always projected: without them an item cannot be matched to
    its key.
    """
    options: dict[str, Any] = {}
    if select is not None:
        paths = [Path.of(field.stored) for field in meta.key_fields]
        paths.extend(path for path in select if path not in paths)
        options.update(projection_params(paths))
    if consistent:
        options["ConsistentRead"] = True
    return options


def _masked(fingerprint: tuple[Any, ...]) -> str:
    """A fingerprint's key values, masked: they are data (emails, account numbers)."""
    return ", ".join(masked(dict([part])) for part in fingerprint[1:] if isinstance(part, tuple))
