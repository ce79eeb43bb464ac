"""Shared plumbing of the facades: input checks, working dtype, noise argument, callbacks,
and giving the result back in the caller's container (``real_scalar`` lives in :mod:`.checks`)."""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

import torch

from .._dtypes import from_compute, max_value
from .._errors import bad_type, bad_value, check_choice
from .._interop import Batch, ImageLike, to_batch
from .checks import real_scalar
from .noise import noise_sigma
from .result import StepInfo

__all__ = ["prepare", "finish", "real_scalar", "check_time_budget", "check_restore_method",
           "noise_levels"]


def prepare(image: ImageLike, fn: str) -> tuple:
    """``(batch, x, white)``: ``x`` float32 (float64 for float64 input) in [0, 1] units."""
    b = to_batch(image, fn, "image")
    if b.data.is_floating_point() and not bool(torch.isfinite(b.data).all()):
        bad_value(fn, "image", "finite values (no NaN or inf)", "NaN/inf")
    if b.data.is_floating_point() and b.data.numel() and float(b.data.abs().max()) > MAX_MAGNITUDE:
        bad_value(fn, "image", f"in [0, 1] units (|values| <= {MAX_MAGNITUDE:g}; the solvers square "
                  f"them)", f"values up to {float(b.data.abs().max()):.3g}")
    white = max_value(b.data.dtype)
    work = torch.float64 if b.data.dtype == torch.float64 else torch.float32
    x = b.data.to(work)
    if white != 1.0:
        x = x / white
    elif x.data_ptr() == b.data.data_ptr():
        x = x.clone()
    return b, x, white


#: Largest magnitude of a float image value (images are in [0, 1] units; squares of values
#: near the float32 range overflow).
MAX_MAGNITUDE = 1e4
#: Largest noise standard deviation / prior weight (in [0, 1] units): far above any sensible
#: value, far below where the solvers' squares overflow.
MAX_LEVEL = 1e6


def check_finite_result(fn: str, out: torch.Tensor) -> torch.Tensor:
    """``out`` itself if it is finite; else a ``ValueError`` (never hand NaN / inf to a caller
    who writes images: they would be saved as black)."""
    if out.is_floating_point() and not bool(torch.isfinite(out).all()):
        raise ValueError(f"{fn}: the solver produced non-finite values (NaN or inf) from these "
                         f"arguments: their magnitudes (weights, noise level, kernel, starting "
                         f"point, bounds) are out of the range it can compute with; use values in "
                         f"[0, 1] units")
    return out


def finish(b: Batch, out: torch.Tensor, white: float) -> Any:
    y = out * white if white != 1.0 else out
    if not b.data.is_floating_point():
        y = y.clamp(0.0, white)
    return b.restore(from_compute(y, b.data.dtype))


def check_time_budget(fn: str, time_budget: Any) -> Optional[float]:
    """``time_budget`` as seconds (``None``: no limit); a ``ValueError`` for anything but a
    finite number >= 0 (numpy scalars accepted, as everywhere a number is)."""
    if time_budget is None:
        return None
    v = real_scalar(time_budget)
    if v is None or not (math.isfinite(v) and v >= 0):
        bad_value(fn, "time_budget", "a finite number of seconds >= 0, or None", time_budget)
    return v


def image_deadline(t0: float, budget: Optional[float], i: int, bsz: int) -> Optional[float]:
    """The :func:`time.perf_counter` deadline of image ``i`` of ``bsz``: the budget shared
    equally by the images, as :func:`~pixelgrad.restore.inpaint` does."""
    return None if budget is None else t0 + budget * (i + 1) / bsz


def check_restore_method(fn: str, method: Any, methods: tuple) -> str:
    """Check a restoration facade's ``method`` against its table ``methods`` and return it
    (``ValueError`` naming ``fn`` otherwise). The blur ops' ``method=`` (an algorithm, with
    deprecated names) is :func:`pixelgrad.functional._cost.check_method`."""
    return check_choice(method, methods, fn, "method")


def noise_levels(fn: str, arg: str, value: Any, x: torch.Tensor, flat_fraction: float = 0.5) -> torch.Tensor:
    """float64 ``(B,)`` noise standard deviations: given (number or per-image tensor) or
    estimated from ``x``."""
    bsz = x.shape[0]
    if value is None:
        return noise_sigma(x, flat_fraction=flat_fraction)
    if isinstance(value, bool):
        bad_type(fn, arg, "a number >= 0, a tensor (B,) or None", value)
    number = real_scalar(value) if not isinstance(value, torch.Tensor) else None
    if number is not None:
        if not (math.isfinite(number) and 0 <= number <= MAX_LEVEL):
            bad_value(fn, arg, f"a finite number in [0, {MAX_LEVEL:g}]", value)
        return torch.full((bsz,), number, dtype=torch.float64)
    if isinstance(value, torch.Tensor):
        v = value.detach().to("cpu", torch.float64).reshape(-1)
        if v.numel() == 1:
            v = v.expand(bsz)
        if v.numel() != bsz or not bool(torch.isfinite(v).all()) or bool((v < 0).any()) \
                or bool((v > MAX_LEVEL).any()):
            bad_value(fn, arg, f"finite values in [0, {MAX_LEVEL:g}], one or {bsz} of them", value)
        return v.clone()
    bad_type(fn, arg, "a number >= 0, a tensor (B,) or None", value)


def reference_batch(fn: str, reference: Any, b: Batch, x: torch.Tensor) -> Optional[torch.Tensor]:
    if reference is None:
        return None
    rb = to_batch(reference, fn, "reference")
    if rb.data.shape != b.data.shape:
        bad_value(fn, "reference", f"an image of the image's shape {tuple(b.data.shape)}", reference)
    return rb.data.to(x.dtype, copy=True).to(x.device) / max_value(rb.data.dtype)


def wrap_callback(callback: Optional[Callable[[StepInfo], None]], ref: Optional[torch.Tensor]):
    """``(stage) -> cb(it, energy, img)`` calling ``callback`` with a :class:`StepInfo`."""
    if callback is not None and not callable(callback):
        bad_type("restore", "callback", "a callable or None", callback)

    def make(stage: str):
        if callback is None:
            return None

        def cb(it: int, energy: torch.Tensor, img: torch.Tensor) -> None:
            p = None
            if ref is not None:
                r = ref if img.shape[0] == ref.shape[0] else ref[:img.shape[0]]
                mse = (img - r).square().reshape(img.shape[0], -1).mean(1).double()
                p = 10.0 * torch.log10(1.0 / mse)
            callback(StepInfo(stage, it, energy, img, p))
        return cb
    return make


# Orthonormal opponent colour transform: white noise stays white with the same sigma.
_OPP = torch.tensor([[1 / 3 ** 0.5] * 3, [1 / 2 ** 0.5, 0.0, -1 / 2 ** 0.5],
                     [1 / 6 ** 0.5, -2 / 6 ** 0.5, 1 / 6 ** 0.5]], dtype=torch.float64)


def to_opponent(x: torch.Tensor) -> torch.Tensor:
    """``(1, 3, H, W)`` RGB -> opponent channels (orthonormal); other channel counts unchanged."""
    if x.shape[1] != 3:
        return x
    return torch.einsum("ij,bjhw->bihw", _OPP.to(x.dtype), x)


def from_opponent(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] != 3:
        return x
    return torch.einsum("ji,bjhw->bihw", _OPP.to(x.dtype), x)
