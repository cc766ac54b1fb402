"""A griffe extension (mkdocs.yml): the docstrings' reST markup, read as Markdown.

The docstrings use Sphinx-style roles (``:class:`Config```, ``:meth:`~DB.get```) and a few
reST constructs. mkdocstrings renders Markdown, so before rendering:

* a role naming an object of the package becomes a cross-reference to its entry in the
  API reference (``~`` keeps only the last part as the title), or inline code when the
  object has no entry (an undocumented attribute); a role naming anything else
  (``:data:`os.environ```) becomes inline code;
* `` `text <url>`_ `` becomes a Markdown link, and a paragraph ending in ``::`` ends in
  ``:`` (the indented block after it is a code block in Markdown too);
* a simple table (``====  ====`` borders; a row whose first column is blank continues the
  row above) becomes a Markdown table.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

PACKAGE = "dynamorm_async"
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`([^`]+)`")
_LINK = re.compile(r"`([^`<]+?)\s*<(https?://[^>]+)>`__?")
_LITERAL = re.compile(r"(\S)::$", re.MULTILINE)
_BORDER = re.compile(r"^ *=+( +=+)+ *$")


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of the package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Convert the docstrings of ``pkg`` and of everything in it."""
        if pkg.name != PACKAGE:
            return
        seen: set[int] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None:
                obj.docstring.value = convert(obj.docstring.value, obj, loader)
            stack.extend(m for m in obj.members.values() if not m.is_alias)


def convert(text: str, scope: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """``text`` with roles, reST links and ``::`` turned into Markdown."""

    def role(match: re.Match[str]) -> str:
        target = match.group(1).strip()
        title, _, explicit = target.partition("<")
        if explicit:  # :class:`title <target>`
            title, target = title.strip(), explicit.rstrip(">").strip()
        else:
            short = target.startswith("~")
            target = target.lstrip("~")
            title = target.rsplit(".", 1)[-1] if short else target
        path = _resolve(target.removesuffix("()"), scope, loader)
        if path is None:
            return f"`{title}`"
        # autorefs' own element: links to the entry when there is one, else shows the code.
        return f'<autoref identifier="{path}" optional><code>{html.escape(title)}</code></autoref>'

    text = _ROLE.sub(role, text)
    text = _LINK.sub(r"[\1](\2)", text)
    return _LITERAL.sub(r"\1:", simple_tables(text))


def simple_tables(text: str) -> str:
    """``text`` with each reST simple table (header row, then rows) as a Markdown table."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        border = lines[i]
        ends = [j for j in range(i + 2, len(lines)) if lines[j] == border]
        if not _BORDER.match(border) or len(ends) < 2 or ends[0] != i + 2:
            out.append(border)
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", border)]
        rows: list[list[str]] = []
        for line in [lines[i + 1], *lines[i + 3 : ends[1]]]:
            cells = [
                line[a:b].strip() for a, b in zip(starts, [*starts[1:], len(line) + 1], strict=True)
            ]
            if rows and len(rows) > 1 and not cells[0]:
                rows[-1] = [
                    f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)
                ]
            else:
                rows.append(cells)
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + " --- |" * len(starts))
        out += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows[1:]
        ]
        i = ends[1] + 1
    return "\n".join(out)


def _resolve(target: str, scope: griffe.Object, loader: griffe.GriffeLoader) -> str | None:
    if target == PACKAGE or target.startswith(PACKAGE + "."):
        path = target
    else:
        head, _, rest = target.partition(".")
        try:
            path = scope.resolve(head)
        except griffe.NameResolutionError:
            return None
        path = f"{path}.{rest}" if rest else path
    if not path.startswith(PACKAGE):
        return None
    try:
        loader.modules_collection[path]
    except (KeyError, ValueError):
        return None
    return path
