"""The docs build's own checks (docs/_ext): offline assets, a complete reference, reST roles.

``nox -s docs`` runs them on the real site; here each is shown to catch what it is for.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

import dynamorm_async

EXT = Path(__file__).resolve().parents[2] / "docs" / "_ext"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_ext_{name}", EXT / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pytest.importorskip("mkdocs", reason="the docs tools come with the dev extra")
hooks = load("hooks")

PAGE = """<html><head>
<link rel="stylesheet" href="css/theme.css" />
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/x.css" />
<link rel="canonical" href="https://docs.example.org/page/" />
<script src="//cdn.example.org/highlight.min.js"></script>
<script src="js/theme.js"></script>
<script>(function(){ var s = 'https://www.google-analytics.com/analytics.js'; })()</script>
<style>@import url("https://fonts.example.org/css?family=Lato");</style>
</head><body>
<a href="https://www.attrs.org">attrs</a>
<img src="img/logo.png" /><img src="http://img.example.org/x.png" />
<div style="background: url(https://img.example.org/bg.png)"></div>
</body></html>"""


def test_remote_assets_are_found_and_links_are_not() -> None:
    found = hooks.html_remote_assets(PAGE)
    text = "\n".join(found)
    for remote in (
        "cdnjs.cloudflare.com",
        "cdn.example.org",
        "google-analytics.com",
        "fonts.example.org",
        "http://img.example.org/x.png",
        "https://img.example.org/bg.png",
    ):
        assert remote in text, remote
    assert len(found) == 6
    for local in ("attrs.org", "css/theme.css", "js/theme.js", "img/logo.png", "docs.example.org"):
        assert local not in text, local


def test_stylesheets_are_read() -> None:
    css = "@import 'https://fonts.example.org/a.css'; a { src: url(fonts/x.woff2?v=1) }"
    assert hooks.css_remote_urls(css) == ["https://fonts.example.org/a.css"]


def test_a_site_with_problems_is_reported(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "css" / "x.css").write_text("b { background: url('https://x.example.org/b.png') }")
    (tmp_path / "sitemap.xml").write_text("<loc>https://example.invalid/</loc>")
    (tmp_path / "fine.html").write_text('<a href="https://www.attrs.org">attrs</a>')
    problems = hooks.site_problems(tmp_path)
    assert "sitemap.xml: mentions example.invalid" in problems
    assert "css/x.css: loads https://x.example.org/b.png" in problems
    assert sum(p.startswith("index.html: loads") for p in problems) == 6
    assert not any(p.startswith("fine.html") for p in problems)


def everything() -> set[str]:
    anchors = {f"dynamorm_async.{name}" for name in dynamorm_async.__all__}
    for module in hooks.PUBLIC_MODULES:
        anchors |= {module} | {f"{module}.{name}" for name in hooks.declared_all(module)}
    return anchors


def test_a_complete_reference_passes() -> None:
    assert hooks.missing_entries(everything()) == []


def test_a_name_without_an_entry_is_reported() -> None:
    anchors = everything() - {"dynamorm_async.DB", "dynamorm_async.testing.local.LocalServer"}
    assert hooks.missing_entries(anchors) == [
        "dynamorm_async.DB",
        "dynamorm_async.testing.local.LocalServer",
    ]


def test_an_error_class_may_have_its_entry_under_its_module() -> None:
    anchors = everything() - {"dynamorm_async.ConditionFailed"}
    assert hooks.missing_entries(anchors) == ["dynamorm_async.ConditionFailed"]
    anchors.add("dynamorm_async.errors.ConditionFailed")
    assert hooks.missing_entries(anchors) == []


def test_every_public_module_declares_all() -> None:
    for module in hooks.PUBLIC_MODULES:
        assert hooks.declared_all(module), module


griffe = pytest.importorskip("griffe", reason="mkdocstrings (the dev extra) brings griffe")
roles = load("griffe_roles")


def test_roles_become_cross_references_or_code() -> None:
    loader = griffe.GriffeLoader()
    package = loader.load("dynamorm_async")
    config = package["config.Config"]
    text = roles.convert(
        "Raises :class:`ConfigError`; see :meth:`~dynamorm_async.DB.get` and :data:`os.environ`"
        " and `botocore <https://botocore.amazonaws.com/>`_, like this::",
        config,
        loader,
    )
    assert text == (
        'Raises <autoref identifier="dynamorm_async.errors.ConfigError" optional>'
        "<code>ConfigError</code></autoref>; see "
        '<autoref identifier="dynamorm_async.DB.get" optional><code>get</code></autoref>'
        " and `os.environ` and [botocore](https://botocore.amazonaws.com/), like this:"
    )


def test_simple_tables_become_markdown_tables() -> None:
    table = (
        "Before.\n\n"
        "=====  ==========\n"
        "Name   What\n"
        "=====  ==========\n"
        "``a``  the first,\n"
        "       continued\n"
        "b      x | y\n"
        "=====  ==========\n\n"
        "After."
    )
    assert roles.simple_tables(table) == (
        "Before.\n\n"
        "| Name | What |\n"
        "| --- | --- |\n"
        "| ``a`` | the first, continued |\n"
        "| b | x \\| y |\n\n"
        "After."
    )
