"""Illumination fields as a Triton epilogue: ``y -> mix(y, alpha * g(u, v))`` in registers.

Same math as :mod:`pixelgrad.functional.illumination` (read its module docstring): on the
unit-square grid ``u = j / (W - 1)``, ``v = i / (H - 1)`` (0 when the side is 1), with
``F = alpha * g`` precomputed per plane as coefficients,

    FIELD 0 affine    F = A u + Bv v + O                 (linear and corner gradients)
    FIELD 1 radial    F = S max(0, 1 - sqrt(dx^2 + dy^2)) + O
    FIELD 2 spot      F = S exp(-dx^2 / 2) exp(-dy^2 / 2) + O
                      dx = (u - cx) / sx,  dy = (v - cy) / sy
    MODE 0 blend      y = keep * y + white * F           (keep = 1 - alpha)
    MODE 1 add        y = y + white * F
    MODE 2 multiply   y = y * (1 + F)

then ``clamp(y, 0, white)`` when CLAMP. Tables: ``coef`` float32 ``(B * C, 4)`` =
``(A | S, Bv, O, keep)`` per plane; ``geo`` float32 ``(B, 4)`` = ``(cy, cx, 1/sy, 1/sx)``.
``FIELD = -1`` disables the epilogue (plain blur).
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl

_CORNER_UV = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))

OPS = ("linear_gradient", "corner_gradient", "radial_gradient", "gaussian_spot")
MODES = {"blend": 0, "add": 1, "multiply": 2}


@triton.jit
def apply_field(y, rows, cols, H, W, plane, b, coef_ptr, geo_ptr,
                FIELD: tl.constexpr, MODE: tl.constexpr, CLAMP: tl.constexpr,
                WHITE: tl.constexpr):
    """Mix the field into ``y`` (float32 ``(len(rows), len(cols))``) at image positions
    ``rows`` x ``cols`` of plane ``plane`` (sample ``b``)."""
    if FIELD >= 0:
        p4 = plane.to(tl.int64) * 4
        c0 = tl.load(coef_ptr + p4)
        c1 = tl.load(coef_ptr + p4 + 1)
        c2 = tl.load(coef_ptr + p4 + 2)
        keep = tl.load(coef_ptr + p4 + 3)
        u = cols.to(tl.float32) / tl.maximum(W - 1, 1).to(tl.float32)
        v = rows.to(tl.float32) / tl.maximum(H - 1, 1).to(tl.float32)
        if FIELD == 0:
            f = (c0 * u)[None, :] + (c1 * v)[:, None] + c2
        else:
            b4 = b.to(tl.int64) * 4
            dy = (v - tl.load(geo_ptr + b4)) * tl.load(geo_ptr + b4 + 2)
            dx = (u - tl.load(geo_ptr + b4 + 1)) * tl.load(geo_ptr + b4 + 3)
            if FIELD == 1:
                r = tl.sqrt((dy * dy)[:, None] + (dx * dx)[None, :])
                f = c0 * tl.maximum(1.0 - r, 0.0) + c2
            else:
                f = c0 * (tl.exp(-0.5 * dy * dy)[:, None] * tl.exp(-0.5 * dx * dx)[None, :]) + c2
        if MODE == 0:
            y = y * keep + WHITE * f
        elif MODE == 1:
            y = y + WHITE * f
        else:
            y = y * (1.0 + f)
        if CLAMP:
            y = tl.minimum(tl.maximum(y, 0.0), WHITE)
    return y


class FieldArgs:
    """Host side of the epilogue: the tables and constexprs one launch needs."""

    def __init__(self, field: int, mode: int, clamp: bool, white: float,
                 coef: torch.Tensor, geo: torch.Tensor):
        self.field, self.mode, self.clamp, self.white = field, mode, clamp, white
        self.coef, self.geo = coef, geo

    @classmethod
    def none(cls, device) -> "FieldArgs":
        z = torch.zeros(4, dtype=torch.float32, device=device)
        return cls(-1, 0, False, 1.0, z, z)

    def pointers(self) -> tuple:
        return self.coef, self.geo

    def constexprs(self) -> dict:
        return dict(FIELD=self.field, MODE=self.mode, CLAMP=self.clamp, WHITE=self.white)


def _plane(t: torch.Tensor, B: int, C: int) -> torch.Tensor:
    """``(B,)`` or ``(B, C)`` float64 -> ``(B * C,)`` float64."""
    t = t.to(torch.float64)
    return (t[:, None] if t.ndim == 1 else t).expand(B, C).reshape(-1)


def field_args(op: str, x: torch.Tensor, params: dict) -> FieldArgs:
    """Tables for ``op`` with the validated parameters of the functional layer."""
    B, C = x.shape[:2]
    white = 1.0 if x.dtype.is_floating_point else float(torch.iinfo(x.dtype).max)
    mode, clamp = params["mode"], bool(params["clamp"])
    if mode not in MODES:
        raise ValueError(f"{op}: argument `mode` must be one of {tuple(MODES)}, got {mode!r}")
    alpha = _plane(params["alpha"], B, C)
    off = _plane(params["offset"], B, C)
    geo = torch.zeros(B, 4, dtype=torch.float64)
    if op == "linear_gradient":
        c0, c1 = _plane(params["a"], B, C), _plane(params["b"], B, C)
        field = 0
    elif op == "corner_gradient":
        st = _plane(params["strength"], B, C)
        uv = torch.tensor(_CORNER_UV, dtype=torch.float64)[params["corner"].long()]   # (B, 2)
        u0 = uv[:, 0, None].expand(B, C).reshape(-1)
        v0 = uv[:, 1, None].expand(B, C).reshape(-1)
        # |u - u0| = (1 - 2 u0) u + u0 on [0, 1]
        c0 = -0.5 * st * (1.0 - 2.0 * u0)
        c1 = -0.5 * st * (1.0 - 2.0 * v0)
        off = off + st * (1.0 - 0.5 * (u0 + v0))
        field = 0
    elif op in ("radial_gradient", "gaussian_spot"):
        c0 = _plane(params["strength"], B, C)
        c1 = torch.zeros_like(c0)
        center = params["center"].to(torch.float64)
        scale = params["radius" if op == "radial_gradient" else "sigma"].to(torch.float64)
        geo = torch.stack([center[:, 0], center[:, 1], 1.0 / scale[:, 0], 1.0 / scale[:, 1]], 1)
        field = 1 if op == "radial_gradient" else 2
    else:
        raise KeyError(op)
    coef = torch.stack([alpha * c0, alpha * c1, alpha * off, 1.0 - alpha], 1)
    return FieldArgs(field, MODES[mode], clamp, white,
                     coef.to(device=x.device, dtype=torch.float32).contiguous(),
                     geo.to(device=x.device, dtype=torch.float32).contiguous())
