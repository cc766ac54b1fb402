"""Every ```python block of every docs page runs, in order, against the test server.

A page's blocks run as one module with top-level ``await``; ``config`` is predefined (a
Config for the test server, with a table prefix of its own per page), as the quickstart's
"Running the examples" tells readers to set it up (tests/unit/test_doc_pages.py checks
that every such page links there). Blocks fenced ```py are shown but not run. A page that
needs transactions, TTL, STS or a streams API says so in a comment
``<!-- docs-test: needs_transactions -->`` (or ``needs_ttl``, ``needs_sts``,
``needs_streams``) and is skipped on dynalite.

The README's quickstart is a complete script: it runs as copied, in a child process with
no AWS configuration at all, and so does the quickstart page's set-up of ``config``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import attrs
import pytest

from dynamorm_async import Config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
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
    unsupported = {
        "needs_transactions",
        "needs_ttl",
        "needs_sts",
        "needs_streams",
        "needs_table_options",
    }
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


def section_block(text: str, heading: str, fence: str = "python") -> str:
    """The first block fenced ```<fence> after ``heading`` in ``text``."""
    after = text[text.index(heading) :]
    match = re.search(rf"^```{fence}\n(.*?)^```", after, re.MULTILINE | re.DOTALL)
    assert match, f"no ```{fence} block after {heading!r}"
    return match.group(1)


def no_aws_environment(home: Path) -> dict[str, str]:
    """The environment of a machine with no AWS configuration: no variables, no ~/.aws."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DYNAMO"))}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "missing-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "missing-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_without_aws(script: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as ``python script.py`` in its folder, on a machine with no AWS set-up."""
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=script.parent,
        env=no_aws_environment(script.parent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_readme_quickstart_runs_as_copied(tmp_path: Path, server_kind: str) -> None:
    if server_kind == "dynalite":
        pytest.skip("the script starts its own moto server: once per CI run is enough")
    script = tmp_path / "quickstart.py"
    script.write_text(section_block((ROOT / "README.md").read_text(), "## Quickstart"))
    done = run_without_aws(script)
    assert done.stdout == "[('p-1', Decimal('21.00'))]\n"


def test_running_the_examples_setup_runs(tmp_path: Path, server_kind: str) -> None:
    if server_kind == "dynalite":
        pytest.skip("the set-up starts its own moto server: once per CI run is enough")
    setup = section_block(TEXTS[DOCS / "quickstart.md"], "## Running the examples", "py")
    assert "# ... the page's blocks ..." in setup
    # The set-up, one request on its config in place of a page's blocks, then the stop.
    probe = (
        "import asyncio\n"
        "from dynamorm_async import DB, pk, table\n"
        "@table('probe')\n"
        "class Probe:\n"
        "    id: str = pk()\n"
        "async def page() -> None:\n"
        "    async with DB(config) as db:\n"
        "        await db.ensure_table(Probe)\n"
        "        await db.put(Probe(id='x'))\n"
        "        print((await db.get(Probe, {'id': 'x'})).id)\n"
        "asyncio.run(page())\n"
    )
    script = tmp_path / "setup.py"
    script.write_text(setup.replace("# ... the page's blocks ...\n", probe))
    done = run_without_aws(script)
    assert done.stdout == "x\n"
