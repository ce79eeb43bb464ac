"""The dispatch table: which backend and algorithm run a linear filter.

Decided from the device, dtype, autograd state, border, image and kernel sizes, whether
parameters are per sample, and the user's ``method=`` / ``backend=``:

==================  =======================================================================
situation           choice
==================  =======================================================================
CPU, no autograd,   OpenCV (``sepFilter2D`` / ``filter2D`` per plane, SIMD) while the kernel
not circular        is short; otherwise torch's banded-matrix product (cost independent of
                    the kernel) or FFT (very large images)
CPU with autograd,  torch: direct (short kernels) / matrix / fft by the same cost model
or circular
CUDA                the Triton fused kernels when installed and covering the case
                    (see :mod:`pixelgrad.backends.triton`), else torch as above
==================  =======================================================================

Cost model per 1-D pass, in "multiply-adds at OpenCV's convolution speed" per sample:
direct ~ K taps (x8 for torch's CPU conv2d, which is that much slower than OpenCV's SIMD
loop); matrix ~ n / 6 (dense BLAS runs ~6x more multiply-adds per second); fft ~
8 log2(n + K) + 60. The constants were measured on a 2-core x86 CPU (benchmarks/blur.py)
and only steer speed, never results: every method is exact.
"""
from __future__ import annotations

import contextlib
import contextvars
import math

import torch

METHODS = ("auto", "direct", "separable", "2d", "fft", "matrix")
#: Old method names, still accepted with a DeprecationWarning: ``"separable"`` was a second
#: name of ``"direct"`` (the kernel's taps, in two 1-D passes when the kernel is separable).
DEPRECATED_METHODS = {"separable": "direct"}


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
        One of :data:`METHODS` other than the deprecated names.

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS`.

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
    from .._errors import check_choice

    name = check_choice(method, METHODS, fn, "method")
    if name in DEPRECATED_METHODS:
        import warnings

        new = DEPRECATED_METHODS[name]
        warnings.warn(f"{fn}(method={name!r}) is deprecated; use method={new!r} (the same method)",
                      DeprecationWarning, stacklevel=3)
        name = new
    return name
BACKENDS = ("auto", "torch", "opencv", "triton")


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
    f = 1.0 if fast_direct else 8.0
    costs = {m: pass_cost(m, H, Kh, f) + pass_cost(m, W, Kw, f) for m in ("direct", "matrix", "fft")}
    return min(costs, key=costs.get)


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
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.

    Returns
    -------
    bool
        True on a non-CPU device, or when :func:`opencv_allowed` holds.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> fast_direct(x, "reflect", "auto"), fast_direct(x, "reflect", "torch")
    (True, False)
    """
    return x.device.type != "cpu" or opencv_allowed(x, border, backend)


# ----------------------------------------------------------------------------- backend scope
#: The backend that ``backend="auto"`` means inside :func:`backend_scope` (``"auto"`` outside).
_SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("pixelgrad_backend", default="auto")


@contextlib.contextmanager
def backend_scope(backend: str):
    """Make ``backend="auto"`` mean ``backend`` for the functional ops called inside.

    This is how a transform or a pipeline called with ``backend=`` reaches the ops it calls.
    An explicit ``backend=`` other than ``"auto"`` on an op still wins. The setting lives in
    a :class:`contextvars.ContextVar`, so threads and asyncio tasks each see their own.

    Parameters
    ----------
    backend : str
        One of :data:`BACKENDS`.

    Yields
    ------
    None
        Inside the block, :func:`effective` maps ``"auto"`` to ``backend``; the previous
        scope is restored on exit, also on an exception.

    Examples
    --------
    >>> with backend_scope("torch"):
    ...     effective("auto"), effective("opencv")
    ('torch', 'opencv')
    >>> effective("auto")
    'auto'
    """
    token = _SCOPE.set(backend)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def effective(backend: str) -> str:
    """``backend``, with ``"auto"`` replaced by the one of the enclosing :func:`backend_scope`.

    Parameters
    ----------
    backend : str
        One of :data:`BACKENDS`.

    Returns
    -------
    str
        ``backend`` itself unless it is ``"auto"``; then the scope's backend (``"auto"``
        outside any scope).

    Examples
    --------
    >>> effective("opencv")
    'opencv'
    >>> effective("auto")
    'auto'
    """
    return _SCOPE.get() if backend == "auto" else backend


# ----------------------------------------------------------------------------- capture
class _Captured(Exception):
    """Raised by :func:`try_triton` / :func:`try_triton_filter` under :func:`capture` once the
    call has been recorded."""


_CAPTURE: contextvars.ContextVar[list | None] = contextvars.ContextVar("pixelgrad_capture",
                                                                     default=None)


def capture(call) -> tuple[str, dict] | None:
    """Record which op a call would run, and with which parameters, without running it.

    ``call()`` (a functional op call) runs up to its Triton hook, which records it and stops
    it: an illumination op is recorded by :func:`try_triton` as ``(op, params)``, a filter by
    :func:`try_triton_filter` as ``(kind, kernels)``, the built kernels the backends receive.
    Compose fusion uses this to see a pipeline's ops.

    Parameters
    ----------
    call : callable
        A function of no arguments that calls one functional op.

    Returns
    -------
    tuple of (str, dict) or None
        ``(op, params)`` (illumination op name, validated parameters: per-sample float64 CPU
        tensors, strings) or ``(kind, kernels)`` (filters); ``None`` when the call finished
        without reaching the hook (its result is discarded).

    Raises
    ------
    ValueError, TypeError
        Validation errors of the op propagate unchanged.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.functional import gaussian_blur
    >>> kind, kernels = capture(lambda: gaussian_blur(torch.zeros(1, 1, 4, 4), 1.5))
    >>> kind, sorted(kernels)
    ('separable', ['border', 'kx', 'ky', 'method'])
    >>> kernels["ky"].shapes
    ((13,),)
    >>> capture(lambda: None) is None
    True
    """
    seen: list = []
    token = _CAPTURE.set(seen)
    try:
        call()
    except _Captured:
        return seen[0]
    finally:
        _CAPTURE.reset(token)
    return None


def _record_if_capturing(call: tuple[str, dict]) -> None:
    """Under :func:`capture`: record ``call`` and stop the op (raise :class:`_Captured`)."""
    seen = _CAPTURE.get()
    if seen is not None:
        seen.append(call)
        raise _Captured


def opencv_allowed(x: torch.Tensor, border: str, backend: str) -> bool:
    """Whether the OpenCV backend may run this tensor.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor to filter.
    border : str
        Border mode of :mod:`pixelgrad.borders`.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.

    Returns
    -------
    bool
        True when the effective backend is ``"auto"`` or ``"opencv"``, ``x`` is on the CPU,
        ``border`` is not ``"circular"`` (OpenCV filters lack ``BORDER_WRAP``) and no
        gradient is needed for ``x``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> opencv_allowed(x, "reflect", "auto"), opencv_allowed(x, "circular", "auto")
    (True, False)
    >>> opencv_allowed(x.requires_grad_(), "reflect", "auto")
    False
    """
    backend = effective(backend)
    if backend not in ("auto", "opencv"):
        return False
    return (x.device.type == "cpu" and border != "circular"
            and not (x.requires_grad and torch.is_grad_enabled()))


def triton_wanted(x: torch.Tensor, backend: str) -> bool:
    """Whether a filter should build its kernels for the Triton backend first.

    True under :func:`capture`, with ``backend='triton'`` (or such a scope), and with
    ``'auto'`` on a CUDA tensor; then the op builds its kernels as one
    :class:`pixelgrad.kernels.stack.KernelStack` (vectorised over the batch where it can)
    and calls :func:`try_triton_filter`.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.

    Returns
    -------
    bool

    Examples
    --------
    >>> import torch
    >>> triton_wanted(torch.zeros(1, 1, 4, 4), "auto"), triton_wanted(torch.zeros(1, 1, 4, 4), "triton")
    (False, True)
    """
    return _CAPTURE.get() is not None or triton_selected(x, backend)[0]


def try_triton_filter(fn: str, kind: str, x: torch.Tensor, backend: str, **kernels):
    """Run a linear filter with the Triton backend's registered function, when selected.

    Parameters
    ----------
    fn : str
        The functional op's name, for messages, e.g. ``"gaussian_blur"``.
    kind : str
        ``"separable"`` or ``"2d"`` (see :mod:`pixelgrad.backends.registry`).
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.
    **kernels
        The registry function's arguments other than ``x``: ``ky`` and ``kx`` (separable) or
        ``k`` (2-D), as :class:`pixelgrad.kernels.stack.KernelStack`, ``border``, ``method``.

    Returns
    -------
    torch.Tensor or None
        The output (same dtype as ``x``), or ``None`` to let the caller run torch / OpenCV.
        Under :func:`capture` the call is recorded as ``(kind, kernels)`` and stopped.

    Raises
    ------
    ValueError
        If ``backend='triton'`` and the Triton backend does not cover the case (the message
        says why).
    RuntimeError
        If ``backend='triton'`` and the ``triton`` package cannot be imported.

    Examples
    --------
    >>> import torch
    >>> try_triton_filter("box_blur", "separable", torch.zeros(1, 1, 4, 4), "torch") is None
    True
    """
    _record_if_capturing((kind, kernels))
    return _run_triton(fn, kind, x, backend, lambda f: f(x, **kernels))


def try_triton(op: str, x: torch.Tensor, backend: str, **params):
    """Run an illumination op with the Triton backend's ``field`` function, when selected.

    The backend is selected by ``backend='triton'``, or by ``'auto'`` on a CUDA tensor.
    Under :func:`capture` the call is recorded as ``(op, params)`` and stopped instead.

    Parameters
    ----------
    op : str
        The functional op's name, e.g. ``"linear_gradient"``.
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.
    **params
        The op's validated parameters (per-sample float64 CPU tensors, strings).

    Returns
    -------
    torch.Tensor or None
        The output (same dtype as ``x``), or ``None`` to let the caller fall back to torch.

    Raises
    ------
    ValueError
        If ``backend='triton'`` and the Triton backend does not cover the case.
    RuntimeError
        If ``backend='triton'`` and the ``triton`` package cannot be imported.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> try_triton("linear_gradient", x, "auto") is None      # CPU tensor: not Triton's
    True
    """
    _record_if_capturing((op, params))
    return _run_triton(op, "field", x, backend, lambda f: f(x, op, params))


#: ``"op/kind"`` -> reason, for Triton functions that failed to compile or launch in this
#: process (``auto`` mode then uses torch for them).
BROKEN: dict[str, str] = {}


def triton_selected(x: torch.Tensor, backend: str) -> tuple[bool, bool]:
    """``(selected, forced)``: whether the Triton backend runs ``x``, and whether the user
    forced it (``backend='triton'``, or such a scope), so that a case it does not cover is an
    error rather than a fallback.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.

    Returns
    -------
    (bool, bool)

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> triton_selected(x, "auto"), triton_selected(x, "triton"), triton_selected(x, "torch")
    ((False, False), (True, True), (False, False))
    """
    name = effective(backend)
    forced = name == "triton"
    return forced or (name == "auto" and x.device.type == "cuda"), forced


def _run_triton(op: str, kind: str, x: torch.Tensor, backend: str, call):
    """``call(fn)`` with the registry's ``("triton", kind)`` function when Triton is selected.

    An uncovered case gives ``None`` (``auto``) or a ``ValueError`` (``backend='triton'``).
    In ``auto`` mode a compile or launch failure (a GPU / Triton combination the kernels
    were never compiled on) must not break the user's call: warn once, remember the function
    as broken for this process and let torch compute; ``backend='triton'`` re-raises, so
    tests and benchmarks see the failure."""
    from ..backends.registry import Uncovered, lookup

    selected, forced = triton_selected(x, backend)
    if not selected:
        return None
    try:
        fn = lookup("triton", kind)
    except ImportError as exc:
        if forced:
            raise RuntimeError(f"{op}: backend='triton' needs the `triton` package "
                               f"(pip install 'pixelgrad[triton]'): {exc}") from None
        return None
    key = f"{op}/{kind}"
    try:
        if key in BROKEN and not forced:
            raise Uncovered(f"this op on this machine (its kernel failed earlier: {BROKEN[key]})")
        try:
            return call(fn)
        except Uncovered:
            raise
        except Exception as exc:  # noqa: BLE001 - compile errors come in many Triton classes
            if forced:
                raise
            import warnings

            BROKEN[key] = f"{type(exc).__name__}: {exc}"[:300]
            warnings.warn(f"pixelgrad: the Triton kernel for {op} failed ({BROKEN[key]}); using "
                          "the torch backend for it from now on", RuntimeWarning, stacklevel=4)
            return None
    except Uncovered as exc:
        if forced:
            raise ValueError(f"{op}: argument `backend` must be 'auto' or 'torch' for {exc}; "
                             "backend='triton' does not cover it") from None
        return None


def try_triton_fused(x: torch.Tensor, backend: str, blur: tuple[str, dict],
                     field: tuple[str, dict]):
    """A linear filter then an illumination op in one Triton launch, when covered.

    See ``pixelgrad.backends.triton.blur_then_blend``.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        One of :data:`BACKENDS`; ``"auto"`` follows the enclosing :func:`backend_scope`.
    blur : tuple of (str, dict)
        The filter's kind and kernels, as :func:`capture` returns them for a blur op.
    field : tuple of (str, dict)
        The illumination op and its validated parameters, likewise.

    Returns
    -------
    torch.Tensor or None
        The fused result, or ``None`` when the Triton backend is not selected or does not
        cover the pair (the caller then runs the two ops in turn).

    Raises
    ------
    ValueError
        If ``backend='triton'`` and the pair is not covered.
    RuntimeError
        If ``backend='triton'`` and the ``triton`` package cannot be imported.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> try_triton_fused(x, "auto", ("separable", {}), ("linear_gradient", {})) is None
    True
    """
    op = f"{blur[0]}+{field[0]}"

    def fused(_fn):
        from ..backends.triton import blur_then_blend

        return blur_then_blend(x, blur[0], blur[1], field[0], field[1])

    return _run_triton(op, blur[0], x, backend, fused)
