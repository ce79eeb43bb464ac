r"""Local inpainting of sparse masks (holes, text, scratches): cost proportional to the missing region.

``pixelgrad.restore.inpaint(method="auto")`` sends an image here when at most
:data:`SPARSE_FRACTION` of its pixels are missing (:func:`is_sparse`); denser masks (salt and
pepper) go to the whole-image pipeline. :func:`fill` works on one image:

1. **Classes.** The missing components (8-connected) are *holes* (thick: their pixels are on
   average more than :data:`~pixelgrad.restore.regions.THICK` pixels from the nearest known
   one) or *strokes* (thin); :func:`~pixelgrad.restore.regions.thick_components`.
2. **Crop.** Everything below runs on one crop: the bounding box of the missing pixels (and of
   the hold-out copies, step 4) grown by :data:`MARGIN` = 16 known pixels (the coupling radius of
   the 16-pixel DCT blocks), so a 40x40 hole in a 4-megapixel image costs a 72x72 crop.
3. **Exact fills** by a sparse factorization over the unknowns only
   (:func:`~pixelgrad.restore.regions.direct_solve`): harmonic for the holes (the discrete
   maximum principle keeps a hole between its boundary values; biharmonic filling of a wide
   hole overshoots and smears edges across it), then biharmonic for the strokes with the
   holes' values fixed. Each fill is clipped to the range of the known pixels around its
   component (:func:`~pixelgrad.restore.regions.local_range`).
4. **Block-DCT refinement** (iterated hard thresholding,
   :func:`pixelgrad.restore.dct.block_hard_threshold` on 16x16 blocks, the threshold going from 0.3
   to 0.02, two grid shifts per round, known pixels re-imposed, values kept in the local range)
   on the blocks that hold a missing pixel only (:func:`refine`). A hole gets the mean of its
   biharmonic fill and its DCT-refined harmonic fill: neither is safe alone (harmonic + DCT
   gains 1-6 dB on textured images and loses up to 3.5 dB on very smooth ones such as the
   retina crop, where biharmonic filling is best), and the mean of two fills with partly
   independent errors is at least as good as the worse of the two and usually close to the
   better. Strokes get the refinement only when a *hold-out* says so: translated copies of
   the stroke pieces (:func:`~pixelgrad.restore.regions.holdout_copies`, at least 3 known
   pixels away from every missing pixel, so the exact fills of the real unknowns are
   unchanged) are hidden too and refined first, alone; the DCT result replaces the
   biharmonic one only on a significant paired improvement of the hold-out error (:func:`~pixelgrad.restore.regions.choose_stage`) of at least 8 %
   (:data:`MIN_GAIN`). On very smooth images
   (retina) the thresholding costs up to 4 dB on strokes and the hold-out sees it; on
   textured / sharp ones it gains up to 2.5 dB. Fewer than :data:`MIN_STROKE_PIXELS` stroke
   pixels: no hold-out, the biharmonic fill is kept.

Only the missing pixels change; the work is sequential on one thread (qdldl's sparse LDL^T, torch
on the crop), so the result is a function of the image, its mask and the seed.
"""
from __future__ import annotations

import time
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from .dct import block_hard_threshold, dct_matrix
from .._errors import bad_value
from .regions import choose_stage, direct_solve, find_regions, holdout_copies, local_range, thick_components

#: ``inpaint(method="auto")`` solves an image locally when at most this fraction of its pixels
#: is missing (measured: the 40x40 hole, text at 13-19 % and scribbles at 4-8 % gain and run
#: 3-10x faster here; salt and pepper from 70 % belongs to the whole-image pipeline).
SPARSE_FRACTION = 0.25
#: Known pixels kept around the missing pixels in the crop (the DCT blocks' coupling radius).
MARGIN = 16
#: DCT refinement: rounds, threshold schedule (first, last), block side.
ROUNDS, TAU, BLOCK = 30, (0.3, 0.02), 16
#: Rounds when more than :data:`SMALL` pixels are refined (text, long scratches): a round costs
#: about the blocks they touch; 12 rounds keep about two thirds of the 30 rounds' gain on the
#: benchmark's text and scribbles at 40 % of the time.
ROUNDS_LARGE, SMALL = 12, 4096
#: Smallest improvement of the strokes' hold-out error (mean squared error ratio) for which the
#: DCT refinement replaces the biharmonic fill, besides significance: the copies sit next to
#: the strokes, not under them, so a small measured gain does not carry over (immunohistochemistry
#: scribbles: 6 % better on the copies, 0.24 dB worse under the strokes).
MIN_GAIN = 0.92
#: :func:`refine` thresholds the whole image (not only the blocks holding unknown pixels) when
#: it has at most this many pixels, or when at least ``1 / DENSE_SHARE`` of them are unknown:
#: building the block indices costs more than the blocks it saves (same values either way).
DENSE_AREA, DENSE_SHARE = 65536, 32
#: :func:`refine` works on the stacked boxes of separate clusters of unknown pixels when their
#: area (padded to one size) is at most 1 / STACK_SHARE of the image (measured: stacking a few
#: holes or scratches saves 10-30 %; a scribble whose boxes cover half the image is slower).
STACK_SHARE = 2
#: Fewer stroke pixels than this: no hold-out, the strokes keep the biharmonic fill.
MIN_STROKE_PIXELS = 64
#: Held-out pixels needed in a class before the hold-out decides anything.
MIN_HOLDOUT_PIXELS = 16
#: Significance (standard errors) the DCT refinement needs to replace the strokes' fill.
Z = 2.0
#: The stage names of the history rows this pipeline writes.
STAGES = ("local exact", "local holdout dct threshold", "local dct threshold")


def is_sparse(missing: np.ndarray, fraction: float = SPARSE_FRACTION) -> bool:
    """Whether ``inpaint(method="auto")`` fills this mask locally.

    Parameters
    ----------
    missing : numpy.ndarray
        ``(H, W)`` bool, True where a pixel is missing (in any channel).
    fraction : float
        Largest missing fraction still filled locally.

    Returns
    -------
    bool
        True when some but at most ``fraction`` of the pixels are missing.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((100, 100), bool); m[40:50, 40:50] = True
    >>> is_sparse(m), is_sparse(np.ones((100, 100), bool))
    (True, False)
    """
    n = int(missing.sum())
    return 0 < n <= fraction * missing.size


def _reflect(r: np.ndarray, n: int, block: int) -> np.ndarray:
    """Padded coordinates (may be < 0 or >= n) -> image coordinates, as the mirror padding of
    :func:`pixelgrad.restore.dct.block_hard_threshold` (``reflect`` when ``n > block``, else
    ``replicate``)."""
    if n > block:
        r = np.abs(r)
        return np.where(r >= n, 2 * n - 2 - r, r)
    return np.clip(r, 0, n - 1)


def _grid(h: int, w: int, uy: np.ndarray, ux: np.ndarray, shift: Tuple[int, int],
          block: int) -> Tuple[np.ndarray, np.ndarray]:
    """For the block grid shifted by ``shift``: the flat pixel indices ``(T, b, b)`` of the T
    blocks that hold one of the pixels ``(uy, ux)`` (int64 numpy arrays), and where each of
    those pixels is in the stacked blocks (flat index into ``(T, b, b)``). Index arithmetic on
    a few thousand pixels: numpy, about 10x less overhead per round than torch here."""
    sy, sx = shift
    py, px = uy + sy, ux + sx
    nbx = (w + sx + block - 1) // block
    nby = (h + sy + block - 1) // block
    key = (py // block) * nbx + px // block
    touched = np.zeros(nby * nbx, dtype=np.bool_)
    touched[key] = True
    ids = np.flatnonzero(touched)
    compact = np.cumsum(touched) - 1
    ar = np.arange(block)
    rows = _reflect((ids // nbx)[:, None] * block + ar - sy, h, block)
    cols = _reflect((ids % nbx)[:, None] * block + ar - sx, w, block)
    gather = rows[:, :, None] * w + cols[:, None, :]
    read = compact[key] * block * block + (py % block) * block + px % block
    return gather, read


def refine(x: torch.Tensor, unknown: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, *, seed: int = 0,
           rounds: int = ROUNDS, deadline: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Iterated block-DCT hard thresholding at the unknown pixels only.

    Round ``k`` thresholds (:func:`pixelgrad.restore.dct.block_hard_threshold`, 16x16 blocks, DC
    kept) at :math:`\tau_k = 0.3 (0.02 / 0.3)^{k / (R - 1)}` on two shifted block grids, averages
    the two, keeps the values in ``[lo, hi]`` and re-imposes the known pixels. Only the blocks
    holding an unknown pixel are gathered (their mirrored borders as in ``block_hard_threshold``),
    both grids' blocks in one call, so a round costs about the blocks around the missing
    pixels, not the image; on a small image, or one with many unknown pixels
    (:data:`DENSE_AREA`, :data:`DENSE_SHARE`), every block is thresholded instead (the same
    values at the unknown pixels, fewer operations). Unknown pixels in separate clusters
    (several holes, scattered strokes) are refined on a stack of the clusters' boxes
    (grown by 15 pixels, padded by repetition to one size) when it is at most half the image (:data:`STACK_SHARE`).

    Parameters
    ----------
    x : torch.Tensor
        ``(C, H, W)`` float image, the starting values at the unknown pixels.
    unknown : torch.Tensor
        ``(C, H, W)`` bool, the pixels to refine (any channel of a pixel makes it a candidate;
        only the channels where it is unknown change).
    lo, hi : torch.Tensor
        ``(C, H, W)`` bounds for the refined values.
    seed : int
        Seed of the grid shifts.
    rounds : int
        Thresholding rounds (>= 1).
    deadline : float, optional
        ``time.perf_counter()`` value after which no further round starts (the first always runs).

    Returns
    -------
    tuple
        ``(image, taus)``: the refined image (``x``'s dtype) and the float64 thresholds of the
        rounds run ``(n, 1)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.full((1, 32, 32), 0.5, dtype=torch.float64); unk = torch.zeros_like(x, dtype=torch.bool)
    >>> unk[0, 10:14, 10:14] = True; x[unk] = 0.0
    >>> out, taus = refine(x, unk, torch.zeros_like(x), torch.ones_like(x))
    >>> float((out - 0.5).abs().max()) < 1e-3, tuple(taus.shape)
    (True, (30, 1))
    """
    c, h, w = x.shape
    flat = torch.nonzero(unknown.any(0).reshape(-1)).squeeze(1)
    if len(flat) == 0 or rounds < 1:
        return x, torch.zeros((0, 1), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    boxes = find_regions(unknown.any(0).numpy(), margin=BLOCK - 1)
    hm = max(b.y1 - b.y0 for b in boxes)
    wm = max(b.x1 - b.x0 for b in boxes)
    if len(boxes) > 1 and STACK_SHARE * len(boxes) * hm * wm <= h * w:
        return _refine_stacked(x, unknown, lo, hi, boxes, (hm, wm), gen, rounds, deadline)
    flat_np = flat.numpy()
    uy, ux = flat_np // w, flat_np % w
    # small or well-filled images: threshold every block (no index building); else gather
    dense = h * w <= DENSE_AREA or len(flat) * DENSE_SHARE >= h * w
    work = torch.float32                              # thresholding: float32 is plenty, twice as fast
    dct = dct_matrix(BLOCK, work)
    xf = x.reshape(c, -1).to(work).clone()
    # 0/1 weights: torch.lerp(x0, v, w) is exactly x0 or v, several times faster on CPU than
    # torch.where with a bool mask
    unk = unknown.reshape(c, -1)[:, flat].to(work)
    lo_u = lo.reshape(c, -1)[:, flat].to(work)
    hi_u = hi.reshape(c, -1)[:, flat].to(work)
    x0_u = xf[:, flat]
    taus: List[float] = []
    for k in range(rounds):
        if k and deadline is not None and time.perf_counter() > deadline:
            break
        tau = _schedule(k, rounds)
        sa, sb = torch.randint(0, BLOCK, (2, 2), generator=gen).tolist()
        if dense:
            img = xf.reshape(c, 1, h, w)
            acc = (block_hard_threshold(img, tau, (sa[0], sa[1]), BLOCK, dct)
                   + block_hard_threshold(img, tau, (sb[0], sb[1]), BLOCK, dct)).reshape(c, -1)[:, flat]
        else:
            ga, ra = _grid(h, w, uy, ux, (sa[0], sa[1]), BLOCK)
            gb, rb = _grid(h, w, uy, ux, (sb[0], sb[1]), BLOCK)
            gather = torch.from_numpy(np.concatenate([ga.reshape(-1), gb.reshape(-1)]))
            blocks = xf[:, gather].reshape(-1, 1, BLOCK, BLOCK)
            t = block_hard_threshold(blocks, tau, (0, 0), BLOCK, dct).reshape(c, -1)
            acc = t[:, torch.from_numpy(ra)] + t[:, torch.from_numpy(rb + ga.size)]
        xf[:, flat] = torch.lerp(x0_u, torch.clamp(0.5 * acc, lo_u, hi_u), unk)
        taus.append(tau)
    return xf.reshape(c, h, w).to(x.dtype), torch.tensor(taus, dtype=torch.float64)[:, None]


def _schedule(k: int, rounds: int) -> float:
    """The threshold of round ``k`` of ``rounds``: geometric from ``TAU[0]`` to ``TAU[1]``."""
    t0, t1 = TAU
    return t0 * (t1 / t0) ** (k / max(rounds - 1, 1))


def _refine_stacked(x: torch.Tensor, unknown: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, boxes: list,
                    size: Tuple[int, int], gen: torch.Generator, rounds: int,
                    deadline: Optional[float]) -> Tuple[torch.Tensor, torch.Tensor]:
    """:func:`refine` for unknown pixels in separate clusters: each cluster's box (grown by 15
    pixels, the block coupling radius) is cut out, padded at its bottom and right by
    repetition to the largest box's size, and the stack is thresholded whole, one call per
    grid shift, so a round costs the boxes' area, not the image's."""
    c = x.shape[0]
    hm, wm = size
    work = torch.float32
    dct = dct_matrix(BLOCK, work)

    def stack(t: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.nn.functional.pad(t[None, :, b.y0:b.y1, b.x0:b.x1].to(work),
                                                    (0, wm - (b.x1 - b.x0), 0, hm - (b.y1 - b.y0)),
                                                    mode="replicate")[0] for b in boxes])

    xs = stack(x)
    unk = torch.stack([torch.nn.functional.pad(unknown[:, b.y0:b.y1, b.x0:b.x1],
                                               (0, wm - (b.x1 - b.x0), 0, hm - (b.y1 - b.y0)), value=False)
                       for b in boxes])
    los, his = stack(lo), stack(hi)
    x0 = xs.clone()
    unk_w = unk.to(work)                                 # 0/1 weights for torch.lerp (see refine)
    taus: List[float] = []
    for k in range(rounds):
        if k and deadline is not None and time.perf_counter() > deadline:
            break
        tau = _schedule(k, rounds)
        sa, sb = torch.randint(0, BLOCK, (2, 2), generator=gen).tolist()
        acc = (block_hard_threshold(xs, tau, (sa[0], sa[1]), BLOCK, dct)
               + block_hard_threshold(xs, tau, (sb[0], sb[1]), BLOCK, dct))
        xs = torch.lerp(x0, torch.clamp(0.5 * acc, los, his), unk_w)
        taus.append(tau)
    out = x.clone()
    for j, b in enumerate(boxes):
        bh, bw = b.y1 - b.y0, b.x1 - b.x0
        view = out[:, b.y0:b.y1, b.x0:b.x1]
        view.copy_(torch.where(unk[j, :, :bh, :bw], xs[j, :, :bh, :bw].to(x.dtype), view))
    return out, torch.tensor(taus, dtype=torch.float64)[:, None]


def _box(mask: np.ndarray, margin: int) -> Tuple[int, int, int, int]:
    """Bounding box ``(y0, y1, x0, x1)`` of ``mask`` grown by ``margin``, clipped."""
    ys = np.flatnonzero(mask.any(1))
    xs = np.flatnonzero(mask.any(0))
    h, w = mask.shape
    return (max(0, int(ys[0]) - margin), min(h, int(ys[-1]) + 1 + margin),
            max(0, int(xs[0]) - margin), min(w, int(xs[-1]) + 1 + margin))


def _exact_energy(x: torch.Tensor) -> torch.Tensor:
    """Biharmonic energy ``sum (L x)^2`` of the crop ``(C, h, w)`` (5-point Laplacian,
    mirrored border), float64 ``(1, 1)``: the history value of the exact stage."""
    p = torch.nn.functional.pad(x[None].double(), (1, 1, 1, 1), mode="replicate")[0]
    lap = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4 * x.double()
    return lap.square().sum().reshape(1, 1)


def fill(x: torch.Tensor, known: torch.Tensor, *, seed: int = 0, z: float = Z, rounds: Optional[int] = None,
         deadline: Optional[float] = None) -> Tuple[torch.Tensor, Dict[str, object], list]:
    """Fill the missing pixels of one image locally (the module docstring's pipeline).

    Parameters
    ----------
    x : torch.Tensor
        ``(C, H, W)`` float image in [0, 1] (the DCT thresholds assume that scale), any device.
        Never modified.
    known : torch.Tensor
        ``(1 or C, H, W)`` bool, True where the pixel is known; at least one known pixel.
    seed : int
        Seed of the hold-out copies and the DCT grid shifts.
    z : float
        Significance the DCT refinement needs on the strokes' hold-out.
    rounds : int, optional
        DCT rounds (0: the exact fills only, harmonic for holes and biharmonic for strokes);
        default :data:`ROUNDS`, or :data:`ROUNDS_LARGE` when more than :data:`SMALL` pixels
        are refined.
    deadline : float, optional
        ``time.perf_counter()`` value after which no further DCT round starts.

    Returns
    -------
    tuple
        ``(image, info, history)``: a new ``(C, H, W)`` tensor (``x``'s dtype and device) equal
        to ``x`` at known pixels; ``info`` with ``path`` (``"local"`` or ``"none"``), ``holes``
        / ``strokes`` (missing pixels of each class), ``stage`` (what each class kept),
        ``holdout`` (hidden pixels) and ``errors`` (mean squared hold-out error per stage);
        ``history``: ``[(stage name, float64 (n, 1) tensor)]`` for the :data:`STAGES` run --
        the biharmonic energy of the crop after the exact fills, then the threshold of each
        DCT round on the strokes' hold-out copies (when there are enough of them), then of
        each DCT round on the missing pixels refined (when there are any).

    Examples
    --------
    >>> import torch
    >>> r = torch.linspace(0, 1, 64, dtype=torch.float64)
    >>> x = (0.5 + 0.4 * torch.sin(6 * r)[:, None] * torch.cos(4 * r)[None, :])[None]
    >>> known = torch.ones_like(x, dtype=torch.bool); known[:, 20:40, 24:44] = False   # a hole
    >>> out, info, hist = fill(torch.where(known, x, 1.0), known)
    >>> bool(torch.equal(out[known], x[known])), float((out - x).abs().max()) < 0.02
    (True, True)
    >>> info["stage"], [name for name, _ in hist]
    ({'holes': 'mean(biharmonic, harmonic + dct)'}, ['local exact', 'local dct threshold'])
    """
    fn = "fill"
    if not isinstance(x, torch.Tensor) or x.ndim != 3 or not x.is_floating_point():
        bad_value(fn, "x", "a float tensor (C, H, W)", x)
    c, h, w = x.shape
    if not isinstance(known, torch.Tensor) or known.dtype != torch.bool or known.ndim != 3 \
            or known.shape[0] not in (1, c) or known.shape[1:] != (h, w):
        bad_value(fn, "known", f"a bool tensor (1 or {c}, {h}, {w})", known)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        bad_value(fn, "seed", "an int >= 0", seed)
    if isinstance(z, bool) or not isinstance(z, (int, float)) or not z >= 0:
        bad_value(fn, "z", "a number >= 0", z)
    if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer))
                               or rounds < 0):
        bad_value(fn, "rounds", "an int >= 0 or None", rounds)
    dev, dtype = x.device, x.dtype
    kfull = known.expand(c, h, w).cpu()
    missing = (~kfull).any(0).numpy()
    info: Dict[str, object] = {"path": "none", "holes": 0, "strokes": 0, "stage": {}, "holdout": 0, "errors": {}}
    if not missing.any():
        return x.clone(), info, []
    if not bool(kfull.any()):
        bad_value(fn, "known", "True for at least one pixel", known)
    # classes on the crop around the missing pixels (its border is known)
    b0, b1, a0, a1 = _box(missing, MARGIN)
    thick_np = np.zeros_like(missing)
    thick_np[b0:b1, a0:a1] = thick_components(np.ascontiguousarray(missing[b0:b1, a0:a1]))
    thin_np = missing & ~thick_np
    n_thin = int(thin_np.sum())
    hold = np.zeros_like(missing)
    y0, y1, x0, x1 = b0, b1, a0, a1
    if n_thin >= MIN_STROKE_PIXELS and rounds != 0:
        hold = holdout_copies(missing, seed=int(seed), source=thin_np)
        if hold.any():
            y0, y1, x0, x1 = _box(missing | hold, MARGIN)
    xc = x[:, y0:y1, x0:x1].detach().to("cpu", torch.float64)
    kc = kfull[:, y0:y1, x0:x1]
    thick = torch.from_numpy(np.ascontiguousarray(thick_np[y0:y1, x0:x1]))
    thin = torch.from_numpy(np.ascontiguousarray(thin_np[y0:y1, x0:x1]))
    hold_c = torch.from_numpy(np.ascontiguousarray(hold[y0:y1, x0:x1]))
    has_holes = bool(thick.any())
    k2 = kc & ~hold_c                                        # the problem with the hold-out hidden
    unknown = ~k2
    lo, hi = local_range(xc, unknown, (missing | hold)[y0:y1, x0:x1])
    start = torch.where(unknown, 0.0, xc)
    # biharmonic: every unknown (the strokes' fill; half of the holes' ensemble)
    bih = direct_solve(start[None], k2[None], order=2)[0].clamp(lo, hi)
    bih = torch.where(k2, xc, bih)
    cur = bih
    if has_holes:
        # harmonic coupling is 4-neighbour: a hole never touches another component
        har = direct_solve(start[None], (k2 | ~thick)[None], order=1)[0].clamp(lo, hi)
        cur = torch.where(thick & unknown, har, bih)
    history = [(STAGES[0], _exact_energy(torch.where(kc, xc, cur)))]
    stage: Dict[str, str] = {}
    errors: Dict[str, float] = {}
    if has_holes:
        stage["holes"] = "harmonic"
    if n_thin:
        stage["strokes"] = "biharmonic"
    n_hold = int(hold_c.sum())
    real = unknown & ~hold_c
    if rounds is None:
        n_ref = int((real & (thick | thin)).any(0).sum())
        rounds = ROUNDS if n_ref <= SMALL else ROUNDS_LARGE
    out = cur
    take_strokes = False
    if rounds > 0 and n_hold >= MIN_HOLDOUT_PIXELS:
        # the hold-out run: the DCT refinement of the stroke copies only (the real unknowns
        # keep their exact fills), judged against the biharmonic fill of the copies
        held = unknown & hold_c
        dct_h, taus_h = refine(cur, held, lo, hi, seed=int(seed) + 1, rounds=int(rounds), deadline=deadline)
        history.append((STAGES[1], taus_h))
        ref_h = xc[:, hold_c]
        e = torch.stack([(v[:, hold_c] - ref_h).square().sum(0) for v in (bih, dct_h)])
        errors = {"strokes biharmonic": float(e[0].mean()), "strokes dct": float(e[1].mean())}
        take_strokes = choose_stage(e, float(z)) == 1 and float(e[1].mean()) <= MIN_GAIN * float(e[0].mean())
    target = real & (thick | thin) if take_strokes else real & thick
    if rounds > 0 and bool(target.any()):
        dct, taus = refine(cur, target, lo, hi, seed=int(seed), rounds=int(rounds), deadline=deadline)
        history.append((STAGES[2], taus))
        if has_holes:
            # the mean of the biharmonic fill and the DCT-refined harmonic one
            out = torch.where(thick, 0.5 * (bih + dct), out)
            stage["holes"] = "mean(biharmonic, harmonic + dct)"
        if take_strokes:
            stage["strokes"] = "biharmonic + dct"
            out = torch.where(thin, dct, out)
    out = torch.where(kc, xc, out)
    res = x.clone()
    res[:, y0:y1, x0:x1] = out.to(dev, dtype)
    info.update(path="local", holes=int(thick.sum()), strokes=n_thin, stage=stage, holdout=n_hold, errors=errors)
    return res, info, history
