"""MkDocs hooks of the pixelgrad site (listed under ``hooks:`` in mkdocs.yml; not a page).

``on_files`` draws the gallery with :func:`pixelgrad.viz.catalog.write_catalog` into a
temporary folder and adds the pictures and the generated ``gallery.md`` to the site, so
the gallery is build output: never edited by hand, never committed, always what the code
of this build draws.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mkdocs.structure.files import File

_TMP: list[Path] = []


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
