"""Codec functions compiled ahead of time by ``dynamorm-async gen``, used when they still fit.

The codec writes an encode and a decode function per model class as Python source and
compiles it on first use. ``dynamorm-async gen`` writes those same functions into a module
of yours; importing that module calls :func:`install`, and from then on the codec takes
the already compiled function (from the module's ``.pyc``) instead of compiling, whenever
the source it would compile is the one the module was generated from (compared by
SHA-256 fingerprint). A model that changed since the module was generated is compiled at
run time as usual, with a :class:`StaleCodeWarning`.
"""

from __future__ import annotations

import hashlib
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["StaleCodeWarning", "fingerprint", "install", "lookup"]


class StaleCodeWarning(UserWarning):
    """A generated module holds code for a model class, but not for its current definition.

    The model is compiled at run time (correct, only slower to start): run
    ``dynamorm-async gen`` again to bring the module up to date.
    """


# owner ("module.QualName") -> {fingerprint: code}, and the module that provided them.
_CODE: dict[str, dict[str, types.CodeType]] = {}
_PROVIDER: dict[str, str] = {}


def fingerprint(source: str) -> str:
    """The fingerprint of one generated function's source: its SHA-256, hex."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def install(module: str, functions: Mapping[str, Sequence[tuple[str, Callable[..., Any]]]]) -> None:
    """Offer precompiled codec functions (called by the module ``gen`` writes).

    Args:
        module: The generated module's name, for warnings.
        functions: For each class (``"package.module.QualName"``), its functions as
            ``(fingerprint, function)`` pairs.
    """
    for owner, pairs in functions.items():
        codes = _CODE.setdefault(owner, {})
        codes.update((print_, function.__code__) for print_, function in pairs)
        _PROVIDER[owner] = module


def lookup(owner: str, source: str) -> types.CodeType | None:
    """The precompiled code of ``source`` for class ``owner``, if a generated module has it.

    Warns with :class:`StaleCodeWarning` when a module provided code for ``owner`` but none
    for this source (the class or the library changed since it was generated).
    """
    codes = _CODE.get(owner)
    if codes is None:
        return None
    code = codes.get(fingerprint(source))
    if code is None:
        warnings.warn(
            f"{_PROVIDER[owner]} has generated code for {owner}, but not for its current "
            "definition: compiling it at run time. Run `dynamorm-async gen` again to update "
            "the module.",
            StaleCodeWarning,
            stacklevel=2,
        )
    return code
