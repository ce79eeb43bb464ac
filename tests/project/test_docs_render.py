"""The API pages render: docstring markup that Markdown does not know (reST roles, ``literals``,
``.. math::``, ``[1]_`` citations, ``>>>`` sessions outside code blocks, LaTeX) is never shown
raw. Builds the site into a temporary folder (``mkdocs build``, about a minute: the gallery is
drawn too) and reads the text of every API page outside code and maths.

A failure names the page, the artefact and the text around it: fix the docstring, or teach
``docs/griffe_rest.py`` (the docstring-to-Markdown pass of the site) the construct.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests._layout import ROOT

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")

#: Elements whose text is code or typeset maths, not prose.
_VERBATIM = {"code", "pre", "kbd", "samp", "script", "style", "math", "svg"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

#: (name, pattern over the prose text of a page).
ARTEFACTS = [
    ("reST ``literal``", re.compile(r"``")),
    ("reST role", re.compile(r":(?:py:)?(?:func|meth|mod|class|data|attr|exc|obj|const|term|math|ref|doc):`")),
    ("reST directive", re.compile(r"(?m)(?:^|\s)\.\. [\w-]+::")),
    ("reST reference list `.. [`", re.compile(r"\.\. \[")),
    ("reST citation `]_`", re.compile(r"\]_")),
    ("unrendered LaTeX", re.compile(r"\\(?:[dt]?frac|sqrt|sum|prod|int|nabla|partial|mathrm|mathbf|mathcal|operatorname"
                                    r"|left|right|big|Big|alpha|beta|gamma|delta|lambda|mu|sigma|tau|theta|omega"
                                    r"|cdot|odot|otimes|le|ge|leq|geq|in|infty|qquad|quad|text|begin|end|hat|tilde"
                                    r"|bar|\||\{|\}|,|;)(?![a-zA-Z])")),
    ("math delimiters", re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$")),
    ("`>>>` outside a code block", re.compile(r">>>")),
    ("reST table border", re.compile(r"={3,} +={3,}")),
    ("reST escaped space `\\ `", re.compile(r"\w\\ ")),
]


class _Page(HTMLParser):
    """Collects the prose text of a page (outside verbatim elements), the number of nested
    block quotes, and the first cells of the tables of docstring sections."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.verbatim = 0
        self.text: list[str] = []
        self.inline_code: list[str] = []                 # <code> outside <pre>: maths set as code is raw too
        self.quote_depth = 0
        self.quotes = 0
        self.cells: list[tuple[str, list[str]]] = []     # (section title, first cells of its rows)
        self._section = ""
        self._heading = False
        self._cell: list[str] | None = None
        self._col = 0

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        self.stack.append(tag)
        if tag in _VERBATIM:
            self.verbatim += 1
        if tag == "blockquote":
            self.quote_depth += 1
            self.quotes += 1
        if "doc-section-title" in (dict(attrs).get("class") or "").split():
            self._heading, self._section = True, ""
        if tag == "tr":
            self._col = 0
        if tag == "td":
            self._col += 1
            if self._col == 1:
                self._cell = []
        if tag in {"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "br"}:
            self.text.append("\n")

    def handle_endtag(self, tag):
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            if top in _VERBATIM:
                self.verbatim -= 1
            if top == "blockquote":
                self.quote_depth -= 1
            if top in {"p", "span"}:
                self._heading = False
            if top == "td" and self._cell is not None:
                self.cells.append((self._section, ["".join(self._cell).strip()]))
                self._cell = None
            if top == tag:
                break

    def handle_data(self, data):
        if self._heading:
            self._section += data
        if self._cell is not None:
            self._cell.append(data)
        if not self.verbatim:
            self.text.append(data)
        elif "pre" not in self.stack and "code" in self.stack and self.verbatim == 1:
            self.inline_code.append(data)


def scan(html: str) -> list[str]:
    """The rendering artefacts of one HTML page, each as ``name: ...context...``."""
    page = _Page()
    page.feed(html)
    text = "".join(page.text)
    found = []
    for name, pattern in ARTEFACTS:
        for m in pattern.finditer(text):
            context = " ".join(text[max(0, m.start() - 50):m.end() + 50].split())
            found.append(f"{name}: ...{context}...")
    code = "\n".join(page.inline_code)
    for name, pattern in ARTEFACTS:
        if name.startswith(("reST ``", "unrendered")):
            for m in pattern.finditer(code):
                context = " ".join(code[max(0, m.start() - 50):m.end() + 50].split())
                found.append(f"{name} (in code): ...{context}...")
    if page.quotes:        # docstrings quote nothing: a `>>>` session, or a line starting with `>`
        found.append(f"block quotes ({page.quotes}): a `>>>` session or a `> 0: ...` line read as a Markdown quote")
    for section, (name,) in page.cells:
        title = section.strip().rstrip(":").lower()
        if title in {"functions", "methods", "classes", "modules", "attributes"} and name:
            if not re.fullmatch(r"[A-Za-z_][\w.]*(?:\(.*\))?(?:, [A-Za-z_]\w*)*", name):
                found.append(f"junk row in a {section.strip()!r} table: {name[:60]!r}")
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _api_pages() -> list[str]:
    return sorted(p.stem for p in (ROOT / "docs" / "api").glob("*.md"))


def test_the_scanner_sees_each_artefact():
    bad = ("<p>a tensor ``(..., C, H, W)`` by :func:`gauss` .. math:: x</p><p>.. [1] A. Author</p>"
           "<p>===== ====</p><p>see [1]_ and \\tfrac12\\|A x - y\\|^2, nn.Module\\ s</p><blockquote><blockquote><p>x = 1</p>"
           "</blockquote></blockquote><p>&gt;&gt;&gt; y</p><p><span class=\"doc-section-title\">Functions:</span></p>"
           "<table><tr><td><code>the flattest half</code></td><td>x</td></tr></table>")
    names = {f.split(":")[0] for f in scan(bad)}
    assert len(names) == len(ARTEFACTS) - 1 + 2, names          # all but math delimiters; quotes, junk rows
    assert any("(in code)" in f for f in scan("<p><code>\\frac{1}{2}</code></p>"))
    good = ("<p>a tensor <code>x</code> <span><math><mfrac><mi>a</mi><mn>2</mn></mfrac></math></span></p>"
            "<pre><code>&gt;&gt;&gt; x = 1  # [1]_ .. [1]</code></pre><p><span class=\"doc-section-title\">Functions:</span></p>"
            "<table><tr><td><code>gaussian_blur</code></td><td>the flattest half</td></tr></table>")
    assert scan(good) == []


@pytest.mark.parametrize("page", _api_pages())
def test_api_page_renders_without_raw_markup(site, page):
    html = (site / "api" / page / "index.html").read_text(encoding="utf-8")
    found = scan(html)
    assert not found, f"api/{page}: {len(found)} rendering artefacts:\n" + "\n".join(found[:40])
