"""The backend contract: one table ``{(backend, kind): function}`` for every filter.

Backends receive filter *weights*, never the parameters they were computed from: the
functional layer builds every kernel once (Gaussian, rotated Gaussian, box, motion; one per
sample or one shared) as a :class:`pixelgrad.kernels.stack.KernelStack`, chooses the backend
and the algorithm, and calls the registered function. Adding a backend means registering its
functions here; nothing in :mod:`pixelgrad.functional` changes.

=============  ==========================================================================
kind           signature (every function returns ``y`` in the dtype, shape of ``x``)
=============  ==========================================================================
``separable``  ``fn(x, ky, kx, border, method, field=None)``: correlate along H with
               ``ky`` and along W with ``kx`` (``KernelStack`` of 1-D kernels, 1 or B rows)
``2d``         ``fn(x, k, border, method, field=None)``: 2-D correlation, ``k`` a
               ``KernelStack`` of 2-D kernels
``field``      ``fn(x, op, params, check=None)``: an illumination op of
               :mod:`pixelgrad.functional.illumination` with its validated parameters;
               ``check(x)`` (optional) is the op's finite check of ``x``, run by the
               backend when (and only when) it finds a value outside ``[0, 1]``
``graph_separable``  ``fn(x, ky, kx, border, method)``: as ``separable`` with dense
               ``(B, K)`` kernel tensors that may carry an autograd graph (torch only)
``graph_2d``   ``fn(x, k, border, method)``: 2-D, ``k`` a dense ``(B, Kh, Kw)`` tensor
``shear``      ``fn(x, sx, sy, border, exact=True)``: bilinear shear about the centre, ``sx``, ``sy``
               float64 ``(B,)`` CPU tensors (:func:`pixelgrad.functional.shear`; numba:
               one-axis shears, :mod:`pixelgrad.backends.shear_lines`)
``blur_field`` ``fn(x, kind, kernels, field_op, field_params)``: a filter then an
               illumination op in one launch (Triton only)
``gaussian_fixed``  ``fn(x, sigma, ksize, border)``: OpenCV's fixed-point uint8 Gaussian
               (``gaussian_blur(exact=False)``), ``sigma`` a list of ``(sy, sx)`` and
               ``ksize`` of odd ``(kh, kw)``, one shared or one per sample; the one kind
               whose weights the backend builds (OpenCV's own fixed-point ones)
=============  ==========================================================================

``x`` is a ``(B, C, H, W)`` tensor; ``border`` a mode of :mod:`pixelgrad.borders`;
``method`` an algorithm name of :mod:`pixelgrad.functional._dispatch` other than ``auto``
for the CPU backends (the Triton functions also take ``auto`` and choose their own tile or
banded algorithm); ``field`` (Triton only) an illumination field to blend into the result in
the same launch. A function that does not cover a case raises :class:`Uncovered` with the
reason; the caller then falls back to the torch backend, or, when the user forced the
backend, turns the reason into a ``ValueError``.

The Triton functions are registered when :mod:`pixelgrad.backends.triton` is imported, which
:func:`lookup` does on first use (the ``triton`` package is optional).
"""
from __future__ import annotations

import importlib
from typing import Callable

KINDS = ("separable", "2d", "field", "graph_separable", "graph_2d", "shear", "blur_field", "gaussian_fixed")

#: ``{(backend, kind): function}``; filled by the backend modules as they are imported.
REGISTRY: dict[tuple[str, str], Callable] = {}
#: ``{(backend, kind): check}``: each function's coverage test (raises :class:`Uncovered`).
CHECKS: dict[tuple[str, str], Callable] = {}

#: Backend name -> the module that registers its functions when imported.
_MODULES = {"torch": "pixelgrad.backends.torch_backend",
            "opencv": "pixelgrad.backends.opencv_backend",
            "numba": "pixelgrad.backends.cpu_fused",
            "triton": "pixelgrad.backends.triton"}


class Uncovered(Exception):
    """A backend function does not cover this case; the message says why.

    Attributes
    ----------
    args : tuple of str
        ``(reason,)``: what is not covered, phrased to follow "argument `backend` must be
        'auto' or 'torch' for ...", e.g. ``"dtype torch.float64 (...)"``.

    Examples
    --------
    >>> str(Uncovered("method='fft'"))
    "method='fft'"
    """


def register(backend: str, kind: str, check: Callable | None = None) -> Callable[[Callable], Callable]:
    """Decorator: make ``fn`` the ``kind`` function of ``backend``.

    Parameters
    ----------
    backend : str
        Backend name (``"torch"``, ``"opencv"``, ``"triton"``).
    kind : str
        One of :data:`KINDS`.
    check : callable, optional
        ``check(x, **args)``, raising :class:`Uncovered` for a case the function does not
        cover (the function calls it too); default: every case is covered.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS`.

    Examples
    --------
    >>> @register("doc-example", "2d")
    ... def correlate(x, k, border, method, field=None):
    ...     return x
    >>> lookup("doc-example", "2d") is correlate
    True
    """
    if kind not in KINDS:
        raise ValueError(f"register: argument `kind` must be one of {KINDS}, got {kind!r}")

    def decorate(fn: Callable) -> Callable:
        REGISTRY[(backend, kind)] = fn
        if check is not None:
            CHECKS[(backend, kind)] = check
        return fn

    return decorate


def lookup(backend: str, kind: str) -> Callable:
    """The ``kind`` function of ``backend``, importing the backend module on first use.

    Parameters
    ----------
    backend : str
        Backend name.
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    callable
        The registered function.

    Raises
    ------
    ImportError
        If the backend's module cannot be imported (e.g. ``triton`` is not installed).
    Uncovered
        If the backend has no function of this kind.

    Examples
    --------
    >>> lookup("torch", "separable").__name__
    'separable_filter'
    """
    key = (backend, kind)
    if key not in REGISTRY and backend in _MODULES:
        importlib.import_module(_MODULES[backend])
    if key not in REGISTRY:
        raise Uncovered(f"kind {kind!r} (backend {backend!r} has no function for it)")
    return REGISTRY[key]


def _covers_all(x, **args) -> None:
    """The check of a function that covers every case."""


def checker(backend: str, kind: str) -> Callable:
    """The coverage check registered with the ``kind`` function of ``backend``.

    Parameters
    ----------
    backend : str
        Backend name.
    kind : str
        One of :data:`KINDS`.

    Returns
    -------
    callable
        ``check(x, **args)``, raising :class:`Uncovered` for a case not covered (a check
        that accepts everything when none was registered).

    Raises
    ------
    ImportError
        If the backend's module cannot be imported.
    Uncovered
        If the backend has no function of this kind.

    Examples
    --------
    >>> import torch
    >>> checker("opencv", "separable")(torch.zeros(1, 1, 2, 2), border="circular", method="direct")
    Traceback (most recent call last):
    ...
    pixelgrad.backends.registry.Uncovered: border 'circular' (OpenCV filters have no BORDER_WRAP)
    """
    lookup(backend, kind)
    return CHECKS.get((backend, kind), _covers_all)
