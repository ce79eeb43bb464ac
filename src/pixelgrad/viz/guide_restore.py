"""The pictures of the restoration guide (``docs/restoration.md``).

:func:`write_restoration_figures` restores corrupted versions of the bundled sample image
with :mod:`pixelgrad.restore` and writes one labelled PNG per topic of the guide. The
documentation build calls it (``docs/hooks.py``), so the pictures and the PSNR / SSIM in
their captions are what the code of that build does; nothing is drawn by hand. At the
default size the whole set takes a few seconds on one CPU core.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from ..io import write_image
from .demo_restore import with_inset
from .grid import image_grid

#: The figures, in the order they are written: file stem -> what it shows.
FIGURES = {
    "inpaint": "a photo with scribbles and text painted over it, the mask, and inpaint()",
    "deblur": "Gaussian and motion blur (noise 0.01) and deblur() with the blur known",
    "blind": "a camera-shake blur (noise 0.01) and deblur() without the blur, kernels as insets",
    "denoise": "Gaussian noise (sigma 0.1) and denoise()",
    "residuals": "judging without the clean image: residuals against the noise level",
    "history": "the objective per iteration of solve() (TV deblurring), with the PSNR it reached",
}


def scribble_mask(h: int, w: int, seed: int = 3) -> np.ndarray:
    """A hand-drawn-looking damage mask: random strokes and a line of text, drawn with OpenCV.

    Parameters
    ----------
    h, w : int
        Size of the mask in pixels.
    seed : int, default 3
        Seed of the strokes (numpy ``default_rng``).

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` bool, True where the pixel is *damaged* (OpenCV's ``cv2.inpaint``
        convention); ``inpaint`` wants the opposite, ``known = ~mask``.

    Examples
    --------
    >>> m = scribble_mask(64, 64)
    >>> m.shape, m.dtype, bool(0.05 < m.mean() < 0.6)
    ((64, 64), dtype('bool'), True)
    """
    rng = np.random.default_rng(seed)
    m = np.zeros((h, w), np.uint8)
    thick = max(1, round(min(h, w) / 80))
    for _ in range(5):
        pts = (rng.random((4, 2)) * [w, h]).astype(np.int32)
        cv2.polylines(m, [pts], False, 255, thick, cv2.LINE_AA)
    scale = min(h, w) / 120
    cv2.putText(m, "2024", (w // 12, int(h * 0.9)), cv2.FONT_HERSHEY_SIMPLEX, scale, 255,
                max(1, round(1.5 * scale)), cv2.LINE_AA)
    return m > 0


def _scores(r: Any, x: torch.Tensor, y: torch.Tensor) -> str:
    return f"{float(r.psnr(y, x)):.1f} dB, SSIM {float(r.ssim(y, x)):.2f}"


def _amplified(res: torch.Tensor, gain: float) -> torch.Tensor:
    return (0.5 + gain * res).clamp(0.0, 1.0)


def _tensor(value: object) -> torch.Tensor:
    """``value``, which a tensor input made a tensor, typed as one."""
    assert isinstance(value, torch.Tensor), type(value)
    return value


def write_restoration_figures(out: str | os.PathLike, *, size: int = 192) -> list[Path]:
    """Write the pictures of the restoration guide into ``out``.

    Parameters
    ----------
    out : str or os.PathLike
        Output folder (created if missing); files are named ``<stem>.png`` for the stems of
        :data:`FIGURES`.
    size : int, default 192
        Side of the square tiles (the sample image is scaled to it).

    Returns
    -------
    list of pathlib.Path
        The PNGs written, in the order of :data:`FIGURES`.

    Examples
    --------
    Restoring five problems and plotting take a few seconds, more than a doctest may take:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:          # doctest: +SKIP
    ...     [p.name for p in write_restoration_figures(d, size=96)]
    ['inpaint.png', 'deblur.png', 'blind.png', 'denoise.png', 'residuals.png', 'history.png']
    """
    import pixelgrad as pg

    from .catalog import sample_tile
    from .plot import plot_history

    r = pg.restore
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x = torch.from_numpy(sample_tile(size)).permute(2, 0, 1)[None].float() / 255.0
    paths: list[Path] = []

    def save(stem: str, tiles: list, labels: list[str]) -> None:
        path = out / f"{stem}.png"
        write_image(path, image_grid(tiles, labels, cols=len(tiles)))
        paths.append(path)

    # inpainting with a drawn mask
    damaged = torch.from_numpy(scribble_mask(size, size))[None, None]
    known = ~damaged
    bad = torch.where(known, x, torch.ones_like(x))
    inp = r.inpaint(bad, known)
    inp_image = _tensor(inp.image)
    save("inpaint", [x[0], damaged[0].float(), bad[0], inp_image[0]],
         ["clean", f"mask: {100 * float(damaged.float().mean()):.0f}% unknown",
          "damaged " + _scores(r, x, bad), "inpaint " + _scores(r, x, inp_image)])

    # deblurring, Gaussian and motion, blur known
    g = torch.Generator
    gauss = _tensor(r.corrupt.blur(x, sigma=2.0, noise=0.01, generator=g().manual_seed(0))[0])
    motion = _tensor(r.corrupt.blur(x, motion=(11, 0.5), noise=0.01, generator=g().manual_seed(1))[0])
    dg = _tensor(r.deblur(gauss, sigma=2.0).image)
    dm = _tensor(r.deblur(motion, motion=(11, 0.5)).image)
    save("deblur", [gauss[0], dg[0], motion[0], dm[0]],
         ["sigma=2 " + _scores(r, x, gauss), "deblur " + _scores(r, x, dg),
          "motion 11px " + _scores(r, x, motion), "deblur " + _scores(r, x, dm)])

    # blind deblurring: a camera shake nobody tells deblur about
    shake = pg.kernels.camera_shake(13, 3)
    shaken = _tensor(pg.filter2d(x.to(torch.float64), shake.flip(-1, -2)))        # convolution
    shaken = (shaken + 0.01 * torch.randn(shaken.shape, generator=g().manual_seed(4),
                                          dtype=torch.float64)).float()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        blind = r.deblur(shaken)
    blind_image = _tensor(blind.image)
    assert blind.kernel is not None                                # always set by deblur
    save("blind", [with_inset(shaken[0].clamp(0, 1), shake), with_inset(blind_image[0], blind.kernel[0])],
         ["shake " + _scores(r, x, shaken), "blind " + _scores(r, x, blind_image)])

    # denoising
    noisy = _tensor(r.gaussian_noise(x, 0.1, g().manual_seed(2))[0])
    den = r.denoise(noisy)
    den_image = _tensor(den.image)
    save("denoise", [x[0], noisy[0], den_image[0]],
         ["clean", "noisy " + _scores(r, x, noisy), "denoise " + _scores(r, x, den_image)])

    # judging without the clean image: residuals against the noise level
    res_den = noisy - den_image
    res_tv = noisy - _tensor(r.denoise(noisy, method="tv", sigma=0.3).image)        # far too strong
    right = r.operators.Blur(sigma=2.0)
    wrong = r.operators.Blur(sigma=2.8)
    res_right = right(dg) - gauss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)           # the wrong blur is warned about
        res_wrong = wrong(_tensor(r.deblur(gauss, sigma=2.8).image)) - gauss
    assert den.noise is not None
    sigma_den = float(den.noise[0])
    estimate = r.estimate_noise(gauss[0])                      # a float for one image
    assert isinstance(estimate, (float, torch.Tensor))
    sigma_blur = float(estimate)

    def rms(t: torch.Tensor) -> float:
        return float(t.square().mean().sqrt())

    save("residuals", [_amplified(res_den[0], 2.0), _amplified(res_tv[0], 2.0),
                       _amplified(res_right[0], 10.0), _amplified(res_wrong[0], 10.0)],
         [f"y - denoise: rms {rms(res_den):.3f} ~ {sigma_den:.3f}",
          f"y - oversmoothed: rms {rms(res_tv):.3f}",
          f"Ax - y, sigma 2: rms {rms(res_right):.4f}",
          f"Ax - y, sigma 2.8: rms {rms(res_wrong):.4f}"])
    # the objective per iteration of a solve() run; the PSNR (needs the clean image) only to
    # show that the objective flattening out coincides with the result no longer improving
    seen: list[float] = []
    sol = r.solve(gauss, right, r.priors.TotalVariation(5e-4), iterations=120, reference=x,
                  callback=lambda info: seen.append(float(_tensor(info.psnr)[0])))
    plot_history(out / "history.png", sol.history, sol.stages, psnr=seen,
                 title=f"solve(y, Blur(sigma=2), TotalVariation(5e-4)): {sol.method}, {sol.iterations} iterations")
    paths.append(out / "history.png")
    return paths
