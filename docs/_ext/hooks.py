"""MkDocs hooks (mkdocs.yml ``hooks:``): the site works offline, and says so at build time.

* Code is highlighted when the site is built (Pygments, through ``pymdownx.highlight``),
  not in the browser from a CDN: this hook writes the Pygments stylesheet that mkdocs.yml's
  ``extra_css`` links from every page.
* After the build, every page and stylesheet is read: an asset (script, stylesheet, image,
  font, frame...) loaded from ``http://`` or ``https://``, or any ``example.invalid``
  address, fails the build. Links to other sites (``<a href>``) are fine: they load
  nothing.
* And the API reference is complete: every name of ``dynamorm_async.__all__`` and of the
  ``__all__`` of each module in :data:`PUBLIC_MODULES` has an entry (an anchor named after
  it), or the build fails naming what is missing.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from pygments.formatters import HtmlFormatter

STYLESHEET = "css/pygments.css"
# The tags that load what their src/href/data/srcset/poster names, and <link> except
# rel=canonical (an address, not an asset; the theme adds it only when site_url is set).
_LOADING = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "input": ("src",),
    "link": ("href",),
}
_REMOTE = re.compile(r"(?:https?:)?//[^\s\"')]+", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
_FORBIDDEN = "example.invalid"
_ANCHOR = re.compile(r'\bid="(dynamorm_async(?:\.\w+)*)"')

PACKAGE = "dynamorm_async"
# The modules users import from besides the package itself (the guides' imports), whose
# every public name (its ``__all__``) needs a reference entry under the module's path.
PUBLIC_MODULES = (
    "dynamorm_async.aws_lambda",
    "dynamorm_async.aws_lambda.apigateway",
    "dynamorm_async.aws_lambda.streams",
    "dynamorm_async.codec",
    "dynamorm_async.codec.codegen",
    "dynamorm_async.codec.precompiled",
    "dynamorm_async.deploy.cdk",
    "dynamorm_async.deploy.layer",
    "dynamorm_async.deploy.template",
    "dynamorm_async.environment",
    "dynamorm_async.idempotency",
    "dynamorm_async.mypy",
    "dynamorm_async.partners",
    "dynamorm_async.testing",
    "dynamorm_async.testing.local",
    "dynamorm_async.testing.plugin",
    "dynamorm_async.testing.streams",
)


class _AssetFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = _LOADING.get(tag, ())
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "").lower() == "canonical":
            names = ()
        for name in names:
            value = values.get(name) or ""
            self.found += [f"<{tag} {name}={url}>" for url in _REMOTE.findall(value)]
        style = values.get("style")
        if style:
            self.found += [f"<{tag} style=url({url})>" for url in css_remote_urls(style)]
        if tag in ("script", "style"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        # Inline code that fetches (analytics snippets, @import in a <style>).
        if self._in == "style":
            self.found += [f"<style> url({url})" for url in css_remote_urls(data)]
        elif self._in == "script":
            self.found += [f"<script> {url}" for url in _REMOTE.findall(data) if "://" in url]


def css_remote_urls(css: str) -> list[str]:
    """The ``url(...)`` and ``@import`` targets of a stylesheet that are on another host."""
    targets = (a or b for a, b in _CSS_URL.findall(css))
    return [t for t in targets if _REMOTE.fullmatch(t)]


def html_remote_assets(html: str) -> list[str]:
    """What an HTML page loads from another host (tag, attribute and address)."""
    finder = _AssetFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def site_problems(site: Path) -> list[str]:
    """Every remote asset and every ``example.invalid`` address in a built site."""
    problems = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css", ".js", ".xml", ".json"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(site)
        if _FORBIDDEN in text:
            problems.append(f"{where}: mentions {_FORBIDDEN}")
        if path.suffix == ".html":
            problems += [f"{where}: loads {asset}" for asset in html_remote_assets(text)]
        elif path.suffix == ".css":
            problems += [f"{where}: loads {url}" for url in css_remote_urls(text)]
    return problems


def declared_all(module: str) -> list[str]:
    """A module's ``__all__``, read from its source (the module is not imported)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PluginError(f"{module} (in PUBLIC_MODULES) does not exist")
    for node in ast.parse(Path(spec.origin).read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return [str(v) for v in ast.literal_eval(node.value)]
    raise PluginError(f"{module} (in PUBLIC_MODULES) has no __all__ list")


def missing_entries(anchors: set[str]) -> list[str]:
    """The public names without a reference entry among ``anchors``.

    A name of the package may have its entry under the package (``dynamorm_async.DB``) or
    under the module that defines it (``dynamorm_async.errors.ConditionFailed``).
    """
    package = importlib.import_module(PACKAGE)
    missing = []
    for name in package.__all__:
        home = getattr(getattr(package, name), "__module__", PACKAGE)
        if not {f"{PACKAGE}.{name}", f"{home}.{name}"} & anchors:
            missing.append(f"{PACKAGE}.{name}")
    for module in PUBLIC_MODULES:
        wanted = [module] + [f"{module}.{name}" for name in declared_all(module)]
        missing += [path for path in wanted if path not in anchors]
    return missing


def site_anchors(site: Path) -> set[str]:
    """Every ``id`` of the built pages that names an object of the package."""
    return {a for page in site.rglob("*.html") for a in _ANCHOR.findall(page.read_text())}


def on_post_build(config: Any) -> None:
    """Write the stylesheet, then check the site: offline, and a complete reference."""
    site = Path(config.site_dir)
    stylesheet = site / STYLESHEET
    stylesheet.parent.mkdir(parents=True, exist_ok=True)
    stylesheet.write_text(HtmlFormatter(style="default").get_style_defs(".highlight") + "\n")
    problems = site_problems(site)
    if problems:
        raise PluginError("the site must work offline:\n  " + "\n  ".join(problems))
    missing = missing_entries(site_anchors(site))
    if missing:
        raise PluginError(
            "no API reference entry (add a ::: line to a page in docs/reference/):\n  "
            + "\n  ".join(missing)
        )
