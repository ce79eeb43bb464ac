"""`pixelgrad demo --quick`."""
from __future__ import annotations

from PIL import Image
import numpy as np

from pixelgrad.cli.main import main


def test_demo_quick_writes_blur_grid(tmp_path):
    assert main(["demo", "--quick", "-o", str(tmp_path)]) == 0
    grid = np.asarray(Image.open(tmp_path / "blur_family.png"))
    assert grid.ndim == 3 and grid.shape[0] > 100 and grid.shape[1] > 100
    assert grid.std() > 10                       # a picture, not a blank page
    assert not list(tmp_path.glob(".*tmp*"))    # no temporary files left behind
