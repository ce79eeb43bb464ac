"""Linear forward models ``y = A x`` of image restoration, with exact adjoints.

Every operator maps a float tensor ``(B, C, H, W)`` (float32 or float64, any device) to
another one and has

* ``A(x)`` -- the forward model,
* ``A.adjoint(y)`` -- ``A^T y``, exact: ``<A x, y> = <x, A^T y>`` to rounding,
* ``A @ B`` -- the composition ``x -> A(B(x))`` (adjoint ``B^T A^T``),
* ``A.norm_bound()`` -- an upper bound of the spectral norm ``||A||_2`` (step sizes).

Operators:

* :class:`Identity` -- ``A = I`` (denoising).
* :class:`Mask` -- ``A x = m * x`` with a 0/1 mask ``m`` (inpainting); self-adjoint.
* :class:`Blur` -- pixelgrad's own blurs (``pg.gaussian_blur`` incl. anisotropic and rotated
  kernels, ``pg.box_blur``, ``pg.motion_blur``) or any user point-spread function, with any
  of pixelgrad's borders. The adjoint of a ``circular`` / ``constant`` blur is the
  correlation with the flipped kernel; for the folding borders (``reflect``, ``symmetric``,
  ``replicate``) it is the vector-Jacobian product of the forward blur (autograd through the
  very same code), so it is exact for every border.
* :class:`Downsample` -- keep every ``factor``-th pixel (``y = x[..., ::f, ::f]``); the adjoint
  puts the values back and zeros elsewhere. Compose with a :class:`Blur` for the usual
  super-resolution model ``y = S K x``.

Examples
--------
>>> import torch
>>> from pixelgrad.restore.operators import Blur
>>> A = Blur(sigma=2.0, border="reflect")
>>> x, y = torch.rand(1, 1, 32, 32, dtype=torch.float64), torch.rand(1, 1, 32, 32, dtype=torch.float64)
>>> abs(float((A(x) * y).sum() - (x * A.adjoint(y)).sum())) < 1e-10
True
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple, cast

import torch

from .. import borders as _borders
from .._errors import bad_type, bad_value, check_choice
from ..types import Angle, Kernel, Motion, PairValue, Sigma

__all__ = ["LinearOperator", "Identity", "Mask", "Blur", "Downsample", "Composition", "correlate_method"]


def _check_tensor(fn: str, x: Any, arg: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        bad_type(fn, arg, "a float torch.Tensor (B, C, H, W)", x)
    if x.ndim != 4 or not x.is_floating_point():
        bad_value(fn, arg, "a float tensor of shape (B, C, H, W)", x)
    return x


class LinearOperator:
    r"""Base class: a linear map between image batches with an exact adjoint.

    Attributes
    ----------
    forward : callable
        ``A x`` for a float tensor ``(B, C, H, W)``; also ``A(x)``.
    adjoint : callable
        ``A^T y``, exact: :math:`\langle A x, y \rangle = \langle x, A^T y \rangle` to rounding.
    normal : callable
        ``A^T A x``.
    norm_bound : callable
        An upper bound of the spectral norm :math:`\|A\|_2` (for step sizes; 1 by default).

    Notes
    -----
    ``A @ B`` is the :class:`Composition` ``x -> A(B(x))`` with adjoint :math:`B^T A^T`.
    Subclasses implement ``forward`` and ``adjoint``.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.operators import Downsample, Identity
    >>> A = Downsample(2) @ Identity()
    >>> A, A(torch.ones(1, 1, 4, 4)).shape, A.norm_bound()
    (Downsample(2) @ Identity(), torch.Size([1, 1, 2, 2]), 1.0)
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def normal(self, x: torch.Tensor) -> torch.Tensor:
        """``A^T A x``."""
        return self.adjoint(self.forward(x))

    def norm_bound(self) -> float:
        """An upper bound of ``||A||_2``."""
        return 1.0

    def __matmul__(self, other: "LinearOperator") -> "Composition":
        if not isinstance(other, LinearOperator):
            return NotImplemented
        return Composition(self, other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(LinearOperator):
    """The identity :math:`A x = x` (denoising).

    Attributes
    ----------
    norm_bound : callable
        Returns 1.0.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.operators import Identity
    >>> x = torch.rand(1, 1, 4, 4)
    >>> Identity()(x) is x, Identity().adjoint(x) is x
    (True, True)
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return y


class Mask(LinearOperator):
    r"""Pixel mask :math:`A x = m \odot x` (inpainting); self-adjoint.

    Parameters
    ----------
    known : torch.Tensor
        Bool mask of shape ``(B or 1, C or 1, H, W)``, True where the pixel is observed.

    Raises
    ------
    TypeError
        ``known`` is not a bool tensor.
    ValueError
        ``known`` is not 4-D, or (when applied) its size differs from the image's.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.operators import Mask
    >>> m = torch.tensor([[[[True, False], [False, True]]]])
    >>> Mask(m)(torch.ones(1, 3, 2, 2))[0, 0].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, known: torch.Tensor) -> None:
        if not isinstance(known, torch.Tensor) or known.dtype != torch.bool:
            bad_type("Mask", "known", "a bool torch.Tensor (True = observed pixel)", known)
        if known.ndim != 4:
            bad_value("Mask", "known", "a bool tensor of shape (B or 1, C or 1, H, W)", known)
        self.known = known

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.known.shape[-2:] != x.shape[-2:]:
            bad_value("Mask", "known", f"a mask of the image's size {tuple(x.shape[-2:])}", self.known)
        if self.known.shape[0] not in (1, x.shape[0]) or self.known.shape[1] not in (1, x.shape[1]):
            bad_value("Mask", "known", f"a mask of batch 1 or {x.shape[0]} and 1 or {x.shape[1]} channels "
                      f"(the image is {tuple(x.shape)})", self.known)
        return x * self.known.to(x.device, x.dtype)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.forward(y)


class Composition(LinearOperator):
    r"""The composition :math:`A x = \mathrm{outer}(\mathrm{inner}(x))`; made by ``outer @ inner``.

    Parameters
    ----------
    outer, inner : LinearOperator
        The two operators.

    Notes
    -----
    .. math:: A^T y = \mathrm{inner}^T(\mathrm{outer}^T(y)), \qquad \|A\|_2 \le \|\mathrm{outer}\|_2\, \|\mathrm{inner}\|_2

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.operators import Blur, Downsample
    >>> A = Downsample(2) @ Blur(sigma=1.0)          # super-resolution model y = S K x
    >>> x = torch.rand(1, 1, 16, 16, dtype=torch.float64)
    >>> y = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    >>> abs(float((A(x) * y).sum() - (x * A.adjoint(y)).sum())) < 1e-10
    True
    """

    def __init__(self, outer: LinearOperator, inner: LinearOperator) -> None:
        for arg, op in (("outer", outer), ("inner", inner)):
            if not isinstance(op, LinearOperator):
                bad_type("Composition", arg, "a LinearOperator", op)
        self.outer, self.inner = outer, inner
        # flat list of the factors, outermost first: a chain of thousands of ``@`` is applied
        # by a loop, never by nested calls (no RecursionError)
        self.factors: Tuple[LinearOperator, ...] = tuple(
            f for op in (outer, inner) for f in (op.factors if isinstance(op, Composition) else (op,)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for op in reversed(self.factors):
            x = op.forward(x)
        return x

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        for op in self.factors:
            y = op.adjoint(y)
        return y

    def norm_bound(self) -> float:
        out = 1.0
        for op in self.factors:
            out *= op.norm_bound()
        return out

    def __repr__(self) -> str:
        if len(self.factors) > 8:
            return f"{self.factors[0]!r} @ ... ({len(self.factors)} factors) @ {self.factors[-1]!r}"
        return " @ ".join(repr(f) for f in self.factors)


class Downsample(LinearOperator):
    r"""Decimation :math:`y = x_{::f,\,::f}`; the adjoint is zero-filled upsampling.

    Parameters
    ----------
    factor : int
        Integer >= 1.

    Raises
    ------
    ValueError
        ``factor`` not an int >= 1, or an ``adjoint(y, shape)`` size that does not decimate
        to ``y``'s.

    Notes
    -----
    ``adjoint(y, shape=None)`` puts the values of ``y`` back on the grid of the last
    ``forward`` input (or ``shape``) and zeros elsewhere, so :math:`S S^T = I`.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.restore.operators import Downsample
    >>> S = Downsample(2)
    >>> y = S(torch.arange(16.0).reshape(1, 1, 4, 4))
    >>> y[0, 0].tolist(), S.adjoint(y)[0, 0, 1].tolist()
    ([[0.0, 2.0], [8.0, 10.0]], [0.0, 0.0, 0.0, 0.0])
    """

    def __init__(self, factor: int) -> None:
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            bad_value("Downsample", "factor", "an int >= 1", factor)
        self.factor = factor
        self._shape: Optional[Tuple[int, int]] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._shape = tuple(x.shape[-2:])  # type: ignore[assignment]
        return x[..., ::self.factor, ::self.factor]

    def adjoint(self, y: torch.Tensor, shape: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        f = self.factor
        h, w = shape or self._shape or (y.shape[-2] * f, y.shape[-1] * f)
        if -(-h // f) != y.shape[-2] or -(-w // f) != y.shape[-1]:
            bad_value("Downsample.adjoint", "shape", f"a size that decimates to {tuple(y.shape[-2:])}", (h, w))
        out = y.new_zeros((*y.shape[:-2], h, w))
        out[..., ::f, ::f] = y
        return out

    def __repr__(self) -> str:
        return f"Downsample({self.factor})"


_FOLDING = ("reflect", "symmetric", "replicate")


def correlate_method(h: int, w: int, kh: int, kw: int) -> str:
    r"""The algorithm of :class:`Blur`'s correlation with an explicit kernel on an ``h x w`` image.

    Parameters
    ----------
    h, w : int
        The image size.
    kh, kw : int
        The (folded) kernel size.

    Returns
    -------
    str
        ``"direct"`` (padded ``conv2d``) or ``"fft"`` (padded by the border rule, then a
        circular convolution on a grid of at least ``(h + kh - 1) x (w + kw - 1)``: exact for
        every border).

    Notes
    -----
    The cost model of :func:`pixelgrad.functional._dispatch.best_2d_method` for torch's CPU
    convolution (``fast_direct=False``): direct costs :math:`8 K_h K_w` per pixel, the FFT
    :math:`2 (8 \log_2((h + K_h)(w + K_w)) + 60)`. Measured on one thread
    (``torch_backend.correlate2d``, direct time / FFT time, float64): 64x64 image 0.35 (3x3),
    0.62 (7x7), 1.1 (11x11), 21 (31x31); 256x256 image 0.36 (3x3), 3.3 (7x7), 7 (9x9),
    340 (31x31); so the FFT takes over from 7x7 on images of 128 pixels and more, and the
    model's choice is never more than ~1.6x from the faster one. Both algorithms give the same
    values to float rounding.

    Examples
    --------
    >>> correlate_method(256, 256, 3, 3), correlate_method(256, 256, 31, 31)
    ('direct', 'fft')
    """
    from ..functional._dispatch import best_2d_method

    return best_2d_method(h, w, kh, kw, fast_direct=False)
#: Largest ``sum |k|`` of a user point-spread function (a blur's sums to 1).
MAX_KERNEL_SUM = 1e6
#: Largest number of weights :meth:`Blur.psf` builds (for the whole batch).
MAX_PSF_WEIGHTS = 1 << 20


class Blur(LinearOperator):
    r"""A blur from pixelgrad's blur family, or any point-spread function, as an operator.

    Give exactly one of ``sigma`` (Gaussian, optionally with ``angle``), ``box``, ``motion``
    or ``kernel``.

    Parameters
    ----------
    kernel : torch.Tensor or numpy array, optional
        Point-spread function ``(Kh, Kw)`` (odd sizes; or ``(B, Kh, Kw)`` per sample):
        ``A x = psf * x`` is the *convolution* with it (scikit-image / scipy convention),
        i.e. the correlation with the flipped kernel. Not normalised for you.
    sigma : float, pair or tensor, optional
        Standard deviation(s) of ``pg.gaussian_blur`` (``(sy, sx)``, per sample ``(B,)`` /
        ``(B, 2)``); ``angle`` rotates an anisotropic kernel (radians).
    box : int, pair or tensor, optional
        Odd window size(s) of ``pg.box_blur``.
    motion : tuple, optional
        ``(length, angle)`` or ``(length, angle, direction)`` of ``pg.motion_blur``.
    border : str
        One of :data:`pixelgrad.BORDERS`.
    truncate : float
        Gaussian truncation (radius ``ceil(truncate * sigma)``).

    Raises
    ------
    ValueError
        When not exactly one blur is given, a parameter is invalid (e.g. ``sigma <= 0``), or
        (``constant`` border) the kernel is larger than the image.

    Notes
    -----
    For a ``circular`` border :math:`A x = k * x` is diagonal in the Fourier domain,
    :math:`\mathcal F(A x) = K \cdot \mathcal F(x)` (``transfer``). ``norm_bound`` is
    :math:`\sum |k|` (1 for the library's normalised blurs), a bound for every border.
    ``A`` calls the library's blur functions; ``A^T`` is the flipped-kernel correlation for
    ``circular`` and ``constant`` borders and ``(dA x / dx)^T y`` by autograd otherwise (for a
    linear map the vector-Jacobian product *is* the adjoint).

    Examples
    --------
    >>> import torch
    >>> A = Blur(motion=(9, 0.3), border="circular")
    >>> A(torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 3, 32, 32])
    """

    def __init__(self, kernel: Optional[Kernel] = None, *, sigma: Optional[Sigma] = None,
                 angle: Optional[Angle] = None, box: Optional[PairValue] = None,
                 motion: Optional[Motion] = None, border: str = "reflect", truncate: float = 4.0) -> None:
        fn = "Blur"
        given = [n for n, v in (("kernel", kernel), ("sigma", sigma), ("box", box), ("motion", motion))
                 if v is not None]
        if len(given) != 1:
            bad_value(fn, "kernel", "exactly one of kernel=, sigma=, box=, motion=", given or None)
        self.border = check_choice(border, _borders.BORDERS, fn, "border")
        self.kind = given[0]
        # Any: the blur parameters as given (typed on the signature), checked by the probe
        # below and handed back to the library functions, which read any of their forms
        self.sigma: Any = sigma
        self.angle: Any = angle
        self.box: Any = box
        self.motion: Any = motion
        self.truncate = truncate
        self.kernel: Optional[torch.Tensor] = None
        if kernel is not None:
            k = torch.as_tensor(kernel)
            if not k.is_floating_point() or k.ndim not in (2, 3):
                bad_value(fn, "kernel", "a float array (Kh, Kw) or (B, Kh, Kw)", kernel)
            if k.shape[-1] % 2 == 0 or k.shape[-2] % 2 == 0:
                bad_value(fn, "kernel", "odd height and width", tuple(k.shape))
            if not bool(torch.isfinite(k).all()):
                bad_value(fn, "kernel", "finite values", "NaN/inf")
            k64 = k.to(torch.float64)
            flat = k64.reshape(-1, k64.shape[-2] * k64.shape[-1])
            if k64.numel() == 0 or not bool((flat.abs().sum(1) <= MAX_KERNEL_SUM).all()) \
                    or not bool((flat.sum(1) > 0).all()):
                bad_value(fn, "kernel", f"a point-spread function with a sum > 0 and sum |k| <= "
                          f"{MAX_KERNEL_SUM:g} (an all-zero kernel blurs every image to nothing, a "
                          f"huge one overflows)", kernel)
            self.kernel = k64
        elif sigma is not None:
            self._probe(lambda x: self._gauss(x), "sigma", sigma)
        elif box is not None:
            self._probe(lambda x: self._box(x), "box", box)
        else:
            if not isinstance(motion, (tuple, list)) or len(motion) not in (2, 3):
                bad_value(fn, "motion", "a tuple (length, angle[, direction])", motion)
            self._probe(lambda x: self._motion(x), "motion", motion)

    # -- parameter check: run the library function once on a tiny image so that it reports
    # bad parameters with its own message, then re-raise naming our argument
    def _probe(self, f, arg: str, value: Any) -> None:
        n = _batch_of(value)
        try:
            f(torch.zeros(n, 1, 3, 3, dtype=torch.float64))
        except (ValueError, TypeError) as e:
            raise type(e)(f"Blur: argument {arg!r}: {e}") from None

    # -- forward models (the library's own functions)
    def _gauss(self, x: torch.Tensor, border: Optional[str] = None) -> torch.Tensor:
        from ..functional import gaussian_blur

        return cast(torch.Tensor, gaussian_blur(x, self.sigma, angle=self.angle, truncate=self.truncate,
                                                border=border or self.border))

    def _box(self, x: torch.Tensor, border: Optional[str] = None) -> torch.Tensor:
        from ..functional import box_blur

        return cast(torch.Tensor, box_blur(x, self.box, border=border or self.border))

    def _motion(self, x: torch.Tensor, border: Optional[str] = None) -> torch.Tensor:
        from ..functional import motion_blur

        m = tuple(self.motion)
        return cast(torch.Tensor, motion_blur(x, m[0], m[1], direction=m[2] if len(m) > 2 else 0.0,
                                              border=border or self.border))

    def _correlate(self, x: torch.Tensor, k: torch.Tensor, border: Optional[str] = None) -> torch.Tensor:
        from ..backends import torch_backend
        from ..kernels.fold import folded_kernel2d

        if k.ndim == 3 and k.shape[0] != x.shape[0]:
            bad_value("Blur", "kernel", f"one point-spread function per image ({x.shape[0]} of them) "
                      "or one for all", self.kernel)
        border = border or self.border
        h, w = x.shape[-2:]
        if k.ndim == 2:
            kk = folded_kernel2d(k, h, w, border)
        else:
            ks = [folded_kernel2d(kb, h, w, border) for kb in k]
            kh = max(t.shape[0] for t in ks)
            kw = max(t.shape[1] for t in ks)
            kk = torch.stack([torch.nn.functional.pad(t, ((kw - t.shape[1]) // 2,) * 2 + ((kh - t.shape[0]) // 2,) * 2)
                              for t in ks])
        return torch_backend.correlate2d(x, kk.to(x.device, x.dtype), border,
                                         correlate_method(h, w, kk.shape[-2], kk.shape[-1]))

    def _psf(self) -> torch.Tensor:
        assert self.kernel is not None
        return self.kernel

    def kernel2d(self) -> torch.Tensor:
        """The correlation kernel ``(Kh, Kw)`` (or ``(B, Kh, Kw)``) in float64 on the CPU:
        ``(A x)[i, j] = sum_{s,t} k[s, t] x[i + s, j + t]`` (border-extended)."""
        if self.kind == "kernel":
            return self._psf().flip(-1, -2)
        if self.kind == "motion":
            from ..kernels.motion import motion_kernel2d

            m = tuple(self.motion)
            return motion_kernel2d(m[0], m[1], m[2] if len(m) > 2 else 0.0).to(torch.float64)
        # Gaussian / box: read the kernel off the operator itself (impulse response).
        r = self._radius()
        n = 2 * r + 1
        d = torch.zeros(_batch_of(self._param()), 1, n, n, dtype=torch.float64)
        d[..., r, r] = 1.0
        k = self._forward_raw(d, border="constant").flip(-1, -2)[:, 0]
        return k[0] if k.shape[0] == 1 else k

    def psf(self) -> Optional[torch.Tensor]:
        r"""The point-spread function: ``A x = psf * x`` (convolution), float64 on the CPU.

        Returns
        -------
        torch.Tensor or None
            ``(Kh, Kw)``, or ``(B, Kh, Kw)`` for per-sample parameters or kernels, odd sides:
            a copy of ``kernel`` as given, else the normalised kernel of ``pg.gaussian_blur`` /
            ``pg.box_blur`` / ``pg.motion_blur`` (non-negative, summing to 1), centred. ``None``
            when it would hold more than :data:`MAX_PSF_WEIGHTS` weights (e.g. ``sigma=1e6``,
            which the blurs fold onto the border period without building it).

        Notes
        -----
        The PSF is the flipped correlation kernel, :math:`\mathrm{psf}[s, t] = k[-s, -t]`
        (:meth:`kernel2d`), so ``Blur(kernel=A.psf(), border=b)`` is the same operator as ``A``.

        Examples
        --------
        >>> import torch
        >>> p = Blur(motion=(3, 0.0)).psf()
        >>> p.shape, p.dtype, float(p.sum()), [round(v, 4) for v in p[3].tolist()]
        (torch.Size([7, 7]), torch.float64, 1.0, [0.0, 0.0, 0.3333, 0.3333, 0.3333, 0.0, 0.0])
        """
        if self.kind == "kernel":
            return self._psf().clone()
        side = 2 * self._radius() + 1
        if _batch_of(self._param()) * side * side > MAX_PSF_WEIGHTS:
            return None
        # the library's blurs have non-negative weights; an impulse response read off a
        # rotated Gaussian by FFT carries ~1e-18 rounding of either sign
        return self.kernel2d().flip(-1, -2).clamp_min(0.0).contiguous()

    def _radius(self) -> int:
        """The kernel's radius (largest over the axes and samples), never building it."""
        if self.kind == "sigma":
            s = torch.as_tensor(self.sigma, dtype=torch.float64)
            return int(math.ceil(float(self.truncate) * float(s.max())))
        if self.kind == "box":
            return int(torch.as_tensor(self.box).max()) // 2
        if self.kind == "motion":
            from ..kernels.motion import motion_radius

            return motion_radius(float(torch.as_tensor(tuple(self.motion)[0], dtype=torch.float64).max()))
        k = self._psf()
        return max(k.shape[-1], k.shape[-2]) // 2

    def _dense_motion(self) -> bool:
        """Whether the motion kernel is small enough to be built dense (else the adjoint goes
        through the folded forward blur, whose kernels are built sparsely)."""
        from ..kernels.motion import DENSE_LIMIT

        return (2 * self._radius() + 1) ** 2 <= DENSE_LIMIT

    def _forward_raw(self, x: torch.Tensor, border: Optional[str] = None) -> torch.Tensor:
        """The blur with ``border`` (default: the operator's); the operator is not changed."""
        if self.kind == "sigma":
            return self._gauss(x, border)
        if self.kind == "box":
            return self._box(x, border)
        if self.kind == "motion":
            return self._motion(x, border)
        return self._correlate(x, self._psf().flip(-1, -2), border)

    def _check_size(self, x: torch.Tensor) -> None:
        if self.border == "constant":
            k = self._psf() if self.kind == "kernel" else None
            kh = k.shape[-2] if k is not None else 2 * self._radius() + 1
            kw = k.shape[-1] if k is not None else 2 * self._radius() + 1
            if kh > x.shape[-2] or kw > x.shape[-1]:
                bad_value("Blur", "kernel", f"no larger than the image {tuple(x.shape[-2:])} with "
                          "border='constant'", (kh, kw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_tensor("Blur", x)
        self._check_size(x)
        return self._forward_raw(x)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        _check_tensor("Blur.adjoint", y, "y")
        self._check_size(y)
        if self.border in _FOLDING or (self.kind == "motion" and not self._dense_motion()):
            with torch.enable_grad():
                z = torch.zeros_like(y).requires_grad_(True)
                out = self._forward_raw(z)
                (g,) = torch.autograd.grad(out, z, grad_outputs=y)
            return g
        if self.kind in ("sigma", "box"):
            return self._forward_raw(y)          # point-symmetric kernels: A^T = A
        return self._correlate(y, self.kernel2d().flip(-1, -2))

    def norm_bound(self) -> float:
        """``sum |k|`` (1 for the library's normalised blurs): a bound for every border."""
        if self.kind in ("kernel",):
            psf = self._psf()
            k = psf.abs().reshape(-1, psf.shape[-2] * psf.shape[-1]).sum(1)
            return float(k.max())
        return 1.0

    def transfer(self, shape: Tuple[int, int], dtype: torch.dtype = torch.float64,
                 device: Any = "cpu") -> torch.Tensor:
        """Fourier transfer function ``(B or 1, 1, H, W // 2 + 1)`` of the blur with a
        *circular* border on a ``shape`` grid (``rfft2`` of the impulse response), so that
        ``rfft2(A_circ x) = transfer * rfft2(x)``."""
        h, w = shape
        d = torch.zeros(_batch_of(self._param()), 1, h, w, dtype=torch.float64)
        d[..., 0, 0] = 1.0
        hr = self._forward_raw(d, border="circular")
        return torch.fft.rfft2(hr).to(device=device, dtype=torch.complex128 if dtype == torch.float64 else torch.complex64)

    def _param(self) -> Any:
        if self.kind == "kernel":
            return self._psf() if self._psf().ndim == 3 else None
        return {"sigma": self.sigma, "box": self.box, "motion": self.motion}[self.kind]

    def __repr__(self) -> str:
        p = {"sigma": self.sigma, "box": self.box, "motion": self.motion,
             "kernel": None if self.kernel is None else tuple(self.kernel.shape)}[self.kind]
        extra = f", angle={self.angle}" if self.angle is not None else ""
        return f"Blur({self.kind}={p}{extra}, border={self.border!r})"


def _batch_of(value: Any) -> int:
    """Batch size implied by a per-sample parameter (1 for plain numbers)."""
    if isinstance(value, torch.Tensor) and value.ndim >= 1:
        return int(value.shape[0])
    if isinstance(value, (tuple, list)):
        return max([_batch_of(v) for v in value] + [1]) if any(isinstance(v, torch.Tensor) for v in value) else 1
    return 1
