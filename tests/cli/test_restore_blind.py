"""``pixelgrad restore --task deblur`` without a blur: blind deblurring end to end (estimate,
--kernel-size bound, --save-kernel, then the saved estimate read back with --kernel)."""
from __future__ import annotations

import numpy as np
import torch

import pixelgrad as pg
from pixelgrad.cli.main import main
from pixelgrad.io.images import read_image, write_image
from tests._hostile import _one_error_line


def _blurry(rng, size=96):
    x = torch.from_numpy(rng.random((1, 1, size // 8, size // 8)))
    x = pg.gaussian_blur(torch.nn.functional.interpolate(x, size=(size, size), mode="nearest"), 0.7)
    y = pg.gaussian_blur(x, 1.5) + 0.01 * torch.from_numpy(rng.standard_normal(x.shape))
    return (y.clamp(0, 1)[0, 0].numpy() * 255).round().astype(np.uint8)


def test_blind_deblur_round_trip_with_save_kernel_and_kernel(tmp_path, rng):
    write_image(tmp_path / "blurry.png", _blurry(rng))
    before = (tmp_path / "blurry.png").read_bytes()
    assert main(["restore", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "blind.png"), "--task", "deblur",
                 "--kernel-size", "9", "--save-kernel", str(tmp_path / "k.png"), "--no-progress"]) == 0
    assert (tmp_path / "blurry.png").read_bytes() == before
    k = read_image(tmp_path / "k.png")
    assert k.dtype == np.uint8 and k.ndim == 2 and k.shape[0] == k.shape[1] <= 9 and k.shape[0] % 2 == 1
    assert int(k.max()) == 255
    blind = read_image(tmp_path / "blind.png")
    assert blind.shape == (96, 96) and blind.dtype == np.uint8
    # the saved estimate, given back as a known kernel, runs the non-blind path
    assert main(["restore", str(tmp_path / "blurry.png"), "-o", str(tmp_path / "known.png"), "--task", "deblur",
                 "--kernel", str(tmp_path / "k.png"), "--no-progress"]) == 0
    assert read_image(tmp_path / "known.png").shape == (96, 96)


def test_add_noise_needs_a_blur_to_simulate(tmp_path, rng, capsys):
    write_image(tmp_path / "a.png", _blurry(rng, 32))
    assert main(["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "r.png"), "--task", "deblur",
                 "--add-noise", "0.01", "--no-progress"]) == 2
    _one_error_line(capsys, "--add-noise", "--blur-sigma")
    assert not (tmp_path / "r.png").exists()
