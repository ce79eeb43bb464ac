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

The module is a leaf (it imports nothing else of ``pixelgrad.restore``). Besides the
region-wise driver it holds the pieces of ``inpaint(method="auto")``'s local pipeline
(``pixelgrad.restore._local_inpaint``): :func:`direct_solve` (the exact sparse fills),
:func:`thick_components` (holes vs strokes), :func:`local_range` (the clipping range of a
component), :func:`holdout_copies` and :func:`choose_stage` (the hold-out that decides).

Work per image and per region is sequential, in a fixed order (images, then boxes sorted by
position; groups of equal crop size in first-appearance order), with no threads of its own:
the result does not depend on the thread count as long as ``solve``'s does not.
"""
from __future__ import annotations

from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

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
    m8: np.ndarray = missing.astype(np.uint8)
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


_LAPLACIAN_CACHE: Dict[Tuple[int, int], object] = {}


def _neumann_laplacian(h: int, w: int):
    """The 5-point Laplacian with a mirrored (Neumann) border on an ``h x w`` grid, as a
    scipy CSC matrix ``(hw, hw)``: ``(L x)_p`` is the sum over the in-image neighbours q of p
    of ``x_q - x_p`` (row-major pixel order). Cached per size."""
    import scipy.sparse as sp

    key = (h, w)
    lap = _LAPLACIAN_CACHE.get(key)
    if lap is None:
        def second_difference(n: int):
            main = np.full(n, -2.0)
            main[0] += 1.0
            main[-1] += 1.0
            if n == 1:
                main[:] = 0.0
            off = np.ones(max(n - 1, 0))
            return sp.diags([off, main, off], [-1, 0, 1], shape=(n, n), format="csr")

        lap = (sp.kron(sp.identity(h, format="csr"), second_difference(w))
               + sp.kron(second_difference(h), sp.identity(w, format="csr"))).tocsc()
        if len(_LAPLACIAN_CACHE) > 64:
            _LAPLACIAN_CACHE.clear()
        _LAPLACIAN_CACHE[key] = lap
    return lap


def _ldl_solve(a, rhs: np.ndarray) -> Optional[np.ndarray]:
    """``a^{-1} rhs`` (``rhs`` ``(n,)`` or ``(n, K)``) for the symmetric positive definite
    ``a`` by a sparse LDL^T factorization (``qdldl``, Apache-2.0: about 1.6x faster than
    SuperLU's LU on the stroke systems, half the flops); None when qdldl is not installed,
    the factorization fails, a pivot is not clearly positive (a singular system: a
    component that no known pixel reaches) or the solution is not finite, so the caller
    falls back to SuperLU."""
    try:
        import qdldl
    except ImportError:  # pragma: no cover - qdldl is a dependency; the fallback stays correct
        return None
    try:
        solver = qdldl.Solver(a)
        pivots = solver.factors()[1]
        if len(pivots) and not float(pivots.min()) > 1e-12 * float(np.abs(pivots).max()):
            return None
        if rhs.ndim == 1:
            sol = solver.solve(rhs)
        else:
            sol = np.stack([solver.solve(np.ascontiguousarray(rhs[:, j])) for j in range(rhs.shape[1])], 1)
    except (RuntimeError, ValueError):
        return None
    return sol if np.isfinite(sol).all() else None


def _solve_plane(lap, order: int, vals: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``vals`` (P, K) float64 with the rows ``missing`` replaced by the exact minimizer of
    ``x^T A x`` (``A = -L`` or ``L L``) with the other rows fixed: a sparse LU of ``A_uu``."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    x0 = vals.copy()
    x0[missing] = 0.0
    if order == 1:
        rows = lap[missing]                                   # (n, P) rows of L (CSR)
        auu = -rows[:, missing]
        rhs = rows @ x0                                       # -A_uk x_k = L_uk x_k
    else:
        cols = lap[:, missing]                                # (P, n) columns of L
        auu = (cols.T @ cols)
        rhs = -(cols.T @ (lap @ x0))
    auu = sp.csc_matrix(auu)
    rhs = np.ascontiguousarray(rhs)
    sol = _ldl_solve(auu, rhs)
    if sol is None:
        try:
            sol = splu(auu, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options=dict(SymmetricMode=True)).solve(rhs)
        except RuntimeError:  # singular: a component that no known pixel reaches -- tiny ridge
            eps = 1e-10 * float(abs(auu.diagonal()).max() or 1.0)
            sol = splu(sp.csc_matrix(auu + eps * sp.identity(auu.shape[0])),
                       permc_spec="MMD_AT_PLUS_A").solve(rhs)
    out = vals.copy()
    out[missing] = sol.reshape(len(missing), -1)
    return out


def direct_solve(y: torch.Tensor, known: torch.Tensor, *, order: int = 2,
                 fallback: Optional[Solver] = None, max_unknowns: Optional[int] = None) -> torch.Tensor:
    r"""Exact harmonic (``order=1``) or biharmonic (``order=2``) inpainting by a sparse direct solve.

    Minimizes :math:`\sum |\nabla x|^2` resp. :math:`\sum (L x)^2` (5-point Laplacian
    :math:`L`, mirrored border: the energies of ``pixelgrad.restore.inpaint``'s
    ``"harmonic"`` / ``"biharmonic"``) with the known pixels fixed: the unknowns :math:`u`
    solve :math:`A_{uu} x_u = -A_{uk} x_k` with :math:`A = -L` resp. :math:`A = L^2` (the
    13-point stencil), restricted to the unknowns, factorized by a sparse LU
    (an LDL^T factorization by ``qdldl``, with SuperLU -- ``scipy.sparse.linalg.splu``,
    minimum-degree ordering on :math:`A + A^T` -- as the fallback) in float64.
    Any mask shape costs about what a sparse factorization of its unknowns costs (thin text
    bands and scribbles: nearly linear; a square hole of :math:`n` unknowns:
    :math:`O(n^{1.5})`), against the thousands of conjugate-gradient steps a hole needs. A
    connected set of unknowns that no known pixel reaches (a singular system) gets a tiny
    ridge (:math:`10^{-10}` of the largest diagonal entry). Deterministic: qdldl and
    SuperLU run on one thread.

    Parameters
    ----------
    y : torch.Tensor
        Images ``(N, C, h, w)``, float. Never modified.
    known : torch.Tensor
        Bool ``(N, 1 or C, h, w)``, True where the pixel is known; a 1-channel mask shares
        one factorization among the channels.
    order : int
        1 (harmonic) or 2 (biharmonic).
    fallback : callable, optional
        ``fallback(y, known)`` for batches with more than ``max_unknowns`` unknowns in a plane.
    max_unknowns : int, optional
        Largest factorization (default: no limit).

    Returns
    -------
    torch.Tensor
        The filled images, of ``y``'s shape, dtype and device; known pixels equal ``y``.

    Raises
    ------
    TypeError
        ``y`` or ``known`` not a tensor.
    ValueError
        Bad ``order`` / ``max_unknowns``, mismatched ``known``, or more than ``max_unknowns``
        unknowns without a ``fallback``.

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
    if max_unknowns is not None and (isinstance(max_unknowns, bool) or not isinstance(max_unknowns, (int, np.integer))
                                     or max_unknowns < 0):
        bad_value(fn, "max_unknowns", "an int >= 0 or None", max_unknowns)
    if fallback is not None and not callable(fallback):
        bad_type(fn, "fallback", "a callable fallback(y, known) -> tensor or None", fallback)
    n_img, c, h, w = y.shape
    out = y.clone()
    if n_img == 0 or h == 0 or w == 0:
        return out
    miss = (~known).reshape(n_img, known.shape[1], -1).cpu().numpy()
    if max_unknowns is not None and int(miss.sum(-1).max()) > max_unknowns:
        if fallback is None:
            bad_value(fn, "y", f"images with at most max_unknowns={max_unknowns} unknown pixels per "
                      "plane (or give a fallback)", y)
        return fallback(y, known)
    if not miss.any():
        return out
    lap = _neumann_laplacian(h, w)
    for i in range(n_img):
        if not miss[i].any():
            continue
        vals = y[i].detach().reshape(c, -1).T.to("cpu", torch.float64).numpy().copy()   # (P, C)
        if known.shape[1] == 1:
            groups = [(np.flatnonzero(miss[i, 0]), slice(None))]
        else:
            groups = [(np.flatnonzero(miss[i, ch]), slice(ch, ch + 1)) for ch in range(c)]
        for idx, chans in groups:
            if len(idx):
                vals[:, chans] = _solve_plane(lap, order, vals[:, chans], idx)
        out[i] = torch.from_numpy(vals.T.reshape(c, h, w)).to(y.device, y.dtype)
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


# ====================================================================== local-pipeline helpers
#: Fraction of the missing area copied as the hold-out.
HOLDOUT_FRACTION = 0.25
#: A small mask is copied about this many times over, up to :data:`MIN_HOLDOUT` pixels.
MIN_HOLDOUT_COPIES, MIN_HOLDOUT = 3, 2048
#: A component is thick (a hole, not a stroke) when its pixels are on average more than this
#: far (city-block distance) from the nearest known pixel (a 3-pixel stroke: about 1.3, a
#: 10x10 hole: 2.2, a 16x16 hole: 3.2).
THICK = 2.5
#: Known pixels kept between the hold-out copies and the missing pixels (Chebyshev): the
#: 13-point biharmonic stencil couples unknowns up to Manhattan distance 2, so with 3 the
#: exact solves of the hold-out and of the real problem are independent.
HOLDOUT_GAP = 3


def local_range(values: torch.Tensor, unknown: torch.Tensor, missing: np.ndarray,
                 pad: int = 2) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per channel and per connected component of ``missing``, the range of the known pixels
    around it: the bounds a fill of that component is clipped to.

    Parameters
    ----------
    values : torch.Tensor
        ``(C, H, W)`` float image.
    unknown : torch.Tensor
        ``(C, H, W)`` bool, True where a value is not known (excluded from the ranges).
    missing : numpy.ndarray
        ``(H, W)`` bool, the pixels whose components get a range.
    pad : int
        The component's bounding box is grown by ``pad`` pixels to find its known neighbours.

    Returns
    -------
    tuple of torch.Tensor
        ``(lo, hi)`` ``(C, H, W)``: the range at the component's pixels, the channel's whole
        known range elsewhere (and in a box without a known pixel of that channel).

    Examples
    --------
    >>> import numpy as np, torch
    >>> v = torch.linspace(0, 1, 10, dtype=torch.float64).repeat(10, 1)[None]
    >>> m = np.zeros((10, 10), bool); m[4:6, 4:6] = True
    >>> lo, hi = local_range(v, torch.from_numpy(m)[None], m)
    >>> round(float(lo[0, 4, 4]), 3), round(float(hi[0, 4, 4]), 3), float(hi[0, 0, 0])
    (0.222, 0.778, 1.0)
    """
    import cv2

    c, h, w = values.shape
    big = torch.finfo(values.dtype).max
    kv_lo = torch.where(unknown, big, values)
    kv_hi = torch.where(unknown, -big, values)
    glo = kv_lo.amin((-2, -1), keepdim=True)
    ghi = kv_hi.amax((-2, -1), keepdim=True)
    lo = glo.expand(c, h, w).clone()
    hi = ghi.expand(c, h, w).clone()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(missing.astype(np.uint8), connectivity=8,
                                                           ltype=cv2.CV_32S)
    labels_t = torch.from_numpy(labels)
    for j, (x0, y0, bw, bh, _) in enumerate(stats[1:n].tolist(), start=1):
        ya, yb, xa, xb = max(0, y0 - pad), min(h, y0 + bh + pad), max(0, x0 - pad), min(w, x0 + bw + pad)
        clo = kv_lo[:, ya:yb, xa:xb].amin((-2, -1))
        chi = kv_hi[:, ya:yb, xa:xb].amax((-2, -1))
        ok = clo <= chi                                  # channels with a known pixel in the box
        clo, chi = torch.where(ok, clo, glo[:, 0, 0]), torch.where(ok, chi, ghi[:, 0, 0])
        sel = labels_t[y0:y0 + bh, x0:x0 + bw] == j
        lo[:, y0:y0 + bh, x0:x0 + bw][:, sel] = clo[:, None]
        hi[:, y0:y0 + bh, x0:x0 + bw][:, sel] = chi[:, None]
    none = glo > ghi                                     # a channel without any known pixel
    lo = torch.where(none, -big, lo)
    hi = torch.where(none, big, hi)
    return lo, hi


def holdout_copies(missing: np.ndarray, fraction: float = HOLDOUT_FRACTION, gap: int = HOLDOUT_GAP,
                   seed: int = 0, source: Optional[np.ndarray] = None) -> np.ndarray:
    """Known pixels to hide for choosing a stage: translated copies of missing components.

    A hold-out of random single pixels predicts how well a method fills single pixels, not a
    40x40 hole or a 3-pixel-wide stroke. Here components of the missing pixels (in a seeded
    random order, until ``fraction`` of the missing area is covered; at least one tried) are
    copied -- the same shape -- to a nearby place (shifted by the component's size plus
    ``gap`` in one of 8 directions, else at a few random offsets within twice its size) where
    every copied pixel is known and at least ``gap`` pixels (Chebyshev) from every missing
    pixel and every other copy.

    Parameters
    ----------
    missing : numpy.ndarray
        ``(H, W)`` bool, True where the pixel is missing.
    fraction : float
        Target hold-out area as a fraction of the missing area (in ``(0, 1]``).
    gap : int
        Smallest Chebyshev distance from a copy to a missing pixel or another copy (>= 1).
    seed : int
        Seed of the component order and the random offsets.
    source : numpy.ndarray, optional
        ``(H, W)`` bool, the part of ``missing`` whose components are copied (default: all of
        it); the copies keep the gap to all of ``missing``.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool, True at the hold-out pixels (all known); may be empty when no copy fits.

    Raises
    ------
    ValueError
        ``missing`` not a 2-D bool array, bad ``fraction`` or ``gap``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((40, 40), bool); m[10:14, 10:20] = True
    >>> h = holdout_copies(m)
    >>> int(h.sum()), bool((h & m).any())          # three copies of the 4x10 hole, disjoint
    (120, False)
    """
    import cv2

    fn = "holdout_copies"
    if not isinstance(missing, np.ndarray) or missing.ndim != 2 or missing.dtype != np.bool_:
        bad_value(fn, "missing", "a 2-D bool numpy array", missing)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 < float(fraction) <= 1.0:
        bad_value(fn, "fraction", "a number in (0, 1]", fraction)
    gap = _check_margin(fn, gap, "gap")
    if gap < 1:
        bad_value(fn, "gap", "an int >= 1", gap)
    h, w = missing.shape
    out = np.zeros((h, w), bool)
    if not missing.any():
        return out
    kernel = np.ones((2 * gap - 1, 2 * gap - 1), np.uint8)
    forbidden = cv2.dilate(missing.astype(np.uint8), kernel, borderValue=0).astype(bool)
    if source is not None:
        if not isinstance(source, np.ndarray) or source.shape != missing.shape or source.dtype != np.bool_:
            bad_value(fn, "source", f"a bool numpy array of shape {missing.shape}", source)
        source = source & missing
        if not source.any():
            return out
    labels, boxes = _pieces(missing if source is None else source)
    g = np.random.default_rng(seed)
    area = float(missing.sum() if source is None else source.sum())
    # at least 3 copies of a small mask (one hole), and a fraction of a large one
    target = max(float(fraction) * area, min(MIN_HOLDOUT_COPIES * area, MIN_HOLDOUT))
    placed = 0
    order = (g.permutation(len(boxes)) + 1)[:4096].tolist()
    for _ in range(MIN_HOLDOUT_COPIES):                  # passes: a piece may be copied again
        progress = False
        for j in order:
            if placed >= target:
                break
            y0, y1, x0, x1 = boxes[j - 1]
            bh, bw = y1 - y0, x1 - x0
            shape = labels[y0:y1, x0:x1] == j
            sy, sx = bh + gap, bw + gap
            offsets = [(0, sx), (0, -sx), (sy, 0), (-sy, 0), (sy, sx), (-sy, -sx), (sy, -sx), (-sy, sx)]
            reach = 2 * max(bh, bw) + 2 * gap
            offsets += [tuple(v) for v in g.integers(-reach, reach + 1, (8, 2)).tolist()]
            for dy, dx in offsets:
                ya, xa = y0 + dy, x0 + dx
                if ya < 0 or xa < 0 or ya + bh > h or xa + bw > w:
                    continue
                if (forbidden[ya:ya + bh, xa:xa + bw] & shape).any():
                    continue
                out[ya:ya + bh, xa:xa + bw] |= shape
                yb0, yb1 = max(0, ya - gap + 1), min(h, ya + bh + gap - 1)
                xb0, xb1 = max(0, xa - gap + 1), min(w, xa + bw + gap - 1)
                # a copy keeps the gap to later copies too
                forbidden[yb0:yb1, xb0:xb1] |= cv2.dilate(
                    out[yb0:yb1, xb0:xb1].astype(np.uint8), kernel, borderValue=0).astype(bool)
                placed += int(shape.sum())
                progress = True
                break
        if placed >= target or not progress:
            break
    return out


#: Components are cut into pieces of at most this many pixels a side for the hold-out copies
#: (a long scratch is copied as short segments).
PIECE = 64


def _pieces(missing: np.ndarray) -> Tuple[np.ndarray, List[Tuple[int, int, int, int]]]:
    """The 8-connected components of ``missing`` cut by a grid of :data:`PIECE`-pixel tiles:
    an int label image (0 outside, pieces 1..n) and each piece's box ``(y0, y1, x0, x1)``."""
    import cv2
    from scipy import ndimage

    h, w = missing.shape
    _, comp = cv2.connectedComponents(missing.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    ntx = (w + PIECE - 1) // PIECE
    tile = (np.arange(h)[:, None] // PIECE) * ntx + np.arange(w)[None, :] // PIECE
    key = comp.astype(np.int64) * (ntx * ((h + PIECE - 1) // PIECE)) + tile
    _, inv = np.unique(key[missing], return_inverse=True)
    labels = np.zeros((h, w), np.int32)
    labels[missing] = inv.reshape(-1) + 1
    boxes = [(sl[0].start, sl[0].stop, sl[1].start, sl[1].stop) for sl in ndimage.find_objects(labels)]
    return labels, boxes


def thick_components(mask: np.ndarray) -> np.ndarray:
    """The pixels of the thick components of ``mask`` (holes, as opposed to strokes).

    Parameters
    ----------
    mask : numpy.ndarray
        ``(H, W)`` bool.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool: the pixels of ``mask`` in a component (8-connected) whose pixels are on
        average more than :data:`THICK` away (city-block) from the nearest pixel outside ``mask``.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((40, 40), bool); m[5:21, 5:21] = True; m[30, 2:38] = True
    >>> t = thick_components(m)
    >>> bool(t[10, 10]), bool(t[30, 20])
    (True, False)
    """
    import cv2

    if not mask.any():
        return np.zeros_like(mask)
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L1, 3)
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    mean = np.bincount(labels.ravel(), dist.ravel(), n) / np.maximum(np.bincount(labels.ravel(), None, n), 1)
    big = mean > THICK
    big[0] = False
    return big[labels]
