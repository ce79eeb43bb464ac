"""The cost model: which exact algorithm filters fastest, and the ``method=`` names.

Cost model per 1-D pass, in "multiply-adds at OpenCV's convolution speed" per sample:
direct ~ K taps (x8 for torch's CPU conv2d, which is that much slower than OpenCV's SIMD
loop); matrix ~ n / 6 (dense BLAS runs ~6x more multiply-adds per second); fft ~
8 log2(n + K) + 60. The constants were measured on a 2-core x86 CPU (benchmarks/blur.py)
and only steer speed, never results: every method is exact.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

#: The blur algorithms, the choices of the blur ops' ``method=`` (``auto``: the cheapest by
#: the cost model below); the inpainting methods are ``pixelgrad.restore.INPAINT_METHODS``.
BLUR_METHODS = ("auto", "direct", "separable", "2d", "fft", "matrix")
#: Old method names, still accepted with a DeprecationWarning: ``"separable"`` was a second
#: name of ``"direct"`` (the kernel's taps, in two 1-D passes when the kernel is separable).
DEPRECATED_METHODS = {"separable": "direct"}
_CURRENT = frozenset(m for m in BLUR_METHODS if m not in DEPRECATED_METHODS)


def check_method(fn: str, method: object) -> str:
    """Validate a blur ``method`` and return its current name.

    Parameters
    ----------
    fn : str
        Name of the public function, for the error message.
    method : object
        The caller's ``method`` argument.

    Returns
    -------
    str
        One of :data:`BLUR_METHODS` other than the deprecated names.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`BLUR_METHODS`.

    Warns
    -----
    DeprecationWarning
        For a name in :data:`DEPRECATED_METHODS`.

    Examples
    --------
    >>> check_method("gaussian_blur", "fft")
    'fft'
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     check_method("gaussian_blur", "separable")
    'direct'
    """
    if type(method) is str and method in _CURRENT:     # the common case, without the generic check
        return method
    from .._errors import check_choice

    name = check_choice(method, BLUR_METHODS, fn, "method")
    if name in DEPRECATED_METHODS:
        import warnings

        new = DEPRECATED_METHODS[name]
        warnings.warn(f"{fn}(method={name!r}) is deprecated; use method={new!r} (the same method)",
                      DeprecationWarning, stacklevel=3)
        name = new
    return name




def pass_cost(method: str, n: int, K: int, direct_factor: float = 1.0) -> float:
    r"""Modelled cost of one 1-D filtering pass, in multiply-adds at OpenCV's speed.

    Parameters
    ----------
    method : str
        ``"direct"`` or ``"matrix"``; any other value is costed as ``"fft"``.
    n : int
        Length of the filtered axis.
    K : int
        Kernel length.
    direct_factor : float, default 1.0
        Slow-down of the direct pass relative to OpenCV (8 for torch's CPU ``conv2d``).

    Returns
    -------
    float
        The modelled cost per sample; ``inf`` for ``"matrix"`` beyond ``n = 2048`` (the
        dense ``n x n`` matrix would be too large).

    Notes
    -----
    .. math:: c_{\mathrm{direct}} = f K, \qquad c_{\mathrm{matrix}} = n / 6, \qquad c_{\mathrm{fft}} = 8 \log_2(n + K) + 60

    The constants were measured on a 2-core x86 CPU; they steer speed only, never results.

    Examples
    --------
    >>> pass_cost("direct", 256, 9)
    9.0
    >>> pass_cost("matrix", 240, 9)
    40.0
    >>> pass_cost("fft", 256, 0)
    124.0
    """
    if method == "direct":
        return direct_factor * K
    if method == "matrix":
        return n / 6.0 if n <= 2048 else math.inf
    return 8.0 * math.log2(n + K) + 60.0


def best_separable_method(H: int, W: int, Kh: int, Kw: int, *, fast_direct: bool = True) -> str:
    """The cheapest exact algorithm for a separable kernel on an H x W image.

    Parameters
    ----------
    H : int
        Image height.
    W : int
        Image width.
    Kh : int
        Length of the kernel along H.
    Kw : int
        Length of the kernel along W.
    fast_direct : bool, default True
        Whether the direct passes would run on OpenCV (CPU) or a GPU; False for torch's CPU
        convolution, which the model takes as 8x slower.

    Returns
    -------
    str
        ``"direct"``, ``"matrix"`` or ``"fft"``: the minimum of the summed
        :func:`pass_cost` of the H and W passes.

    Examples
    --------
    >>> best_separable_method(224, 224, 7, 7)
    'direct'
    >>> best_separable_method(224, 224, 61, 61)
    'matrix'
    >>> best_separable_method(4096, 4096, 201, 201)
    'fft'
    """
    return _best_separable(H, W, Kh, Kw, fast_direct)


@lru_cache(maxsize=4096)
def _best_separable(H: int, W: int, Kh: int, Kw: int, fast_direct: bool) -> str:
    f = 1.0 if fast_direct else 8.0
    costs = {m: pass_cost(m, H, Kh, f) + pass_cost(m, W, Kw, f) for m in ("direct", "matrix", "fft")}
    return min(costs, key=lambda m: costs[m])


def best_2d_method(H: int, W: int, Kh: int, Kw: int, *, fast_direct: bool = True) -> str:
    r"""The cheaper exact algorithm for a full 2-D kernel on an H x W image.

    Parameters
    ----------
    H : int
        Image height.
    W : int
        Image width.
    Kh : int
        Kernel height.
    Kw : int
        Kernel width.
    fast_direct : bool, default True
        Whether the direct correlation would run on OpenCV (CPU) or a GPU; False for torch's
        CPU convolution (modelled 8x slower).

    Returns
    -------
    str
        ``"direct"`` or ``"fft"``.

    Notes
    -----
    .. math:: c_{\mathrm{direct}} = f K_h K_w, \qquad c_{\mathrm{fft}} = 2 \, (8 \log_2((H + K_h)(W + K_w)) + 60)

    Ties go to ``"direct"``.

    Examples
    --------
    >>> best_2d_method(256, 256, 9, 9)
    'direct'
    >>> best_2d_method(256, 256, 31, 31)
    'fft'
    """
    direct = Kh * Kw * (1.0 if fast_direct else 8.0)
    fft = 2 * (8.0 * math.log2((H + Kh) * (W + Kw)) + 60.0)
    return "direct" if direct <= fft else "fft"


def fast_direct(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether a direct convolution would run on a fast engine (OpenCV on CPU, or a GPU).

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor to filter.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    backend : str
        One of :data:`pixelgrad.functional._scope.BACKENDS`; ``"auto"`` follows the
        enclosing :func:`pixelgrad.functional._scope.backend_scope`.

    Returns
    -------
    bool
        True on a non-CPU device, or when the OpenCV backend would take a direct pass
        (:func:`pixelgrad.functional._run.covers`, the backend's own coverage check).

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> fast_direct(x, "reflect", "auto"), fast_direct(x, "reflect", "torch")
    (True, False)
    """
    if x.device.type != "cpu":
        return True
    from ._run import covers

    return covers("opencv", "separable", x, backend, border=border, method="direct")
