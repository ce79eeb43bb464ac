r"""Region-wise inpainting: solve only around the missing pixels.

Real inpainting masks are scratches, text and small holes. A whole-image solver pays for every
pixel of the image; :func:`inpaint_regions` pays for the missing pixels and a margin of known
pixels around them:

1. :func:`find_regions` -- the connected components (8-connected) of the missing pixels of
   each image, each bounding box grown by ``margin`` known pixels and clipped to the image;
   overlapping boxes are merged (until no two boxes overlap).
2. :func:`is_dense` -- when the boxes cover more than ``dense_fraction`` of the image, or
   there are more than ``max_regions`` of them (salt-and-pepper), the whole image is solved
   in one call: the crops would cost as much as the image and add per-call overhead.
3. Each box is cropped (image and mask), crops of equal size are stacked and solved by one
   call of ``solve``, and only the missing pixels are pasted back.

Margin and tolerance
--------------------
With the known pixels fixed (a Dirichlet problem), the discrete harmonic and biharmonic
inpainting problems are *local*: the unknowns :math:`u` solve :math:`A_{uu} x_u = -A_{uk} x_k`
where :math:`A` is the 5-point Laplacian :math:`L` (harmonic) or :math:`L^2` (the 13-point
biharmonic stencil), so a missing pixel only couples to known pixels within its stencil radius
(1 resp. 2 pixels). A crop that keeps at least ``r`` known pixels around every missing pixel
(``margin >= r``) gives the *same* linear system as the whole image: the crop's mirrored
border only changes :math:`L` at the crop's outermost pixels, at least ``r`` away from any
unknown, and for ``r = 2`` those terms :math:`(Lx)_p^2` involve no unknown; so
the region-wise and whole-image minimizers coincide exactly; the only difference left is how
far the iterative solver converged on each problem (conjugate gradient with a relative
residual tolerance: the crop, with fewer pixels, usually converges further). In the continuum
the influence of a boundary value on a harmonic / biharmonic solution decays with the distance
(like the Poisson kernel, :math:`O(d^{-1})` in 2-D, faster than any fixed margin can cut off),
but the discrete solve with fixed known pixels has a hard cut-off at the stencil radius, which
is what the margin must cover. Non-quadratic stages widen the radius: iterated block-DCT
thresholding with ``b x b`` blocks couples a missing pixel to known pixels up to ``b - 1``
away (exact with ``margin >= b - 1`` when the block grids have the same phase) (every block containing it; known pixels are re-imposed each round, so influence does not
travel through them), edge-enhancing diffusion to about ``3 sigma + 1`` per the Gaussian of its
structure tensor. :data:`MARGINS` lists these radii; :data:`DEFAULT_MARGIN` = 16 covers
the 16-pixel DCT blocks of ``pixelgrad.restore.inpaint``'s ``"dct"`` / ``"auto"`` stages. For
those the crops also start at multiples of ``align`` (default 16) so the block grids of crop
and image have the same phase; methods with a random stage choice (``"auto"``'s hold-out)
choose per crop, so they agree with the whole-image solve only in distribution.

Tolerance (tested in ``tests/restore/test_regions.py``): harmonic / biharmonic crops with
``margin >= MARGINS[method]`` agree with the whole-image solve to the solver's convergence:
max abs difference <= 1e-3 on images in [0, 1] with the solver's default tolerance, and
<= 1e-5 once both runs converge tightly (``tol=1e-10``, float64).

Work per image and per region is sequential, in a fixed order (images, then boxes sorted by
position; groups of equal crop size in first-appearance order), with no threads of its own:
the result does not depend on the thread count as long as ``solve``'s does not.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from .._errors import bad_type, bad_value

#: ``solve(y_crop, known_crop) -> filled crop``: a whole-image inpainting callable on
#: ``(N, C, h, w)`` tensors and bool masks ``(N, 1 or C, h, w)``.
Solver = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: Smallest exact margin per ``pixelgrad.restore.inpaint`` method (its coupling radius; "auto"
#: adds edge-enhancing diffusion and a per-crop hold-out choice, so 16 is a safe, not exact, value).
MARGINS: Dict[str, int] = {"harmonic": 1, "biharmonic": 2, "dct": 15, "auto": 16}
#: Margin used when none is given: covers the 16-pixel DCT blocks of "dct" / "auto".
DEFAULT_MARGIN = 16
#: Boxes covering more than this fraction of an image: solve the whole image instead.
DENSE_FRACTION = 0.5
#: More regions than this in one image (salt-and-pepper): solve the whole image instead.
MAX_REGIONS = 64


class Box(NamedTuple):
    """A crop ``[y0:y1, x0:x1]`` of one image (half-open, in pixels)."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def area(self) -> int:
        """Pixels in the box."""
        return (self.y1 - self.y0) * (self.x1 - self.x0)


def _check_margin(fn: str, margin: object, arg: str = "margin") -> int:
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        bad_value(fn, arg, "an int >= 0", margin)
    return int(margin)


def _overlap(a: Box, b: Box) -> bool:
    return a.y0 < b.y1 and b.y0 < a.y1 and a.x0 < b.x1 and b.x0 < a.x1


def _merge(boxes: List[Box]) -> List[Box]:
    """Merge overlapping boxes until none overlap (the union box of each overlapping pair)."""
    boxes = sorted(boxes)
    changed = True
    while changed:
        changed = False
        out: List[Box] = []
        for b in boxes:
            for i, o in enumerate(out):
                if _overlap(b, o):
                    out[i] = Box(min(b.y0, o.y0), max(b.y1, o.y1), min(b.x0, o.x0), max(b.x1, o.x1))
                    changed = True
                    break
            else:
                out.append(b)
        boxes = sorted(out)
    return boxes


def _grow(y0: int, y1: int, n: int, margin: int, align: int) -> Tuple[int, int]:
    """``[y0, y1)`` grown by ``margin`` on both sides, the start rounded down to a multiple
    of ``align``, clipped to ``[0, n)``."""
    a = max(0, y0 - margin)
    a -= a % align
    return a, min(n, y1 + margin)


def find_regions(missing: np.ndarray, margin: int = DEFAULT_MARGIN, align: int = 1) -> List[Box]:
    """The boxes to solve for one image: missing components grown by a margin, merged.

    Parameters
    ----------
    missing : numpy.ndarray
        ``(H, W)`` bool, True where the pixel is missing.
    margin : int
        Known pixels kept around each component's bounding box (>= 0).
    align : int
        The boxes start at multiples of ``align`` (>= 1; e.g. a DCT block size, so block
        grids of the crop and of the image have the same phase).

    Returns
    -------
    list of Box
        Non-overlapping boxes, sorted by ``(y0, y1, x0, x1)``, that together contain every
        missing pixel with at least ``margin`` pixels (or the image border) around it.
        Empty when nothing is missing.

    Raises
    ------
    ValueError
        ``missing`` not a 2-D bool array, bad ``margin`` or ``align``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((40, 40), bool); m[5:8, 5:8] = True; m[30, 30] = True
    >>> find_regions(m, margin=2)
    [Box(y0=3, y1=10, x0=3, x1=10), Box(y0=28, y1=33, x0=28, x1=33)]
    >>> find_regions(m, margin=12)   # the grown boxes overlap: one box
    [Box(y0=0, y1=40, x0=0, x1=40)]
    """
    fn = "find_regions"
    if not isinstance(missing, np.ndarray) or missing.ndim != 2 or missing.dtype != np.bool_:
        bad_value(fn, "missing", "a 2-D bool numpy array", missing)
    margin = _check_margin(fn, margin)
    if isinstance(align, bool) or not isinstance(align, (int, np.integer)) or align < 1:
        bad_value(fn, "align", "an int >= 1", align)
    h, w = missing.shape
    if h == 0 or w == 0 or not missing.any():
        return []
    m8 = missing.astype(np.uint8)
    if margin > 0:
        # components of the mask dilated by the margin group the components whose grown
        # boxes touch at the corners or sides (cheap, one pass); the box merge does the rest
        m8 = cv2.dilate(m8, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8), borderValue=0)
    n, _, stats, _ = cv2.connectedComponentsWithStats(m8, connectivity=8, ltype=cv2.CV_32S)
    boxes = []
    for x, y, bw, bh, _ in stats[1:n].tolist():
        # the dilated component's box is the original boxes grown by the margin (clipped)
        ya, yb = _grow(y, y + bh, h, 0, align)
        xa, xb = _grow(x, x + bw, w, 0, align)
        boxes.append(Box(ya, yb, xa, xb))
    return _merge(boxes)


def is_dense(boxes: Sequence[Box], shape: Tuple[int, int], dense_fraction: float = DENSE_FRACTION,
             max_regions: int = MAX_REGIONS) -> bool:
    """Whether the whole image should be solved instead of the boxes.

    Parameters
    ----------
    boxes : sequence of Box
        The regions of one image (:func:`find_regions`).
    shape : tuple of int
        ``(H, W)`` of the image.
    dense_fraction : float
        Dense when the boxes cover more than this fraction of the image.
    max_regions : int
        Dense when there are more boxes than this (per-call overhead of many tiny solves).

    Returns
    -------
    bool

    Examples
    --------
    >>> is_dense([Box(0, 10, 0, 10)], (100, 100)), is_dense([Box(0, 90, 0, 90)], (100, 100))
    (False, True)
    """
    area = sum(b.area for b in boxes)
    return len(boxes) > max_regions or area > dense_fraction * shape[0] * shape[1]


def _check_inputs(fn: str, y: object, known: object) -> None:
    if not isinstance(y, torch.Tensor):
        bad_type(fn, "y", "a torch.Tensor (B, C, H, W)", y)
    if not isinstance(known, torch.Tensor):
        bad_type(fn, "known", "a bool torch.Tensor (B, 1 or C, H, W)", known)
    if y.ndim != 4:
        bad_value(fn, "y", "a 4-D tensor (B, C, H, W)", y)
    if known.dtype != torch.bool:
        bad_value(fn, "known", "of dtype bool (True = known pixel)", known)
    b, c, h, w = y.shape
    if known.ndim != 4 or known.shape[0] != b or known.shape[-2:] != (h, w) or known.shape[1] not in (1, c):
        bad_value(fn, "known", f"of shape ({b}, 1 or {c}, {h}, {w})", known)
    if known.device != y.device:
        bad_value(fn, "known", f"on the image's device {y.device}", known)


def inpaint_regions(y: torch.Tensor, known: torch.Tensor, solve: Solver, *, margin: Optional[int] = None,
                    align: int = 16, dense_fraction: float = DENSE_FRACTION,
                    max_regions: int = MAX_REGIONS, batch: bool = True, clip: bool = False) -> torch.Tensor:
    r"""Inpaint ``y`` by calling a whole-image solver on crops around the missing pixels.

    Parameters
    ----------
    y : torch.Tensor
        Images ``(B, C, H, W)`` (any dtype ``solve`` accepts). Never modified.
    known : torch.Tensor
        Bool ``(B, 1 or C, H, W)``, True where the pixel is known; a pixel is missing when any
        channel is, and is then pasted back on the channels where it is unknown.
    solve : callable
        ``solve(y_crop, known_crop) -> tensor`` of ``y_crop``'s shape: a whole-image inpainting
        function (e.g. ``lambda a, k: pg.restore.inpaint(a, k, method="biharmonic").image``),
        called on ``(N, C, h, w)`` crops and their ``(N, 1 or C, h, w)`` masks, and on the
        whole image ``(1, C, H, W)`` for a dense image.
    margin : int, optional
        Known pixels kept around each missing component (default :data:`DEFAULT_MARGIN`);
        see the module docstring for the exact margin per solver (:data:`MARGINS`).
    align : int
        Crops start at multiples of ``align`` (16: the DCT block grid of ``inpaint``).
    dense_fraction, max_regions
        When the crops of an image are dense (:func:`is_dense`) the whole image is solved.
    batch : bool
        Stack the crops of equal size (across the batch too) into one ``solve`` call.
    clip : bool
        Clip the filled pixels of each crop to the range of its known pixels (per channel):
        a discrete maximum principle that harmonic filling obeys and biharmonic filling
        overshoots near strong edges (scikit-image's ``inpaint_biharmonic`` clips to the
        image's known range). Off by default: the result then equals ``solve``'s exactly.

    Returns
    -------
    torch.Tensor
        A new tensor equal to ``y`` except at the missing pixels, which hold ``solve``'s
        values (an empty batch or a fully known batch: a copy of ``y``).

    Raises
    ------
    TypeError
        ``y`` or ``known`` not a tensor, ``solve`` not callable.
    ValueError
        A mask of the wrong shape, dtype or device, ``y`` not 4-D, bad ``margin`` / ``align`` /
        ``dense_fraction`` / ``max_regions``, or ``solve`` returning a wrong shape.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> x = torch.linspace(0, 1, 64).repeat(64, 1)[None, None]     # a ramp
    >>> known = torch.ones_like(x, dtype=torch.bool); known[..., 20:26, 30:34] = False
    >>> solve = lambda a, k: pg.restore.inpaint(a, k, method="harmonic").image
    >>> out = inpaint_regions(torch.where(known, x, 0.0), known, solve, margin=2)
    >>> bool(torch.equal(out[known], x[known])), float((out - x).abs().max()) < 1e-3
    (True, True)
    """
    fn = "inpaint_regions"
    _check_inputs(fn, y, known)
    if not callable(solve):
        bad_type(fn, "solve", "a callable solve(y_crop, known_crop) -> tensor", solve)
    margin = DEFAULT_MARGIN if margin is None else _check_margin(fn, margin)
    if isinstance(align, bool) or not isinstance(align, (int, np.integer)) or align < 1:
        bad_value(fn, "align", "an int >= 1", align)
    if isinstance(dense_fraction, bool) or not isinstance(dense_fraction, (int, float)) \
            or not 0.0 <= float(dense_fraction) <= 1.0:
        bad_value(fn, "dense_fraction", "a number in [0, 1]", dense_fraction)
    if isinstance(max_regions, bool) or not isinstance(max_regions, (int, np.integer)) or max_regions < 0:
        bad_value(fn, "max_regions", "an int >= 0", max_regions)
    out = y.clone()
    bsz, c, h, w = y.shape
    if bsz == 0 or h == 0 or w == 0:
        return out
    missing = (~known).any(1).cpu().numpy()
    jobs: Dict[Tuple[int, int], List[Tuple[int, Box]]] = {}
    for i in range(bsz):
        if not missing[i].any():
            continue
        boxes = find_regions(missing[i], margin, int(align))
        if is_dense(boxes, (h, w), float(dense_fraction), int(max_regions)):
            boxes = [Box(0, h, 0, w)]
        for bx in boxes:
            jobs.setdefault((bx.y1 - bx.y0, bx.x1 - bx.x0), []).append((i, bx))
    for (bh, bw), items in jobs.items():
        step = len(items) if batch else 1
        for s in range(0, len(items), step):
            part = items[s:s + step]
            yc = torch.stack([y[i, :, b.y0:b.y1, b.x0:b.x1] for i, b in part])
            kc = torch.stack([known[i, :, b.y0:b.y1, b.x0:b.x1] for i, b in part])
            res = solve(yc, kc)
            if not isinstance(res, torch.Tensor) or res.shape != yc.shape:
                bad_value(fn, "solve", f"a callable returning a tensor of the crop's shape {tuple(yc.shape)}",
                          res)
            res = res.to(out.dtype)
            if clip:
                big = torch.finfo(res.dtype).max if res.is_floating_point() else torch.iinfo(res.dtype).max
                kb = kc.expand_as(yc)
                lo = torch.where(kb, yc, torch.full_like(yc, big)).amin((-2, -1), keepdim=True)
                hi = torch.where(kb, yc, torch.full_like(yc, -big)).amax((-2, -1), keepdim=True)
                none = lo > hi                                   # a channel with no known pixel
                lo, hi = lo.masked_fill(none, -big), hi.masked_fill(none, big)
                res = torch.maximum(torch.minimum(res, hi.to(res.dtype)), lo.to(res.dtype))
            for j, (i, b) in enumerate(part):
                view = out[i, :, b.y0:b.y1, b.x0:b.x1]
                view.copy_(torch.where(kc[j], view, res[j]))
    return out


#: Most unknowns per plane that :func:`direct_solve` factorizes densely (about 0.2 s and
#: 50 MB in float64 on one core); larger problems go to its ``fallback``.
MAX_DIRECT_UNKNOWNS = 2500
_STENCIL_CACHE: Dict[Tuple[int, int], Tuple[np.ndarray, np.ndarray]] = {}


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run the dense factorizations on one thread: bitwise the same result on any machine
    load or thread setting."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def _laplacian_stencil(h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
    """The 5-point Laplacian with a mirrored (Neumann) border on an ``h x w`` grid as
    ``(index, weight)``, both ``(hw, 5)``: ``(L x)_p = sum_s weight[p, s] x[index[p, s]]``, i.e.
    the sum over the in-image neighbours q of p of ``x_q - x_p`` (absent neighbours: index p,
    weight 0)."""
    key = (h, w)
    got = _STENCIL_CACHE.get(key)
    if got is None:
        idx = np.arange(h * w).reshape(h, w)
        nbr = np.repeat(idx.reshape(-1, 1), 5, 1).reshape(h, w, 5)
        wt = np.zeros((h, w, 5))
        nbr[:, 1:, 1], wt[:, 1:, 1] = idx[:, :-1], 1.0
        nbr[:, :-1, 2], wt[:, :-1, 2] = idx[:, 1:], 1.0
        nbr[1:, :, 3], wt[1:, :, 3] = idx[:-1, :], 1.0
        nbr[:-1, :, 4], wt[:-1, :, 4] = idx[1:, :], 1.0
        wt[..., 0] = -wt[..., 1:].sum(-1)
        got = (nbr.reshape(-1, 5), wt.reshape(-1, 5))
        if len(_STENCIL_CACHE) > 64:
            _STENCIL_CACHE.clear()
        _STENCIL_CACHE[key] = got
    return got


def _solve_plane(nbr: np.ndarray, wt: np.ndarray, order: int, vals: torch.Tensor,
                 missing: np.ndarray) -> torch.Tensor:
    """``vals`` (P, K) float64 with the flat indices ``missing`` replaced by the exact
    minimizer of ``x^T A x`` (``A = -L`` or ``L L``) with the other entries fixed."""
    n = len(missing)
    pos = np.full(vals.shape[0], -1, np.int64)
    pos[missing] = np.arange(n)
    if order == 1:                                    # row p of -L
        cols, v = nbr[missing], -wt[missing]
    else:                                             # row p of L L (L is symmetric)
        mid = nbr[missing]                                               # (n, 5)
        cols = nbr[mid].reshape(n, 25)
        v = (wt[missing][:, :, None] * wt[mid]).reshape(n, 25)
    rows = np.repeat(np.arange(n), cols.shape[1])
    cols, v = cols.ravel(), torch.from_numpy(v.ravel())
    pj = pos[cols]
    uu, uk = pj >= 0, pj < 0
    auu = torch.zeros(n * n, dtype=torch.float64)
    auu.index_add_(0, torch.from_numpy(rows[uu] * n + pj[uu]), v[torch.from_numpy(uu)])
    auu = auu.reshape(n, n)
    rhs = torch.zeros(n, vals.shape[1], dtype=torch.float64)
    rhs.index_add_(0, torch.from_numpy(rows[uk]), -v[torch.from_numpy(uk)][:, None] * vals[torch.from_numpy(cols[uk])])
    chol, info = torch.linalg.cholesky_ex(auu)
    if int(info) == 0:
        sol = torch.cholesky_solve(rhs, chol)
    else:  # singular (a component that no known pixel reaches): least squares
        sol = torch.linalg.lstsq(auu, rhs, driver="gelsd").solution
    out = vals.clone()
    out[torch.from_numpy(missing)] = sol
    return out


def direct_solve(y: torch.Tensor, known: torch.Tensor, *, order: int = 2,
                 fallback: Optional[Solver] = None, max_unknowns: int = MAX_DIRECT_UNKNOWNS) -> torch.Tensor:
    r"""Exact harmonic (``order=1``) or biharmonic (``order=2``) inpainting by a dense solve.

    A ``solve`` for :func:`inpaint_regions` on small crops: it minimizes
    :math:`\sum |\nabla x|^2` resp. :math:`\sum (L x)^2` (5-point Laplacian, mirrored border:
    the energies of ``pixelgrad.restore.inpaint``'s ``"harmonic"`` / ``"biharmonic"``) with
    the known pixels fixed, by a Cholesky factorization of the unknowns' block, in float64
    on one thread (deterministic). Cost :math:`O(n^3)` for :math:`n` unknowns per plane
    (about 0.05 s for a 40x40 hole), against the thousands of conjugate-gradient steps a
    hole of that size needs.

    Parameters
    ----------
    y : torch.Tensor
        Images ``(N, C, h, w)``, float. Never modified.
    known : torch.Tensor
        Bool ``(N, 1 or C, h, w)``, True where the pixel is known.
    order : int
        1 (harmonic) or 2 (biharmonic).
    fallback : callable, optional
        ``fallback(y, known)`` for images with more than ``max_unknowns`` unknowns per plane
        (default: raise ``ValueError``).
    max_unknowns : int
        Largest dense factorization.

    Returns
    -------
    torch.Tensor
        The filled images, of ``y``'s shape, dtype and device; known pixels equal ``y``.

    Raises
    ------
    ValueError
        Bad ``order`` / ``max_unknowns``, mismatched ``known``, or too many unknowns without a
        ``fallback``.

    Examples
    --------
    >>> import torch
    >>> r = torch.arange(12, dtype=torch.float64)
    >>> yy, xx = torch.meshgrid(r, r, indexing="ij")
    >>> x = (0.02 * xx + 0.03 * yy + 0.1)[None, None]      # a plane
    >>> known = torch.ones_like(x, dtype=torch.bool); known[..., 4:8, 3:9] = False
    >>> out = direct_solve(torch.where(known, x, 0.0), known)   # biharmonic: exact on planes
    >>> float((out - x).abs().max()) < 1e-10
    True
    """
    fn = "direct_solve"
    _check_inputs(fn, y, known)
    if order not in (1, 2) or isinstance(order, bool):
        bad_value(fn, "order", "1 (harmonic) or 2 (biharmonic)", order)
    if isinstance(max_unknowns, bool) or not isinstance(max_unknowns, (int, np.integer)) or max_unknowns < 0:
        bad_value(fn, "max_unknowns", "an int >= 0", max_unknowns)
    n_img, c, h, w = y.shape
    out = y.clone()
    if n_img == 0 or h == 0 or w == 0:
        return out
    miss = (~known).reshape(n_img, known.shape[1], -1).cpu().numpy()
    if int(miss.sum(-1).max()) > max_unknowns:
        if fallback is None:
            bad_value(fn, "y", f"images with at most max_unknowns={max_unknowns} unknown pixels per "
                      "plane (or give a fallback)", y)
        return fallback(y, known)
    nbr, wt = _laplacian_stencil(h, w)
    with _one_thread():
        for i in range(n_img):
            vals = y[i].reshape(c, -1).T.to("cpu", torch.float64)           # (P, C)
            if known.shape[1] == 1:
                groups = [(np.flatnonzero(miss[i, 0]), slice(None))]
            else:
                groups = [(np.flatnonzero(miss[i, ch]), slice(ch, ch + 1)) for ch in range(c)]
            for idx, chans in groups:
                if len(idx):
                    vals[:, chans] = _solve_plane(nbr, wt, order, vals[:, chans], idx)
            out[i] = vals.T.reshape(c, h, w).to(y.device, y.dtype)
    return out


def choose_stage(errors: torch.Tensor, z: float = 2.0) -> int:
    r"""The stage to keep from per-pixel hold-out errors, moving past the first (safest) stage
    only on significant evidence.

    ``inpaint(method="auto")`` hides a few percent of the known pixels, runs its stages and
    keeps the one with the least summed squared error on them. At 95 % missing that is a few
    hundred pixels; on images with large flat (dark) areas about half of them sit where every
    stage is right, and the sum is decided by a handful of pixels on bright details: the
    argmin of a heavy-tailed sample, which mispredicts. Here stage ``k`` replaces the current
    choice ``j`` only when the paired mean improvement
    :math:`d_i = e_{j,i} - e_{k,i}` is more than ``z`` standard errors above 0.

    Parameters
    ----------
    errors : torch.Tensor
        ``(S, N)``: the squared error of each of ``S`` stages (in pipeline order, the first the
        fallback) on each of ``N`` held-out pixels.
    z : float
        Required significance (standard errors of the mean paired difference, >= 0; 0 is the
        plain argmin of the mean except for ties).

    Returns
    -------
    int
        The index of the chosen stage.

    Raises
    ------
    ValueError
        ``errors`` not 2-D with at least one stage, or ``z`` negative.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> base = torch.rand(400, generator=g) * 1e-3
    >>> noisy = base.clone(); noisy[:3] = 0.0         # better on 3 pixels only: not significant
    >>> choose_stage(torch.stack([base, noisy]))
    0
    >>> choose_stage(torch.stack([base, 0.5 * base]))  # better everywhere
    1
    """
    fn = "choose_stage"
    if not isinstance(errors, torch.Tensor) or errors.ndim != 2 or errors.shape[0] < 1:
        bad_value(fn, "errors", "a (stages, pixels) tensor with at least one stage", errors)
    if isinstance(z, bool) or not isinstance(z, (int, float)) or not z >= 0:
        bad_value(fn, "z", "a number >= 0", z)
    e = errors.to(torch.float64)
    n = e.shape[1]
    best = 0
    if n < 2:
        return best
    for k in range(1, e.shape[0]):
        d = e[best] - e[k]
        mean = float(d.mean())
        se = float(d.std()) / n ** 0.5
        if mean > 0 and mean > z * se:
            best = k
    return best
