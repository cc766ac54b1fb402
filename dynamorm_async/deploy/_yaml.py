"""A YAML writer for the JSON-shaped documents templates are (dicts, lists, str, int, bool).

Strings are written double-quoted with JSON escapes, which YAML reads the same way, so no
value can be mistaken for a number, a boolean or a tag. Intrinsic functions are written in
their long form (``Ref:``, ``Fn::GetAtt:``), which needs no custom tags.
"""

from __future__ import annotations

import json
from typing import Any


def dump(document: Any) -> str:
    lines: list[str] = []
    _write(document, 0, lines)
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} to a template: {value!r}")


def _write(value: Any, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(value, dict):
        for key, item in value.items():
            _entry(f"{pad}{_key(key)}:", item, depth, lines)
    elif isinstance(value, list):
        for item in value:
            _entry(f"{pad}-", item, depth, lines)
    else:
        lines.append(pad + _scalar(value))


def _entry(head: str, item: Any, depth: int, lines: list[str]) -> None:
    if isinstance(item, dict | list) and item:
        lines.append(head)
        _write(item, depth + 1, lines)
    elif isinstance(item, dict | list):
        lines.append(head + (" {}" if isinstance(item, dict) else " []"))
    else:
        lines.append(f"{head} {_scalar(item)}")


def _key(key: str) -> str:
    # Template keys are names like `Fn::GetAtt` or `PaymentsTable`: plain unless odd.
    return key if key.replace(":", "").isalnum() else json.dumps(key)
