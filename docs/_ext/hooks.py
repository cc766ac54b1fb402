"""MkDocs hooks (mkdocs.yml ``hooks:``): the site works offline, and says so at build time.

* Code is highlighted when the site is built (Pygments, through ``pymdownx.highlight``),
  not in the browser from a CDN: this hook writes the Pygments stylesheet that mkdocs.yml's
  ``extra_css`` links from every page.
* After the build, every page and stylesheet is read: an asset (script, stylesheet, image,
  font, frame...) loaded from ``http://`` or ``https://``, or any ``example.invalid``
  address, fails the build. Links to other sites (``<a href>``) are fine: they load
  nothing.
"""

from __future__ import annotations

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


def on_post_build(config: Any) -> None:
    """Write the stylesheet, then fail the build on anything loaded from another host."""
    site = Path(config.site_dir)
    stylesheet = site / STYLESHEET
    stylesheet.parent.mkdir(parents=True, exist_ok=True)
    stylesheet.write_text(HtmlFormatter(style="default").get_style_defs(".highlight") + "\n")
    problems = site_problems(site)
    if problems:
        raise PluginError("the site must work offline:\n  " + "\n  ".join(problems))
