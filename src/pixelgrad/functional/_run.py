"""The one way a functional op reaches a backend: a :class:`Request` handed to :func:`run`.

An op validates its arguments and builds a request: the *kind* of computation (see
:mod:`pixelgrad.backends.registry`: a ``separable`` or ``2d`` linear filter with its built
kernels, border and method; an illumination ``field`` op with its validated parameters; a
``shear`` warp; a differentiable ``graph_separable`` / ``graph_2d`` filter) and the user's
``backend=``. :func:`run` then

1. under :func:`capture` (pipeline fusion) records the request and returns ``x`` itself,
   without computing anything (no exception stops the op);
2. otherwise tries the registered functions of the backends in one fixed order,
   :data:`ORDER` = triton, opencv, numba, torch; each either computes the result or raises
   :class:`~pixelgrad.backends.registry.Uncovered` with the reason, and the next one is
   tried. With ``backend="auto"`` a backend is only tried on its device (Triton on CUDA;
   OpenCV and numba on the CPU); a backend named by the user (``backend="opencv"``, or a
   :func:`~pixelgrad.functional._scope.backend_scope` of ``"triton"``) is the only one
   tried, and a case it does not cover is a ``ValueError`` naming ``backend`` with the
   reason. A scope of ``"opencv"`` tries OpenCV first and falls back to numba and torch
   (so a transform called with ``backend="opencv"`` still runs its illumination ops).

A Triton function that fails to compile or launch in ``auto`` mode is remembered in
:data:`BROKEN` (with a ``RuntimeWarning`` once) and skipped from then on.
"""
from __future__ import annotations

import contextvars
from typing import Any, Callable

import torch

from ..backends.registry import Uncovered, checker, lookup
from ._scope import effective

#: The order in which :func:`run` tries the backends.
ORDER = ("triton", "opencv", "numba", "torch")
#: The device each backend runs on when ``backend="auto"`` (torch: every device).
_DEVICE = {"triton": "cuda", "opencv": "cpu", "numba": "cpu"}

#: ``"op/kind"`` -> reason, for Triton functions that failed to compile or launch in this
#: process (``auto`` mode then skips them).
BROKEN: dict[str, str] = {}

_CAPTURE: contextvars.ContextVar[list | None] = contextvars.ContextVar("pixelgrad_capture",
                                                                     default=None)


class Request:
    """One computation for the backends: what to compute on ``x``, built by a functional op.

    Parameters
    ----------
    op : str
        The public op's name, for messages (``"gaussian_blur"``).
    kind : str
        A kind of :data:`pixelgrad.backends.registry.KINDS`.
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    args : dict
        The registered function's arguments other than ``x``: ``ky``, ``kx``, ``border``,
        ``method`` (``separable``); ``k``, ``border``, ``method`` (``2d``); ``op``,
        ``params`` and optionally ``check`` (``field``); see the registry.
    backend : str
        The user's ``backend=`` (``"auto"`` follows the scope).

    Examples
    --------
    >>> import torch
    >>> r = Request("doc", "field", torch.zeros(1, 1, 2, 2), {"op": "linear_gradient", "params": {}}, "auto")
    >>> r.record()
    ('linear_gradient', {})
    """

    __slots__ = ("op", "kind", "x", "args", "backend")

    def __init__(self, op: str, kind: str, x: torch.Tensor, args: dict, backend: str = "auto"):
        self.op, self.kind, self.x, self.args, self.backend = op, kind, x, args, backend

    def record(self) -> tuple[str, dict]:
        """What :func:`capture` returns: ``(op, params)`` for a field, ``(kind, args)`` else."""
        if self.kind == "field":
            return self.args["op"], self.args["params"]
        return self.kind, self.args


def capture(call: Callable[[], Any]) -> tuple[str, dict] | None:
    """Record the request a call would run, without computing it.

    ``call()`` (a functional op call) runs with :func:`run` recording its request and
    returning the input unchanged; the call's own result is discarded. Compose fusion uses
    this to see a pipeline's ops.

    Parameters
    ----------
    call : callable
        A function of no arguments that calls one functional op.

    Returns
    -------
    tuple of (str, dict) or None
        The first request's :meth:`Request.record`: ``(op, params)`` for an illumination op
        (validated parameters: per-sample float64 CPU tensors, strings), ``(kind, kernels)``
        for a filter; ``None`` when the call ran no request.

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
    finally:
        _CAPTURE.reset(token)
    return seen[0] if seen else None


def capturing() -> bool:
    """Whether a :func:`capture` is recording (ops then build their kernels as stacks).

    Returns
    -------
    bool

    Examples
    --------
    >>> capturing()
    False
    """
    return _CAPTURE.get() is not None


def wants_stack(x: torch.Tensor, backend: str) -> bool:
    """Whether a filter should build its kernels batched, for the Triton backend.

    True under :func:`capture`, with ``backend='triton'`` (or such a scope) and with
    ``'auto'`` on a CUDA tensor: Triton comes first in :data:`ORDER` there, and takes the
    kernels of a batch as one vectorised :class:`pixelgrad.kernels.stack.KernelStack`.
    Otherwise the CPU backends get the kernels built one by one, which keeps the results
    of every sample independent of the batch.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        The user's ``backend=``.

    Returns
    -------
    bool

    Examples
    --------
    >>> import torch
    >>> wants_stack(torch.zeros(1, 1, 4, 4), "auto"), wants_stack(torch.zeros(1, 1, 4, 4), "triton")
    (False, True)
    """
    if _CAPTURE.get() is not None:
        return True
    name = effective(backend)
    return name == "triton" or (name == "auto" and x.device.type == "cuda")


def covers(name: str, kind: str, x: torch.Tensor, backend: str, **args: Any) -> bool:
    """Whether :func:`run` would run this case on backend ``name``, by the backend's own check.

    Parameters
    ----------
    name : str
        A backend of :data:`ORDER`.
    kind : str
        A registry kind.
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        The user's ``backend=``.
    **args
        The arguments the backend's check reads (e.g. ``border``, ``method``).

    Returns
    -------
    bool
        False when the effective backend is neither ``"auto"`` nor ``name``, when ``x`` is
        not on the backend's device, or when its registered check raises ``Uncovered``.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 4, 4)
    >>> covers("opencv", "separable", x, "auto", border="reflect", method="direct")
    True
    >>> covers("opencv", "separable", x, "auto", border="circular", method="direct")
    False
    >>> covers("opencv", "separable", x, "torch", border="reflect", method="direct")
    False
    """
    eff = effective(backend)
    if eff not in ("auto", name):
        return False
    device = _DEVICE.get(name)
    if device is not None and x.device.type != device:
        return False
    try:
        checker(name, kind)(x, **args)
    except (Uncovered, ImportError):
        return False
    return True


def _candidates(x: torch.Tensor, backend: str) -> tuple[tuple[str, ...], bool]:
    """The backends to try in order, and whether the first one was named by the user."""
    name = effective(backend)
    dev = x.device.type
    if name == "auto":
        return tuple(b for b in ORDER if _DEVICE.get(b, dev) == dev), False
    if backend != "auto" or name in ("triton", "torch"):
        return (name,), True
    # a scope of "opencv": OpenCV first, then the backends after it in ORDER
    rest = ORDER[ORDER.index(name) + 1:]
    return (name,) + tuple(b for b in rest if _DEVICE.get(b, dev) == dev), False


def run(req: Request) -> torch.Tensor:
    """Compute ``req`` on the first backend of :data:`ORDER` that covers it.

    Parameters
    ----------
    req : Request
        The validated request.

    Returns
    -------
    torch.Tensor
        The result (same shape and dtype as ``req.x``); ``req.x`` itself under
        :func:`capture` (the request is recorded, nothing is computed).

    Raises
    ------
    ValueError
        When the backend named by the user does not cover the case (the message names
        ``backend`` and says why).
    RuntimeError
        When ``backend='triton'`` and the ``triton`` package cannot be imported.

    Examples
    --------
    >>> import torch
    >>> from pixelgrad.kernels.stack import stack_kernels
    >>> k = stack_kernels([torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)])
    >>> args = {"ky": k, "kx": k, "border": "reflect", "method": "direct"}
    >>> run(Request("doc", "separable", torch.ones(1, 1, 3, 3), args))[0, 0, 0]
    tensor([1., 1., 1.])
    >>> run(Request("doc", "separable", torch.ones(1, 1, 3, 3), dict(args, border="circular"), "opencv"))
    Traceback (most recent call last):
    ...
    ValueError: doc: argument `backend` must be 'auto' or 'torch' for border 'circular' (OpenCV filters have no BORDER_WRAP); backend='opencv' does not cover it
    """
    seen = _CAPTURE.get()
    if seen is not None:
        seen.append(req.record())
        return req.x
    names, strict = _candidates(req.x, req.backend)
    if strict and req.backend == "auto":
        try:                       # a scope naming a backend without this kind: torch runs it
            lookup(names[0], req.kind)
        except Uncovered:
            names, strict = ("torch",), False
        except ImportError:
            pass
    call = _caller(req)
    for name in names:
        out = _try(name, req.op, req.kind, strict, call)
        if out is not None:
            return out
    raise Uncovered(f"{req.op}: no backend covers kind {req.kind!r}")   # torch covers every kind


def offer(req: Request, name: str) -> torch.Tensor | None:
    """Run ``req`` on backend ``name`` if :func:`run` would try it first and it covers the case.

    A filter whose kernels are built in a backend-specific form (the batched stacks Triton
    takes, see :func:`wants_stack`) offers that request to the backend first, and builds
    the general one only when it declines.

    Parameters
    ----------
    req : Request
        The request.
    name : str
        The backend to offer it to.

    Returns
    -------
    torch.Tensor or None
        The result; ``req.x`` under :func:`capture` (recorded); None when ``name`` is not
        the first candidate or does not cover the case (in ``auto`` mode).

    Raises
    ------
    ValueError, RuntimeError
        As :func:`run`, when the user named ``name`` and it does not cover the case.

    Examples
    --------
    >>> import torch
    >>> offer(Request("doc", "2d", torch.zeros(1, 1, 2, 2), {}), "triton") is None    # CPU: not Triton's
    True
    """
    seen = _CAPTURE.get()
    if seen is not None:
        seen.append(req.record())
        return req.x
    names, strict = _candidates(req.x, req.backend)
    if not names or names[0] != name:
        return None
    return _try(name, req.op, req.kind, strict, _caller(req))


def _caller(req: Request) -> Callable[[Callable], torch.Tensor]:
    """``fn -> fn(req.x, **req.args)``."""
    x, args = req.x, req.args
    return lambda fn: fn(x, **args)


def _try(name: str, op: str, kind: str, strict: bool, call: Callable[[Callable], torch.Tensor]):
    """``call(fn)`` with the ``(name, kind)`` function, or None when it does not cover the case
    (``strict``: a ``ValueError`` instead)."""
    try:
        fn = lookup(name, kind)
    except ImportError as exc:
        if strict:
            raise RuntimeError(f"{op}: backend={name!r} needs the `{name}` package "
                               f"(pip install 'pixelgrad[{name}]'): {exc}") from None
        return None
    except Uncovered:
        if strict:
            raise ValueError(f"{op}: argument `backend` must be 'auto' or 'torch' for kind {kind!r}; "
                             f"backend={name!r} has no function for it") from None
        return None
    key = f"{op}/{kind}"
    try:
        if name != "triton":
            return call(fn)
        if key in BROKEN and not strict:
            return None
        try:
            return call(fn)
        except Uncovered:
            raise
        except Exception as exc:  # noqa: BLE001 - compile errors come in many Triton classes
            if strict:
                raise
            import warnings

            BROKEN[key] = f"{type(exc).__name__}: {exc}"[:300]
            warnings.warn(f"pixelgrad: the Triton kernel for {op} failed ({BROKEN[key]}); using "
                          "the torch backend for it from now on", RuntimeWarning, stacklevel=4)
            return None
    except Uncovered as exc:
        if strict:
            raise ValueError(f"{op}: argument `backend` must be 'auto' or 'torch' for {exc}; "
                             f"backend={name!r} does not cover it") from None
        return None


def run_fused(x: torch.Tensor, backend: str, blur: tuple[str, dict],
              field: tuple[str, dict]) -> torch.Tensor | None:
    """A linear filter then an illumination op in one Triton launch, when covered.

    See ``pixelgrad.backends.triton.blur_then_blend``.

    Parameters
    ----------
    x : torch.Tensor
        The ``(B, C, H, W)`` tensor.
    backend : str
        The user's ``backend=``; ``"auto"`` follows the scope.
    blur : tuple of (str, dict)
        The filter's kind and kernels, as :func:`capture` returns them for a blur op.
    field : tuple of (str, dict)
        The illumination op and its validated parameters, likewise.

    Returns
    -------
    torch.Tensor or None
        The fused result, or ``None`` when Triton is not selected or does not cover the pair
        (the caller then runs the two ops in turn).

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
    >>> run_fused(x, "auto", ("separable", {}), ("linear_gradient", {})) is None
    True
    """
    names, strict = _candidates(x, backend)
    if not names or names[0] != "triton":
        return None
    op = f"{blur[0]}+{field[0]}"
    return _try("triton", op, "blur_field", strict, lambda fn: fn(x, blur[0], blur[1], field[0], field[1]))
