"""MkDocs hooks of the pixelgrad site (listed under ``hooks:`` in mkdocs.yml; not a page).

* ``on_files`` draws the gallery with :func:`pixelgrad.viz.catalog.write_catalog` into a
  temporary folder and adds the pictures and the generated ``gallery.md`` to the site, so
  the gallery is build output: never edited by hand, never committed, always what the code
  of this build draws. The pictures of the restoration guide (``restoration.md``) are drawn
  the same way, by :func:`pixelgrad.viz.guide_restore.write_restoration_figures`, under
  ``restoration/``.
* ``on_page_content`` typesets the maths: the ``\\(...\\)`` / ``$$...$$`` that
  ``pymdownx.arithmatex`` leaves in the page (written in the guide pages, or made from the
  docstrings' ``:math:`` / ``.. math::`` by ``docs/griffe_rest.py``) become MathML with
  ``latex2mathml`` at build time, so browsers show formulas without loading any script (the
  site works offline).
"""
from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

from mkdocs.structure.files import File

_TMP: list[Path] = []
_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
_DELIMITERS = re.compile(r"^\s*(?:\\\(|\\\[|\$\$?)(.*?)(?:\\\)|\\\]|\$\$?)\s*$", re.S)


def _mathml(m: re.Match) -> str:
    from latex2mathml.converter import convert

    block = m[1] == "div"
    tex = _DELIMITERS.match(html.unescape(m[2]))[1].strip()
    try:
        mathml = convert(tex, display="block" if block else "inline")
    except Exception as err:  # noqa: BLE001 (any parse failure of latex2mathml)
        raise ValueError(f"docs: cannot typeset the formula {tex!r}: {err}") from err
    return f'<div class="arithmatex">{mathml}</div>' if block else f'<span class="arithmatex">{mathml}</span>'


def on_page_content(html_text, page, config, files):
    return _ARITHMATEX.sub(_mathml, html_text)


def on_files(files, config):
    from pixelgrad.viz.catalog import catalog_markdown, write_catalog

    tmp = Path(tempfile.mkdtemp(prefix="pixelgrad-gallery-"))
    _TMP.append(tmp)
    entries = write_catalog(tmp)
    files.append(File.generated(config, "gallery.md", content=catalog_markdown(entries, "gallery")))
    for e in entries:
        files.append(File.generated(config, f"gallery/{e.path.name}", abs_src_path=str(e.path)))
    from pixelgrad.viz.guide_restore import write_restoration_figures

    for path in write_restoration_figures(tmp / "restoration"):       # the pictures of restoration.md
        files.append(File.generated(config, f"restoration/{path.name}", abs_src_path=str(path)))
    return files


def on_post_build(config):
    while _TMP:
        shutil.rmtree(_TMP.pop(), ignore_errors=True)
