"""MkDocs hooks of the pixelgrad site (listed under ``hooks:`` in mkdocs.yml; not a page).

* ``on_files`` draws the gallery with :func:`pixelgrad.viz.catalog.write_catalog` into a
  temporary folder and adds the pictures and the generated ``gallery.md`` to the site, so
  the gallery is build output: never edited by hand, never committed, always what the code
  of this build draws.
* ``on_config`` adds a small Markdown extension for the reST left in the numpydoc docstrings:
  roles (``:func:`name```, ``:mod:`name```, ...) are shown as code, a ``text::`` line as
  ``text:``, and ``.. math:: formula`` as the formula in code (the site loads no MathJax).
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

_TMP: list[Path] = []
_ROLE = re.compile(r":(?:py:)?(?:func|meth|mod|class|data|attr|exc|obj|const|term|math):`~?([^`]+)`")
_LITERAL = re.compile(r"(?<=\S)::\s*$")
_MATH = re.compile(r"^(\s*)\.\. math::\s*(.*?)\s*$")


class _ReSTRoles(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            m = _MATH.match(line)
            if m:                      # one-line formula -> code; a bare directive -> nothing
                out.append(f"{m[1]}`{m[2]}`" if m[2] else "")    # (its indented body renders as code)
                continue
            line = _ROLE.sub(r"`\1`", line)
            if not line.lstrip().startswith(".."):
                line = _LITERAL.sub(":", line)
            out.append(line)
        return out


class ReSTRoles(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API)
        md.preprocessors.register(_ReSTRoles(md), "pixelgrad_rest_roles", 40)


@event_priority(100)          # before mkdocstrings reads the extension list
def on_config(config):
    config.markdown_extensions.append(ReSTRoles())
    return config


def on_files(files, config):
    from pixelgrad.viz.catalog import catalog_markdown, write_catalog

    tmp = Path(tempfile.mkdtemp(prefix="pixelgrad-gallery-"))
    _TMP.append(tmp)
    entries = write_catalog(tmp)
    files.append(File.generated(config, "gallery.md", content=catalog_markdown(entries, "gallery")))
    for e in entries:
        files.append(File.generated(config, f"gallery/{e.path.name}", abs_src_path=str(e.path)))
    return files


def on_post_build(config):
    while _TMP:
        shutil.rmtree(_TMP.pop(), ignore_errors=True)
