"""The Triton functions of the backend registry, and the coverage rules they apply.

They receive built kernels (:class:`pixelgrad.kernels.stack.KernelStack`), never the
parameters the kernels came from: the functional layer builds every kernel. A case these
kernels do not run raises :class:`pixelgrad.backends.registry.Uncovered` with the reason.
"""
from __future__ import annotations

import torch

from ...kernels.stack import KernelStack
from ..registry import REGISTRY, Uncovered, register
from . import _separable
from ._common import KERNEL_DTYPES, dry_run, interpreting
from ._field import OPS as FIELD_OPS
from ._field import FieldArgs, field_args
from ._taps import taps2d


def check_tensor(x: torch.Tensor) -> None:
    """Raise :class:`Uncovered` unless the kernels can read and write ``x``."""
    if x.dtype not in KERNEL_DTYPES:
        raise Uncovered(f"dtype {x.dtype} (the kernels read and write uint8, float16, "
                        "bfloat16 and float32; float64 runs on the torch backend)")
    if x.requires_grad and torch.is_grad_enabled():
        raise Uncovered("a tensor that requires grad (the kernels are not differentiable; "
                        "the torch backend is)")
    if x.device.type == "cpu" and not interpreting() and not dry_run():
        raise Uncovered("a CPU tensor without TRITON_INTERPRET=1 set before triton is imported")
    if x.device.type not in ("cpu", "cuda"):
        raise Uncovered(f"device {x.device}")


@register("triton", "separable")
def separable_filter(x: torch.Tensor, ky: KernelStack, kx: KernelStack, border: str,
                     method: str, field: FieldArgs | None = None) -> torch.Tensor:
    """Separable correlation by the tile kernel or the banded GEMMs (see :mod:`._separable`).

    ``method``: ``auto`` (the cheaper of the two by :func:`._separable.tile_cost` /
    :func:`._separable.banded_cost`), ``direct`` (tile) or ``matrix`` (banded); ``fft`` is
    not covered.
    """
    check_tensor(x)
    if method == "fft":
        raise Uncovered("method='fft' (the Triton backend filters by tile or banded-matrix "
                        "products; use method='auto', 'direct' or 'matrix')")
    H, W = x.shape[-2:]
    wy, wx = ky.weights, kx.weights
    tile = _separable.tile_cost(wy.shape[-1] // 2, wx.shape[-1] // 2, H, W)
    if method == "matrix" or (method == "auto" and _separable.banded_cost(H, W) < tile) \
            or tile == float("inf"):
        return _separable.sep_banded(x, wy, wx, border, field=field)
    return _separable.sep_tile(x, wy, wx, border, field=field)


@register("triton", "2d")
def filter2d(x: torch.Tensor, k: KernelStack, border: str, method: str,
             field: FieldArgs | None = None) -> torch.Tensor:
    """2-D correlation by the tap-list kernel (only the non-zero taps are read)."""
    check_tensor(x)
    if method not in ("auto", "direct", "2d"):
        raise Uncovered(f"method={method!r} for a 2-D kernel (covered: 'auto', 'direct', '2d')")
    return taps2d(x, k.weights, border, field=field)


@register("triton", "field")
def field(x: torch.Tensor, op: str, params: dict, check=None) -> torch.Tensor:
    """An illumination op of :mod:`pixelgrad.functional.illumination` in one elementwise pass
    (``check``: the finite check of ``x`` still to run, run first)."""
    check_tensor(x)
    if check is not None:
        check(x)
    if op not in FIELD_OPS:
        raise Uncovered(f"the op {op!r} (no Triton kernel for it)")
    from ._illumination import apply

    return apply(x, field_args(op, x, params))


@register("triton", "blur_field")
def blur_then_blend(x: torch.Tensor, kind: str, kernels: dict, field_op: str,
                    field_params: dict) -> torch.Tensor:
    """A linear filter followed by an illumination op, in one launch.

    The illumination field is mixed into the filtered values in registers before the single
    store (no intermediate image in memory). The filtered value is rounded to the dtype of
    ``x`` first, exactly as storing it would: the result has the same bits as the filter
    kernel followed by the illumination kernel.

    Parameters
    ----------
    x : torch.Tensor
        ``(B, C, H, W)`` uint8 / float16 / bfloat16 / float32 (CUDA, or CPU under
        ``TRITON_INTERPRET=1``).
    kind : str
        ``"separable"`` or ``"2d"``.
    kernels : dict
        The filter's arguments other than ``x``, as the registry functions take them
        (``ky``, ``kx`` or ``k``, ``border``, ``method``).
    field_op : str
        One of ``linear_gradient``, ``corner_gradient``, ``radial_gradient``,
        ``gaussian_spot``.
    field_params : dict
        Its validated parameters (see :mod:`pixelgrad.functional.illumination`).

    Returns
    -------
    torch.Tensor
        The result, in the dtype of ``x``.

    Raises
    ------
    Uncovered
        When the pair or the tensor is not covered.
    """
    check_tensor(x)
    if kind not in ("separable", "2d") or field_op not in FIELD_OPS:
        raise Uncovered(f"the pair ({kind!r}, {field_op!r})")
    return REGISTRY[("triton", kind)](x, **kernels, field=field_args(field_op, x, field_params))
