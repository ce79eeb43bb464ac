"""Which Triton kernel runs an op, or why none does (then: torch, or an error when forced)."""
from __future__ import annotations

import torch

from ...kernels import fold, gaussian
from ...kernels.motion import motion_kernel2d, motion_radius
from ...kernels.stack import stack_centered_1d, stack_centered_2d
from . import _separable
from ._common import KERNEL_DTYPES, dry_run, interpreting
from ._field import OPS as FIELD_OPS
from ._field import FieldArgs, field_args
from ._taps import taps2d


class _Uncovered(Exception):
    pass


def is_uniform(t: torch.Tensor) -> bool:
    """True when every sample has the same parameters."""
    return bool((t == t[:1]).all())


def _check_tensor(x: torch.Tensor) -> None:
    if x.dtype not in KERNEL_DTYPES:
        raise _Uncovered(f"dtype {x.dtype} (the kernels read and write uint8, float16, "
                         "bfloat16 and float32; float64 runs on the torch backend)")
    if x.requires_grad and torch.is_grad_enabled():
        raise _Uncovered("a tensor that requires grad (the kernels are not differentiable; "
                         "the torch backend is)")
    if x.device.type == "cpu" and not interpreting() and not dry_run():
        raise _Uncovered("a CPU tensor without TRITON_INTERPRET=1 set before triton is imported")
    if x.device.type not in ("cpu", "cuda"):
        raise _Uncovered(f"device {x.device}")


def separable(x: torch.Tensor, ky: torch.Tensor, kx: torch.Tensor, border: str,
              method: str, field: FieldArgs | None = None) -> torch.Tensor:
    """Pick the tile or banded algorithm (see :mod:`._separable`) and run it."""
    B, C, H, W = x.shape
    ry, rx = ky.shape[-1] // 2, kx.shape[-1] // 2
    tile = _separable.tile_cost(ry, rx, H, W)
    if method == "fft":
        raise _Uncovered("method='fft' (the Triton backend filters by tile or banded-matrix "
                         "products; use method='auto', 'direct' or 'matrix')")
    if method == "matrix" or (method == "auto" and _separable.banded_cost(H, W) < tile) or tile == float("inf"):
        return _separable.sep_banded(x, ky, kx, border, field=field)
    return _separable.sep_tile(x, ky, kx, border, field=field)


def _refuse_wide(x: torch.Tensor, ry: int, rx: int, border: str) -> None:
    """Huge 2-D kernels much wider than the image are folded onto the border period by the
    torch backend (:mod:`pixelgrad.kernels.fold`); materialising them here could need
    gigabytes. (Separable kernels are folded here, see :func:`_axis_gaussian`.)"""
    H, W = x.shape[-2:]
    huge = (2 * ry + 1) * (2 * rx + 1) > 1 << 18          # > 512 x 512 taps: memory, not speed
    if huge and (fold.needs_fold(ry, H, border) or fold.needs_fold(rx, W, border)):
        raise _Uncovered("a kernel much wider than the image (the torch backend folds it onto "
                         "the border period)")


def _gaussian(x, sigma, angle=None, truncate=4.0, border="reflect", method="auto", field=None):
    B = x.shape[0]
    H, W = x.shape[-2:]
    uniform = is_uniform(sigma) and (angle is None or is_uniform(angle))
    rows = [0] if uniform else range(B)
    if angle is not None:
        if method in ("fft", "matrix", "separable"):
            raise _Uncovered(f"method={method!r} for a rotated Gaussian (covered: 'auto', "
                             "'direct', '2d')")
        r = gaussian.gaussian_radius(float(sigma.max()), truncate)
        _refuse_wide(x, r, r, border)
        ks = [gaussian.gaussian_kernel2d(float(sigma[b, 0]), float(sigma[b, 1]), float(angle[b]), truncate)
              for b in rows]
        return taps2d(x, stack_centered_2d(ks), border, field=field)
    smax = sigma.max(dim=0).values
    if fold.needs_fold(gaussian.gaussian_radius(float(smax[0]), truncate), H, border) or \
            fold.needs_fold(gaussian.gaussian_radius(float(smax[1]), truncate), W, border):
        # much wider than the image: the exact kernel folded onto the border period
        ky = stack_centered_1d([fold.gaussian1d_for_axis(float(sigma[b, 0]), truncate, H, border) for b in rows])
        kx = stack_centered_1d([fold.gaussian1d_for_axis(float(sigma[b, 1]), truncate, W, border) for b in rows])
    elif uniform:
        ky = gaussian.gaussian_kernel1d(float(sigma[0, 0]), truncate)[None]
        kx = gaussian.gaussian_kernel1d(float(sigma[0, 1]), truncate)[None]
    else:                         # vectorised: no Python loop over the batch
        ky = gaussian.truncated_kernels1d_batch(sigma[:, 0], truncate)
        kx = gaussian.truncated_kernels1d_batch(sigma[:, 1], truncate)
    return separable(x, ky, kx, border, method, field)


def _box(x, size, border="reflect", method="auto", field=None):
    H, W = x.shape[-2:]
    rows = [0] if is_uniform(size) else range(x.shape[0])
    ky = stack_centered_1d([fold.box1d_for_axis(int(size[b, 0]), H, border) for b in rows])
    kx = stack_centered_1d([fold.box1d_for_axis(int(size[b, 1]), W, border) for b in rows])
    return separable(x, ky, kx, border, method, field)


def _motion(x, length, angle, direction=None, border="reflect", method="auto", field=None):
    if method not in ("auto", "direct", "2d", "separable"):
        raise _Uncovered(f"method={method!r} for motion blur (covered: 'auto', 'direct', '2d')")
    direction = torch.zeros_like(length) if direction is None else direction
    r = motion_radius(float(length.max()))
    _refuse_wide(x, r, r, border)
    if is_uniform(length) and is_uniform(angle) and is_uniform(direction):
        k = motion_kernel2d(float(length[0]), float(angle[0]), float(direction[0]))
    else:                         # per sample: one batched build, padded to the longest line
        k = motion_kernel2d(length, angle, direction)
    return taps2d(x, k, border, field=field)


_BLURS = {"gaussian_blur": _gaussian, "box_blur": _box, "motion_blur": _motion}


def dispatch(op: str, x: torch.Tensor, forced: bool, **params):
    """Run ``op`` on ``x`` ``(B, C, H, W)`` with a Triton kernel.

    ``params`` are the op's validated parameters exactly as :mod:`pixelgrad.functional`
    passes them (per-sample float64 CPU tensors, strings). Returns the output (dtype, shape
    and memory format of ``x``) or ``None`` when the case is not covered; with ``forced`` an
    uncovered case raises ``ValueError`` naming the reason.
    """
    try:
        _check_tensor(x)
        if op in _BROKEN and not forced:
            raise _Uncovered(f"this op on this machine (its kernel failed earlier: {_BROKEN[op]})")
        if op in _BLURS:
            return _guarded(op, forced, lambda: _BLURS[op](x, **params))
        if op in FIELD_OPS:
            from ._illumination import apply
            return _guarded(op, forced, lambda: apply(x, field_args(op, x, params)))
        raise _Uncovered("this op (no Triton kernel for it)")
    except _Uncovered as exc:
        return _decline(op, forced, exc)


# op -> reason, for kernels that failed to compile or launch on this machine (auto mode only)
_BROKEN: dict[str, str] = {}


def _guarded(op: str, forced: bool, run):
    """Run a kernel. In ``auto`` mode a Triton compile or launch failure (a GPU/Triton
    combination the kernels were never compiled on) must not break the user's call: warn
    once, remember the op as broken for this process, and let torch compute the result.
    ``backend='triton'`` re-raises, so tests and benchmarks see the failure."""
    try:
        return run()
    except _Uncovered:
        raise
    except Exception as exc:  # noqa: BLE001 - compile errors come in many Triton classes
        if forced:
            raise
        import warnings

        _BROKEN[op] = f"{type(exc).__name__}: {exc}"[:300]
        warnings.warn(f"pixelgrad: the Triton kernel for {op} failed ({_BROKEN[op]}); using the "
                      "torch backend for it from now on", RuntimeWarning, stacklevel=4)
        raise _Uncovered(f"this op (its kernel failed: {_BROKEN[op]})") from None


def _decline(op: str, forced: bool, exc: Exception):
    if forced:
        raise ValueError(f"{op}: argument `backend` must be 'auto' or 'torch' for {exc}; "
                         f"backend='triton' does not cover it") from None
    return None


def blur_then_blend(x: torch.Tensor, blur_op: str, blur_params: dict, field_op: str,
                    field_params: dict, *, forced: bool = False):
    """``field_op(blur_op(x))`` in one launch: the illumination field is mixed into the
    blurred values in registers before the single store (no intermediate image in memory).

    Args:
        x: ``(B, C, H, W)`` uint8 / float16 / bfloat16 / float32 tensor (CUDA, or CPU under
            ``TRITON_INTERPRET=1``).
        blur_op: ``"gaussian_blur"`` | ``"box_blur"`` | ``"motion_blur"``; ``blur_params``:
            its validated parameters as passed to :func:`dispatch`.
        field_op: one of ``linear_gradient``, ``corner_gradient``, ``radial_gradient``,
            ``gaussian_spot``; ``field_params``: its validated parameters (see
            :mod:`pixelgrad.functional.illumination`).

    Returns:
        The result (dtype of ``x``), or ``None`` when not covered (``forced``: ``ValueError``).
        The blurred value is rounded to the dtype of ``x`` in registers before the field is
        mixed in, exactly as storing it would: the result has the same bits as the blur
        kernel followed by the illumination kernel.
    """
    op = f"{blur_op}+{field_op}"
    try:
        _check_tensor(x)
        if blur_op not in _BLURS or field_op not in FIELD_OPS:
            raise _Uncovered(f"the pair ({blur_op!r}, {field_op!r})")
        return _BLURS[blur_op](x, **blur_params, field=field_args(field_op, x, field_params))
    except _Uncovered as exc:
        return _decline(op, forced, exc)
