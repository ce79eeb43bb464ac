"""``inpaint(image, known_mask, method)``: fill the unknown pixels of an image batch.

Methods (all batched over ``(B, C, H, W)``, any device; see :mod:`.solvers`):

* ``"tutorial"`` -- the tutorial's 500 gradient-descent steps on its energy, starting from
  the corrupted values (faithful reproduction, vectorized).
* ``"harmonic"`` / ``"biharmonic"`` -- the minimizer of sum |grad x|^2 / sum (Laplacian x)^2
  with the known pixels fixed, by conjugate gradient from a pull-push first guess.
* ``"tv"`` -- total-variation inpainting by Chambolle-Pock (values kept in [0, 1]).
* ``"tv-smooth"`` -- smoothed TV (Charbonnier, eps 1e-2) by monotone FISTA.
* ``"dct"`` -- biharmonic, then iterated block-DCT hard thresholding (:mod:`.sparse`).
* ``"auto"`` (default) -- ``"dct"`` followed by an edge-enhancing-diffusion refinement
  (:mod:`.diffusion`); the best quality here (about +0.5..+1.2 dB over biharmonic at 80-95 %
  missing). With ``time_budget`` (seconds) the thresholding rounds stop early when the budget
  is about to run out.

The result's ``history`` is a float64 ``(iterations, B)`` tensor of the objective per
iteration: the method's energy; for ``dct``/``auto`` the biharmonic energy during CG, then the
threshold of each DCT round ("dct threshold"), then the biharmonic energy after EED; the
row ranges of the stages are in ``stages``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch

from .._dtypes import max_value
from .._errors import bad_type, bad_value
from .._interop import Batch, ImageLike, to_batch
from . import energies as E
from . import solvers as S
from .diffusion import eed_inpaint
from .init import push_pull
from .sparse import dct_inpaint

METHODS = ("auto", "dct", "biharmonic", "harmonic", "tv", "tv-smooth", "tutorial")

DEFAULT_ITERATIONS = {"tutorial": 500, "harmonic": 2000, "biharmonic": 1000, "tv": 300,
                      "tv-smooth": 300, "dct": 60, "auto": 60}


@dataclass
class StepInfo:
    """What a callback receives after every iteration.

    ``image`` is the current iterate ``(B, C, H, W)`` float in [0, 1] (do not modify it);
    ``energy`` ``(B,)``; ``psnr`` ``(B,)`` dB against ``reference`` when one was given."""

    stage: str
    iteration: int
    energy: torch.Tensor
    image: torch.Tensor
    psnr: Optional[torch.Tensor] = None


@dataclass
class InpaintResult:
    """Outcome of :func:`inpaint`.

    Attributes:
        image: the restored image, same type, shape and dtype as the input.
        iterations: total iterations run (all stages).
        history: float64 CPU tensor ``(iterations, B)``, objective per iteration.
        seconds: wall time of the solve.
        method: the method that ran.
        stages: ``{stage name: (first, last + 1)}`` rows of ``history``.
    """

    image: Any
    iterations: int
    history: torch.Tensor
    seconds: float
    method: str
    stages: Dict[str, Tuple[int, int]] = field(default_factory=dict)


def _mask_batch(fn: str, mask: Any, b: Batch) -> torch.Tensor:
    """Validate ``mask`` against the image and return bool ``(B, 1 or C, H, W)``."""
    if isinstance(mask, np.ndarray):
        m = torch.from_numpy(np.ascontiguousarray(mask))
    elif isinstance(mask, torch.Tensor):
        m = mask
    else:
        bad_type(fn, "known_mask", "a bool torch.Tensor or numpy array", mask)
    if m.dtype != torch.bool:
        bad_value(fn, "known_mask", "of dtype bool (True = known pixel)", mask)
    bsz, c, h, w = b.data.shape
    if b.is_numpy:
        ok = m.shape == (h, w) or (b.numpy_ndim == 3 and m.shape == (h, w, c))
        if not ok:
            bad_value(fn, "known_mask", f"of shape {(h, w)} or the image's shape", mask)
        m = m[None, None] if m.ndim == 2 else m.permute(2, 0, 1)[None]
    else:
        if m.shape[-2:] != (h, w):
            bad_value(fn, "known_mask", f"a mask with the image's height and width {(h, w)}", mask)
        if m.ndim == 2:
            m = m[None, None]
        else:
            full = (*b.lead_shape, c, h, w) if b.tensor_ndim > 2 else (1, h, w)
            try:
                m = torch.broadcast_to(m, (*full[:-3], m.shape[-3], h, w)) if m.ndim >= 3 else m
            except RuntimeError:
                bad_value(fn, "known_mask", f"broadcastable to the image's shape {tuple(full)}", mask)
            if m.shape[-3] not in (1, c):
                bad_value(fn, "known_mask", f"with 1 or {c} channels", mask)
            m = m.reshape(-1, *m.shape[-3:])
            if m.shape[0] not in (1, bsz):
                bad_value(fn, "known_mask", f"broadcastable to the image's batch of {bsz}", mask)
    m = m.to(b.data.device).expand(bsz, m.shape[1], h, w)
    n_known = m.reshape(bsz, -1).sum(1)
    if bool((n_known == 0).any()):
        bad_value(fn, "known_mask", "True for at least one pixel of every image (all pixels unknown)", mask)
    return m


def inpaint(image: ImageLike, known_mask: ImageLike, method: str = "auto", *,
            iterations: Optional[int] = None, tol: Optional[float] = None,
            reference: Optional[ImageLike] = None,
            callback: Optional[Callable[[StepInfo], None]] = None,
            generator: Optional[torch.Generator] = None,
            time_budget: Optional[float] = None) -> InpaintResult:
    """Restore the pixels of ``image`` where ``known_mask`` is False.

    Args:
        image: tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``, uint8 or float in [0, 1].
            The values at unknown pixels are ignored except by ``"tutorial"``, which starts
            from them as the tutorial does. Never modified.
        known_mask: bool, True where the pixel is correct: ``(H, W)``, or broadcastable to the
            tensor image with 1 or C channels (numpy: ``(H, W)`` or the image's shape).
        method: one of :data:`METHODS` (see the module docstring).
        iterations: maximum iterations of the main solver (per-method default in
            :data:`DEFAULT_ITERATIONS`; DCT rounds for ``"dct"``/``"auto"``).
        tol: relative stopping tolerance (CG residual, FISTA / TV energy change).
        reference: the clean image, only to report PSNR to ``callback``.
        callback: called with a :class:`StepInfo` after every iteration.
        generator: CPU ``torch.Generator`` for the random DCT grid shifts (default: seed 0).
        time_budget: seconds; ``"auto"``/``"dct"`` skip thresholding rounds to meet it.

    Returns:
        :class:`InpaintResult`; ``result.image`` has the input's type, shape and dtype and
        equals the input bit for bit at known pixels.

    Example:
        >>> import torch, pixelgrad as pg
        >>> x = torch.rand(1, 1, 64, 64)
        >>> bad, known = pg.restore.salt_and_pepper(x, 0.8, torch.Generator().manual_seed(0))
        >>> res = pg.restore.inpaint(bad, known)
        >>> res.image.shape
        torch.Size([1, 1, 64, 64])
    """
    fn = "inpaint"
    t0 = time.perf_counter()
    if not isinstance(method, str) or method not in METHODS:
        bad_value(fn, "method", f"one of {METHODS}", method)
    if iterations is not None and (isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0):
        bad_value(fn, "iterations", "an int >= 0", iterations)
    if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
        bad_value(fn, "tol", "a number >= 0", tol)
    if generator is not None and not isinstance(generator, torch.Generator):
        bad_type(fn, "generator", "a torch.Generator or None", generator)
    b = to_batch(image, fn, "image")
    known = _mask_batch(fn, known_mask, b)
    white = max_value(b.data.dtype)
    work = torch.float64 if b.data.dtype == torch.float64 else torch.float32
    x = b.data.to(work) / white if white != 1.0 else b.data.to(work)
    ref = None
    if reference is not None:
        rb = to_batch(reference, fn, "reference")
        if rb.data.shape != b.data.shape:
            bad_value(fn, "reference", f"an image of the image's shape {tuple(b.data.shape)}", reference)
        ref = rb.data.to(work, copy=True).to(x.device) / max_value(rb.data.dtype)
    if method != "tutorial":
        x = torch.where(known, x, x.clamp(0.0, 1.0))
    its = DEFAULT_ITERATIONS[method] if iterations is None else iterations
    gen = generator if generator is not None else torch.Generator().manual_seed(0)

    hist: list = []
    stages: Dict[str, Tuple[int, int]] = {}

    def wrap(stage: str) -> Optional[Callable]:
        if callback is None:
            return None

        def cb(it: int, energy: torch.Tensor, img: torch.Tensor) -> None:
            p = None
            if ref is not None:
                mse = (img - ref).square().reshape(img.shape[0], -1).mean(1).double()
                p = 10.0 * torch.log10(1.0 / mse)
            callback(StepInfo(stage, it, energy, img, p))
        return cb

    def record(stage: str, h: torch.Tensor) -> None:
        start = sum(len(t) for t in hist)
        hist.append(h)
        stages[stage] = (start, start + len(h))

    if method == "tutorial":
        out, h = S.tutorial_descent(x, known, its, callback=wrap("tutorial"))
        record("tutorial", h)
    elif method in ("harmonic", "biharmonic"):
        out, h = _quadratic(method, x, known, its, 1e-5 if tol is None else tol, wrap(method))
        record(method, h)
    elif method == "tv":
        out, h = S.chambolle_pock_tv(push_pull(x, known), known, iterations=its, tol=tol or 0.0,
                                     callback=wrap("tv"))
        record("tv", h)
    elif method == "tv-smooth":
        eps = 1e-2
        out, h = S.projected_gradient(lambda v, need_grad=True: E.total_variation(v, need_grad, eps=eps),
                                      push_pull(x, known), known, lipschitz=E.tv_lipschitz(eps),
                                      iterations=its, tol=tol or 0.0, callback=wrap("tv-smooth"))
        record("tv-smooth", h)
    else:  # dct / auto
        out, h = _quadratic("biharmonic", x, known, 300, 1e-3 if tol is None else tol, wrap("biharmonic"))
        record("biharmonic", h)
        deadline = None
        if time_budget is not None:                  # keep ~15 % of the budget for EED
            deadline = t0 + float(time_budget) * (0.85 if method == "auto" else 1.0)
        taus: list = []
        cb = wrap("dct")

        def dct_cb(it: int, tau: torch.Tensor, img: torch.Tensor) -> None:
            taus.append(tau)
            if cb is not None:
                cb(it, tau, img)
        out, _ = dct_inpaint(out, known, rounds=its, shifts=2, tau_start=0.3, tau_end=0.02,
                             generator=gen, callback=dct_cb, deadline=deadline)
        record("dct threshold", torch.stack(taus) if taus else torch.zeros((0, x.shape[0]), dtype=torch.float64))
        if method == "auto":
            out = eed_inpaint(out, known, iterations=20, contrast=0.01, sigma=1.0, tau=0.2)
            e, _ = E.biharmonic(out, need_grad=False)
            record("eed", e.double().cpu()[None])
    history = torch.cat(hist) if hist else torch.zeros((0, x.shape[0]), dtype=torch.float64)
    y = out * white if white != 1.0 else out
    from .._dtypes import from_compute

    y = from_compute(y, b.data.dtype)
    y = torch.where(known, b.data, y)                    # known pixels bit-identical
    return InpaintResult(b.restore(y), int(history.shape[0]), history,
                         time.perf_counter() - t0, method, stages)


def _quadratic(kind: str, x: torch.Tensor, known: torch.Tensor, iterations: int, tol: float,
               callback) -> Tuple[torch.Tensor, torch.Tensor]:
    if kind == "harmonic":
        energy = E.harmonic

        def hess(v: torch.Tensor) -> torch.Tensor:
            return -2.0 * E.laplacian(v)
    else:
        energy = E.biharmonic

        def hess(v: torch.Tensor) -> torch.Tensor:
            return 2.0 * E.laplacian(E.laplacian(v))
    return S.conjugate_gradient(hess, energy, push_pull(x, known), known, iterations=iterations,
                                tol=tol, callback=callback)
