"""Procedural 64x64 RGB shape classification data, made on the fly (no download).

Eight classes of filled shapes (:data:`CLASSES`), each image with a random shape colour, size,
position and rotation on a smooth textured background. A class is defined by geometry only:
colours, sizes, positions and textures are drawn independently of the label, and the shape
always differs from the background's mean luminance by at least :data:`MIN_CONTRAST`.

Shapes are rasterised at 2x resolution and box-averaged (anti-aliased edges). Every random
number comes from a ``torch.Generator`` seeded from ``(seed, split)``, so ``make_split(n,
seed, split)`` is the same on every machine and in every process.
"""
from __future__ import annotations

import math

import numpy as np
import torch

CLASSES = ("disk", "ring", "triangle", "square", "cross", "star", "crescent", "bar")
SIZE = 64
MIN_CONTRAST = 0.25     # |luminance(shape) - luminance(background mean)| >= this
_SS = 2                 # supersampling factor of the rasteriser
_LUMA = torch.tensor([0.299, 0.587, 0.114])


def _seed(seed: int, split: str) -> int:
    words = np.random.SeedSequence([seed, sum(ord(c) << (8 * i) for i, c in enumerate(split))])
    w = words.generate_state(2)
    return ((int(w[0]) << 32) | int(w[1])) & (2**63 - 1)


def _regular_polygon(r: torch.Tensor, phi: torch.Tensor, n: int) -> torch.Tensor:
    """Inside the regular ``n``-gon of circumradius 1 (one vertex on the +u axis)."""
    sector = 2 * math.pi / n
    local = torch.remainder(phi, sector) - sector / 2
    return r * torch.cos(local) <= math.cos(math.pi / n)


def _mask(name: str, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Boolean inside-mask of shape ``name`` in local coordinates (radius ~1)."""
    r = torch.sqrt(u * u + v * v)
    phi = torch.atan2(v, u)
    if name == "disk":
        return r <= 1.0
    if name == "ring":
        return (r <= 1.0) & (r >= 0.55)
    if name == "triangle":
        return _regular_polygon(r, phi, 3)
    if name == "square":
        return _regular_polygon(r, phi, 4)
    if name == "cross":
        return ((u.abs() <= 0.32) & (v.abs() <= 1.0)) | ((v.abs() <= 0.32) & (u.abs() <= 1.0))
    if name == "star":
        t = torch.remainder(phi, 2 * math.pi / 5) / (2 * math.pi / 5)       # 0 at a tip
        return r <= 0.42 + 0.58 * (2 * t - 1).abs()
    if name == "crescent":
        return (r <= 1.0) & ((u - 0.5) ** 2 + v * v >= 0.8 ** 2)
    if name == "bar":
        return (u.abs() <= 1.0) & (v.abs() <= 0.3)
    raise ValueError(f"unknown shape {name!r}")


def _smooth_field(n: int, g: torch.Generator, amplitude: float) -> torch.Tensor:
    """``(n, 3, 64, 64)`` smooth texture: three random plane waves per channel (0.5-3 cycles
    per image) plus 8x8 noise, built on a 16x16 grid and upsampled bilinearly (the field has
    no detail finer than that)."""
    m = 16
    yy, xx = torch.meshgrid(torch.linspace(0, 1, m), torch.linspace(0, 1, m), indexing="ij")
    field = torch.zeros(n, 3, m, m)
    for _ in range(3):
        freq = 0.5 + 2.5 * torch.rand(n, 3, 1, 1, generator=g)
        theta = 2 * math.pi * torch.rand(n, 3, 1, 1, generator=g)
        phase = 2 * math.pi * torch.rand(n, 3, 1, 1, generator=g)
        amp = amplitude * torch.rand(n, 3, 1, 1, generator=g)
        field += amp * torch.sin(2 * math.pi * freq * (xx * torch.cos(theta) + yy * torch.sin(theta)) + phase)
    coarse = torch.randn(n, 3, 8, 8, generator=g) * (amplitude / 2)
    field += torch.nn.functional.interpolate(coarse, size=(m, m), mode="bilinear", align_corners=False)
    return torch.nn.functional.interpolate(field, size=(SIZE, SIZE), mode="bilinear", align_corners=False)


def _colours_with_contrast(bg: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A shape colour per image whose luminance differs from ``bg``'s by >= MIN_CONTRAST."""
    fg = torch.rand(bg.shape, generator=g)
    bad = ((fg - bg) @ _LUMA).abs() < MIN_CONTRAST
    while bool(bad.any()):
        fg[bad] = torch.rand(int(bad.sum()), 3, generator=g)
        bad = ((fg - bg) @ _LUMA).abs() < MIN_CONTRAST
    return fg


def _coverage(labels, cx, cy, rot, radius) -> torch.Tensor:
    """``(n, 1, 64, 64)`` fraction of each pixel inside the shape: rasterised at 2x, 2x2 mean."""
    n = labels.shape[0]
    S = SIZE * _SS
    grid = (torch.arange(S, dtype=torch.float32) + 0.5) / _SS
    py, px = grid[None, :, None], grid[None, None, :]
    dx, dy = px - cx[:, None, None], py - cy[:, None, None]
    c, s = torch.cos(rot)[:, None, None], torch.sin(rot)[:, None, None]
    u = (c * dx + s * dy) / radius[:, None, None]
    v = (-s * dx + c * dy) / radius[:, None, None]
    inside = torch.zeros(n, S, S)
    for j, name in enumerate(CLASSES):
        sel = labels == j
        if bool(sel.any()):
            inside[sel] = _mask(name, u[sel], v[sel]).float()
    return torch.nn.functional.avg_pool2d(inside[:, None], _SS)


def make_split(n: int, seed: int, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` images ``(n, 3, 64, 64)`` uint8 and labels ``(n,)`` int64 (balanced classes).

    ``split`` names the split ("train", "test"): splits of one seed are independent streams.
    """
    g = torch.Generator().manual_seed(_seed(seed, split))
    k = len(CLASSES)
    labels = torch.arange(n) % k
    labels = labels[torch.randperm(n, generator=g)]
    radius = 9.0 + 11.0 * torch.rand(n, generator=g)                    # pixels
    cx = radius + (SIZE - 2 * radius) * torch.rand(n, generator=g)
    cy = radius + (SIZE - 2 * radius) * torch.rand(n, generator=g)
    rot = 2 * math.pi * torch.rand(n, generator=g)
    bg = 0.15 + 0.7 * torch.rand(n, 3, generator=g)
    fg = _colours_with_contrast(bg, g)
    background = bg[:, :, None, None] + _smooth_field(n, g, 0.08)
    shape_tex = fg[:, :, None, None] + _smooth_field(n, g, 0.04)

    cover = torch.cat([_coverage(labels[i:i + 256], cx[i:i + 256], cy[i:i + 256], rot[i:i + 256],
                                 radius[i:i + 256]) for i in range(0, n, 256)])
    img = background * (1 - cover) + shape_tex * cover
    img = img + 0.015 * torch.randn(img.shape, generator=g)
    img = (img.clamp(0, 1) * 255).round().to(torch.uint8)
    return img, labels


def make_data(n_train: int, n_test: int, seed: int):
    """The fixed train / test splits of data seed ``seed``."""
    return make_split(n_train, seed, "train"), make_split(n_test, seed, "test")
