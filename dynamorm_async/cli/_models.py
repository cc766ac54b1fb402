"""Finding the models named on the command line."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from .._schema import is_model


class CommandError(Exception):
    """A problem with the command's input, with what to do about it; exit code 3."""


def load_models(modules: Sequence[str]) -> list[type]:
    """Import ``modules`` and return the ``@table`` classes each defines, in definition order.

    The current directory is put on ``sys.path`` first (as ``python -m`` does), so module
    names are written as you would import them from your project's root.

    Raises:
        CommandError: A module cannot be imported, or defines no model.
    """
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    found: list[type] = []
    for name in modules:
        if name.endswith(".py") or os.sep in name:
            raise CommandError(
                f"{name!r} looks like a file path: give the module's import name instead "
                f"(e.g. {name.removesuffix('.py').replace(os.sep, '.')!r})"
            )
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise CommandError(
                f"cannot import {name!r}: {exc}. Run the command from your project's root "
                "or add the project to PYTHONPATH."
            ) from exc
        models = [
            value
            for value in vars(module).values()
            if is_model(value) and getattr(value, "__module__", None) == module.__name__
        ]
        if not models:
            raise CommandError(
                f"module {name!r} defines no @table model (models imported from another "
                "module are found under that module's name)"
            )
        found.extend(m for m in models if m not in found)
    return found
