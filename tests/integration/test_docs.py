"""Every ```python block of every docs page runs, in order, against the test server.

A page's blocks run as one module with top-level ``await``; ``config`` is predefined (a
Config for the test server, with a table prefix of its own per page). Blocks fenced ```py
are shown but not run. A page that needs transactions, TTL, STS or a streams API says so
in a comment ``<!-- docs-test: needs_transactions -->`` (or ``needs_ttl``, ``needs_sts``,
``needs_streams``) and is skipped on dynalite.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import types
from pathlib import Path

import attrs
import pytest

from dynamorm_async import Config

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
NEEDS = re.compile(r"<!-- docs-test: ([\w ]+) -->")
PAGES = sorted(DOCS.glob("*.md"))
TEXTS = {page: page.read_text() for page in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
async def test_page_examples_run(page: Path, config: Config, server_kind: str) -> None:
    text = TEXTS[page]
    blocks = BLOCK.findall(text)
    if not blocks:
        pytest.skip(f"{page.name} has no runnable examples")
    needs = {word for match in NEEDS.findall(text) for word in match.split()}
    unsupported = {"needs_transactions", "needs_ttl", "needs_sts", "needs_streams"}
    if server_kind == "dynalite" and needs & unsupported:
        pytest.skip(f"dynalite lacks what {page.name} needs: {sorted(needs)}")
    name = f"docs_{page.stem}"
    module = types.ModuleType(name)
    sys.modules[name] = module  # so attrs can resolve the examples' annotations
    module.__dict__["config"] = attrs.evolve(
        config, table_prefix=f"{config.table_prefix}{page.stem}-"
    )
    try:
        code = compile("\n".join(blocks), str(page), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, module.__dict__)
        if inspect.iscoroutine(result):
            await result
    finally:
        del sys.modules[name]
