"""Random blur and shear transforms: thin wrappers over :mod:`pixelgrad.functional.blur` and
:mod:`pixelgrad.functional.geometry` (Gaussian, box, motion and camera-shake blur, shear).
Angles in radians; sizes in pixels."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from .. import functional as F
from ..borders import BORDERS
from .._errors import check_choice
from ..functional._cost import BLUR_METHODS
from ..functional.blur import kernel_radius
from ..types import KernelSize, Range
from ._base import Transform, parse_range
from ._rng import Integers, Rng, Uniform

#: Largest kernel side of :class:`RandomCameraShake`.
MAX_SHAKE_SIZE = 255
#: With ``method="auto"``, images whose height and width are both at most this many pixels are
#: blurred with ``method="direct"`` (see :func:`resolve_method`).
SMALL_SIDE = 128
_NON_SEPARABLE = ("auto", "direct", "2d", "fft")


def resolve_method(method: str, shape: torch.Size) -> str:
    """The ``method=`` a blur transform passes to the functional op for a batch of ``shape``.

    Parameters
    ----------
    method : str
        The transform's ``method``: ``auto`` or an explicit method of
        :func:`pixelgrad.gaussian_blur` (returned unchanged).
    shape : torch.Size
        ``(B, C, H, W)`` of the batch.

    Returns
    -------
    str
        ``"direct"`` when ``method == "auto"`` and ``max(H, W) <= SMALL_SIDE``, else ``method``.

    Notes
    -----
    A random blur draws one kernel per sample, and the functional op's ``auto`` then picks the
    cheapest algorithm per sample (direct, banded matrix or FFT), running one call per group.
    On small images the extra calls and the per-sample matrices cost more than they save: for
    a 64x3x64x64 float32 batch with per-sample sigma ~ U(0.1, 2), ``auto`` took 1.4-2.7x the
    time of ``direct`` on a 2-core CPU (``benchmarks/augment_blur.py``). Above ``SMALL_SIDE``
    the per-sample choice pays off for large kernels and ``auto`` is kept. Every method is
    exact, so this choice changes speed and float rounding only, never the result beyond it.

    Examples
    --------
    >>> import torch
    >>> resolve_method("auto", torch.Size([64, 3, 64, 64]))
    'direct'
    >>> resolve_method("auto", torch.Size([4, 3, 512, 512]))
    'auto'
    >>> resolve_method("fft", torch.Size([64, 3, 64, 64]))
    'fft'
    """
    if method == "auto" and max(shape[-2], shape[-1]) <= SMALL_SIDE:
        return "direct"
    return method


class RandomGaussianBlur(Transform):
    r"""Gaussian blur with a per-sample standard deviation drawn uniformly from ``sigma``.

    ``anisotropic=True`` draws ``(sigma_y, sigma_x)`` independently; ``angle=(lo, hi)`` also
    draws a rotation (radians) of the anisotropic kernel. One batched
    :func:`pixelgrad.gaussian_blur` call.

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    sigma : float or (low, high)
        Range of the standard deviation in pixels (> 0).
    anisotropic : bool
        Draw ``sigma_y`` and ``sigma_x`` independently instead of one ``sigma`` for both axes.
    angle : float or (low, high), optional
        Range of the kernel's rotation in radians (meaningful with ``anisotropic=True``).
        ``None`` (default): an axis-aligned kernel.
    truncate : float
        The kernel's radius in standard deviations (> 0).
    kernel_size : int or (int, int), optional
        A fixed odd kernel size ``(kh, kw)`` instead of ``truncate``, as in
        :func:`pixelgrad.gaussian_blur` (torchvision's ``GaussianBlur(kernel_size, sigma)``;
        note pixelgrad's (y, x) order).
    border : str
        Border mode (see :data:`pixelgrad.borders.BORDERS`).
    method : str
        The algorithm, as in :func:`pixelgrad.gaussian_blur` (``auto``, ``direct``, ``2d``,
        ``fft``, ``matrix``, or the deprecated ``separable``; with ``angle`` only ``auto``, ``direct``,
        ``2d``, ``fft``); ``auto`` uses ``direct`` on images up to :data:`SMALL_SIDE` pixels a
        side (:func:`resolve_method`), the functional op's per-sample choice above.
    exact : bool
        ``False`` allows OpenCV's fixed-point path for uint8 images (a few levels from the
        exact result), as in :func:`pixelgrad.gaussian_blur`.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``border`` or ``method``, a range with low > high or
        out of bounds.

    Notes
    -----
    Per sample (drawn in this order: gate, ``sigma``, ``angle``) the image is convolved with
    the normalised Gaussian kernel of :func:`pixelgrad.gaussian_blur`; without ``angle``,

    .. math:: k[s, t] = \frac{1}{Z} \exp\left(-\frac{s^2}{2 \sigma_y^2} - \frac{t^2}{2 \sigma_x^2}\right), \qquad \sigma \sim U(\sigma_{lo}, \sigma_{hi})

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> t = A.RandomGaussianBlur(sigma=(0.5, 1.5), anisotropic=True)
    >>> x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> y, params = t(x, seed=0, return_params=True)
    >>> y.shape, params.values["sigma"].shape
    (torch.Size([2, 3, 16, 16]), torch.Size([2, 2]))
    >>> bool(torch.equal(t(x, params=params), y))
    True
    """

    def __init__(self, p: float = 1.0, sigma: Range = (0.1, 2.0), *, anisotropic: bool = False,
                 angle: Optional[Range] = None, truncate: float = 4.0,
                 kernel_size: Optional[KernelSize] = None,
                 border: str = "reflect", method: str = "auto", exact: bool = True):
        super().__init__(p)
        n = type(self).__name__
        if not isinstance(exact, bool):
            from .._errors import bad_value

            bad_value(n, "exact", "True or False", exact)
        self.exact = exact
        self.sigma = parse_range(sigma, n, "sigma", low=0.0, low_open=True)
        self.anisotropic = bool(anisotropic)
        self.angle = None if angle is None else parse_range(angle, n, "angle")
        self.truncate = parse_range(truncate, n, "truncate", low=0.0, low_open=True)[0]
        kernel_radius(kernel_size, None, n)              # validates: odd ints >= 1
        self.kernel_size = (None if kernel_size is None else
                            tuple(int(k) for k in kernel_size) if isinstance(kernel_size, (list, tuple))
                            else int(kernel_size))
        self.border = check_choice(border, BORDERS, n, "border")
        self.method = check_choice(method, BLUR_METHODS if angle is None else _NON_SEPARABLE, n, "method")
        self.check_limits()

    def check_limits(self) -> None:
        """Refuse a rotated kernel that :func:`pixelgrad.gaussian_blur` would refuse for the
        largest draw: more than :data:`pixelgrad.kernels.gaussian.MAX_KERNEL2D` weights.

        Only draws that are really rotated count (anisotropic, two different sigmas, an
        angle that is not a fixed multiple of pi / 2); the largest of them has both sigmas
        near ``sigma[1]`` (then the box holding the kernel is the same for every angle), or
        the fixed ``kernel_size``.

        Examples
        --------
        >>> from pixelgrad import augment as A
        >>> A.RandomGaussianBlur(sigma=(1e5, 1e6), anisotropic=True)        # axis-aligned: folded
        RandomGaussianBlur(...)
        >>> A.RandomGaussianBlur(sigma=(1e5, 1e6), anisotropic=True, angle=(0.0, 0.5))
        Traceback (most recent call last):
        ...
        ValueError: RandomGaussianBlur: argument `sigma` must be small enough for a rotated kernel of at most 16,777,216 weights at its largest draw (rotated kernels are built whole), got ...
        """
        import math

        from ..kernels import gaussian

        if self.angle is None or not self.anisotropic or self.sigma[0] == self.sigma[1]:
            return                                       # never a rotated kernel
        lo, hi = self.angle
        quarter = round(lo / (math.pi / 2))
        if lo == hi and abs(lo - quarter * math.pi / 2) < 1e-12:
            return                                       # a fixed quarter turn: separable
        if self.kernel_size is not None:
            kh, kw = (self.kernel_size if isinstance(self.kernel_size, tuple)
                      else (self.kernel_size, self.kernel_size))
            arg, n = "kernel_size", kh * kw
        else:
            ry, rx = gaussian.rotated_radius(self.sigma[1], self.sigma[1], lo, self.truncate)
            arg, n = "sigma", (2 * ry + 1) * (2 * rx + 1)
        if n > gaussian.MAX_KERNEL2D:
            from .._errors import bad_value

            given = self.kernel_size if arg == "kernel_size" else self.sigma
            bad_value(type(self).__name__, arg, f"small enough for a rotated kernel of at most "
                      f"{gaussian.MAX_KERNEL2D:,} weights at its largest draw (rotated kernels are "
                      f"built whole)", f"{given} with angle {self.angle}: {n:,} weights")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        sigma = Uniform(*self.sigma, *((2,) if self.anisotropic else ()))
        if self.angle is None:
            return {"sigma": rng.draws(sigma)[0]}
        s, a = rng.draws(sigma, Uniform(*self.angle))
        return {"sigma": s, "angle": a}

    def apply_params(self, x, **v):
        return F.gaussian_blur(x, v["sigma"], angle=v.get("angle"), truncate=self.truncate,
                               kernel_size=self.kernel_size, border=self.border,
                               method=resolve_method(self.method, x.shape), exact=self.exact)

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, sigma=self.sigma, anisotropic=self.anisotropic, angle=self.angle,
                    truncate=self.truncate, kernel_size=self.kernel_size, border=self.border,
                    method=self.method, exact=self.exact)


class RandomBoxBlur(Transform):
    r"""Box blur with a per-sample odd window size drawn uniformly among the odd integers in ``size``.

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    size : float or (low, high)
        Range of the window size in pixels (>= 1); it must contain an odd integer.
    anisotropic : bool
        Draw the height and the width of the window independently.
    border : str
        Border mode (see :data:`pixelgrad.borders.BORDERS`).
    method : str
        The algorithm, as in :func:`pixelgrad.box_blur`; ``auto`` uses ``direct`` on images up
        to :data:`SMALL_SIDE` pixels a side (:func:`resolve_method`).

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``border`` or ``method``, a range with low > high or
        out of bounds, a
        ``size`` range without an odd integer.

    Notes
    -----
    Per sample the window sides :math:`s_y, s_x` are drawn uniformly from the odd integers in
    ``size`` (one value for both unless ``anisotropic``), then :func:`pixelgrad.box_blur`
    averages over the window (:math:`\beta` maps indices outside the image by ``border``):

    .. math:: y[i, j] = \frac{1}{s_y s_x} \sum_{|s| \le r_y} \sum_{|t| \le r_x} x[\beta(i + s), \beta(j + t)], \qquad r_y = (s_y - 1) / 2,\ r_x = (s_x - 1) / 2

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> y, params = A.RandomBoxBlur(size=(3, 5))(torch.rand(3, 1, 8, 8), seed=0, return_params=True)
    >>> y.shape, sorted(set(params.values["size"].tolist()) - {3, 5})
    (torch.Size([3, 1, 8, 8]), [])
    """

    def __init__(self, p: float = 1.0, size: Range = (3, 7), *, anisotropic: bool = False,
                 border: str = "reflect", method: str = "auto"):
        super().__init__(p)
        n = type(self).__name__
        lo, hi = parse_range(size, n, "size", low=1.0)
        odd = [k for k in range(int(lo), int(hi) + 1) if k % 2 == 1 and lo <= k <= hi]
        if not odd:
            from .._errors import bad_value

            bad_value(n, "size", "a range containing an odd integer", size)
        self.size = (lo, hi)
        self._odd = odd
        self._choices = torch.tensor(odd, dtype=torch.int64)   # never written
        self._choices_numpy = self._choices.numpy()            # indexed per draw
        self.anisotropic = bool(anisotropic)
        self.border = check_choice(border, BORDERS, n, "border")
        self.method = check_choice(method, BLUR_METHODS, n, "method")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        k = rng.draws(Integers(len(self._odd), *((2,) if self.anisotropic else ())))[0]
        return {"size": torch.from_numpy(self._choices_numpy[k.numpy()])}

    def apply_params(self, x, **v):
        return F.box_blur(x, v["size"], border=self.border, method=resolve_method(self.method, x.shape))

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, size=self.size, anisotropic=self.anisotropic, border=self.border,
                    method=self.method)


class RandomMotionBlur(Transform):
    r"""Motion blur along a line segment with per-sample length, angle and direction.

    One batched :func:`pixelgrad.motion_blur` call.

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    length : float or (low, high)
        Range of the segment's length in pixels (>= 1).
    angle : float or (low, high)
        Range of the segment's angle in radians.
    direction : float or (low, high)
        Range within [-1, 1] of the weight skew along the segment (0: symmetric).
    border : str
        Border mode (see :data:`pixelgrad.borders.BORDERS`).
    method : str
        ``auto``, ``direct``, ``2d`` or ``fft`` (the kernel is not separable); ``auto`` uses
        ``direct`` on images up to :data:`SMALL_SIDE` pixels a side (:func:`resolve_method`).

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``border`` or ``method``, a range with low > high or
        out of bounds.

    Notes
    -----
    Per sample ``length``, ``angle`` and ``direction`` are drawn uniformly in their ranges (in
    this order, after the gate), and the image is convolved with the kernel of
    :func:`pixelgrad.motion_blur`:

    .. math:: k(p) \propto \sum_i w_i\, \Lambda\big(p - i\,(\cos a, \sin a)\big), \qquad w_i = \mathrm{clip}(L/2 + 1/2 - |i|, 0, 1)\, \max\big(0, 1 + d\, \tfrac{2 i}{L}\big)

    Examples
    --------
    >>> import torch
    >>> from pixelgrad import augment as A
    >>> y, params = A.RandomMotionBlur(length=(3, 5))(torch.rand(2, 3, 16, 16), seed=0, return_params=True)
    >>> y.shape, sorted(params.values)
    (torch.Size([2, 3, 16, 16]), ['angle', 'direction', 'length'])
    """

    def __init__(self, p: float = 1.0, length: Range = (3.0, 15.0),
                 angle: Range = (-3.141592653589793, 3.141592653589793), *, direction: Range = 0.0, border: str = "reflect", method: str = "auto"):
        super().__init__(p)
        n = type(self).__name__
        self.length = parse_range(length, n, "length", low=1.0)
        self.angle = parse_range(angle, n, "angle")
        self.direction = parse_range(direction, n, "direction", low=-1.0, high=1.0)
        self.border = check_choice(border, BORDERS, n, "border")
        self.method = check_choice(method, _NON_SEPARABLE, n, "method")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        length, angle, direction = rng.draws(Uniform(*self.length), Uniform(*self.angle),
                                             Uniform(*self.direction))
        return {"length": length, "angle": angle, "direction": direction}

    def apply_params(self, x, **v):
        return F.motion_blur(x, v["length"], v["angle"], direction=v["direction"], border=self.border,
                             method=resolve_method(self.method, x.shape))

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, length=self.length, angle=self.angle, direction=self.direction,
                    border=self.border, method=self.method)


class RandomCameraShake(Transform):
    r"""Camera-shake blur: one random, realistic point-spread function per sample.

    Each sample is convolved with its own :func:`pixelgrad.kernels.camera_shake` kernel
    (Boracchi & Foi's trajectory model: a hand-held camera's random path during the exposure),
    through one batched :func:`pixelgrad.filter2d` call.

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    size : int
        Odd side of the square kernel, ``3 <= size <=`` :data:`MAX_SHAKE_SIZE`; the path
        length is drawn by ``camera_shake`` in ``[size / 2, 1.5 size]`` and always fits.
    anxiety : float or (low, high)
        Range within [0, 1] of the hand's jitter (0: straight lines; 0.005 - 0.01: shaky,
        curling paths with occasional abrupt turns).
    exposure : float or (low, high)
        Range within (0, 1] of the fraction of the trajectory seen (shorter: simpler blurs).
    border : str
        Border mode (see :data:`pixelgrad.borders.BORDERS`).
    method : str
        ``auto``, ``direct``, ``2d`` or ``fft`` (the kernel is not separable); ``auto`` uses
        ``direct`` on images up to :data:`SMALL_SIDE` pixels a side (:func:`resolve_method`).

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair, a ``size`` that is not an int.
    ValueError
        ``p`` outside [0, 1], an unknown ``border`` or ``method``, a range with low > high or
        out of bounds, a ``size`` that is even or outside ``[3, MAX_SHAKE_SIZE]``.

    Notes
    -----
    Per sample (drawn in this order, after the gate): ``seed``, an integer uniform in
    :math:`[0, 2^{53})`, then ``anxiety`` and ``exposure`` uniform in their ranges. The kernel is
    ``k = camera_shake(size, seed, anxiety=anxiety, exposure=exposure)`` (non-negative, summing
    to 1, centred; every number it uses comes from ``torch.Generator().manual_seed(seed)``, so
    the parameters replay it exactly on any machine), and the output is its convolution with
    the image, borders extended by ``border``:

    .. math:: y[i, j] = \sum_{s, t} k[r + s, r + t]\; x[\beta(i - s), \beta(j - t)], \qquad r = (\mathrm{size} - 1) / 2

    i.e. ``pg.filter2d(x, k.flip(-1, -2))``; ``pg.restore.deblur(y, kernel=k)`` models the
    same blur. Building a kernel walks a 1024-step trajectory in Python (about a millisecond
    per sample).

    References
    ----------
    .. [1] G. Boracchi, A. Foi, "Modeling the performance of image restoration from motion
       blur", IEEE Trans. Image Processing 21(8):3502-3517 (2012).

    Examples
    --------
    >>> import torch, pixelgrad as pg
    >>> from pixelgrad import augment as A
    >>> t = A.RandomCameraShake(size=9)
    >>> x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    >>> y, params = t(x, seed=0, return_params=True)
    >>> y.shape, sorted(params.values)
    (torch.Size([2, 3, 32, 32]), ['anxiety', 'exposure', 'seed'])
    >>> k = t.kernels(params.values)                 # (2, 9, 9), one PSF per sample
    >>> bool(torch.equal(t(x, params=params), y)), torch.allclose(y, pg.filter2d(x, k.flip(-1, -2)))
    (True, True)
    """

    def __init__(self, p: float = 1.0, size: int = 15, anxiety: Range = (0.001, 0.01),
                 exposure: Range = (0.6, 1.0), *, border: str = "reflect", method: str = "auto"):
        super().__init__(p)
        n = type(self).__name__
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            from .._errors import bad_type

            bad_type(n, "size", f"an odd int in [3, {MAX_SHAKE_SIZE}]", size)
        if not 3 <= size <= MAX_SHAKE_SIZE or size % 2 == 0:
            from .._errors import bad_value

            bad_value(n, "size", f"an odd int in [3, {MAX_SHAKE_SIZE}]", size)
        self.size = int(size)
        self.anxiety = parse_range(anxiety, n, "anxiety", low=0.0, high=1.0)
        self.exposure = parse_range(exposure, n, "exposure", low=0.0, high=1.0, low_open=True)
        self.border = check_choice(border, BORDERS, n, "border")
        self.method = check_choice(method, _NON_SEPARABLE, n, "method")

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        seed, anxiety, exposure = rng.draws(Integers(1 << 53), Uniform(*self.anxiety),
                                            Uniform(*self.exposure))
        return {"seed": seed, "anxiety": anxiety, "exposure": exposure}

    def kernels(self, values: dict[str, torch.Tensor]) -> torch.Tensor:
        """The point-spread functions of drawn ``values`` (``seed``, ``anxiety``,
        ``exposure``, each ``(k,)``): float64 ``(k, size, size)``, each summing to 1."""
        from ..kernels import camera_shake

        seeds, anx, exp_ = values["seed"].tolist(), values["anxiety"].tolist(), values["exposure"].tolist()
        if not seeds:
            return torch.zeros(0, self.size, self.size, dtype=torch.float64)
        return torch.stack([camera_shake(self.size, int(sd), anxiety=float(a), exposure=float(e))
                            for sd, a, e in zip(seeds, anx, exp_)])

    def apply_params(self, x, **v):
        k = self.kernels(v)
        return F.filter2d(x, k.flip(-1, -2), border=self.border, method=resolve_method(self.method, x.shape))

    def config(self) -> dict[str, Any]:
        return dict(p=self.p, size=self.size, anxiety=self.anxiety, exposure=self.exposure,
                    border=self.border, method=self.method)


class RandomShear(Transform):
    r"""Shear about the centre with per-sample factors ``sx ~ U(sx)``, ``sy ~ U(sy)``.

    One batched :func:`pixelgrad.shear` call. Geometric: boxes, keypoints and masks given
    with the image move with it, by the same per-sample map (see Notes).

    Parameters
    ----------
    p : float
        Probability per sample of applying the transform.
    sx, sy : float or (low, high)
        Ranges of the horizontal and vertical shear factors, within [-0.9, 0.9].
    border : str
        Border mode (see :data:`pixelgrad.borders.BORDERS`).
    exact : bool, default True
        ``False`` lets :func:`pixelgrad.shear` run ``cv2.warpAffine`` on the CPU (several
        times faster per image; quantised coordinates and uint8 weights, see its ``exact``).
        Boxes, keypoints and masks move by the same exact map either way.

    Raises
    ------
    TypeError
        A range that is neither a number nor a pair.
    ValueError
        ``p`` outside [0, 1], an unknown ``border``, a range with low > high or out of
        bounds, ``exact`` not a bool.

    Notes
    -----
    With :math:`c` the image centre, the output at :math:`(u', v')` samples the input at
    :math:`(u, v)` where

    .. math:: A = \begin{pmatrix} 1 & s_x \\ s_y & 1 \end{pmatrix}, \qquad (u', v') = A\,((u, v) - c) + c

    Targets move by the same map (:func:`pixelgrad.functional.geometry.shear_matrix`):
    in continuous coordinates (pixel ``(i, j)`` covers ``[j, j + 1) x [i, i + 1)``) the
    centre is :math:`c = (W/2, H/2)`. A box becomes the enclosing box of its four sheared
    corners, clipped to the image, in its own format (torchvision's ``XYXY`` / ``XYWH`` /
    ``CXCYWH`` of a ``BoundingBoxes``, absolute ``xyxy`` for a plain ``boxes`` table,
    ``pascal_voc`` / ``coco`` / ``yolo`` / ``albumentations`` by ``bbox_params``); boxes
    that end up empty are kept degenerate in torchvision containers and dropped in the
    albumentations keyword style (``bboxes=``), with their ``label_fields``. Keypoints move
    (extra columns kept; albumentations' ``keypoints=`` in pixel coordinates, dropped when
    they leave the image). Masks are sheared with nearest-neighbour sampling
    (:func:`pixelgrad.functional.geometry.shear_nearest`, the transform's ``border``), so
    integer classes keep their values. Inputs are never modified.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from pixelgrad import augment as A
    >>> y, params = A.RandomShear(sx=0.2)(torch.rand(2, 3, 8, 8), seed=0, return_params=True)
    >>> y.shape, params.values["sx"].tolist()
    (torch.Size([2, 3, 8, 8]), [0.2, 0.2])
    >>> out = A.RandomShear(sx=0.5)(image=np.zeros((8, 8, 3), np.uint8), bboxes=[[2, 2, 4, 4]],
    ...                             keypoints=[[3, 4]], mask=np.eye(8, dtype=np.uint8))
    >>> out["bboxes"], out["keypoints"]
    ([[1.0, 2.0, 4.0, 4.0]], [[3.25, 4.0]])
    """

    kind = "geometric"

    def __init__(self, p: float = 1.0, sx: Range = (-0.3, 0.3), sy: Range = 0.0, *, border: str = "constant",
                 exact: bool = True):
        super().__init__(p)
        n = type(self).__name__
        self.sx = parse_range(sx, n, "sx", low=-0.9, high=0.9)
        self.sy = parse_range(sy, n, "sy", low=-0.9, high=0.9)
        self.border = check_choice(border, BORDERS, n, "border")
        if not isinstance(exact, (bool, np.bool_)):
            from .._errors import bad_value

            bad_value(n, "exact", "True or False", exact)
        self.exact = bool(exact)

    def sample(self, shape, rng: Rng) -> dict[str, torch.Tensor]:
        sx, sy = rng.draws(Uniform(*self.sx), Uniform(*self.sy))
        return {"sx": sx, "sy": sy}

    def apply_params(self, x, **v):
        return F.shear(x, v["sx"], v["sy"], border=self.border, exact=self.exact)

    def point_matrix(self, values: dict[str, torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        """The shear of one sample on continuous coordinates (see :meth:`Transform.point_matrix`)."""
        from ..functional.geometry import shear_matrix

        return shear_matrix(float(values["sx"]), float(values["sy"]), size)

    def warp_mask(self, m: torch.Tensor, values: dict[str, torch.Tensor]) -> torch.Tensor:
        """Shear a mask with nearest-neighbour sampling (see :meth:`Transform.warp_mask`)."""
        from ..functional.geometry import shear_nearest

        return shear_nearest(m, float(values["sx"]), float(values["sy"]), border=self.border)

    def config(self) -> dict[str, Any]:
        out = dict(p=self.p, sx=self.sx, sy=self.sy, border=self.border)
        if not self.exact:                  # configs written before `exact` stay unchanged
            out["exact"] = False
        return out
