"""What the docs promise about themselves, checked without building the site.

* A page whose examples lean on the running example (a ``config`` they do not define, or
  ``await`` at the top level) links to the quickstart's "Running the examples", which says
  how to run them; the quickstart has that section.
* Every error class of ``dynamorm_async.errors`` says what to do, is exported, and is on
  the errors page's reference (whose filters leave no class out).
* No ``example.invalid`` address anywhere a user reads one.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import dynamorm_async
from dynamorm_async import errors

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAGES = sorted(DOCS.glob("*.md"))
RUNNING = "quickstart.md#running-the-examples"


def leans_on_running_example(code: str) -> list[str]:
    """Why ``code`` (a page's blocks, joined) is a fragment: free ``config``, top-level await."""
    tree = compile(code, "<page>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    reasons = []
    defined = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    } | {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    if "config" in used - defined:
        reasons.append("uses `config` without defining it")

    def top_level_await(node: ast.AST) -> bool:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return False
        if isinstance(node, ast.Await | ast.AsyncWith | ast.AsyncFor):
            return True
        return any(top_level_await(child) for child in ast.iter_child_nodes(node))

    if any(top_level_await(statement) for statement in tree.body):
        reasons.append("awaits at the top level")
    return reasons


def test_the_detector_sees_fragments() -> None:
    assert leans_on_running_example("db = DB(config)") == ["uses `config` without defining it"]
    assert leans_on_running_example("async with x:\n    pass") == ["awaits at the top level"]
    complete = "import asyncio\nasync def main(config):\n    await x(config)\nasyncio.run(main(1))"
    assert leans_on_running_example(complete) == []


def test_quickstart_explains_running_the_examples() -> None:
    text = (DOCS / "quickstart.md").read_text()
    assert "\n## Running the examples\n" in text
    assert "python -m asyncio" in text and "config = local_config(" in text


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_fragments_say_how_to_run_them(page: Path) -> None:
    text = page.read_text()
    blocks = BLOCK.findall(text)
    reasons = leans_on_running_example("\n".join(blocks)) if blocks else []
    if reasons and page.name != "quickstart.md":
        assert RUNNING in text, f"{page.name} {' and '.join(reasons)}: link to {RUNNING}"


ERROR_CLASSES = sorted(
    (
        value
        for value in vars(errors).values()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
        and not value.__name__.startswith("_")
    ),
    key=lambda cls: cls.__name__,
)


def test_the_error_classes_are_found() -> None:
    names = {cls.__name__ for cls in ERROR_CLASSES}
    assert {"DynamORMError", "ConditionFailed", "BatchDeadlineExceeded"} <= names


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=[c.__name__ for c in ERROR_CLASSES])
def test_every_error_class_is_documented(cls: type[BaseException]) -> None:
    doc = inspect.getdoc(cls) or ""
    own = cls.__dict__.get("__doc__") or ""
    assert own, f"{cls.__name__} has no docstring of its own"
    if cls is not errors.DynamORMError:
        assert issubclass(cls, errors.DynamORMError)
        assert "What to do:" in doc, f"{cls.__name__}'s docstring says no 'What to do:'"
    assert cls.__name__ in errors.__all__
    assert getattr(dynamorm_async, cls.__name__) is cls, "export it from dynamorm_async"


def test_the_errors_page_renders_every_error_class() -> None:
    text = (DOCS / "errors.md").read_text()
    directive = re.search(r"^::: dynamorm_async\.errors\n((?:    .*\n)*)", text, re.MULTILINE)
    assert directive, "docs/errors.md renders the module with ::: dynamorm_async.errors"
    options = directive.group(1)
    assert "members:" not in options, "a members list would leave new classes out"
    filters = re.search(r"filters: \[(.*)\]", options)
    excluded = [
        re.compile(pattern[1:])
        for pattern in re.findall(r'"([^"]*)"', filters.group(1) if filters else "")
        if pattern.startswith("!")
    ]
    for cls in ERROR_CLASSES:
        assert not any(p.search(cls.__name__) for p in excluded), f"{cls.__name__} filtered out"


@pytest.mark.parametrize(
    "path",
    ["pyproject.toml", "mkdocs.yml", "README.md", *(str(p.relative_to(ROOT)) for p in PAGES)],
)
def test_no_placeholder_addresses(path: str) -> None:
    assert "example.invalid" not in (ROOT / path).read_text()


def test_the_site_is_built_with_its_checks_and_without_a_cdn() -> None:
    yaml = pytest.importorskip("yaml", reason="mkdocs (the dev extra) brings PyYAML")
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert site["strict"] is True
    assert site["theme"]["highlightjs"] is False, "highlight.js comes from a CDN"
    assert "docs/_ext/hooks.py" in site["hooks"], "the offline and reference checks"
    assert not [u for u in site.get("extra_javascript", []) if "//" in str(u)]
    assert not [u for u in site.get("extra_css", []) if "//" in str(u)]
    names = [next(iter(p)) if isinstance(p, dict) else p for p in site["plugins"]]
    assert "mkdocstrings" in names
