"""``inpaint(image, known_mask, method)``: fill the unknown pixels of an image batch.

Methods (all batched over ``(B, C, H, W)``, any device), rows of the table
:data:`pixelgrad.restore.methods.TABLE` ``["inpaint"]``: the prior-and-solver methods run the
generic solvers of :mod:`.solvers` with the known pixels as the constraint
:class:`~pixelgrad.restore.constraints.FixedPixels`; ``dct`` and ``auto`` are pipelines
(:func:`_dct_pipeline`):

* ``"multiscale_gd"`` -- 500 gradient-descent steps on the multiscale smoothness energy
  (:func:`.energies.multiscale_smoothness`) with the step ``max(1.5 / (k + 1), 0.015)``,
  starting from the corrupted values: the seed tutorial's loop, vectorized. ``"tutorial"`` is
  a deprecated alias.
* ``"harmonic"`` / ``"biharmonic"`` -- the minimizer of sum |grad x|^2 / sum (Laplacian x)^2
  with the known pixels fixed, by conjugate gradient from a pull-push first guess.
* ``"tv"`` -- total-variation inpainting by Chambolle-Pock (values kept in [0, 1]).
* ``"tv-smooth"`` -- smoothed TV (Charbonnier, eps 1e-2) by monotone FISTA.
* ``"dct"`` -- biharmonic, then iterated block-DCT hard thresholding
  (:class:`~pixelgrad.restore.solvers.IteratedThresholding`).
* ``"auto"`` (default) -- per image: a *sparse* mask (holes, text, scratches: at most 25 % of
  the pixels missing) is filled by the local pipeline of :mod:`._local_inpaint`, whose cost
  follows the missing region (exact sparse harmonic / biharmonic fills on a crop around the
  missing pixels, block-DCT refinement of the blocks holding them; on the benchmark's hole,
  text and scribble masks at least as good as the best of scikit-image's biharmonic and
  OpenCV's Telea / Navier-Stokes); any other mask (salt and pepper) gets ``"dct"`` followed by
  an edge-enhancing-diffusion refinement (:class:`~pixelgrad.restore.solvers.Diffusion`), the
  stages kept by a hold-out run (about +0.5..+1.2 dB over biharmonic at 80-95 % missing).
  With ``time_budget`` (seconds) every stage stops early when its share of the budget has
  passed, so a call on a huge image returns in bounded time (with a less converged result).

The result's ``history`` is a float64 ``(iterations, B)`` tensor of the objective per
iteration: the method's energy; for ``dct``/``auto`` the biharmonic energy during CG, then the
threshold of each DCT round ("dct threshold"), then the biharmonic energy after EED; for an
image ``auto`` filled locally, ``"local exact"`` (the biharmonic energy of the crop after the
exact fills) and ``"local dct threshold"`` (the threshold of each round). The row ranges of
the stages are in ``stages``; an image's column is NaN on the rows of stages it did not run.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import torch

from .._dtypes import max_value
from .._errors import bad_type, bad_value
from .._interop import Batch, ImageLike, to_batch
from . import _local_inpaint as local_inpaint, energies, solvers
from ..types import Scalar
from ._facade import check_time_budget
from .checks import check_iterations, check_tol
from .constraints import FixedPixels
from .methods import TABLE, methods_of, run_recipe
from .pull_push import push_pull
from .result import RestoreResult, StepInfo, single_thread

#: The inpainting methods, the choices of ``inpaint(method=...)`` (as
#: :data:`~pixelgrad.restore.deblur.DEBLUR_METHODS` and
#: :data:`~pixelgrad.restore.denoise.DENOISE_METHODS` for the other facades).
INPAINT_METHODS = methods_of("inpaint")
#: The old name of :data:`INPAINT_METHODS` (``pg.restore.METHODS``), kept as an alias.
METHODS = INPAINT_METHODS
#: Old method names still accepted (with a DeprecationWarning).
DEPRECATED_METHODS = {"tutorial": "multiscale_gd"}

DEFAULT_ITERATIONS = {m: int(r.defaults["iterations"]) for m, r in TABLE["inpaint"].items()}


#: Deprecated name of :class:`~pixelgrad.restore.result.RestoreResult`.
InpaintResult = RestoreResult


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
            time_budget: Optional[Scalar] = None) -> RestoreResult:
    r"""Restore the pixels of ``image`` where ``known_mask`` is False.

    Parameters
    ----------
    image : tensor ``(..., C, H, W)`` or numpy ``(H, W[, C])``
        uint8 or float in [0, 1]. The values at unknown pixels are ignored except by
        ``"multiscale_gd"``, which starts from them. Never modified.
    known_mask : bool tensor or numpy array
        True where the pixel is correct: ``(H, W)``, or broadcastable to the tensor image with
        1 or C channels (numpy: ``(H, W)`` or the image's shape).
    method : str
        One of :data:`INPAINT_METHODS` (see the module docstring).
    iterations : int, optional
        Maximum iterations of the main solver (per-method default in
        :data:`DEFAULT_ITERATIONS`; DCT rounds for ``"dct"`` / ``"auto"``; the local path of
        ``"auto"`` defaults to 30 rounds, 12 when more than 4096 pixels are refined).
    tol : float, optional
        Relative stopping tolerance (CG residual, FISTA / TV energy change); the local path of
        ``"auto"`` solves exactly and ignores it.
    reference : image, optional
        The clean image, only to report PSNR to ``callback``.
    callback : callable, optional
        Called with a :class:`~pixelgrad.restore.result.StepInfo` after every iteration.
    generator : torch.Generator, optional
        CPU generator for the random DCT grid shifts and the local path's hold-out copies
        (default: seed 0).
    time_budget : float, optional
        Seconds for the whole call, shared equally by the images; every solver stops once its
        share has passed (each runs at least one iteration), so the call returns shortly after
        the budget; ``"auto"`` gives 40 % of a dense image's share to the hold-out run that
        chooses its stages (the local path stops its DCT rounds at the image's share).

    Returns
    -------
    RestoreResult
        ``image`` has the input's type, shape and dtype and equals the input bit for bit at
        known pixels.

    Raises
    ------
    TypeError
        ``known_mask`` not a tensor / numpy array, or a wrong argument type.
    ValueError
        A mask of the wrong shape or dtype, an unknown method, bad ``iterations`` / ``tol`` /
        ``time_budget``.

    Notes
    -----
    With :math:`K` the known pixels, every method solves (approximately)

    .. math:: \min_x E(x) \quad \text{subject to} \quad x_K = f_K

    for :math:`E` the multiscale smoothness, :math:`\sum|\nabla x|^2`,
    :math:`\sum (L x)^2`, TV or smoothed TV (:mod:`~pixelgrad.restore.energies`), by the
    solvers of :mod:`~pixelgrad.restore.solvers`; ``dct`` and ``auto`` add iterated block-DCT
    thresholding (:class:`~pixelgrad.restore.solvers.IteratedThresholding`) and edge-enhancing
    diffusion (:class:`~pixelgrad.restore.solvers.Diffusion`); the references are given there.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> x = torch.rand(1, 1, 64, 64)
    >>> bad, known = pg.restore.salt_and_pepper(x, 0.8, torch.Generator().manual_seed(0))
    >>> res = pg.restore.inpaint(bad, known, method="biharmonic")
    >>> res.image.shape, bool(torch.equal(res.image[known.expand_as(x)], x[known.expand_as(x)]))
    (torch.Size([1, 1, 64, 64]), True)
    """
    fn = "inpaint"
    t0 = time.perf_counter()
    if isinstance(method, str) and method in DEPRECATED_METHODS:
        import warnings

        warnings.warn(f"inpaint(method={method!r}) is deprecated; use method={DEPRECATED_METHODS[method]!r}",
                      DeprecationWarning, stacklevel=2)
        method = DEPRECATED_METHODS[method]
    if not isinstance(method, str) or method not in INPAINT_METHODS:
        bad_value(fn, "method", f"one of {INPAINT_METHODS}", method)
    if iterations is not None:
        iterations = check_iterations(fn, iterations)
    if tol is not None:
        tol = check_tol(fn, tol)
    if generator is not None and not isinstance(generator, torch.Generator):
        bad_type(fn, "generator", "a torch.Generator or None", generator)
    time_budget = check_time_budget(fn, time_budget)
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
    if method != "multiscale_gd":
        x = torch.where(known, x, x.clamp(0.0, 1.0))
    its = DEFAULT_ITERATIONS[method] if iterations is None else iterations
    # one seed for the DCT grid shifts, re-used for every image: each image's result depends
    # on that image only (bitwise), whatever the batch it came in
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator)) if generator is not None else 0
    cg_tol = tol

    def wrap(stage: str, index: int) -> Optional[Callable]:
        if callback is None:
            return None

        def cb(it: int, energy: torch.Tensor, img: torch.Tensor) -> None:
            p = None
            if ref is not None:
                r = ref[index:index + 1]
                mse = (img - r).square().reshape(img.shape[0], -1).mean(1).double()
                p = 10.0 * torch.log10(1.0 / mse)
            callback(StepInfo(stage, it, energy, img, p))
        return cb

    outs, runs = [], []
    bsz = x.shape[0]
    with single_thread():
        for i in range(bsz):
            deadline = None
            if time_budget is not None:
                deadline = t0 + float(time_budget) * (i + 1) / bsz
            xi, ki = x[i:i + 1], known[i:i + 1]
            if method == "auto" and local_inpaint.is_sparse((~ki).any(1)[0].cpu().numpy()):
                # holes / text / scratches: a fill whose cost follows the missing region
                rounds = None if iterations is None else its
                img, _, hist = local_inpaint.fill(xi[0], ki[0], seed=seed, rounds=rounds, deadline=deadline)
                out, rec = img[None], {"hist": hist, "images": []}
                if callback is not None:
                    for name, h in hist:
                        cb = wrap(name, i)
                        assert cb is not None
                        for k in range(len(h)):
                            cb(k, h[k], out)
            elif method == "auto":
                # the hold-out run that chooses the stages gets 40% of this image's time
                hold_dl = None if deadline is None else _share(deadline, 0.4)
                keep = _auto_choice(xi, ki, its, cg_tol, seed, hold_dl)
                out, rec = _run(method, xi, ki, its, cg_tol, seed, deadline, lambda st: wrap(st, i), keep)
            else:
                out, rec = _run(method, xi, ki, its, cg_tol, seed, deadline, lambda st: wrap(st, i))
            outs.append(out)
            runs.append(rec)
    out = torch.cat(outs) if outs else x
    history, stages = _merge_histories(runs, bsz)
    y = out * white if white != 1.0 else out
    from .._dtypes import from_compute

    y = from_compute(y, b.data.dtype)
    y = torch.where(known, b.data, y)                    # known pixels bit-identical
    return RestoreResult(b.restore(y), int(history.shape[0]), history,
                         time.perf_counter() - t0, method, stages)


#: Fraction of the known pixels held out by ``method="auto"`` to choose its stages.
HOLDOUT = 0.05
AUTO_STAGES = ("biharmonic", "dct threshold", "eed")


def _share(deadline: float, fraction: float) -> float:
    """A deadline ``fraction`` of the way from now to ``deadline``."""
    now = time.perf_counter()
    return now + max(0.0, deadline - now) * fraction


def _auto_choice(x: torch.Tensor, known: torch.Tensor, its: int, tol: Optional[float], seed: int,
                 deadline: Optional[float] = None) -> str:
    """The last stage of the auto pipeline worth keeping for this image: run the pipeline with
    :data:`HOLDOUT` of the known pixels hidden and keep the stage that predicts them best."""
    h, w = x.shape[-2:]
    u = torch.rand((h, w), generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    hold = known & (u < HOLDOUT).to(known.device)
    if int(hold.sum()) < 32 or int((known & ~hold).sum()) < 32:
        return "eed"
    _, rec = _run("auto", x, known & ~hold, its, tol, seed, deadline, lambda st: None, "eed", keep_all=True)
    errs = [float(((img - x).square() * hold).sum()) for img in rec["images"]]
    best = min(range(len(errs)), key=lambda k: (errs[k], k))
    return AUTO_STAGES[best]


def _run(method: str, x: torch.Tensor, known: torch.Tensor, its: int, tol: Optional[float], seed: int,
         deadline: Optional[float], wrap, upto: str = "eed", keep_all: bool = False):
    """One image (or one batch) through ``method``; returns ``(out, record)`` where record has
    ``hist`` (list of (name, tensor (n, B))) and, with ``keep_all``, every stage's image."""
    recipe = TABLE["inpaint"][method]
    if recipe.solver is not None:
        out, h = _solve(method, x, known, its, tol, wrap(method), deadline)
        return out, {"hist": [(method, h)], "images": []}
    return _PIPELINES[str(recipe.pipeline)](method, x, known, its, tol, seed, deadline, wrap, upto, keep_all)


def _solve(method: str, x: torch.Tensor, known: torch.Tensor, its: int, tol: Optional[float], callback,
           deadline: Optional[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """A prior-and-solver method of :data:`~pixelgrad.restore.methods.TABLE`: the known
    pixels are the constraint :class:`~pixelgrad.restore.constraints.FixedPixels`."""
    recipe = TABLE["inpaint"][method]
    start = push_pull(x, known) if recipe.start == "pull_push" else x
    return run_recipe(recipe, None, None, start, constraint=FixedPixels(known, start, (0.0, 1.0)),
                      iterations=its, tol=tol, callback=callback, deadline=deadline)


def _dct_pipeline(method: str, x: torch.Tensor, known: torch.Tensor, its: int, tol: Optional[float], seed: int,
                  deadline: Optional[float], wrap, upto: str = "eed", keep_all: bool = False):
    """``dct`` (biharmonic, then iterated block-DCT thresholding) and ``auto`` (then
    edge-enhancing diffusion), each stage stopped at its share of the deadline."""
    hist: list = []
    images: list = []
    gen = torch.Generator().manual_seed(seed)
    if method == "auto" and upto == "biharmonic":
        out, h = _solve("biharmonic", x, known, 1000, 1e-5 if tol is None else tol, wrap("biharmonic"), deadline)
        return out, {"hist": [("biharmonic", h)], "images": [out]}
    out, h = _solve("biharmonic", x, known, 300, 1e-3 if tol is None else tol, wrap("biharmonic"),
                    None if deadline is None else _share(deadline, 0.4))
    hist.append(("biharmonic", h))
    images.append(out)
    dl = deadline
    if dl is not None and method == "auto" and upto == "eed":   # keep time for EED
        dl = time.perf_counter() + (dl - time.perf_counter()) * 0.85
    out, taus = solvers.iterated_thresholding(out, known, rounds=its, shifts=2, tau_start=0.3, tau_end=0.02,
                                              generator=gen, callback=wrap("dct"), deadline=dl)
    hist.append(("dct threshold", taus))
    images.append(out)
    if method == "auto" and upto == "eed":
        out = solvers.diffusion_inpainting(out, known, iterations=20, contrast=0.01, sigma=1.0, tau=0.2,
                                           deadline=deadline)
        e, _ = energies.biharmonic(out, need_grad=False)
        hist.append(("eed", e.double().cpu()[None]))
        images.append(out)
    return out, {"hist": hist, "images": images if keep_all else []}


_PIPELINES = {"dct": _dct_pipeline, "auto": _dct_pipeline}


def _merge_histories(runs: list, bsz: int) -> Tuple[torch.Tensor, Dict[str, Tuple[int, int]]]:
    """Per-image ``(stage, (n_i, 1))`` histories -> one ``(iterations, B)`` table: each stage
    as long as its longest run, shorter runs padded with their last value (NaN if empty)."""
    order: list = []
    for r in runs:
        for name, _ in r["hist"]:
            if name not in order:
                order.append(name)
    cols: list = [[] for _ in range(bsz)]
    stages: Dict[str, Tuple[int, int]] = {}
    start = 0
    for name in order:
        segs = [dict(r["hist"]).get(name) for r in runs]
        n = max((len(s) for s in segs if s is not None), default=0)
        for i, s in enumerate(segs):
            if s is None or len(s) == 0:
                col = torch.full((n,), float("nan"), dtype=torch.float64)
            else:
                s = s.reshape(len(s), -1)[:, 0].to(torch.float64)
                col = torch.cat([s, s[-1:].expand(n - len(s))])
            cols[i].append(col)
        stages[name] = (start, start + n)
        start += n
    if not bsz or start == 0:
        return torch.zeros((0, bsz), dtype=torch.float64), stages
    return torch.stack([torch.cat(c) for c in cols], 1), stages
