"""The gallery of the docs (pixelgrad.viz.catalog): one picture per public operation and
transform, each showing what the code really does."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import pixelgrad as pg
from pixelgrad.io import read_image
from pixelgrad.viz import catalog



def test_every_functional_op_has_an_entry():
    assert set(catalog.OPERATIONS) == set(pg.functional.__all__)


def test_every_restoration_op_has_an_entry():
    ops = {n for n in pg.restore.__all__
           if inspect.isfunction(getattr(pg.restore, n)) and n not in catalog.NOT_IMAGE_OPS}
    assert ops <= set(catalog.RESTORATION), f"no gallery entry for {sorted(ops - set(catalog.RESTORATION))}"


def test_every_leaf_transform_is_drawn():
    names = set(catalog.leaf_transforms())
    assert {"RandomGaussianBlur", "RandomGradient", "RandomShear"} <= names
    assert not names & {"Compose", "OneOf", "RandomApply"}


def test_catalog_pictures_show_the_operation(tmp_path):
    size = 48
    entries = catalog.write_catalog(tmp_path, size=size, draws=2)
    names = [e.name for e in entries]
    expected = list(pg.functional.__all__) + list(catalog.leaf_transforms()) + list(catalog.RESTORATION)
    assert names == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(e.path.name for e in entries)
    src = catalog.sample_tile(size)
    for e in entries:
        img = read_image(e.path)
        tiles = len(e.captions)
        assert img.ndim == 3 and img.shape[2] == 3
        assert img.shape[1] >= tiles * size, e.name           # one tile per caption, side by side
        # the first tile is the input, drawn as is; at least one other tile differs from it
        top = img[4:4 + size]
        first = top[:, 4:4 + size]
        assert np.array_equal(first, src), e.name
        others = [top[:, 4 + k * (size + 4):4 + k * (size + 4) + size] for k in range(1, tiles)]
        assert any(np.abs(o.astype(int) - src).mean() > 0.5 for o in others), e.name


def test_markdown_shows_every_entry_once(tmp_path):
    entries = catalog.write_catalog(tmp_path, size=32, draws=1, names=["shear", "RandomShear"])
    md = catalog.catalog_markdown(entries, "pics")
    for e in entries:
        assert md.count(f"](pics/{e.path.name})") == 1
    assert "draw 1: sx=" in md                                  # the parameters drawn are listed


def test_missing_operation_entry_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delitem(catalog.OPERATIONS, "shear")
    with pytest.raises(KeyError, match="shear"):
        catalog.write_catalog(tmp_path, size=32, names=["shear"])
