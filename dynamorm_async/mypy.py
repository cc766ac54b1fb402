"""A mypy plugin that lets mypy see a class made by ``@table`` as the attrs class it is.

``@table`` is a :func:`typing.dataclass_transform`, which both type checkers honour, so a
model's constructor is checked with no plugin. pyright also accepts ``attrs.evolve(model)``
and ``attrs.fields(Model)`` on such a class; mypy knows attrs classes only through its
built-in attrs plugin, which a class made by ``@table`` alone never passes through, so it
rejects both. Enable this plugin to close that gap::

    # pyproject.toml
    [tool.mypy]
    plugins = ["dynamorm_async.mypy"]

The plugin first applies mypy's own ``dataclass_transform`` handling to the class (the same
constructor as without the plugin), then gives it the ``__attrs_attrs__`` attribute that
mypy's attrs support reads: ``attrs.evolve`` is then checked against the model's fields and
``attrs.fields(Model).amount`` is an ``attrs.Attribute[Decimal]``. A class already made with
``@attrs.define`` under ``@table`` is left as mypy's attrs support made it.

This module imports mypy and is loaded only by mypy; nothing in the library imports it.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import FuncDef
from mypy.plugin import ClassDefContext, Plugin
from mypy.plugins import attrs as attrs_plugin
from mypy.plugins import dataclasses as dataclasses_plugin
from mypy.types import CallableType, Type

__all__ = ["plugin"]

#: The decorator's full name as mypy resolves it (``dynamorm_async.table`` re-exports it).
TABLE_DECORATOR = "dynamorm_async.model.table"


class ModelPlugin(Plugin):
    """Hooks ``@table``; every other name is left to mypy's default plugins."""

    def get_class_decorator_hook_2(self, fullname: str) -> Callable[[ClassDefContext], bool] | None:
        """The hook for ``@table``, None for any other decorator."""
        return _transform_model if fullname == TABLE_DECORATOR else None


def _transform_model(ctx: ClassDefContext) -> bool:
    info = ctx.cls.info
    if attrs_plugin.MAGIC_ATTR_NAME in info.names:
        return True  # @attrs.define under @table: mypy's attrs support already made it
    if not dataclasses_plugin.dataclass_class_maker_callback(ctx):
        return False  # not ready yet: mypy calls the hook again in a later pass
    init = info.get_method("__init__")
    if not isinstance(init, FuncDef) or not isinstance(init.type, CallableType):
        return True
    fields: list[tuple[str, Type | None]] = [
        (name, typ)
        for name, typ in zip(init.type.arg_names[1:], init.type.arg_types[1:], strict=True)
        if name is not None
    ]
    attrs_plugin._add_attrs_magic_attribute(ctx, fields)
    return True


def plugin(version: str) -> type[Plugin]:
    """Mypy's entry point: the plugin class, whatever the mypy version."""
    return ModelPlugin
