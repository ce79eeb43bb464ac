"""Illumination fields: smooth brightness fields mixed into an image.

Every op here builds a field ``g(u, v)`` on the *unit-square grid* of the seed code
(``u = linspace(0, 1, W)`` across the width, ``v = linspace(0, 1, H)`` down the height;
``u = 0`` when ``W == 1``) and mixes it into every channel with one of three modes::

    blend     y = (1 - alpha) * x + alpha * white * g     (the seed's convex combination)
    add       y = x + alpha * white * g                    (kornia's convention)
    multiply  y = x * (1 + alpha * g)                      (shading: a gain field)

``white`` is the white level of the dtype (1.0 for floats, 255 for uint8), so ``g`` is in
units of "a full-scale image" whatever the dtype. With ``clamp=True`` (default) the result is
clamped to the input's own range: ``[0, white]`` for integers and for float images within
``[0, 1]``; a float image with values outside ``[0, 1]`` (e.g. normalised data, or a float TIFF
of range -498..498) is clamped per sample to ``[min(0, min x), max(1, max x)]``, so it keeps
its range instead of being wiped to ``[0, 1]``. Integers are then rounded half-to-even and
saturated. Huge finite parameters (``a = 1e100``) saturate instead of giving NaN: the scaled
coefficients are limited to a quarter of the compute dtype's largest value. Inputs are
``(..., C, H, W)`` tensors or numpy ``(H, W[, C])`` images; the output has the input's
container, shape and dtype, and the input is never modified.

Parameters are numbers (same for the batch) or per-sample tensors ``(B,)`` where ``B`` is the
product of the leading dims. The *photometric* parameters (``a``, ``b``, ``alpha``,
``offset``, ``strength``) also accept per-channel tensors ``(B, C)`` or ``(1, C)``: a colored
field, one ramp per channel. A 1-D tensor is always per sample, never per channel.

Backend contract: each op validates its parameters and hands one ``field`` request to
:func:`pixelgrad.functional._run.run`, which calls the registered ``field(x, op, params)``
function of the first backend that covers it (Triton on CUDA, numba for planar fields on
the CPU, torch for everything; see :mod:`pixelgrad.backends.registry`), with ``x`` the
``(B, C, H, W)`` tensor and the parameters below, already validated, as float64 CPU tensors;
``(B,)`` when every photometric parameter is per sample, otherwise all photometric
parameters ``(B, C)``::

    "linear_gradient"  a, b, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       g = a*u + b*v + offset
    "corner_gradient"  corner: (B,) float64 in {0, 1, 2, 3};  strength, alpha, offset:
                       (B,) | (B, C);  mode: str;  clamp: bool
                       g = offset + strength * (1 - (|u - u0| + |v - v0|) / 2), corner
                       (u0, v0) = 0: (0, 0) top-left, 1: (1, 0) top-right,
                       2: (1, 1) bottom-right, 3: (0, 1) bottom-left
    "radial_gradient"  center: (B, 2) (cy, cx);  radius: (B, 2) (ry, rx) > 0;
                       strength, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       r = sqrt(((u - cx) / rx)^2 + ((v - cy) / ry)^2),
                       g = offset + strength * max(0, 1 - r)
    "gaussian_spot"    center: (B, 2) (cy, cx);  sigma: (B, 2) (sy, sx) > 0;
                       strength, alpha, offset: (B,) | (B, C);  mode: str;  clamp: bool
                       g = offset + strength * exp(-(u - cx)^2 / (2 sx^2) - (v - cy)^2 / (2 sy^2))

All coordinates (center, radius, sigma) are in unit-square units: fractions of the width for
x / u and of the height for y / v.

Differentiable parameters: any parameter given as a tensor that requires grad (``a``, ``b``,
``alpha``, ``angle``, ``strength``, ``offset``, ``center``, ``radius``, ``sigma``) makes the
output differentiable with respect to it; the op then runs on torch (never Triton). The
radial cone ``max(0, 1 - r)`` has kinks at ``r = 0`` and ``r = 1`` where the derivative is
one-sided; every other field is smooth. Empty batches and zero-size images give empty results.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch

from .._errors import bad_type, bad_value, check_choice
from .._interop import Batch, ImageLike, require_finite, to_batch
from ..types import Alpha, Angle, Corner, PairValue, Sigma, Value
from . import _run, _scope
from ._params import per_sample, tracks_grad

MODES = ("blend", "add", "multiply")
_BACKENDS = ("auto", "torch", "triton")
CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")


# ------------------------------------------------------------------------- parsing
def _flag(value: Any, fn: str, arg: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        bad_type(fn, arg, "True or False", value)
    return bool(value)


def per_channel(value: Any, B: int, C: int, fn: str, arg: str, *, low: float | None = None,
                low_open: bool = False, high: float | None = None) -> torch.Tensor:
    """``value`` as a float64 CPU tensor ``(B,)`` (per sample) or ``(B, C)`` (per channel).

    Parameters
    ----------
    value : number, tensor or numpy array
        A number, or a real tensor / array of shape ``()``, ``(1,)``, ``(B,)`` (per sample)
        or ``(1, C)``, ``(B, C)`` (per channel). A 1-D tensor is always per sample.
    B, C : int
        Batch size and number of channels.
    fn, arg : str
        Function and argument names used in error messages.
    low, low_open, high
        Bounds, as :func:`pixelgrad.functional._params.per_sample`.

    Returns
    -------
    torch.Tensor
        Float64 CPU tensor ``(B,)`` or ``(B, C)``; a tensor that requires grad stays in the
        autograd graph.

    Raises
    ------
    TypeError
        If ``value`` is not a number or a real tensor / array.
    ValueError
        If the shape fits neither ``(B,)`` nor ``(B, C)``, or a value is not finite or out
        of bounds.

    Examples
    --------
    >>> import torch
    >>> per_channel(0.5, 2, 3, "f", "alpha")
    tensor([0.5000, 0.5000], dtype=torch.float64)
    >>> per_channel(torch.tensor([[0.1, 0.2, 0.3]]), 2, 3, "f", "alpha")
    tensor([[0.1000, 0.2000, 0.3000],
            [0.1000, 0.2000, 0.3000]], dtype=torch.float64)
    """
    if isinstance(value, (torch.Tensor, np.ndarray)) and np.ndim(value) == 2:
        t = torch.as_tensor(value)
        t = t.to("cpu", torch.float64) if tracks_grad(t) else t.detach().to("cpu", torch.float64)
        if t.shape[1] != C or t.shape[0] not in (1, B):
            bad_value(fn, arg, f"a number, a ({B},) tensor or a ({B}, {C}) tensor for a batch "
                      f"of {B} images with {C} channels", value)
        t = t.expand(B, C).contiguous()
        # reuse the scalar checks on the flattened values
        per_sample(t.reshape(-1), B * C, fn, arg, low=low, low_open=low_open, high=high)
        return t
    return per_sample(value, B, fn, arg, low=low, low_open=low_open, high=high)


def _same_shape(ts: list[torch.Tensor], C: int) -> list[torch.Tensor]:
    """All ``(B,)`` if every tensor is; otherwise every one expanded to ``(B, C)``."""
    if all(t.ndim == 1 for t in ts):
        return ts
    return [(t[:, None] if t.ndim == 1 else t).expand(-1, C).contiguous() for t in ts]


def _alpha(alpha: Any, B: int, C: int, fn: str, mode: str) -> torch.Tensor:
    """``alpha`` per sample or channel; a convex weight in [0, 1] for ``mode='blend'``."""
    blend = mode == "blend"
    return per_channel(alpha, B, C, fn, "alpha", low=0.0 if blend else None, high=1.0 if blend else None)


def _amounts(strength: Any, alpha: Any, offset: Any, B: int, C: int, fn: str, mode: str):
    """``(strength, alpha, offset)`` parsed and brought to one shape (see :func:`_same_shape`)."""
    al = _alpha(alpha, B, C, fn, mode)
    st = per_channel(strength, B, C, fn, "strength")
    off = per_channel(offset, B, C, fn, "offset")
    return _same_shape([st, al, off], C)


def _prepare(x: ImageLike, fn: str, mode: str, clamp: Any, backend: str):
    batch = to_batch(x, fn, allow_empty=True, check_finite=False)   # see _deferred_check
    mode = check_choice(mode, MODES, fn, "mode")
    clamp = _flag(clamp, fn, "clamp")
    backend = check_choice(backend, _BACKENDS, fn, "backend")
    return batch, mode, clamp, backend


#: a deferred finite check of the input (see :func:`_deferred_check`), or None when done
Check = Optional[Callable[[torch.Tensor], None]]


def _field(fn: str, batch: Batch, given: Any, backend: str, **params: Any) -> Any:
    """Build the ``field`` request of op ``fn`` and run it (see the module's contract).

    Parameters that require grad go to torch (the other backends take plain values);
    a clamped float batch outside ``[0, 1]`` goes to torch off the CPU (the Triton kernels
    clamp to ``[0, 1]``; torch keeps the image's own range)."""
    data = batch.data
    check = _deferred_check(data, given, fn, backend)
    if tracks_grad(*(v for v in params.values() if isinstance(v, torch.Tensor))):
        backend = "torch"
    else:
        backend = _own_backend(data, backend, params["clamp"])
    args: dict[str, Any] = {"op": fn, "params": params}
    if check is not None:
        args["check"] = check
    return batch.restore(_run.run(_run.Request(fn, "field", data, args, backend)))


def _own_backend(x: torch.Tensor, backend: str, clamp: bool) -> str:
    """``backend``, or ``"torch"`` for a clamped float batch outside [0, 1] (the Triton
    kernels clamp to [0, 1]; the torch path keeps the image's own range)."""
    if backend != "torch" and x.device.type != "cpu" and _out_of_unit_range(x, clamp):
        return "torch"
    return backend


def _out_of_unit_range(x: torch.Tensor, clamp: bool) -> bool:
    """True for a clamped float batch with values outside [0, 1] (handled by the torch path,
    which clamps to the image's own range)."""
    if not (clamp and x.dtype.is_floating_point and x.numel()):
        return False
    lo, hi = torch.aminmax(x.detach())
    return not (bool(lo >= 0) and bool(hi <= 1.0))


_REPORT_AS: ContextVar[Optional[str]] = ContextVar("pixelgrad_illumination_report_as", default=None)


@contextmanager
def reported_as(name: str) -> Iterator[None]:
    """Within the block, the ops of this module report a NaN / inf input under ``name``.

    A transform that calls them on a batch it did not check itself (see
    :class:`pixelgrad.augment.illumination._Field`) uses it: its name is the one the user
    knows.

    Parameters
    ----------
    name : str
        The name to report, e.g. ``"RandomGradient"``.

    Yields
    ------
    None

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> with reported_as("MyTransform"):
    ...     pg.linear_gradient(torch.full((1, 1, 2, 2), float("nan")), 0.5, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: MyTransform: argument `x` must be finite (no NaN or inf values), got tensor of shape (1, 1, 2, 2) and dtype torch.float32
    """
    token = _REPORT_AS.set(name)
    try:
        yield
    finally:
        _REPORT_AS.reset(token)


def _deferred_check(data: torch.Tensor, given: Any, fn: str, backend: str) -> Check:
    """The finite check of ``x``, run now or handed to the backend's mixer (return value).

    On the CPU torch path the mixer checks ``x`` in the pass that reads it anyway (its
    per-block min / max, which the clamp needs too), so the check is returned for it to run
    only if that pass sees a value that is not finite; when Triton may take the call (a
    CUDA tensor or ``backend='triton'``) the check runs here, before dispatch."""
    caller = _REPORT_AS.get()

    def check(t: torch.Tensor) -> None:
        require_finite(t, caller or fn, "x", t if caller else given)

    if not data.is_floating_point():
        return None
    if data.device.type != "cpu" or _scope.effective(backend) == "triton":
        check(data)
        return None
    return check


# ------------------------------------------------------------------------- linear_gradient
def linear_gradient(x: ImageLike, a: Optional[Value] = None, b: Optional[Value] = None,
                    alpha: Alpha = 0.1, *, angle: Optional[Angle] = None,
                    strength: Optional[Value] = None, offset: Value = 0.0,
                    mode: str = "blend", clamp: bool = True, backend: str = "auto") -> ImageLike:
    r"""Mix a linear ramp (a planar field) into the image: the seed's "random gradient".

    Two parametrizations of the same family of affine fields ``g = a*u + b*v + offset``:

    * ``a``, ``b`` (the seed's): the slopes across the width (``u``) and down the height
      (``v``); ``g`` then spans ``[min(0,a) + min(0,b), max(0,a) + max(0,b)] + offset``.
    * ``angle``, ``strength`` (controlled range): ``g`` spans exactly
      ``[offset, offset + strength]`` (``offset + strength`` at the far side in the direction
      ``angle``; 0 = left to right, pi/2 = top to bottom; a negative ``strength`` makes a
      ramp that falls from ``offset``).

    Parameters
    ----------
    x : tensor or numpy array
        ``(..., C, H, W)`` tensor (uint8, uint16, float16, bfloat16, float32, float64) or
        numpy ``(H, W[, C])`` image. An empty batch gives an empty result.
    a, b : number or tensor, optional
        Slopes across the width and down the height; numbers, ``(B,)`` or per channel
        ``(B, C)``. Give both, or neither (then ``angle`` and ``strength``).
    alpha : number or tensor, default 0.1
        Mixing weight (``blend`` needs ``0 <= alpha <= 1``); number, ``(B,)`` or ``(B, C)``.
    angle : number or tensor, optional
        Direction of the ramp in radians; number, ``(B,)`` or ``(B, C)``. With ``strength``,
        instead of ``a``, ``b``.
    strength : number or tensor, optional
        Peak-to-peak range of ``g``; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Added to ``g``; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "blend"
        How the field is mixed in (see Notes).
    clamp : bool, default True
        Clamp the result to the input's own range: ``[0, white]`` for integers and for float
        images within [0, 1], else per sample ``[min(0, min x), max(1, max x)]`` (a float
        image is never squeezed into [0, 1]). Integers are always rounded half-to-even and
        saturated.
    backend : {"auto", "torch", "triton"}, default "auto"
        Where to compute. Parameters that require grad always run on torch.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``; the input is not modified.

    Raises
    ------
    ValueError
        If both or neither parametrization is given, a parameter has a bad shape or is not
        finite, ``alpha`` is outside [0, 1] with ``mode="blend"``, or ``mode`` / ``backend``
        is unknown.
    TypeError
        If ``clamp`` is not a bool, or a parameter is not a number or tensor.

    Notes
    -----
    The field on the unit-square grid :math:`u_j = j / (W - 1)`, :math:`v_i = i / (H - 1)`:

    .. math:: g(u, v) = a\, u + b\, v + \text{offset}

    The angle form is :math:`g = \text{offset} + \text{strength}\; (p - \min p) / (\max p - \min p)`
    with :math:`p = u \cos\theta + v \sin\theta`, i.e.
    :math:`a = \text{strength} \cos\theta / (|\cos\theta| + |\sin\theta|)`,
    :math:`b = \text{strength} \sin\theta / (|\cos\theta| + |\sin\theta|)`; conversely any
    :math:`(a, b) \ne 0` is :math:`\theta = \operatorname{atan2}(b, a)`,
    :math:`\text{strength} = |a| + |b|`. The field is mixed into every channel, :math:`w`
    being the white level of the dtype (1 for floats, 255 for uint8):

    .. math:: \text{blend: } y = (1 - \alpha)\, x + \alpha\, w\, g, \qquad \text{add: } y = x + \alpha\, w\, g, \qquad \text{multiply: } y = x\, (1 + \alpha\, g)

    With fixed ``a, b, alpha``, ``mode="blend"``, ``clamp=False`` on a float64 ``(H, W, C)``
    array this equals the seed code ``(1 - alpha) * x[..., i] + alpha * (U * a + V * b)``
    (``U, V = np.meshgrid(np.linspace(0, 1, W), np.linspace(0, 1, H))``) to float rounding.
    Triton receives ``a, b, alpha, offset`` (the angle form converted first).

    Examples
    --------
    Blend half of a left-to-right ramp into a black image:

    >>> import torch, pixelgrad as pg
    >>> pg.linear_gradient(torch.zeros(1, 1, 2, 3), a=1.0, b=0.0, alpha=0.5)[0, 0]
    tensor([[0.0000, 0.2500, 0.5000],
            [0.0000, 0.2500, 0.5000]])

    Per-sample slopes on a batch (shape kept):

    >>> x = torch.rand(4, 3, 16, 16)
    >>> pg.linear_gradient(x, a=torch.rand(4) * 2 - 1, b=torch.rand(4) * 2 - 1).shape
    torch.Size([4, 3, 16, 16])
    """
    fn = "linear_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    al = _alpha(alpha, B, C, fn, mode)
    off = per_channel(offset, B, C, fn, "offset")
    if angle is not None or strength is not None:
        if a is not None or b is not None:
            bad_value(fn, "a, b", "omitted when `angle` and `strength` are given", (a, b))
        if angle is None or strength is None:
            bad_value(fn, "angle, strength", "both given (or neither, with a and b)", (angle, strength))
        th = per_channel(angle, B, C, fn, "angle")
        st = per_channel(strength, B, C, fn, "strength")
        th, st = _same_shape([th, st], C)
        cs, sn = torch.cos(th), torch.sin(th)
        norm = cs.abs() + sn.abs()                       # >= 1 for every angle
        # t = (p - min p) / (max p - min p), p = u cos + v sin: min p = min(0, cos) + min(0, sin)
        at, bt = st * cs / norm, st * sn / norm
        off_t = -st * (cs.clamp(max=0.0) + sn.clamp(max=0.0)) / norm
        aa, bb, al, off = _same_shape([at, bt, al, off], C)
        off = off + (off_t if off_t.ndim == off.ndim else off_t[:, None].expand_as(off))
    else:
        if a is None or b is None:
            bad_value(fn, "a, b", "both given (or `angle` and `strength` instead)", (a, b))
        aa = per_channel(a, B, C, fn, "a")
        bb = per_channel(b, B, C, fn, "b")
        aa, bb, al, off = _same_shape([aa, bb, al, off], C)
    if batch.empty:
        return batch.restore(batch.data.clone())
    return _field(fn, batch, x, backend, a=aa, b=bb, alpha=al, offset=off, mode=mode, clamp=clamp)


# ------------------------------------------------------------------------- corner_gradient
def _parse_corner(corner: Any, B: int, fn: str) -> torch.Tensor:
    if isinstance(corner, str):
        if corner not in CORNERS:
            bad_value(fn, "corner", "one of " + ", ".join(map(repr, CORNERS)) + " or 0..3", corner)
        corner = CORNERS.index(corner)
    t = per_sample(corner, B, fn, "corner", low=0.0, high=3.0)
    drawn = isinstance(corner, torch.Tensor) and corner.dtype == torch.int64     # whole numbers already
    if not drawn and not bool((t == t.round()).all()):
        bad_value(fn, "corner", "integers 0..3 (top-left, top-right, bottom-right, bottom-left)", corner)
    return t


def corner_gradient(x: ImageLike, corner: Corner = 0, alpha: Alpha = 0.1, *, strength: Value = 1.0,
                    offset: Value = 0.0, mode: str = "blend", clamp: bool = True,
                    backend: str = "auto") -> ImageLike:
    r"""Mix a diagonal ramp that peaks at one corner into the image.

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    corner : int, str or tensor, default 0
        ``0`` / ``'top-left'``, ``1`` / ``'top-right'``, ``2`` / ``'bottom-right'``,
        ``3`` / ``'bottom-left'``; a name, an integer or a per-sample ``(B,)`` tensor.
    alpha : number or tensor, default 0.1
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    strength : number or tensor, default 1.0
        Value of the ramp at the corner above ``offset``; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Value at the opposite corner; number, ``(B,)`` or ``(B, C)``.
    mode, clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For an unknown corner name or a corner outside 0..3, and as :func:`linear_gradient`.

    Notes
    -----
    With :math:`(u_0, v_0)` the chosen corner of the unit square:

    .. math:: g(u, v) = \text{offset} + \text{strength} \left(1 - \frac{|u - u_0| + |v - v_0|}{2}\right)

    ``offset + strength`` at the corner, ``offset`` at the opposite one, linear in between: a
    :func:`linear_gradient` at 45 degrees, mixed in the same way.

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> pg.corner_gradient(torch.zeros(1, 1, 2, 3), "top-left", alpha=1.0)[0, 0]
    tensor([[1.0000, 0.7500, 0.5000],
            [0.5000, 0.2500, 0.0000]])
    """
    fn = "corner_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    k = _parse_corner(corner, B, fn)
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    return _field(fn, batch, x, backend, corner=k, strength=st, alpha=al, offset=off, mode=mode,
                  clamp=clamp)


# ------------------------------------------------------------------------- radial fields
def _center_scale(batch, center, scale, fn, scale_arg):
    B = batch.batch_size
    c = per_sample(center, B, fn, "center", pair=True)
    s = per_sample(scale, B, fn, scale_arg, pair=True, low=0.0, low_open=True)
    return c, s


def radial_gradient(x: ImageLike, alpha: Alpha = 0.5, *, center: PairValue = (0.5, 0.5),
                    radius: PairValue = 1.0, strength: Value = 1.0, offset: Value = -1.0, mode: str = "multiply",
                    clamp: bool = True, backend: str = "auto") -> ImageLike:
    r"""Mix a radial (cone) field into the image: vignetting or a light spot.

    The defaults (``offset=-1``, ``strength=1``, ``mode='multiply'``) are a vignette: the
    centre keeps its value, pixels at distance >= radius are scaled by ``1 - alpha``.

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    alpha : number or tensor, default 0.5
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    center : pair or tensor, default (0.5, 0.5)
        ``(cy, cx)`` in unit-square coordinates (fractions of height, width); a pair or per
        sample ``(B, 2)``.
    radius : number, pair or tensor, default 1.0
        > 0: number, pair ``(ry, rx)`` or ``(B,)`` / ``(B, 2)``; unit-square units, so
        ``radius=sqrt(0.5)`` from the centre reaches the corners.
    strength : number or tensor, default 1.0
        Height of the cone; number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default -1.0
        Added to the field; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "multiply"
        As :func:`linear_gradient`.
    clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For a radius <= 0, a bad centre shape, and as :func:`linear_gradient`.

    Notes
    -----
    .. math:: r = \sqrt{\left(\frac{u - c_x}{r_x}\right)^2 + \left(\frac{v - c_y}{r_y}\right)^2}, \qquad g = \text{offset} + \text{strength}\, \max(0, 1 - r)

    mixed as in :func:`linear_gradient`. The cone has kinks at :math:`r = 0` and
    :math:`r = 1`, where the derivative with respect to the parameters is one-sided.

    Examples
    --------
    The default vignette on a white 3 x 3 image (corners at distance :math:`\sqrt{0.5}`):

    >>> import torch, pixelgrad as pg
    >>> pg.radial_gradient(torch.ones(1, 1, 3, 3), alpha=0.5)[0, 0]
    tensor([[0.6464, 0.7500, 0.6464],
            [0.7500, 1.0000, 0.7500],
            [0.6464, 0.7500, 0.6464]])
    """
    fn = "radial_gradient"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    c, s = _center_scale(batch, center, radius, fn, "radius")
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    return _field(fn, batch, x, backend, center=c, radius=s, strength=st, alpha=al, offset=off,
                  mode=mode, clamp=clamp)


def gaussian_spot(x: ImageLike, alpha: Alpha = 0.2, *, center: PairValue = (0.5, 0.5),
                  sigma: Sigma = 0.25, strength: Value = 1.0, offset: Value = 0.0, mode: str = "add", clamp: bool = True,
                  backend: str = "auto") -> ImageLike:
    r"""Mix a Gaussian light spot into the image (kornia's ``RandomGaussianIllumination`` field).

    Parameters
    ----------
    x : tensor or numpy array
        As :func:`linear_gradient`.
    alpha : number or tensor, default 0.2
        Mixing weight; number, ``(B,)`` or per channel ``(B, C)``.
    center : pair or tensor, default (0.5, 0.5)
        ``(cy, cx)`` in unit-square coordinates; pair or per sample ``(B, 2)``.
    sigma : number, pair or tensor, default 0.25
        > 0: number, pair ``(sy, sx)`` or ``(B,)`` / ``(B, 2)``, unit-square units.
    strength : number or tensor, default 1.0
        Peak of the spot (negative darkens); number, ``(B,)`` or ``(B, C)``.
    offset : number or tensor, default 0.0
        Added to the field; number, ``(B,)`` or ``(B, C)``.
    mode : {"blend", "add", "multiply"}, default "add"
        As :func:`linear_gradient`.
    clamp, backend
        As :func:`linear_gradient`.

    Returns
    -------
    tensor or numpy array
        Same container, shape and dtype as ``x``.

    Raises
    ------
    ValueError
        For a sigma <= 0, a bad centre shape, and as :func:`linear_gradient`.

    Notes
    -----
    .. math:: g(u, v) = \text{offset} + \text{strength}\, \exp\left(-\frac{(u - c_x)^2}{2 s_x^2} - \frac{(v - c_y)^2}{2 s_y^2}\right)

    With the default ``mode='add'``: :math:`y = x + \alpha\, w\, g` (:math:`w` the white level).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> pg.gaussian_spot(torch.zeros(1, 1, 3, 3), alpha=0.2)[0, 0]
    tensor([[0.0037, 0.0271, 0.0037],
            [0.0271, 0.2000, 0.0271],
            [0.0037, 0.0271, 0.0037]])
    """
    fn = "gaussian_spot"
    batch, mode, clamp, backend = _prepare(x, fn, mode, clamp, backend)
    B, C = batch.data.shape[:2]
    c, s = _center_scale(batch, center, sigma, fn, "sigma")
    st, al, off = _amounts(strength, alpha, offset, B, C, fn, mode)
    if batch.empty:
        return batch.restore(batch.data.clone())
    return _field(fn, batch, x, backend, center=c, sigma=s, strength=st, alpha=al, offset=off,
                  mode=mode, clamp=clamp)


__all__ = ["linear_gradient", "corner_gradient", "radial_gradient", "gaussian_spot"]
